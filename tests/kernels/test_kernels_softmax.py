import numpy as np
import pytest
from kernel_testing import CPU, assert_close, reference

from kernels import softmax as sm

DTYPES = [np.float32, np.float64]
# (rows, cols, block_size): a single element, a row longer than the block, a row shorter than it,
# a block of several warps, a block smaller than a warp.
CASES = [(1, 1, 32), (3, 70, 32), (2, 130, 128), (2, 40, 64), (3, 9, 4)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows, cols, block_size", CASES)
@pytest.mark.parametrize("version", sm.versions.names)
def test_every_softmax_version_matches_the_cpu_formula(rng, version, rows, cols, block_size, dtype):
    x = (rng.standard_normal((rows, cols)) * 4).astype(dtype)
    assert_close(sm.softmax_forward(x, version=version, block_size=block_size), reference("softmax", x), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows, cols, block_size", CASES)
def test_backward_and_log_softmax_match_the_cpu_formula(rng, rows, cols, block_size, dtype):
    x = (rng.standard_normal((rows, cols)) * 4).astype(dtype)
    grad = rng.standard_normal((rows, cols)).astype(dtype)
    y = sm.softmax_forward(x, block_size=block_size)
    assert_close(sm.softmax_backward(grad, y, block_size=block_size), reference("softmax_backward", grad, y), dtype)
    logy = sm.log_softmax_forward(x, block_size=block_size)
    assert_close(logy, reference("log_softmax", x), dtype)
    dx = sm.log_softmax_backward(grad, logy, block_size=block_size)
    assert_close(dx, reference("log_softmax_backward", grad, logy), dtype)


@pytest.mark.parametrize("version", sm.versions.names)
@pytest.mark.parametrize("dtype", DTYPES)
def test_extreme_logits_are_exact_and_finite(version, dtype):
    x = np.array([[1e4, 0.0, -1e4, 1e4 - 1.0], [-1e4, -1e4, -1e4, -1e4]], dtype=dtype)
    y = sm.softmax_forward(x, version=version, block_size=4)
    logy = sm.log_softmax_forward(x, block_size=4)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(logy))
    e = np.exp(-1.0)
    np.testing.assert_allclose(y[0], [1 / (1 + e), 0, 0, e / (1 + e)], rtol=1e-6, atol=0)
    np.testing.assert_allclose(y[1], 0.25, rtol=1e-6)
    np.testing.assert_allclose(logy[0, [0, 3]], [-np.log1p(e), -1 - np.log1p(e)], rtol=1e-5)
    np.testing.assert_allclose(logy[0, 2], -2e4 - np.log1p(e), rtol=1e-6)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # the simulator's NumPy at -inf - (-inf)
@pytest.mark.parametrize("version", sm.versions.names)
@pytest.mark.parametrize("block_size", [1, 4])
def test_minus_inf_and_nan_rows_match_the_cpu(version, block_size):
    # -inf is a masked position (probability 0); a row of only -inf, or with a NaN, is NaN on the CPU.
    x = np.array([[-np.inf, 0.0, 1.0, -np.inf], [-np.inf, -np.inf, -np.inf, -np.inf],
                  [1.0, np.nan, 2.0, 3.0], [1e30, 1e30, 1e30, -np.inf]], dtype=np.float32)
    with np.errstate(invalid="ignore"):  # -inf - (-inf) is NaN, on purpose
        want, want_log = CPU.softmax(x), CPU.log_softmax(x)
    got = sm.softmax_forward(x, version=version, block_size=block_size)
    got_log = sm.log_softmax_forward(x, block_size=block_size)
    np.testing.assert_allclose(got, want, rtol=1e-6)  # NaN where the CPU has NaN, and only there
    np.testing.assert_allclose(got_log, want_log, rtol=1e-6)


def test_cpu_formulas_match_independent_numpy(rng):
    x = rng.standard_normal((3, 6))
    naive = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(CPU.softmax(x), naive, rtol=1e-14)
    np.testing.assert_allclose(CPU.log_softmax(x), np.log(naive), rtol=1e-13)
    # Backward formulas against the full Jacobian dy_j/dx_k = y_j (1[j==k] - y_k).
    g = rng.standard_normal((3, 6))
    for r in range(3):
        y = naive[r]
        jacobian = np.diag(y) - np.outer(y, y)
        np.testing.assert_allclose(CPU.softmax_backward(g[r : r + 1], y[None])[0], g[r] @ jacobian)
        log_jacobian = np.eye(6) - np.outer(np.ones(6), y)
        np.testing.assert_allclose(CPU.log_softmax_backward(g[r : r + 1], np.log(y)[None])[0], g[r] @ log_jacobian)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="2-D"):
        sm.softmax_forward(np.zeros(3))
    with pytest.raises(ValueError, match="same shape"):
        sm.softmax_backward(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="unknown softmax version 'fast'"):
        sm.softmax_forward(np.zeros((2, 3)), version="fast")


def test_empty_inputs_return_empty_outputs():
    for version in sm.versions.names:
        assert sm.softmax_forward(np.zeros((0, 4)), version=version).shape == (0, 4)
        assert sm.softmax_forward(np.zeros((3, 0)), version=version).shape == (3, 0)
    assert sm.log_softmax_forward(np.zeros((0, 4))).shape == (0, 4)
