"""minigrad.quantization: int8 weights and activations, the int8 layers, quantize_dynamic, and quantization-aware
training (fake quantization with the straight-through estimator, checked against PyTorch's functions)."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F
from minigrad.quantization import (QATLinear, QuantizedConv1d, QuantizedEmbedding, QuantizedLinear, QuantizedMultiheadAttention,
                                   convert, fake_quantize_per_channel_affine, fake_quantize_per_tensor_affine,
                                   int8_linear, prepare_qat, quantize_dynamic, quantize_per_channel_symmetric)
from minigrad.sentiment.model import TransformerClassifier


@pytest.fixture
def rng():
    return np.random.default_rng(14)


def test_per_row_symmetric_int8_stays_within_half_a_step(rng):
    w = rng.standard_normal((6, 9)) * rng.uniform(0.01, 10, (6, 1))
    w[2] = 0                                                          # a row of zeros keeps scale 1
    q, scale = quantize_per_channel_symmetric(mg.tensor(w))
    q, scale = q.numpy(), scale.numpy()
    assert q.dtype == np.int8 and np.abs(q).max() == 127 and scale.shape == (6,) and scale[2] == 1
    np.testing.assert_allclose(scale[[0, 1, 3, 4, 5]], np.abs(w[[0, 1, 3, 4, 5]]).max(axis=1) / 127)
    assert np.all(np.abs(w - scale[:, None] * q) <= scale[:, None] / 2 + 1e-12)


def test_int8_linear_is_the_formula_with_int32_sums(rng):
    x = rng.standard_normal((2, 3, 8)).astype(np.float32)
    w = rng.standard_normal((5, 8)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    q, scale = quantize_per_channel_symmetric(mg.tensor(w))
    y = int8_linear(mg.tensor(x), q, scale, mg.tensor(b)).numpy()
    s_x = np.abs(x).max() / 127
    x_q = np.clip(np.rint(x / s_x), -127, 127).astype(np.int64)
    expected = (x_q @ q.numpy().astype(np.int64).T) * (s_x * scale.numpy()) + b
    assert y.shape == (2, 3, 5) and y.dtype == np.float32
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y, x @ w.T + b, atol=0.05)             # and close to the float layer
    assert int8_linear(mg.zeros(0, 8), q, scale).shape == (0, 5)


def test_int8_linear_backward_is_straight_through_for_the_input(rng):
    w = rng.standard_normal((4, 6))
    q, scale = quantize_per_channel_symmetric(mg.tensor(w))
    x = mg.tensor(rng.standard_normal((3, 6)), requires_grad=True)
    bias = mg.zeros(4, dtype=mg.float64, requires_grad=True)
    g = rng.standard_normal((3, 4))
    int8_linear(x, q, scale, bias).backward(mg.tensor(g))
    w_hat = q.numpy().astype(np.float64) * scale.numpy()[:, None]
    np.testing.assert_allclose(x.grad.numpy(), g @ w_hat, rtol=1e-12)
    np.testing.assert_allclose(bias.grad.numpy(), g.sum(axis=0), rtol=1e-12)


def test_fake_quantize_matches_pytorch_values_and_gradients(rng):
    torch = pytest.importorskip("torch")
    for dtype, tdtype in ((np.float32, torch.float32), (np.float64, torch.float64)):
        x = np.concatenate([rng.standard_normal(40) * 3, [0.25, 0.75, -0.25, 10.0, -10.0]]).astype(dtype)
        ours = mg.tensor(x, requires_grad=True)
        theirs = torch.tensor(x, requires_grad=True)
        y = fake_quantize_per_tensor_affine(ours, 0.5, 2, -8, 7)
        t = torch.fake_quantize_per_tensor_affine(theirs, 0.5, 2, -8, 7)
        np.testing.assert_array_equal(y.detach().numpy(), t.detach().numpy())
        g = rng.standard_normal(x.shape).astype(dtype)
        y.backward(mg.tensor(g)), t.backward(torch.tensor(g))
        np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
        assert (ours.grad.numpy() == 0).sum() >= 2                     # the clipped ones get no gradient

        w = (rng.standard_normal((3, 5)) * 2).astype(dtype)
        scale, zero = rng.uniform(0.05, 0.5, 3), np.array([0, 3, -2])
        ours = mg.tensor(w, requires_grad=True)
        theirs = torch.tensor(w, requires_grad=True)
        y = fake_quantize_per_channel_affine(ours, mg.tensor(scale, dtype=mg.float32), mg.tensor(zero, dtype=mg.int32),
                                             0, -8, 7)
        t = torch.fake_quantize_per_channel_affine(theirs, torch.tensor(scale, dtype=torch.float32),
                                                   torch.tensor(zero, dtype=torch.int32), 0, -8, 7)
        np.testing.assert_allclose(y.detach().numpy(), t.detach().numpy(), rtol=1e-6, atol=1e-7)
        y.sum().backward(), t.sum().backward()
        np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
    with pytest.raises(RuntimeError, match="quant_min"):
        fake_quantize_per_tensor_affine(mg.ones(2), 0.1, 0, 5, 1)
    with pytest.raises(RuntimeError, match="zero_point"):
        fake_quantize_per_tensor_affine(mg.ones(2), 0.1, 9, 0, 7)


def test_qat_linear_is_pytorchs_fake_quantized_linear(rng):
    torch = pytest.importorskip("torch")
    mg.manual_seed(3)
    layer = nn.Linear(6, 4).double()
    qat = QATLinear.from_float(layer)
    assert qat.weight is layer.weight and list(qat.state_dict()) == ["weight", "bias"]
    x = rng.standard_normal((5, 6))
    ours = mg.tensor(x, requires_grad=True)
    y = qat(ours)
    y.sum().backward()
    w = torch.tensor(layer.weight.detach().numpy(), requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    s_w = w.detach().abs().amax(dim=1) / 127
    s_x = float(np.abs(x).max() / 127)
    t = torch.nn.functional.linear(torch.fake_quantize_per_tensor_affine(theirs, s_x, 0, -127, 127),
                                   torch.fake_quantize_per_channel_affine(w, s_w.float(), torch.zeros(4, dtype=torch.int32),
                                                                          0, -127, 127),
                                   torch.tensor(layer.bias.detach().numpy()))
    t.sum().backward()
    # (PyTorch takes per-channel scales in float32, minigrad's layer keeps them in the weight's float64: 1e-8 apart)
    np.testing.assert_allclose(y.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(layer.weight.grad.numpy(), w.grad.numpy(), rtol=1e-5, atol=1e-8)


def _classifier(seed=0):
    mg.manual_seed(seed)
    return TransformerClassifier(120, d_model=32, n_heads=4, n_layers=2, d_ff=64, max_len=16, dropout=0.0).eval()


def _batch(seed=1):
    generator = np.random.default_rng(seed)
    ids = generator.integers(1, 120, (6, 12))
    mask = np.arange(12)[None, :] < generator.integers(3, 13, (6, 1))
    return mg.tensor(np.where(mask, ids, 0)), mg.tensor(mask)


def test_quantize_dynamic_converts_every_layer_of_a_classifier_and_keeps_its_logits(tmp_path):
    model = _classifier()
    ids, mask = _batch()
    small = quantize_dynamic(model)
    assert type(model.head) is nn.Linear, "the original model is left as it was"
    assert isinstance(small.token_embedding, QuantizedEmbedding) and isinstance(small.head, QuantizedLinear)
    attention = small.encoder.layers[0].self_attn
    assert isinstance(attention, QuantizedMultiheadAttention) and isinstance(attention.out_proj, QuantizedLinear)
    assert all(p.ndim == 1 for p in small.parameters())   # every matrix is int8 now: left are gains and biases
    state = small.state_dict()
    assert state["token_embedding.weight"].dtype == mg.int8 and state["token_embedding.weight_scale"].shape == (120,)
    float_bytes = sum(t.numpy().nbytes for t in model.state_dict().values())
    int8_bytes = sum(t.numpy().nbytes for t in state.values())
    assert int8_bytes < 0.32 * float_bytes
    with mg.no_grad():
        reference, logits = model(ids, mask).numpy(), small(ids, mask).numpy()
    assert np.abs(logits - reference).max() < 0.05 * np.abs(reference).max()
    # the int8 state dict goes through a safetensors file and back into a fresh quantized model, bit for bit
    mg.save(state, tmp_path / "int8.safetensors")
    fresh = quantize_dynamic(_classifier(seed=5), inplace=True)
    fresh.load_state_dict(mg.load(tmp_path / "int8.safetensors"))
    with mg.no_grad():
        np.testing.assert_array_equal(fresh(ids, mask).numpy(), logits)


@pytest.mark.parametrize("stride, padding, dilation", [(1, 0, 1), (2, 1, 1), (1, 2, 2)])
def test_int8_conv1d_is_the_int8_linear_layer_on_each_window(rng, stride, padding, dilation):
    conv = nn.Conv1d(3, 4, 3, stride=stride, padding=padding, dilation=dilation)
    x = mg.tensor(rng.standard_normal((2, 3, 9)).astype(np.float32), requires_grad=True)
    small = quantize_dynamic(conv)
    assert isinstance(small, QuantizedConv1d) and small.weight.dtype == mg.int8 and small.weight_scale.shape == (4,)
    y = small(x)
    with mg.no_grad():
        reference = conv(x)
    assert y.shape == reference.shape
    # by hand: every output position is int8_linear of its window, with the batch's one activation scale
    padded = np.pad(x.detach().numpy(), ((0, 0), (0, 0), (padding, padding)))
    starts = range(0, padded.shape[2] - dilation * 2, stride)
    windows = np.stack([padded[:, :, t:t + 2 * dilation + 1:dilation].reshape(2, 9) for t in starts], axis=1)
    s_x = np.abs(windows).max() / 127
    x_q = np.clip(np.rint(windows / s_x), -127, 127).astype(np.int64)
    q = small.weight.numpy().reshape(4, 9).astype(np.int64)
    expected = ((x_q @ q.T) * (s_x * small.weight_scale.numpy()) + small.bias.numpy()).transpose(0, 2, 1)
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y.detach().numpy(), reference.numpy(), atol=0.05)      # and close to the float layer
    y.sum().backward()                                                                 # straight through to the input
    dequantized = nn.Conv1d(3, 4, 3, stride=stride, padding=padding, dilation=dilation)
    with mg.no_grad():
        dequantized.weight.copy_(small.dequantized_weight())
        dequantized.bias.copy_(small.bias)
    x2 = x.detach().requires_grad_()
    dequantized(x2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert small(x[0].detach()).shape == reference.shape[1:]                            # unbatched (C, L) too


def test_int8_conv1d_refuses_what_it_does_not_compute():
    with pytest.raises(ValueError, match="groups=1 and numeric zero padding, not groups=2"):
        quantize_dynamic(nn.Conv1d(4, 4, 3, groups=2))
    with pytest.raises(RuntimeError, match="the input has 2 positions"):
        quantize_dynamic(nn.Conv1d(1, 1, 3))(mg.zeros(1, 1, 2))


def test_quantize_dynamic_options():
    model = _classifier()
    only_linear = quantize_dynamic(model, qconfig_spec={nn.Linear})
    assert type(only_linear.token_embedding) is nn.Embedding and isinstance(only_linear.head, QuantizedLinear)
    layer = nn.Linear(3, 2)
    assert isinstance(quantize_dynamic(layer), QuantizedLinear)
    same = quantize_dynamic(model, inplace=True)
    assert same is model and isinstance(model.head, QuantizedLinear)
    with pytest.raises(ValueError, match="int8 only"):
        quantize_dynamic(layer, dtype=mg.float16)
    with pytest.raises(ValueError, match="cannot quantize LayerNorm"):
        quantize_dynamic(layer, qconfig_spec={nn.LayerNorm})


def test_quantization_aware_training_learns_through_the_rounding_and_converts_exactly():
    model = _classifier()
    ids, mask = _batch()
    labels = mg.tensor([0, 1, 1, 0, 1, 0])
    qat = prepare_qat(model)
    assert isinstance(qat.head, QATLinear) and qat.training
    assert list(qat.state_dict()) == list(model.state_dict())       # the same parameters, the same names
    optimizer = mg.optim.Adam(qat.parameters(), lr=0.01)
    losses = []
    for _ in range(15):
        loss = F.cross_entropy(qat(ids, mask), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    qat.eval()
    int8 = convert(qat)
    with mg.no_grad():
        np.testing.assert_allclose(int8(ids, mask).numpy(), qat(ids, mask).numpy(), rtol=1e-4, atol=1e-5)


def test_the_int8_layer_on_the_gpu_device_matches_the_cpu(gpu_device, rng):
    layer = QuantizedLinear.from_float(nn.Linear(7, 5))
    x = rng.standard_normal((3, 7)).astype(np.float32)
    cpu = layer(mg.tensor(x)).numpy()
    gpu = layer.to(gpu_device)(mg.tensor(x, device=gpu_device))
    assert gpu.device == gpu_device
    np.testing.assert_allclose(gpu.numpy(), cpu, rtol=1e-6, atol=1e-6)
