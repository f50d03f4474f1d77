"""The functions of convolutional networks, as in ``torch.nn.functional`` (and exported by it as ``F``):
``conv1d``, ``conv2d``, ``unfold``, ``fold``, ``max_pool2d``, ``avg_pool2d``, ``adaptive_avg_pool2d``,
``batch_norm``, ``dropout2d``.

Each function checks its arguments with PyTorch's rules (and says what to change when they are
wrong), works out the output size, then calls one op whose docstring derives the formula and its
gradient: ops/convolution.py, ops/pooling.py, ops/batchnorm.py.

Sizes.  A window of kernel size k, dilation d (taps d apart), slid with stride s over a side of n
pixels padded by p on both ends, fits

    out = floor((n + 2p - d (k - 1) - 1) / s) + 1

times (``conv_output_size``); pooling's ``ceil_mode=True`` rounds up instead, keeping only windows
that start inside the input or its left padding.
"""
import numpy as np

from minigrad.backends import get_backend
from minigrad.backends.numpy_backend import conv_output_size
from minigrad.ops import batchnorm as batchnorm_op, convolution, padding as padding_op, pooling
from minigrad.random import generator
from minigrad.tensor import Tensor


def _tuple(value, n, name):
    """An int or a sequence of n ints -> a tuple of n ints (``_tuple(3, 2, "stride") == (3, 3)``)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * n
    values = tuple(value)
    if len(values) != n or not all(isinstance(v, (int, np.integer)) for v in values):
        raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {value!r}")
    return tuple(int(v) for v in values)


def _check_positive(name, values, minimum=1):
    if any(v < minimum for v in values):
        raise ValueError(f"{name} must be >= {minimum} in every dimension, got {values}")


def _batched(x, spatial_dims, name):
    """``x`` with a batch axis (PyTorch accepts unbatched inputs too) and whether one was added."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor as input, got {type(x).__name__}")
    if x.ndim == spatial_dims + 2:
        return x, False
    if x.ndim == spatial_dims + 1:
        return x.unsqueeze(0), True
    layout = "(N, C, H, W)" if spatial_dims == 2 else "(N, C, L)"
    raise RuntimeError(f"{name}: expected a {spatial_dims + 1}-D (unbatched) or {spatial_dims + 2}-D (batched) "
                       f"input of shape {layout}, got shape {x.shape}")


# ---------------------------------------------------------------------- convolution
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as in PyTorch) of input (N, C, H, W) or (C, H, W) with
    weight (O, C/groups, kh, kw); ``padding`` may be an int, a pair, "valid" (0) or "same"."""
    x, unbatched = _batched(input, 2, "conv2d")
    y = _conv(x, weight, bias, stride, padding, dilation, groups, "conv2d")
    return y.squeeze(0) if unbatched else y


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution of input (N, C, L) or (C, L) with weight (O, C/groups, k): the 2-D one on
    images of height 1 (the same op, the same backward)."""
    x, unbatched = _batched(input, 1, "conv1d")
    if not isinstance(weight, Tensor) or weight.ndim != 3:
        raise RuntimeError(f"conv1d: weight must be 3-D (out_channels, in_channels/groups, kernel_size), "
                           f"got shape {getattr(weight, 'shape', None)}")
    padding = padding if isinstance(padding, str) else (0, _tuple(padding, 1, "padding")[0])
    y = _conv(x.unsqueeze(2), weight.unsqueeze(2), bias, (1, _tuple(stride, 1, "stride")[0]), padding,
              (1, _tuple(dilation, 1, "dilation")[0]), groups, "conv1d")
    y = y.squeeze(2)
    return y.squeeze(0) if unbatched else y


def _conv(x, weight, bias, stride, padding, dilation, groups, name):
    if not isinstance(weight, Tensor) or weight.ndim != 4:
        raise RuntimeError(f"{name}: weight must be 4-D (out_channels, in_channels/groups, kh, kw), "
                           f"got shape {getattr(weight, 'shape', None)}")
    stride, dilation = _tuple(stride, 2, "stride"), _tuple(dilation, 2, "dilation")
    _check_positive("stride", stride)
    _check_positive("dilation", dilation)
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")
    n, c, h, w = x.shape
    o, c_per_group, kh, kw = weight.shape
    if c != c_per_group * groups:
        raise RuntimeError(f"{name}: given groups={groups}, weight of size {list(weight.shape)}, expected input"
                           f"{list(x.shape)} to have {c_per_group * groups} channels, but got {c} channels instead")
    if o % groups:
        raise RuntimeError(f"{name}: out_channels ({o}) must be divisible by groups ({groups})")
    if bias is not None and tuple(bias.shape) != (o,):
        raise RuntimeError(f"{name}: bias must have shape ({o},) (one per output channel), got {bias.shape}")
    if x.dtype != weight.dtype or (bias is not None and bias.dtype != x.dtype):
        raise RuntimeError(f"{name}: input ({x.dtype}), weight ({weight.dtype}) and bias must have the same dtype; "
                           "convert with .float() or .double()")
    if isinstance(padding, str):
        x, padding = _string_padding(x, padding, (kh, kw), stride, dilation, name)
    else:
        padding = _tuple(padding, 2, "padding")
        _check_positive("padding", padding, minimum=0)
    oh, ow = conv_output_size(x.shape[2:], (kh, kw), stride, padding, dilation)
    if oh < 1 or ow < 1:
        raise RuntimeError(f"{name}: the input {tuple(x.shape[2:])} (with padding {padding}) is smaller than the "
                           f"kernel ({kh}, {kw}) with dilation {dilation}: the output would be ({oh}, {ow}). "
                           "Use a smaller kernel, more padding, or a bigger input.")
    return convolution.Conv2d.apply(x, weight, bias, stride, padding, dilation, int(groups))


def _string_padding(x, padding, kernel_size, stride, dilation, name):
    """padding="valid" is no padding; "same" pads so that the output has the input's size
    (stride 1 only): d (k - 1) zeros per side in all, the odd one at the end as PyTorch does."""
    if padding == "valid":
        return x, (0, 0)
    if padding != "same":
        raise ValueError(f"{name}: padding must be an int, a tuple, 'valid' or 'same', got {padding!r}")
    if stride != (1, 1):
        raise ValueError(f"{name}: padding='same' is not supported for strided convolutions (stride={stride}); "
                         "give the padding as numbers instead")
    totals = [d * (k - 1) for k, d in zip(kernel_size, dilation)]
    symmetric = tuple(t // 2 for t in totals)
    if all(t % 2 == 0 for t in totals):
        return x, symmetric
    widths = [(0, 0)] * (x.ndim - 2) + [(s, total - s) for s, total in zip(symmetric, totals)]
    return padding_op.Pad.apply(x, widths, "constant", 0), (0, 0)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: (N, C, H, W) -> (N, C*kh*kw, L), column l holding the l-th window (row-major)."""
    x, unbatched = _batched(input, 2, "unfold")
    kernel_size, dilation = _tuple(kernel_size, 2, "kernel_size"), _tuple(dilation, 2, "dilation")
    padding, stride = _tuple(padding, 2, "padding"), _tuple(stride, 2, "stride")
    _check_positive("kernel_size", kernel_size)
    _check_positive("stride", stride)
    oh, ow = conv_output_size(x.shape[2:], kernel_size, stride, padding, dilation)
    if oh < 1 or ow < 1:
        raise RuntimeError(f"unfold: no window of size {kernel_size} (dilation {dilation}) fits in the input "
                           f"{tuple(x.shape[2:])} with padding {padding}")
    cols = convolution.Unfold.apply(x, kernel_size, dilation, padding, stride)
    return cols.squeeze(0) if unbatched else cols


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im: (N, C*kh*kw, L) -> (N, C, H, W) = ``output_size``, summing the entries that overlap."""
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        raise RuntimeError(f"fold: expected a 2-D or 3-D input (N, C*kh*kw, L), got {getattr(input, 'shape', None)}")
    cols, unbatched = (input.unsqueeze(0), True) if input.ndim == 2 else (input, False)
    output_size, kernel_size = _tuple(output_size, 2, "output_size"), _tuple(kernel_size, 2, "kernel_size")
    dilation, padding, stride = _tuple(dilation, 2, "dilation"), _tuple(padding, 2, "padding"), _tuple(stride, 2, "stride")
    n, ckk, length = cols.shape
    if ckk % (kernel_size[0] * kernel_size[1]):
        raise RuntimeError(f"fold: expected size of input's dimension 1 ({ckk}) to be divisible by the product of "
                           f"kernel_size {kernel_size}")
    oh, ow = conv_output_size(output_size, kernel_size, stride, padding, dilation)
    if oh * ow != length:
        raise RuntimeError(f"fold: given output_size={output_size}, kernel_size={kernel_size}, dilation={dilation}, "
                           f"padding={padding}, stride={stride}, expected size of input's dimension 2 to match the "
                           f"calculated number of sliding blocks {oh} * {ow} = {oh * ow}, but got {length}")
    x_shape = (n, ckk // (kernel_size[0] * kernel_size[1])) + output_size
    x = convolution.Fold.apply(cols, x_shape, kernel_size, dilation, padding, stride)
    return x.squeeze(0) if unbatched else x


# ---------------------------------------------------------------------- pooling
def _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode, name):
    """(kernel, stride, padding, dilation, (OH, OW)) with PyTorch's checks and its ceil_mode rule."""
    kernel_size = _tuple(kernel_size, 2, "kernel_size")
    stride = kernel_size if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else _tuple(stride, 2, "stride")
    padding, dilation = _tuple(padding, 2, "padding"), _tuple(dilation, 2, "dilation")
    _check_positive("kernel_size", kernel_size)
    _check_positive("stride", stride)
    _check_positive("dilation", dilation)
    if any(p < 0 or p > k // 2 for p, k in zip(padding, kernel_size)):
        raise RuntimeError(f"{name}: pad should be at most half of kernel size, but got padding={padding} "
                           f"and kernel_size={kernel_size}")
    sizes = []
    for n, k, s, p, d in zip(x.shape[2:], kernel_size, stride, padding, dilation):
        span = n + 2 * p - d * (k - 1) - 1
        out = (span + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (out - 1) * s >= n + p:   # the last window would start in the right padding
            out -= 1
        sizes.append(out)
    if sizes[0] < 1 or sizes[1] < 1:
        raise RuntimeError(f"{name}: the input {tuple(x.shape[2:])} is too small for kernel_size={kernel_size} "
                           f"(dilation {dilation}, padding {padding}): the output would be {tuple(sizes)}")
    for n, k, s, p, d, out in zip(x.shape[2:], kernel_size, stride, padding, dilation, sizes):
        for o in range(out):
            if not any(0 <= o * s - p + i * d < n for i in range(k)):
                raise RuntimeError(
                    f"{name}: with kernel_size={kernel_size}, dilation={dilation} and padding={padding}, window {o} "
                    f"of a side of {n} pixels holds padding only (PyTorch returns -inf there); use less padding or "
                    "dilation")
    return kernel_size, stride, padding, dilation, tuple(sizes)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of each window of (N, C, H, W) or (C, H, W).  With ``return_indices=True`` also
    the flat position (y * W + x) of each maximum in its channel, int64 (what ``max_unpool2d`` takes)."""
    x, unbatched = _batched(input, 2, "max_pool2d")
    kernel_size, stride, padding, dilation, out_size = _pool_geometry(x, kernel_size, stride, padding, dilation,
                                                                      ceil_mode, "max_pool2d")
    box = [] if return_indices else None
    y = pooling.MaxPool2d.apply(x, kernel_size, stride, padding, dilation, out_size, box)
    y = y.squeeze(0) if unbatched else y
    if not return_indices:
        return y
    indices = Tensor._wrap(box[0], x.device)
    return y, (indices.squeeze(0) if unbatched else indices)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean of each window of (N, C, H, W) or (C, H, W): its sum divided by the window size
    (``count_include_pad=False``: by the number of real pixels in it; or by ``divisor_override``)."""
    x, unbatched = _batched(input, 2, "avg_pool2d")
    kernel_size, stride, padding, _, (oh, ow) = _pool_geometry(x, kernel_size, stride, padding, 1, ceil_mode,
                                                               "avg_pool2d")
    h, w = x.shape[2:]
    extra = tuple(max(0, (o - 1) * s + k - n - 2 * p)           # rows/columns ceil_mode reaches past the padding
                  for o, s, k, n, p in zip((oh, ow), stride, kernel_size, (h, w), padding))
    if divisor_override is not None:
        if divisor_override == 0:
            raise ValueError("avg_pool2d: divisor_override must not be 0")
        divisor = divisor_override
    elif count_include_pad and extra == (0, 0):
        divisor = kernel_size[0] * kernel_size[1]
    else:
        divisor = x._backend.asarray(_window_counts((h, w), kernel_size, stride, padding, extra,
                                                    count_include_pad).astype(x.dtype))
    y = pooling.AvgPool2d.apply(x, kernel_size, stride, padding, extra, divisor)
    return y.squeeze(0) if unbatched else y


def _window_counts(size, kernel_size, stride, padding, extra, count_include_pad):
    """How many pixels each window averages over, (OH, OW), computed on the host with the CPU's
    im2col: windows over a mask that is 1 where a pixel counts (the input, plus its padding when
    ``count_include_pad``) and 0 elsewhere (and always 0 in ceil_mode's extra rows and columns)."""
    (h, w), (ph, pw) = size, padding
    mask = np.zeros((1, 1, h + 2 * ph + extra[0], w + 2 * pw + extra[1]))
    if count_include_pad:
        mask[:, :, :h + 2 * ph, :w + 2 * pw] = 1
    else:
        mask[:, :, ph:ph + h, pw:pw + w] = 1
    counts = get_backend("cpu").im2col(mask, kernel_size, stride, (0, 0), (1, 1)).sum(axis=0)
    return counts.reshape(conv_output_size(mask.shape[2:], kernel_size, stride, (0, 0), (1, 1)))


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size (OH, OW): bin i of a side of n pixels covers pixels
    floor(i n / OH) .. ceil((i + 1) n / OH) - 1 (bins may overlap by one when OH does not divide n).

    The average over a rectangle is the average over its rows of the average over its columns, so
    y = P_h @ x @ P_w^T with P[i, p] = 1 / (size of bin i) for the pixels p of bin i: two matmuls,
    and autograd derives the backward (dL/dx = P_h^T @ g @ P_w)."""
    x, unbatched = _batched(input, 2, "adaptive_avg_pool2d")
    sizes = (output_size, output_size) if isinstance(output_size, (int, np.integer)) or output_size is None \
        else tuple(output_size)
    if len(sizes) != 2:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be an int or a pair, got {output_size!r}")
    sizes = tuple(n if s is None else int(s) for s, n in zip(sizes, x.shape[2:]))
    _check_positive("output_size", sizes)
    rows = Tensor._wrap(x._backend.asarray(_bin_matrix(x.shape[2], sizes[0], x.dtype)), x.device)
    columns = Tensor._wrap(x._backend.asarray(_bin_matrix(x.shape[3], sizes[1], x.dtype).T.copy()), x.device)
    y = rows @ x @ columns
    return y.squeeze(0) if unbatched else y


def _bin_matrix(n, bins, dtype):
    """P (bins, n): row i averages the pixels of adaptive bin i."""
    matrix = np.zeros((bins, n), dtype=dtype)
    for i in range(bins):
        start, end = (i * n) // bins, -((-(i + 1) * n) // bins)
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


# ---------------------------------------------------------------------- batch norm and channel dropout
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalise each channel (axis 1) of input (N, C, ...): with the batch's statistics when
    ``training`` (and then update ``running_mean`` / ``running_var`` in place), else with the
    running estimates."""
    if not isinstance(input, Tensor) or input.ndim < 2:
        raise ValueError(f"batch_norm: expected an input of at least 2 dims (N, C, ...), got {getattr(input, 'shape', None)}")
    c = input.shape[1]
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: running_mean and running_var must either both be None or neither be None")
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise RuntimeError(f"batch_norm: {name} should have shape ({c},) (one per channel of the input "
                               f"{input.shape}), got {t.shape}")
    if training:
        values_per_channel = input.numel() // c
        if values_per_channel <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {list(input.shape)}")
        return batchnorm_op.BatchNorm.apply(input, weight, bias, running_mean, running_var, momentum, eps)
    if running_mean is None:
        raise RuntimeError("batch_norm: running_mean and running_var must be given when training=False "
                           "(or call it with training=True to use the batch's own statistics)")
    shape = (1, c) + (1,) * (input.ndim - 2)
    scale = 1 / (running_var + eps).sqrt()
    if weight is not None:
        scale = scale * weight
    y = (input - running_mean.reshape(shape)) * scale.reshape(shape)
    return y + bias.reshape(shape) if bias is not None else y


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: each (sample, channel) plane is kept with probability 1 - p (and then
    scaled by 1 / (1 - p)) or zeroed, for inputs (N, C, H, W); as in PyTorch a 3-D input is read as
    (N, C, L).  In a CNN neighbouring pixels are strongly correlated, so dropping single pixels
    hardly removes information; dropping a feature map does."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if input.ndim not in (3, 4):
        raise RuntimeError(f"dropout2d: expected a 3-D or 4-D input (N, C, H, W), got shape {input.shape}")
    if not training or p == 0:
        return input
    mask_shape = input.shape[:2] + (1,) * (input.ndim - 2)
    keep = generator().random(mask_shape) >= p
    scale = np.zeros(mask_shape) if p == 1 else keep / (1 - p)
    scale = Tensor._wrap(input._backend.asarray(scale.astype(input.dtype)), input.device)
    return input.mul_(scale) if inplace else input * scale


__all__ = ["conv1d", "conv2d", "unfold", "fold", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "batch_norm",
           "dropout2d"]

