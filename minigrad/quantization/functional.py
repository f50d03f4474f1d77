"""Quantization as functions on Tensors (the formulas and their derivatives: ``minigrad/ops/quantized.py``).

* ``quantize_per_channel_symmetric(w)``: ``(q int8, s)`` with one scale per row, ``w ~ s[:, None] * q``;
* ``int8_linear(x, q, s, bias)``: the int8 layer, activations quantized per batch, int32 sums;
* ``fake_quantize_per_tensor_affine`` / ``fake_quantize_per_channel_affine``: PyTorch's functions of the
  same names (quantize, then dequantize, with the straight-through gradient), and
  ``fake_quantize_symmetric(x, axis)``, the int8 grid of minigrad's layers in that form, for training.
"""
import numbers

import minigrad as mg
from minigrad.ops.quantized import INT8_MAX, FakeQuantizeAffine, Int8Linear, quantize_symmetric, symmetric_scale
from minigrad.tensor import Tensor


def quantize_per_channel_symmetric(weight):
    """``(q, scale)``: int8 ``q`` of ``weight``'s shape and a float ``scale`` per row (dim 0), from the rows'
    largest magnitudes: ``scale = max|w_row| / 127``, ``q = clip(round(w / scale), -127, 127)``."""
    values = weight.detach()
    q, scale = quantize_symmetric(values._backend.xp, values._array, keep_axis=0)
    return Tensor._wrap(q, values.device), Tensor._wrap(scale, values.device)


def dequantize_per_channel(q, scale):
    """``scale[:, None, ...] * q`` as floats (of ``scale``'s dtype)."""
    return q.to(scale.dtype) * scale.reshape((-1,) + (1,) * (q.ndim - 1))


def int8_linear(x, weight_q, weight_scale, bias=None):
    """The int8 linear layer: ``x`` quantized with one scale for the batch, ``weight_q`` (out, in) int8 with a
    scale per row, their products summed in int32, then scaled and ``bias`` added (see ops/quantized.py)."""
    if bias is None:
        bias = mg.zeros(weight_q.shape[0], dtype=weight_scale.dtype, device=weight_q.device)
    return Int8Linear.apply(x, weight_q, weight_scale, bias)


def fake_quantize_per_tensor_affine(input, scale, zero_point, quant_min, quant_max):
    """``(clip(round(x / scale) + zero_point, quant_min, quant_max) - zero_point) * scale`` (PyTorch's function);
    the gradient passes straight through where nothing was clipped and is 0 where it was."""
    scale, zero_point = _number(scale, "scale"), _number(zero_point, "zero_point")
    _check_range(quant_min, quant_max, [zero_point])
    return FakeQuantizeAffine.apply(input, scale, zero_point, quant_min, quant_max)


def fake_quantize_per_channel_affine(input, scale, zero_point, axis, quant_min, quant_max):
    """As ``fake_quantize_per_tensor_affine`` with one ``scale`` and ``zero_point`` per slice along ``axis``
    (1-D Tensors of ``input.shape[axis]`` values), as PyTorch's function."""
    axis = axis % input.ndim
    for name, value in (("scale", scale), ("zero_point", zero_point)):
        if not isinstance(value, Tensor) or value.ndim != 1 or value.shape[0] != input.shape[axis]:
            raise RuntimeError(f"fake_quantize_per_channel_affine: {name} must be a 1-D Tensor of "
                               f"{input.shape[axis]} values (input.shape[{axis}])")
    _check_range(quant_min, quant_max, zero_point.tolist())
    return FakeQuantizeAffine.apply(input, scale.detach(), zero_point.detach(), quant_min, quant_max, axis)


def fake_quantize_symmetric(x, axis=None):
    """x on minigrad's int8 grid, still in floats: one scale (``axis=None``) or one per slice along ``axis``,
    ``scale = max|x| / 127`` from the current values (not differentiated), zero point 0, range [-127, 127].
    What the int8 layers will compute, for quantization-aware training (``qat.py``)."""
    scale = Tensor._wrap(symmetric_scale(x._backend.xp, x._array, axis), x.device)
    if axis is None:
        return FakeQuantizeAffine.apply(x, scale, 0, -INT8_MAX, INT8_MAX)
    return FakeQuantizeAffine.apply(x, scale, mg.zeros_like(scale), -INT8_MAX, INT8_MAX, axis)


def _number(value, name):
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise RuntimeError(f"fake_quantize_per_tensor_affine: {name} must be a number or a one-element Tensor")
        return value.item()
    if not isinstance(value, numbers.Real):
        raise TypeError(f"fake_quantize_per_tensor_affine: {name} must be a number, got {type(value).__name__}")
    return value


def _check_range(quant_min, quant_max, zero_points):
    if quant_min > quant_max:
        raise RuntimeError("`quant_min` should be less than or equal to `quant_max`.")
    if any(not quant_min <= z <= quant_max for z in zero_points):
        raise RuntimeError("`zero_point` must be between `quant_min` and `quant_max`.")
