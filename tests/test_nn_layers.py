"""Shapes, values and gradients of the basic layers."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


def check_parameter_gradients(module, *inputs, eps=1e-6, tol=1e-6):
    """Compare backward()'s parameter gradients with central differences, in float64.

    Loss = sum(w * module(*inputs)) with fixed random w; for each parameter element,
    d loss / d p ~ (loss(p + eps) - loss(p - eps)) / (2 eps).
    """
    module.double()
    rng = np.random.default_rng(1)
    out = module(*inputs)
    out = out[0] if isinstance(out, tuple) else out
    weights = mg.tensor(rng.standard_normal(out.shape))
    module.zero_grad()
    (out * weights).sum().backward()

    def loss():
        with mg.no_grad():
            y = module(*inputs)
            y = y[0] if isinstance(y, tuple) else y
            return float((y * weights).sum().item())

    for name, param in module.named_parameters():
        analytic = np.zeros(param.shape) if param.grad is None else param.grad.numpy().copy()
        numeric = np.zeros(param.shape)
        flat = param.data.view(-1)  # a view on the parameter's storage, as in PyTorch
        for k in range(flat.numel()):
            saved = flat[k].item()
            flat[k] = saved + eps
            up = loss()
            flat[k] = saved - eps
            down = loss()
            flat[k] = saved
            numeric.reshape(-1)[k] = (up - down) / (2 * eps)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=tol, err_msg=f"gradient of {name}")


# ------------------------------------------------------------------ Linear
def test_linear_computes_affine_map_on_last_dim():
    layer = nn.Linear(3, 2)
    x = mg.randn(4, 5, 3)
    y = layer(x)
    assert y.shape == (4, 5, 2)
    expected = x.numpy() @ layer.weight.numpy().T + layer.bias.numpy()
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert nn.Linear(3, 2, bias=False).bias is None
    assert [n for n, _ in nn.Linear(3, 2, bias=False).named_parameters()] == ["weight"]


def test_linear_default_init_bounds_are_one_over_sqrt_fan_in():
    mg.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = layer.weight.numpy(), layer.bias.numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.98 * bound  # fills the whole range
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound  # U(-b, b) has std b/sqrt(3)


def test_linear_init_is_reproducible_with_manual_seed():
    mg.manual_seed(3)
    a = nn.Linear(5, 4)
    mg.manual_seed(3)
    b = nn.Linear(5, 4)
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())
    np.testing.assert_array_equal(a.bias.numpy(), b.bias.numpy())


def test_linear_gradients_match_finite_differences():
    mg.manual_seed(0)
    check_parameter_gradients(nn.Linear(3, 2), mg.randn(4, 3).double())


def test_linear_input_gradient_via_gradcheck():
    layer = nn.Linear(3, 2).double()
    x = mg.randn(2, 3, dtype=mg.float64, requires_grad=True)
    assert mg.autograd.gradcheck(lambda inp: layer(inp), (x,))


# ------------------------------------------------------------------ Embedding
def test_embedding_looks_up_rows():
    emb = nn.Embedding(10, 4)
    idx = mg.tensor([[1, 2, 1], [9, 0, 3]])
    out = emb(idx)
    assert out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out.numpy(), emb.weight.numpy()[idx.numpy()])


def test_embedding_init_is_standard_normal_with_zero_padding_row():
    mg.manual_seed(0)
    emb = nn.Embedding(1000, 64, padding_idx=3)
    w = emb.weight.numpy()
    assert np.all(w[3] == 0)
    others = np.delete(w, 3, axis=0)
    assert abs(others.mean()) < 0.02 and abs(others.std() - 1) < 0.02
    assert repr(emb) == "Embedding(1000, 64, padding_idx=3)"


def test_embedding_gradient_accumulates_repeats_and_skips_padding():
    emb = nn.Embedding(5, 3, padding_idx=0)
    idx = mg.tensor([0, 2, 2, 4])
    emb(idx).sum().backward()
    grad = emb.weight.grad.numpy()
    np.testing.assert_array_equal(grad[0], 0)  # padding row gets no gradient
    np.testing.assert_array_equal(grad[2], 2)  # read twice
    np.testing.assert_array_equal(grad[4], 1)
    np.testing.assert_array_equal(grad[1], 0)


def test_embedding_gradients_match_finite_differences():
    check_parameter_gradients(nn.Embedding(6, 3), mg.tensor([[1, 5], [1, 0]]))


# ------------------------------------------------------------------ LayerNorm
def test_layer_norm_normalises_last_dim_then_scales():
    mg.manual_seed(0)
    norm = nn.LayerNorm(6)
    x = mg.randn(3, 4, 6) * 5 + 2
    y = norm(x).numpy()
    np.testing.assert_allclose(y.mean(-1), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(-1), 1, atol=1e-3)
    with mg.no_grad():
        norm.weight.fill_(2.0)
        norm.bias.fill_(0.5)
    np.testing.assert_allclose(norm(x).numpy(), 2 * y + 0.5, rtol=1e-5, atol=1e-5)


def test_layer_norm_without_affine_has_no_parameters():
    norm = nn.LayerNorm((2, 3), elementwise_affine=False)
    assert list(norm.parameters()) == []
    y = norm(mg.randn(4, 2, 3)).numpy().reshape(4, 6)
    np.testing.assert_allclose(y.mean(-1), 0, atol=1e-5)


def test_layer_norm_gradients_match_finite_differences():
    mg.manual_seed(1)
    norm = nn.LayerNorm(4)
    with mg.no_grad():  # move away from the symmetric start so every entry matters
        norm.weight.copy_(mg.randn(4))
        norm.bias.copy_(mg.randn(4))
    check_parameter_gradients(norm, mg.randn(3, 4).double())


# ------------------------------------------------------------------ Dropout
def test_dropout_zeroes_and_rescales_in_training_only():
    mg.manual_seed(0)
    drop = nn.Dropout(0.25)
    x = mg.ones(200, 200)
    y = drop(x).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    drop.eval()
    np.testing.assert_array_equal(drop(x).numpy(), x.numpy())
    with pytest.raises(ValueError):
        nn.Dropout(1.5)


# ------------------------------------------------------------------ activations
@pytest.mark.parametrize("module, reference", [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.Tanh(), np.tanh),
    (nn.GELU(), lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))),
    (nn.GELU(approximate="tanh"),
     lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    (nn.Softmax(dim=-1), lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
    (nn.LogSoftmax(dim=1), lambda x: x - np.log(np.exp(x).sum(1, keepdims=True))),
])
def test_activation_modules_match_formulas(module, reference):
    x = mg.randn(3, 5, dtype=mg.float64)
    np.testing.assert_allclose(module(x).numpy(), reference(x.numpy()), rtol=1e-7, atol=1e-9)


def test_activation_reprs():
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    with pytest.raises(ValueError):
        nn.GELU(approximate="fast")


def test_small_mlp_gradients_match_finite_differences():
    mg.manual_seed(2)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2), nn.GELU())
    check_parameter_gradients(model, mg.randn(5, 3).double())
