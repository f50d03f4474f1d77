"""Checkers for lesson 11 (the Transformer block): a pre-norm block, RMSNorm and its backward by hand."""
import numpy as np

import minigrad as mg
import minigrad.nn as nn
from minigrad.check import ExerciseFailed, exercise, passed


@exercise("lesson11.exercise1")
def exercise1(pre_norm_block, layer_norm, feed_forward):
    """``pre_norm_block(x, layer, key_padding_mask)`` equals ``nn.TransformerEncoderLayer(norm_first=True)``;
    ``layer_norm`` and ``feed_forward`` are the lesson's own (the checker uses them to name mistakes)."""
    mg.manual_seed(3)
    layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, batch_first=True,
                                       norm_first=True)
    with mg.no_grad():          # non-trivial norm parameters, so a swapped norm1/norm2 shows
        for norm in (layer.norm1, layer.norm2):
            norm.weight.copy_(mg.rand(8) + 0.5)
            norm.bias.copy_(mg.randn(8) * 0.3)
    length = 5
    x = mg.randn(2, length, 8)
    padding = mg.tensor(np.arange(length)[None, :] >= np.array([5, 3])[:, None])
    expected = layer(x, src_key_padding_mask=padding).numpy()
    got = pre_norm_block(x, layer, padding)
    if not isinstance(got, mg.Tensor) or tuple(got.shape) != expected.shape:
        raise ExerciseFailed(f"pre_norm_block must return a tensor of shape {expected.shape}")
    got = got.numpy()
    if np.allclose(got, expected, rtol=1e-4, atol=1e-5):
        small = nn.TransformerEncoderLayer(d_model=4, nhead=2, dim_feedforward=8, dropout=0.0, batch_first=True,
                                           norm_first=True).double()
        t = mg.tensor(np.random.default_rng(1).standard_normal((1, 3, 4)), requires_grad=True)
        try:
            mg.autograd.gradcheck(lambda v: pre_norm_block(v, small), (t,))
        except (AssertionError, RuntimeError) as error:
            raise ExerciseFailed(f"the values are right but the gradient is not: {error}") from None
        return passed("lesson11.exercise1", "equal to nn.TransformerEncoderLayer(norm_first=True), with a padding "
                      "mask, and gradcheck passes.")

    def mha(h):
        return layer.self_attn(h, h, h, key_padding_mask=padding, need_weights=False)[0]
    n1 = lambda h: layer_norm(h, layer.norm1.weight, layer.norm1.bias)
    n2 = lambda h: layer_norm(h, layer.norm2.weight, layer.norm2.bias)
    with mg.no_grad():
        post = n2(n1(x + mha(x)) + feed_forward(n1(x + mha(x)), layer)).numpy()
        normalised_skip = (lambda h: h + feed_forward(n2(h), layer))(n1(x) + mha(n1(x))).numpy()
        no_padding_mask = layer(x).numpy()
    hint = "Hint: x = x + MHA(LN1(x)); x = x + FFN(LN2(x)); the skip carries the un-normalised x."
    if np.allclose(got, post, rtol=1e-4, atol=1e-5):
        hint = "That is the post-norm block (section 3): pre-norm normalises each sub-block's INPUT, x + f(LN(x))."
    elif np.allclose(got, normalised_skip, rtol=1e-4, atol=1e-5):
        hint = "Your skip connection carries LN1(x) instead of x: write x + MHA(LN1(x)), not LN1(x) + MHA(LN1(x))."
    elif np.allclose(got, no_padding_mask, rtol=1e-4, atol=1e-5):
        hint = "You ignored key_padding_mask: pass it to layer.self_attn."
    raise ExerciseFailed(f"pre_norm_block differs from nn.TransformerEncoderLayer(norm_first=True) (largest gap "
                         f"{np.abs(got - expected).max():.3g}). {hint}")


def _rms_norm_numpy(x, w, eps):
    return w * x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps)


@exercise("lesson11.exercise2")
def exercise2(rms_norm):
    """``rms_norm(x, weight, eps=1e-6)`` = weight * x / sqrt(mean(x^2) + eps) over the last dim, from minigrad ops."""
    rng = np.random.default_rng(7)
    x_np, w_np = rng.standard_normal((3, 4, 6)) * 3 + 1, rng.standard_normal(6)
    for eps in (1e-6, 0.5):
        expected = _rms_norm_numpy(x_np, w_np, eps)
        got = rms_norm(mg.tensor(x_np), mg.tensor(w_np), eps)
        if not isinstance(got, mg.Tensor):
            raise ExerciseFailed("rms_norm must return a minigrad tensor built from minigrad ops")
        got = got.numpy()
        if got.shape == expected.shape and np.allclose(got, expected, rtol=1e-9, atol=1e-12):
            continue
        hint = "Hint: y = weight * x / sqrt(mean over the last dim of x^2, + eps)."
        centred = x_np - x_np.mean(axis=-1, keepdims=True)
        if got.shape == expected.shape:
            if np.allclose(got, w_np * centred / np.sqrt(centred.var(axis=-1, keepdims=True) + eps)):
                hint = "That is layer norm without beta: RMSNorm does NOT subtract the mean."
            elif np.allclose(got, w_np * x_np / (np.sqrt((x_np * x_np).mean(axis=-1, keepdims=True)) + eps)):
                hint = "eps goes INSIDE the square root: sqrt(mean(x^2) + eps)."
        raise ExerciseFailed(f"rms_norm differs from NumPy's at eps = {eps} (shape {got.shape}). {hint}")
    x = mg.tensor(rng.standard_normal((2, 5)), requires_grad=True)
    w = mg.tensor(rng.standard_normal(5), requires_grad=True)
    try:
        mg.autograd.gradcheck(lambda a, b: rms_norm(a, b, 1e-6), (x, w))
    except (AssertionError, RuntimeError) as error:
        raise ExerciseFailed(f"the values are right but the gradient is not: {error}. Use minigrad ops only.") from None
    return passed("lesson11.exercise2", "equal to NumPy for two eps, and gradcheck accepts x and weight.")


@exercise("lesson11.exercise3")
def exercise3(rms_norm_backward):
    """``rms_norm_backward(x, weight, grad_out, eps=1e-6)``: dL/dx by hand (NumPy)."""
    rng = np.random.default_rng(8)
    x_np, w_np, g_np = rng.standard_normal((4, 6)), rng.standard_normal(6), rng.standard_normal((4, 6))
    x = mg.tensor(x_np, requires_grad=True)
    w = mg.tensor(w_np)
    (x * w / ((x * x).mean(dim=-1, keepdim=True) + 1e-6).sqrt() * mg.tensor(g_np)).sum().backward()
    expected = x.grad.numpy()
    got = np.asarray(rms_norm_backward(x_np.copy(), w_np.copy(), g_np.copy(), 1e-6), dtype=np.float64)
    if got.shape != expected.shape:
        raise ExerciseFailed(f"dL/dx must have the shape of x, {expected.shape}; you returned {got.shape}")
    if not np.allclose(got, expected, rtol=1e-8, atol=1e-12):
        r = 1 / np.sqrt((x_np * x_np).mean(axis=-1, keepdims=True) + 1e-6)
        g, x_hat = w_np * g_np, x_np * r
        hint = "Hint: dL/dx = r (g - x_hat * mean(g * x_hat)), with g = weight * grad_out and x_hat = r x."
        if np.allclose(got, r * g):
            hint = "You treated r as a constant: it depends on x too, which gives the - x_hat * mean(g * x_hat) term."
        elif np.allclose(got, r * (g - g.mean(axis=-1, keepdims=True) - x_hat * (g * x_hat).mean(axis=-1, keepdims=True))):
            hint = "That is layer norm's backward: RMSNorm has no mean, so there is no - mean(g) term."
        elif np.allclose(got, r * (g_np - x_hat * (g_np * x_hat).mean(axis=-1, keepdims=True))):
            hint = "You left out weight: g = weight * grad_out."
        raise ExerciseFailed(f"dL/dx differs from autograd's (largest gap {np.abs(got - expected).max():.3g}). {hint}")
    return passed("lesson11.exercise3", "dL/dx = r (g - x_hat mean(g x_hat)) equals autograd's.")
