"""Ops that reorder elements along axes: roll and flip.  A reordering is undone by the inverse
reordering, so the gradient is g moved back:

    roll:   z = x shifted by ``shifts`` along ``dims`` (wrapping around)   gx = g rolled by -shifts
    flip:   z = x reversed along ``dims``                                  gx = g reversed the same way

Both return new memory (as in PyTorch), never a view of x.
"""
from minigrad.autograd.function import Op


class Roll(Op):
    """z = roll(x, shifts, dims) (dims None: roll the flattened tensor).    gx = roll(g, -shifts, dims)."""

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return ctx.backend.xp.roll(x, shifts, axis=dims)

    @staticmethod
    def backward(ctx, g):
        back = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return ctx.backend.xp.roll(g, back, axis=ctx.dims), None, None


class Flip(Op):
    """z = x reversed along ``dims``.    gx = g reversed along ``dims``."""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return ctx.backend.xp.flip(x, dims).copy()

    @staticmethod
    def backward(ctx, g):
        return ctx.backend.xp.flip(g, ctx.dims), None
