"""``LayerNorm``: normalise each sample over its last dims, then scale and shift."""
import minigrad as mg
from minigrad.nn import functional as F
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter


class LayerNorm(Module):
    """``y = (x - mean) / sqrt(var + eps) * weight + bias``.

    ``mean`` and ``var`` (the biased variance, dividing by N) are taken over the last
    ``len(normalized_shape)`` dims of ``x``, separately for every position.
    With ``elementwise_affine=True`` the learned ``weight`` starts at 1 and ``bias`` at 0,
    both of shape ``normalized_shape``.
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 dtype=None, device="cpu"):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(mg.ones(*self.normalized_shape, dtype=dtype, device=device))
            self.bias = Parameter(mg.zeros(*self.normalized_shape, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
