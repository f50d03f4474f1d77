import math

import numpy as np
import pytest
from kernel_testing import CPU, assert_close, reference

from kernels import activations as act

DTYPES = [np.float32, np.float64]
SHAPES = [(1,), (3, 5, 7)]  # 105 elements: more than one warp, not a multiple of the block


def _x(rng, shape, dtype):
    x = rng.standard_normal(shape) * 3
    x.flat[0] = 0.0  # the kink of relu and the centre of the others
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_forward_and_backward_match_the_cpu_formula(rng, name, shape, dtype):
    x = _x(rng, shape, dtype)
    grad = rng.standard_normal(shape).astype(dtype)
    forward, backward = getattr(act, f"{name}_forward"), getattr(act, f"{name}_backward")
    y = forward(x)
    assert_close(y, reference(name, x), dtype)
    saved = x if name == "relu" else y  # sigmoid and tanh differentiate through their output
    assert_close(backward(grad, saved), reference(f"{name}_backward", grad, saved), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_forward_and_backward_match_the_cpu_formula(rng, approximate, dtype):
    x = _x(rng, (3, 5, 7), dtype)
    grad = rng.standard_normal(x.shape).astype(dtype)
    assert_close(act.gelu_forward(x, approximate), reference("gelu", x, approximate), dtype)
    assert_close(act.gelu_backward(grad, x, approximate), reference("gelu_backward", grad, x, approximate), dtype)


def test_cpu_formulas_match_independent_math():
    x = np.linspace(-4, 4, 17)
    np.testing.assert_allclose(CPU.sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-14)
    np.testing.assert_allclose(CPU.gelu(x), [v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x], rtol=1e-14)
    # The derivatives against central differences of the forward formulas.
    h = 1e-6
    for name in ("none", "tanh"):
        numeric = (CPU.gelu(x + h, name) - CPU.gelu(x - h, name)) / (2 * h)
        np.testing.assert_allclose(CPU.gelu_backward(np.ones_like(x), x, name), numeric, atol=1e-8)
    numeric = (np.tanh(x + h) - np.tanh(x - h)) / (2 * h)
    np.testing.assert_allclose(CPU.tanh_backward(np.ones_like(x), np.tanh(x)), numeric, atol=1e-8)
    numeric = (CPU.sigmoid(x + h) - CPU.sigmoid(x - h)) / (2 * h)
    np.testing.assert_allclose(CPU.sigmoid_backward(np.ones_like(x), CPU.sigmoid(x)), numeric, atol=1e-8)


@pytest.mark.parametrize("dtype", DTYPES)
def test_extreme_inputs_stay_finite(dtype):
    x = np.array([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=dtype)
    y = act.sigmoid_forward(x)
    assert np.all(np.isfinite(y))
    np.testing.assert_array_equal(y[[0, 2, 4]], np.array([0.0, 0.5, 1.0], dtype=dtype))
    for approximate in ("none", "tanh"):
        g = act.gelu_forward(x, approximate)
        assert np.all(np.isfinite(g))
        np.testing.assert_allclose(g[[0, 4]], [0.0, 1e4], rtol=1e-6)
        d = act.gelu_backward(np.ones_like(x), x, approximate)
        np.testing.assert_allclose(d[[0, 2, 4]], [0.0, 0.5, 1.0], atol=1e-6)


def test_mismatched_inputs_and_bad_options_raise():
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match="should have the shape"):
        act.relu_backward(np.zeros((3, 2)), x)
    with pytest.raises(ValueError, match="approximate"):
        act.gelu_forward(x, approximate="erf")
    with pytest.raises(TypeError, match="float32 and float64"):
        act.relu_forward(np.zeros(3, dtype=np.int64))
