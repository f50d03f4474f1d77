"""Numerically delicate ops stay exact and finite for huge logits (|x| = 1e4), in float32 and float64.

A naive e^x overflows at x ~ 89 (float32) or ~ 710 (float64); these tests would see inf or nan.
NumPy is set to raise on overflow, invalid operations and division by zero, so a hidden inf that
later disappears still fails the test.
"""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F

DTYPES = [mg.float32, mg.float64]
BIG = 1e4


@pytest.fixture(autouse=True)
def raise_on_overflow():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        yield


def leaf(values, dtype):
    return mg.tensor(np.array(values, dtype=dtype), requires_grad=True)


def assert_finite_grad(t):
    assert t.grad is not None and np.all(np.isfinite(t.grad.numpy()))


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_of_huge_logits(dtype):
    x = leaf([[BIG, -BIG, 0.0], [BIG, BIG, -BIG]], dtype)
    y = F.softmax(x, dim=-1)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y.numpy(), [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    (y * mg.tensor(np.array([[1.0, 2.0, 3.0]], dtype=dtype))).sum().backward()
    assert_finite_grad(x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_along_first_axis(dtype):
    x = leaf([[BIG, 0.0], [-BIG, 0.0]], dtype)
    np.testing.assert_array_equal(F.softmax(x, dim=0).numpy(), [[1.0, 0.5], [0.0, 0.5]])


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_softmax_of_huge_logits(dtype):
    x = leaf([[BIG, -BIG, 0.0]], dtype)
    y = F.log_softmax(x, dim=-1)
    np.testing.assert_array_equal(y.numpy(), [[0.0, -2 * BIG, -BIG]])
    y.sum().backward()
    assert_finite_grad(x)
    np.testing.assert_allclose(x.grad.numpy(), [[1 - 3.0, 1.0, 1.0]])  # g - softmax * sum(g)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_of_huge_logits(dtype):
    x = leaf([[BIG, -BIG, 0.0], [BIG, -BIG, 0.0]], dtype)
    loss = F.cross_entropy(x, mg.tensor([0, 1]), reduction="none")
    np.testing.assert_array_equal(loss.numpy(), [0.0, 2 * BIG])
    mean = F.cross_entropy(x, mg.tensor([0, 1]))
    assert mean.item() == BIG
    mean.backward()
    assert_finite_grad(x)
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 0.0, 0.0], [0.5, -0.5, 0.0]])


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_with_label_smoothing_of_huge_logits(dtype):
    x = leaf([[BIG, -BIG]], dtype)
    loss = F.cross_entropy(x, mg.tensor([0]), label_smoothing=0.2)
    # -(0.8) * log p_0 - (0.2 / 2) * (log p_0 + log p_1) = 0.1 * 2e4
    np.testing.assert_allclose(loss.item(), 0.1 * 2 * BIG, rtol=1e-6)
    loss.backward()
    assert_finite_grad(x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_of_huge_logits(dtype):
    x = leaf([BIG, -BIG, 0.0], dtype)
    y = F.sigmoid(x)
    np.testing.assert_array_equal(y.numpy(), [1.0, 0.0, 0.5])
    y.sum().backward()
    assert_finite_grad(x)
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.25])


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_logits_of_huge_logits(dtype):
    x = leaf([BIG, -BIG, BIG, -BIG], dtype)
    y = mg.tensor(np.array([0.0, 1.0, 1.0, 0.0], dtype=dtype))
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_array_equal(loss.numpy(), [BIG, BIG, 0.0, 0.0])
    F.binary_cross_entropy_with_logits(x, y, reduction="sum").backward()
    assert_finite_grad(x)
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, -1.0, 0.0, 0.0])  # sigmoid(x) - y


@pytest.mark.parametrize("dtype", DTYPES)
def test_tanh_and_gelu_of_huge_inputs(dtype):
    x = leaf([BIG, -BIG], dtype)
    np.testing.assert_array_equal(F.tanh(x).numpy(), [1.0, -1.0])
    np.testing.assert_array_equal(F.gelu(x).numpy(), [BIG, 0.0])
    F.tanh(x).sum().backward()
    assert_finite_grad(x)
