import numpy as np
import pytest
from kernel_testing import assert_close

from kernels import softmax as sm

DTYPES = [np.float32, np.float64]
# (rows, cols, block_size): a single element, a row longer than the block, a row shorter than it.
CASES = [(1, 1, 32), (3, 70, 32), (2, 130, 128)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows, cols, block_size", CASES)
def test_softmax_forward_and_backward(rng, rows, cols, block_size, dtype):
    x = (rng.standard_normal((rows, cols)) * 4).astype(dtype)
    grad = rng.standard_normal((rows, cols)).astype(dtype)
    y = sm.softmax_forward(x, block_size=block_size)
    assert_close(y, sm.softmax_forward_reference(x), dtype)
    assert_close(sm.softmax_backward(grad, y, block_size=block_size), sm.softmax_backward_reference(grad, y), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows, cols, block_size", CASES)
def test_log_softmax_forward_and_backward(rng, rows, cols, block_size, dtype):
    x = (rng.standard_normal((rows, cols)) * 4).astype(dtype)
    grad = rng.standard_normal((rows, cols)).astype(dtype)
    y = sm.log_softmax_forward(x, block_size=block_size)
    assert_close(y, sm.log_softmax_forward_reference(x), dtype)
    dx = sm.log_softmax_backward(grad, y, block_size=block_size)
    assert_close(dx, sm.log_softmax_backward_reference(grad, y), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_extreme_logits_are_exact_and_finite(dtype):
    x = np.array([[1e4, 0.0, -1e4, 1e4 - 1.0], [-1e4, -1e4, -1e4, -1e4]], dtype=dtype)
    y = sm.softmax_forward(x, block_size=4)
    logy = sm.log_softmax_forward(x, block_size=4)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(logy))
    e = np.exp(-1.0)
    np.testing.assert_allclose(y[0], [1 / (1 + e), 0, 0, e / (1 + e)], rtol=1e-6, atol=0)
    np.testing.assert_allclose(y[1], 0.25, rtol=1e-6)
    np.testing.assert_allclose(logy[0, [0, 3]], [-np.log1p(e), -1 - np.log1p(e)], rtol=1e-5)
    np.testing.assert_allclose(logy[0, 2], -2e4 - np.log1p(e), rtol=1e-6)


def test_references_match_independent_numpy(rng):
    x = rng.standard_normal((3, 6))
    naive = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(sm.softmax_forward_reference(x), naive, rtol=1e-14)
    np.testing.assert_allclose(sm.log_softmax_forward_reference(x), np.log(naive), rtol=1e-13)
    # Backward references against the full Jacobian dy_j/dx_k = y_j (1[j==k] - y_k).
    g = rng.standard_normal((3, 6))
    for r in range(3):
        y = naive[r]
        jacobian = np.diag(y) - np.outer(y, y)
        np.testing.assert_allclose(sm.softmax_backward_reference(g[r : r + 1], y[None])[0], g[r] @ jacobian)
        log_jacobian = np.eye(6) - np.outer(np.ones(6), y)
        np.testing.assert_allclose(
            sm.log_softmax_backward_reference(g[r : r + 1], np.log(y)[None])[0], g[r] @ log_jacobian
        )
    assert np.all(np.isfinite(sm.softmax_forward_reference(np.array([[1e4, -1e4]]))))


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="2-D"):
        sm.softmax_forward(np.zeros(3))
    with pytest.raises(ValueError, match="same shape"):
        sm.softmax_backward(np.zeros((2, 3)), np.zeros((3, 2)))


def test_empty_inputs_return_empty_outputs():
    for fn in (sm.softmax_forward, sm.log_softmax_forward):
        assert fn(np.zeros((0, 4))).shape == (0, 4)
        assert fn(np.zeros((3, 0))).shape == (3, 0)
