import math

import numpy as np
import pytest
from kernel_testing import assert_close

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
def test_forward_and_backward_match_reference(rng, name, shape, dtype):
    x = _x(rng, shape, dtype)
    grad = rng.standard_normal(shape).astype(dtype)
    forward, backward = getattr(act, f"{name}_forward"), getattr(act, f"{name}_backward")
    ref_forward = getattr(act, f"{name}_forward_reference")
    ref_backward = getattr(act, f"{name}_backward_reference")
    y = forward(x)
    assert_close(y, ref_forward(x), dtype)
    saved = x if name == "relu" else y  # sigmoid and tanh differentiate through their output
    assert_close(backward(grad, saved), ref_backward(grad, saved), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_forward_and_backward_match_reference(rng, approximate, dtype):
    x = _x(rng, (3, 5, 7), dtype)
    grad = rng.standard_normal(x.shape).astype(dtype)
    assert_close(act.gelu_forward(x, approximate), act.gelu_forward_reference(x, approximate), dtype)
    assert_close(act.gelu_backward(grad, x, approximate), act.gelu_backward_reference(grad, x, approximate), dtype)


def test_references_match_independent_math():
    x = np.linspace(-4, 4, 17)
    np.testing.assert_allclose(act.sigmoid_forward_reference(x), 1 / (1 + np.exp(-x)), rtol=1e-14)
    np.testing.assert_allclose(
        act.gelu_forward_reference(x), [v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x], rtol=1e-14
    )
    # The derivatives against central differences of the forward references.
    h = 1e-6
    for name in ("none", "tanh"):
        numeric = (act.gelu_forward_reference(x + h, name) - act.gelu_forward_reference(x - h, name)) / (2 * h)
        np.testing.assert_allclose(act.gelu_backward_reference(np.ones_like(x), x, name), numeric, atol=1e-8)
    y = np.tanh(x)
    numeric = (np.tanh(x + h) - np.tanh(x - h)) / (2 * h)
    np.testing.assert_allclose(act.tanh_backward_reference(np.ones_like(x), y), numeric, atol=1e-8)
    s = act.sigmoid_forward_reference(x)
    numeric = (act.sigmoid_forward_reference(x + h) - act.sigmoid_forward_reference(x - h)) / (2 * h)
    np.testing.assert_allclose(act.sigmoid_backward_reference(np.ones_like(x), s), numeric, atol=1e-8)


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
