"""``Conv1d`` and ``Conv2d``: learned filters slid over a signal or an image.

``Conv2d(C, O, k)`` holds ``weight`` (O, C/groups, kh, kw) -- O filters, each looking at a
kh x kw window of C/groups channels -- and ``bias`` (O,).  Every output pixel is one filter's dot
product with one window of the input (``F.conv2d``; ops/convolution.py derives it and its
backward).  The same filter is used at every position: that weight sharing is what makes a
convolution detect a pattern wherever it appears, with few parameters.

Initialisation (PyTorch's default, the same as ``Linear``'s with fan_in = C/groups * kh * kw):
``weight`` from ``kaiming_uniform_(a=sqrt(5))`` = U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and ``bias``
from that same uniform distribution.
"""
import math

import minigrad as mg
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter


#: PyTorch's padding modes: zeros (the convolution's own padding), or ``F.pad``'s modes applied first.
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _tuple(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


class _ConvNd(Module):
    """What Conv1d and Conv2d share: the arguments, the parameters and their initialisation."""

    dims = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device="cpu", dtype=None):
        super().__init__()
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"in_channels ({in_channels}) and out_channels ({out_channels}) must both be "
                             f"divisible by groups ({groups})")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {PADDING_MODES}, but got padding_mode={padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _tuple(kernel_size, self.dims)
        self.stride = _tuple(stride, self.dims)
        self.dilation = _tuple(dilation, self.dims)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"padding must be an int, a tuple, 'same' or 'valid', got {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = _tuple(padding, self.dims)
        self.padding_mode = padding_mode
        self.weight = Parameter(mg.empty(out_channels, in_channels // groups, *self.kernel_size,
                                         dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(mg.empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * self.dims:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self.dims:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text

    def _padded(self, x):
        """(input, padding) for the convolution: with padding_mode "zeros" the convolution pads by itself;
        otherwise ``F.pad`` adds the padding first in that mode (as PyTorch does) and the convolution adds none."""
        if self.padding_mode == "zeros":
            return x, self.padding
        if self.padding == "valid":
            return x, 0
        if self.padding == "same":
            totals = [d * (k - 1) for k, d in zip(self.kernel_size, self.dilation)]
            pairs = [(total // 2, total - total // 2) for total in totals]
        else:
            pairs = [(p, p) for p in self.padding]
        pad = tuple(n for before_after in reversed(pairs) for n in before_after)   # last dim first, as F.pad wants
        return F.pad(x, pad, mode=self.padding_mode), 0


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L) or (C, L): ``weight`` (O, C/groups, k)."""

    dims = 1

    def forward(self, x):
        x, padding = self._padded(x)
        return F.conv1d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv2d(_ConvNd):
    """2-D convolution over (N, C, H, W) or (C, H, W): ``weight`` (O, C/groups, kh, kw)."""

    dims = 2

    def forward(self, x):
        x, padding = self._padded(x)
        return F.conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)
