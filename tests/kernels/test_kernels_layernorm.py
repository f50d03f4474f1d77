import numpy as np
import pytest
from kernel_testing import CPU, assert_close, reference

from kernels import layernorm as ln

DTYPES = [np.float32, np.float64]
CASES = [(1, 1, 32), (3, 70, 32), (2, 130, 128), (2, 40, 64), (3, 9, 4)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows, features, block_size", CASES)
@pytest.mark.parametrize("version", ln.versions.names)
def test_every_forward_version_matches_the_cpu_formula(rng, version, rows, features, block_size, dtype):
    x = (rng.standard_normal((rows, features)) * 2 + 1).astype(dtype)
    weight = rng.standard_normal(features).astype(dtype)
    bias = rng.standard_normal(features).astype(dtype)
    got = ln.layernorm_forward(x, weight, bias, 1e-5, version=version, block_size=block_size)
    for g, want in zip(got, reference("layer_norm", x, weight, bias, 1e-5)):
        assert_close(g, want, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows, features, block_size", CASES)
def test_backward_matches_the_cpu_formula(rng, rows, features, block_size, dtype):
    x = (rng.standard_normal((rows, features)) * 2 + 1).astype(dtype)
    weight = rng.standard_normal(features).astype(dtype)
    dy = rng.standard_normal((rows, features)).astype(dtype)
    _, mean, rstd = ln.layernorm_forward(x, weight, None, 1e-5, block_size=block_size)
    grads = ln.layernorm_backward(dy, x, mean, rstd, weight, block_size=block_size)
    for got, want in zip(grads, reference("layer_norm_backward", dy, x, mean, rstd, weight)):
        assert_close(got, want, dtype)


def test_welford_keeps_the_variance_of_a_large_mean(rng):
    # E[x^2] - E[x]^2 in float32 loses everything at mean 1e4 and spread 1; the kernels must not.
    x = (1e4 + rng.standard_normal((2, 257))).astype(np.float32)
    for version in ln.versions.names:
        _, _, rstd = ln.layernorm_forward(x, None, None, 1e-5, version=version, block_size=64)
        np.testing.assert_allclose(rstd, 1 / np.sqrt(x.astype(np.float64).var(axis=1) + 1e-5), rtol=1e-3)


def test_weight_and_bias_may_be_none(rng):
    x = rng.standard_normal((2, 9))
    ones, zeros = np.ones(9), np.zeros(9)
    y, mean, rstd = ln.layernorm_forward(x, None, None, 1e-5, block_size=16)
    assert_close(y, CPU.layer_norm(x, ones, zeros, 1e-5)[0], np.float64)
    dy = rng.standard_normal((2, 9))
    dx, _, dbias = ln.layernorm_backward(dy, x, mean, rstd, None, block_size=16)
    assert_close(dx, CPU.layer_norm_backward(dy, x, mean, rstd, ones)[0], np.float64)
    assert_close(dbias, dy.sum(axis=0), np.float64)


def test_cpu_formulas_match_independent_math(rng):
    x = rng.standard_normal((3, 5))
    w, b = rng.standard_normal(5), rng.standard_normal(5)
    y, mean, rstd = CPU.layer_norm(x, w, b, 1e-5)
    np.testing.assert_allclose(y, (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5) * w + b)
    # The backward formula against central differences of sum(dy * y).
    dy = rng.standard_normal((3, 5))
    dx, dw, db = CPU.layer_norm_backward(dy, x, mean, rstd, w)
    h = 1e-6

    def objective(x_, w_, b_):
        return (dy * CPU.layer_norm(x_, w_, b_, 1e-5)[0]).sum()

    for (r, c) in [(0, 0), (1, 3), (2, 4)]:
        bump = np.zeros_like(x)
        bump[r, c] = h
        numeric = (objective(x + bump, w, b) - objective(x - bump, w, b)) / (2 * h)
        np.testing.assert_allclose(dx[r, c], numeric, atol=1e-7)
    for c in range(5):
        e = np.zeros(5)
        e[c] = h
        np.testing.assert_allclose(dw[c], (objective(x, w + e, b) - objective(x, w - e, b)) / (2 * h), atol=1e-7)
        np.testing.assert_allclose(db[c], (objective(x, w, b + e) - objective(x, w, b - e)) / (2 * h), atol=1e-7)


def test_shape_errors_name_the_problem():
    with pytest.raises(ValueError, match="weight must have shape \\(4,\\)"):
        ln.layernorm_forward(np.zeros((2, 4)), np.ones(3), None)
    with pytest.raises(ValueError, match="unknown layernorm version 'two_pass'"):
        ln.layernorm_forward(np.zeros((2, 4)), None, None, version="two_pass")
