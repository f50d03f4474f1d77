"""Indexing:  z = x[index]  with ints, slices, None, Ellipsis, integer arrays and boolean masks.

Every element of z is some element of x, so the gradient of x is g *scattered back* to where
each element came from.  An element picked several times (e.g. x[[0, 0, 1]]) receives the sum
of its gradients — a scatter-**add**, not a plain assignment.
"""
from minigrad.autograd.function import Op


def _is_basic(index):
    """True when the index uses only ints, slices, None and Ellipsis (no repeated elements)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in items)


class Index(Op):
    """z = x[index].    gx = zeros like x, then gx[index] += g (repeats add up).

    With basic indexing (ints, slices) NumPy returns a *view*: z shares x's memory."""

    is_view = True

    @staticmethod
    def view_index(args):
        return args[1] if _is_basic(args[1]) else None

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.dtype, ctx.index = x.shape, x.dtype, index
        try:
            return x[index]
        except IndexError as error:
            raise IndexError(f"index {index!r} is invalid for a tensor of shape {x.shape}: {error}") from None

    @staticmethod
    def backward(ctx, g):
        gx = ctx.backend.xp.zeros(ctx.shape, dtype=g.dtype)
        if _is_basic(ctx.index):
            gx[ctx.index] = g  # basic indexing never picks an element twice
        else:
            ctx.backend.scatter_add(gx, ctx.index, g)
        return gx, None


class SetItem(Op):
    """z = x with z[index] = v  (the recorded form of ``x[index] = v``).

    The elements at ``index`` no longer depend on x:  gx = g with g[index] set to 0;
    v was copied (and broadcast) into z[index]:  gv = g[index]  (the engine sums it back to v's shape).
    """

    @staticmethod
    def forward(ctx, x, v, index):
        ctx.index = index
        z = x.copy()
        z[index] = v
        return z

    @staticmethod
    def backward(ctx, g):
        gx = g.copy()
        gx[ctx.index] = 0
        return gx, g[ctx.index], None
