"""``Dropout`` and ``Dropout2d``: randomly zero activations (or whole feature maps) while training."""
from minigrad.nn import functional as F
from minigrad.nn.module import Module


class _DropoutNd(Module):
    """What both dropouts share (PyTorch's base class of the same name): ``p`` checked, ``inplace``."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability must be between 0 and 1, got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """In training mode, zero each element with probability ``p`` and scale the survivors by
    ``1 / (1 - p)`` so the expected value is unchanged.  In eval mode, return ``x`` as is.
    """

    def forward(self, x):
        return F.dropout(x, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Channel dropout: in training mode zero each whole (sample, channel) feature map with
    probability ``p`` and scale the kept ones by ``1 / (1 - p)``; in eval mode the identity."""

    def forward(self, x):
        return F.dropout2d(x, self.p, self.training, self.inplace)
