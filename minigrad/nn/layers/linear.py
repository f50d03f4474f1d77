"""``Linear``: the affine layer ``y = x W^T + b`` (and ``Identity``)."""
import math

import minigrad as mg
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter


class Linear(Module):
    """``y = x @ weight.T + bias``, applied to the last dim of ``x``.

    Shapes: ``x`` is ``(*, in_features)``, ``weight`` is ``(out_features, in_features)``,
    ``bias`` is ``(out_features,)``, ``y`` is ``(*, out_features)``.

    Initialisation (PyTorch's default): ``weight`` by ``kaiming_uniform_(a=sqrt(5))``,
    which is U(-1/sqrt(in_features), 1/sqrt(in_features)), and ``bias`` from the same
    uniform distribution.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=None, device="cpu"):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(mg.empty(out_features, in_features, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(mg.empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. for an optional layer)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x
