"""MultiheadAttention and the Transformer encoder: shapes, maths, masks and gradients."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


def numpy_attention(mha, q, k, v, not_allowed=None):
    """Reference multi-head attention in plain NumPy, batch-first (N, L, E) inputs."""
    E, H = mha.embed_dim, mha.num_heads
    d = E // H
    W, b = mha.in_proj_weight.numpy(), mha.in_proj_bias.numpy()
    Q = q @ W[:E].T + b[:E]
    K = k @ W[E:2 * E].T + b[E:2 * E]
    V = v @ W[2 * E:].T + b[2 * E:]
    N, L, S = q.shape[0], q.shape[1], k.shape[1]
    Q = Q.reshape(N, L, H, d).transpose(0, 2, 1, 3)
    K = K.reshape(N, S, H, d).transpose(0, 2, 1, 3)
    V = V.reshape(N, S, H, d).transpose(0, 2, 1, 3)
    scores = Q @ K.transpose(0, 1, 3, 2) / math.sqrt(d)
    if not_allowed is not None:
        scores = np.where(not_allowed, -np.inf, scores)
    scores = scores - scores.max(-1, keepdims=True)
    weights = np.exp(scores) / np.exp(scores).sum(-1, keepdims=True)
    heads = (weights @ V).transpose(0, 2, 1, 3).reshape(N, L, E)
    out = heads @ mha.out_proj.weight.numpy().T + mha.out_proj.bias.numpy()
    return out, weights


def test_parameter_layout_matches_pytorch():
    mha = nn.MultiheadAttention(8, 2)
    assert list(mha.state_dict()) == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert mha.in_proj_weight.shape == (24, 8)
    assert np.all(mha.in_proj_bias.numpy() == 0) and np.all(mha.out_proj.bias.numpy() == 0)
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiheadAttention(10, 3)


def test_mha_matches_numpy_reference_batch_first():
    mg.manual_seed(0)
    mha = nn.MultiheadAttention(8, 2, batch_first=True).double()
    with mg.no_grad():
        mha.in_proj_bias.normal_()
    q, k = mg.randn(3, 4, 8, dtype=mg.float64), mg.randn(3, 5, 8, dtype=mg.float64)
    v = mg.randn(3, 5, 8, dtype=mg.float64)
    out, weights = mha(q, k, v, average_attn_weights=False)
    ref_out, ref_weights = numpy_attention(mha, q.numpy(), k.numpy(), v.numpy())
    np.testing.assert_allclose(out.numpy(), ref_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weights.numpy(), ref_weights, rtol=1e-10, atol=1e-12)
    _, averaged = mha(q, k, v)
    np.testing.assert_allclose(averaged.numpy(), ref_weights.mean(1), rtol=1e-10, atol=1e-12)
    assert mha(q, k, v, need_weights=False)[1] is None


def test_mha_sequence_first_and_unbatched_layouts_agree():
    mg.manual_seed(1)
    first = nn.MultiheadAttention(4, 2)
    batch_first = nn.MultiheadAttention(4, 2, batch_first=True)
    batch_first.load_state_dict(first.state_dict())
    x = mg.randn(2, 3, 4)  # (N, L, E)
    out_bf, w_bf = batch_first(x, x, x)
    x_seq = x.transpose(0, 1)
    out_sf, w_sf = first(x_seq, x_seq, x_seq)
    assert out_sf.shape == (3, 2, 4) and w_sf.shape == (2, 3, 3)
    np.testing.assert_allclose(out_sf.transpose(0, 1).numpy(), out_bf.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w_sf.numpy(), w_bf.numpy(), rtol=1e-5, atol=1e-6)
    out_single, w_single = first(x[0], x[0], x[0])
    assert out_single.shape == (3, 4) and w_single.shape == (3, 3)
    np.testing.assert_allclose(out_single.numpy(), out_bf.numpy()[0], rtol=1e-5, atol=1e-6)


def test_key_padding_mask_really_masks():
    mg.manual_seed(2)
    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    x = mg.randn(2, 5, 8)
    padding = mg.tensor([[False, False, False, True, True], [False, False, False, False, True]])
    out, weights = mha(x, x, x, key_padding_mask=padding)
    assert np.all(weights.numpy()[0, :, 3:] == 0) and np.all(weights.numpy()[1, :, 4:] == 0)
    np.testing.assert_allclose(weights.numpy().sum(-1), 1, rtol=1e-5)
    # Changing what sits in the padded positions must not change any real position's output.
    changed = x.numpy().copy()
    changed[0, 3:] = 100 * np.random.default_rng(0).standard_normal((2, 8))
    changed[1, 4:] = -50
    out2, _ = mha(mg.tensor(changed), mg.tensor(changed), mg.tensor(changed), key_padding_mask=padding)
    np.testing.assert_allclose(out2.numpy()[0, :3], out.numpy()[0, :3], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out2.numpy()[1, :4], out.numpy()[1, :4], rtol=1e-5, atol=1e-6)


def test_causal_bool_and_float_attn_masks_agree_with_reference():
    mg.manual_seed(3)
    mha = nn.MultiheadAttention(4, 1, batch_first=True).double()
    x = mg.randn(2, 4, 4, dtype=mg.float64)
    causal = np.triu(np.ones((4, 4), dtype=bool), k=1)  # True above the diagonal: the future
    out_bool, w_bool = mha(x, x, x, attn_mask=mg.tensor(causal))
    float_mask = np.where(causal, -np.inf, 0.0)
    out_float, w_float = mha(x, x, x, attn_mask=mg.tensor(float_mask))
    ref_out, ref_w = numpy_attention(mha, x.numpy(), x.numpy(), x.numpy(), not_allowed=causal)
    np.testing.assert_allclose(out_bool.numpy(), ref_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out_float.numpy(), ref_out, rtol=1e-10, atol=1e-12)
    assert np.all(np.triu(w_bool.numpy()[0], k=1) == 0)
    np.testing.assert_allclose(w_float.numpy(), ref_w.mean(1), rtol=1e-10)


def test_additive_float_mask_shifts_scores():
    mg.manual_seed(4)
    mha = nn.MultiheadAttention(4, 1, batch_first=True).double()
    x = mg.randn(1, 3, 4, dtype=mg.float64)
    _, plain = mha(x, x, x)
    bias = np.array([[0.0, math.log(2.0), 0.0]] * 3)  # doubles the unnormalised weight of key 1
    _, shifted = mha(x, x, x, attn_mask=mg.tensor(bias))
    expected = plain.numpy()[0] * np.array([1, 2, 1])
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(shifted.numpy()[0], expected, rtol=1e-10)


def test_fully_masked_rows_give_zeros_not_nan():
    mha = nn.MultiheadAttention(4, 2, batch_first=True)
    x = mg.randn(2, 3, 4, requires_grad=True)
    padding = mg.tensor([[True, True, True], [False, True, True]])
    out, weights = mha(x, x, x, key_padding_mask=padding)
    assert not np.isnan(out.numpy()).any() and not np.isnan(weights.numpy()).any()
    assert np.all(weights.numpy()[0] == 0)
    np.testing.assert_allclose(out.numpy()[0], np.broadcast_to(mha.out_proj.bias.numpy(), (3, 4)))
    out.sum().backward()
    assert not np.isnan(x.grad.numpy()).any()


def test_mask_shape_errors_are_clear():
    mha = nn.MultiheadAttention(4, 2, batch_first=True)
    x = mg.randn(2, 3, 4)
    with pytest.raises(ValueError, match=r"key_padding_mask must have shape"):
        mha(x, x, x, key_padding_mask=mg.tensor([[True, False]]))
    with pytest.raises(ValueError, match=r"attn_mask must have shape"):
        mha(x, x, x, attn_mask=mg.zeros(2, 2))


def test_mha_gradients_match_finite_differences():
    mg.manual_seed(5)
    mha = nn.MultiheadAttention(4, 2, batch_first=True).double()
    with mg.no_grad():
        mha.in_proj_bias.normal_()
        mha.out_proj.bias.normal_()
    x = mg.randn(2, 3, 4, dtype=mg.float64, requires_grad=True)
    padding = mg.tensor([[False, False, True], [False, False, False]])
    assert mg.autograd.gradcheck(lambda q: mha(q, q, q, key_padding_mask=padding)[0], (x,))
    from test_nn_layers import check_parameter_gradients
    check_parameter_gradients(mha, x.detach(), x.detach(), x.detach())


# ------------------------------------------------------------------ Transformer encoder
def test_encoder_layer_state_dict_keys_match_pytorch():
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
    assert list(layer.state_dict()) == [
        "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
        "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
        "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"]


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_matches_its_formula(norm_first, activation):
    mg.manual_seed(6)
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0, activation=activation,
                                       batch_first=True, norm_first=norm_first).double()
    x = mg.randn(2, 3, 4, dtype=mg.float64)
    act = mg.nn.functional.relu if activation == "relu" else mg.nn.functional.gelu

    def attention(h):
        return layer.self_attn(h, h, h)[0]

    def feed_forward(h):
        return layer.linear2(act(layer.linear1(h)))

    if norm_first:
        h = x + attention(layer.norm1(x))
        expected = h + feed_forward(layer.norm2(h))
    else:
        h = layer.norm1(x + attention(x))
        expected = layer.norm2(h + feed_forward(h))
    np.testing.assert_allclose(layer(x).numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)


def test_encoder_layer_gradients_match_finite_differences():
    mg.manual_seed(7)
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, batch_first=True,
                                       activation="gelu").double()
    x = mg.randn(2, 3, 4, dtype=mg.float64, requires_grad=True)
    padding = mg.tensor([[False, False, True], [False, False, False]])
    assert mg.autograd.gradcheck(lambda s: layer(s, src_key_padding_mask=padding), (x,))
    from test_nn_layers import check_parameter_gradients
    check_parameter_gradients(layer, x.detach())


def test_encoder_layer_keeps_per_head_attention_weights_on_request():
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True)
    x = mg.randn(3, 5, 8)
    layer(x)
    assert layer.last_attention_weights is None
    layer.keep_attention = True
    padding = mg.tensor([[False] * 4 + [True]] * 3)
    layer(x, src_key_padding_mask=padding)
    weights = layer.last_attention_weights
    assert weights.shape == (3, 2, 5, 5) and not weights.requires_grad
    np.testing.assert_allclose(weights.numpy().sum(-1), 1, rtol=1e-5)
    assert np.all(weights.numpy()[..., 4] == 0)


def test_encoder_copies_layer_into_independent_layers():
    mg.manual_seed(8)
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0, batch_first=True)
    encoder = nn.TransformerEncoder(layer, num_layers=3, norm=nn.LayerNorm(4))
    assert len(encoder.layers) == 3
    assert "layers.2.linear1.weight" in encoder.state_dict() and "norm.weight" in encoder.state_dict()
    first, second = encoder.layers[0], encoder.layers[1]
    np.testing.assert_array_equal(first.linear1.weight.numpy(), layer.linear1.weight.numpy())
    assert first.linear1.weight is not second.linear1.weight
    assert first.linear1.weight is not layer.linear1.weight
    with mg.no_grad():
        first.linear1.weight.fill_(0.5)
    assert not np.any(second.linear1.weight.numpy() == 0.5)
    x = mg.randn(2, 3, 4)
    expected = x
    for sub in encoder.layers:
        expected = sub(expected)
    expected = encoder.norm(expected)
    np.testing.assert_allclose(encoder(x).numpy(), expected.numpy(), rtol=1e-6, atol=1e-6)


def test_encoder_dropout_is_active_only_in_training():
    mg.manual_seed(9)
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.5, batch_first=True)
    encoder = nn.TransformerEncoder(layer, num_layers=2)
    x = mg.randn(2, 4, 8)
    assert not np.allclose(encoder(x).numpy(), encoder(x).numpy())
    encoder.eval()
    np.testing.assert_array_equal(encoder(x).numpy(), encoder(x).numpy())
