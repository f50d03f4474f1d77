"""Rounding and sign: piecewise-constant functions.

    sign x, floor x, ceil x, round x, trunc x   are constant between their jumps, so
        dz/dx = 0   (PyTorch's convention also at the jumps, where the derivative does not exist):
        gx = 0 (a tensor of zeros, so that x.grad is zeros, as in PyTorch).
    frac x = x - trunc x  (the fractional part, with x's sign)   dz/dx = 1:   gx = g.

``round`` rounds halves to the even neighbour (2.5 -> 2, 3.5 -> 4), as NumPy and PyTorch do;
``round(x, decimals=d)`` rounds to d decimal places.
"""
from minigrad.autograd.function import Op


class _PiecewiseConstant(Op):
    """Shared backward of the step functions below:  gx = 0."""

    @staticmethod
    def backward(ctx, g):
        return ctx.backend.xp.zeros_like(g)


class Sign(_PiecewiseConstant):
    """z = -1, 0 or 1 by the sign of x."""

    @staticmethod
    def forward(ctx, x):
        return ctx.backend.xp.sign(x)


class Floor(_PiecewiseConstant):
    """z = the largest integer <= x."""

    @staticmethod
    def forward(ctx, x):
        return ctx.backend.xp.floor(x)


class Ceil(_PiecewiseConstant):
    """z = the smallest integer >= x."""

    @staticmethod
    def forward(ctx, x):
        return ctx.backend.xp.ceil(x)


class Trunc(_PiecewiseConstant):
    """z = x with its fractional part dropped (rounds towards 0)."""

    @staticmethod
    def forward(ctx, x):
        return ctx.backend.xp.trunc(x)


class Round(Op):
    """z = x rounded to ``decimals`` decimal places (halves to even).    gx = 0."""

    @staticmethod
    def forward(ctx, x, decimals=0):
        return ctx.backend.xp.round(x, decimals)

    @staticmethod
    def backward(ctx, g):
        return ctx.backend.xp.zeros_like(g), None


class Frac(Op):
    """z = x - trunc x.    gx = g."""

    @staticmethod
    def forward(ctx, x):
        return x - ctx.backend.xp.trunc(x)

    @staticmethod
    def backward(ctx, g):
        return g
