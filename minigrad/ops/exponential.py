"""Exponentials and logarithms beyond e^x and ln x (those are in elementwise.py).

    z = 2^x          dz/dx = 2^x ln 2 = z ln 2
    z = e^x - 1      dz/dx = e^x = z + 1
    z = ln(1 + x)    dz/dx = 1 / (1 + x)
    z = log2 x       dz/dx = 1 / (x ln 2)
    z = log10 x      dz/dx = 1 / (x ln 10)

Why expm1 and log1p exist: for tiny x, 1 + x rounds to 1 (in float32 already at x = 1e-8),
so ``log(1 + x)`` gives 0 and ``exp(x) - 1`` gives 0, while the true values are ~x.  NumPy's
(and CuPy's) ``log1p``/``expm1`` compute them without forming 1 + x, and their derivatives above
are exact at any x (1/(1 + x) -> 1 for tiny x, no cancellation).
"""
import math

from minigrad.autograd.function import Op


class Exp2(Op):
    """z = 2^x.    gx = g z ln 2."""

    @staticmethod
    def forward(ctx, x):
        z = ctx.backend.xp.exp2(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return g * z * math.log(2.0)


class Expm1(Op):
    """z = e^x - 1 (accurate for tiny x).    gx = g (z + 1)."""

    @staticmethod
    def forward(ctx, x):
        z = ctx.backend.xp.expm1(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return g * (z + 1)


class Log1p(Op):
    """z = ln(1 + x) (accurate for tiny x).    gx = g / (1 + x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.backend.xp.log1p(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + x)


class Log2(Op):
    """z = log2 x.    gx = g / (x ln 2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.backend.xp.log2(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * math.log(2.0))


class Log10(Op):
    """z = log10 x.    gx = g / (x ln 10)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.backend.xp.log10(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * math.log(10.0))
