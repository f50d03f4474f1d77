"""The error function.

    erf x = (2 / sqrt(pi)) * integral_0^x e^(-t^2) dt        dz/dx = (2 / sqrt(pi)) e^(-x^2)

NumPy has no erf: on NumPy arrays ("cpu", "cudasim") it is the backends' compiled ``math.erf``
ufunc (the one the CPU GELU formula uses); on CuPy arrays ("cuda") it is ``cupyx.scipy.special.erf``.
"""
import math

import numpy as np

from minigrad.autograd.function import Op


def _erf(xp, x):
    if xp is np:
        from minigrad.backends.numpy_backend import _erf as erf_ufunc

        return np.asarray(erf_ufunc(x)).astype(x.dtype, copy=False)
    import cupyx.scipy.special

    return cupyx.scipy.special.erf(x)


class Erf(Op):
    """z = erf x.    gx = g (2 / sqrt(pi)) e^(-x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erf(ctx.backend.xp, x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (2 / math.sqrt(math.pi)) * ctx.backend.xp.exp(-x * x)
