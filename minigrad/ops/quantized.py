"""Quantized arithmetic: numbers stored as small integers ``q`` and a float scale ``s``, ``x ~ s * q``.

**Symmetric int8** (what minigrad's int8 layers store), for a tensor or each row of one::

    s = max|x| / 127          (1 where max|x| = 0: any scale represents zeros)
    q = clip(round(x / s), -127, 127)          |x - s q| <= s / 2

(-128 is left out so that the grid is symmetric: q and -q are both representable.)

**Int8 linear layer** (``Int8Linear``): weights quantized once, one scale per output row;
activations quantized on the fly, one scale for the whole batch ("dynamic" quantization)::

    x_q, s_x = quantize(x)                     W_q, s_W[j] per row j (stored)
    acc[n, j] = sum_k x_q[n, k] W_q[j, k]      int8 products summed in int32 (exact: |acc| < 2^31)
    y[n, j]   = acc[n, j] * s_x * s_W[j] + b[j]

The int32 sum is exact, so the only errors are the two roundings of x and W (each at most half a
step).  ``acc`` and its scaling are the backend's formula ``int8_linear``: NumPy on the CPU, a
hand-written int8 CUDA kernel on the GPU (``kernels/quantized.py``).

Backward (for the input only: the stored integers are not trained).  Rounding has derivative 0
almost everywhere, which would stop every gradient; the *straight-through estimator* treats the
rounding of x as the identity, so y ~ x W_hat^T + b with W_hat = s_W[:, None] * W_q::

    gx = g @ W_hat            gb = g (summed over the batch by the engine)

**Fake quantization** (``FakeQuantizeAffine``, PyTorch's ``fake_quantize_per_tensor_affine`` and
``fake_quantize_per_channel_affine``): quantize and dequantize in one step, staying in floats, so
that training can see the rounding (quantization-aware training)::

    q = round(x * (1 / s)) + z                     (z: the zero point; round: halves to even)
    y = (clip(q, q_min, q_max) - z) * s
    gx = g  where q_min <= q <= q_max,  0 where q was clipped       (the straight-through estimator)
"""
from minigrad.autograd.function import Op

INT8_MAX = 127


def symmetric_scale(xp, x, keep_axis=None):
    """s = max|x| / 127 over the whole array (``keep_axis=None``: a 0-d array) or over every axis but
    ``keep_axis`` (one scale per slice: ``keep_axis=0`` of a Linear weight gives one per output row);
    1 where max|x| = 0.  In x's dtype."""
    magnitude = xp.abs(x)
    if keep_axis is None:
        biggest = magnitude.max()
    else:
        biggest = magnitude.max(axis=tuple(d for d in range(x.ndim) if d != keep_axis % x.ndim))
    return xp.where(biggest > 0, biggest / INT8_MAX, 1).astype(x.dtype)


def quantize_symmetric(xp, x, keep_axis=None):
    """``(q int8, s)``: q = clip(round(x / s), -127, 127) with ``s = symmetric_scale(xp, x, keep_axis)``."""
    scale = symmetric_scale(xp, x, keep_axis)
    expanded = scale if keep_axis is None else xp.expand_dims(scale, tuple(
        d for d in range(x.ndim) if d != keep_axis % x.ndim))
    q = xp.clip(xp.rint(x / expanded), -INT8_MAX, INT8_MAX).astype(xp.int8)
    return q, scale


class Int8Linear(Op):
    """y = int8(x) @ W_q^T * s_x * s_W + b with int32 accumulation (see the module docstring).
    gx = g @ (s_W[:, None] W_q) (straight through the rounding of x), gb = g."""

    @staticmethod
    def forward(ctx, x, weight_q, weight_scale, bias):
        xp = ctx.backend.xp
        rows = x.reshape(-1, x.shape[-1])
        if rows.size:
            x_q, x_scale = quantize_symmetric(xp, rows)
        else:  # an empty batch: nothing to scale
            x_q, x_scale = rows.astype(xp.int8), xp.ones((), dtype=x.dtype)
        scale = weight_scale.astype(x.dtype, copy=False)
        y = ctx.backend.int8_linear(x_q, weight_q, x_scale.astype(x.dtype), scale, bias.astype(x.dtype, copy=False))
        ctx.save_for_backward(weight_q, scale)   # (dropped by apply when no gradient is wanted)
        return y.reshape(x.shape[:-1] + (weight_q.shape[0],))

    @staticmethod
    def backward(ctx, g):
        gx = None
        if ctx.needs_input_grad[0]:
            weight_q, scale = ctx.saved_tensors
            gx = g @ (weight_q.astype(g.dtype) * scale[:, None])
        return gx, None, None, (g if ctx.needs_input_grad[3] else None)


class FakeQuantizeAffine(Op):
    """y = (clip(round(x / s) + z, q_min, q_max) - z) * s, with ``s``, ``z`` scalars or vectors along ``axis``.
    gx = g where the unclipped round(x / s) + z lies in [q_min, q_max], else 0 (straight-through estimator)."""

    @staticmethod
    def forward(ctx, x, scale, zero_point, quant_min, quant_max, axis=None):
        xp = ctx.backend.xp
        if axis is not None:  # (C,) -> broadcastable along ``axis``
            shape = [1] * x.ndim
            shape[axis] = -1
            scale, zero_point = scale.reshape(shape), zero_point.reshape(shape)
        scale = xp.asarray(scale, dtype=x.dtype)
        zero_point = xp.asarray(zero_point).astype(x.dtype)
        q = xp.rint(x * (1 / scale)) + zero_point
        inside = (q >= quant_min) & (q <= quant_max)
        ctx.save_for_backward(inside)
        return (xp.clip(q, quant_min, quant_max) - zero_point) * scale

    @staticmethod
    def backward(ctx, g):
        (inside,) = ctx.saved_tensors
        return g * inside, None, None, None, None, None
