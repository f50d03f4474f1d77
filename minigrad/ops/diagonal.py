"""The diagonal of a matrix (or of two axes of a tensor), as a view.

    z[..., k] = x[..., r0 + k, c0 + k]     (offset > 0: above the main diagonal, r0 = 0, c0 = offset;
                                            offset < 0: below it, r0 = -offset, c0 = 0)

It is a *view*, as in PyTorch (``x.diagonal().fill_(1)`` writes into x): a strided window on x's
memory whose step is (row stride + column stride).  Each z element is one x element, used once:
    gx = zeros, with its diagonal (the same window on gx) set to g.
"""
from minigrad.autograd.function import Op


def diagonal_window(xp, x, offset, dim1, dim2):
    """The diagonal of ``x`` over (dim1, dim2), as a writable view moved to the last axis."""
    others = [a for a in range(x.ndim) if a not in (dim1, dim2)]
    moved = x.transpose(others + [dim1, dim2])
    n1, n2 = moved.shape[-2:]
    first_row, first_col = max(-offset, 0), max(offset, 0)
    length = max(0, min(n1 - first_row, n2 - first_col))
    start = moved[..., first_row:first_row + length, first_col:first_col + length]
    if length == 0:
        return xp.empty(moved.shape[:-2] + (0,), dtype=x.dtype)
    strides = start.strides[:-2] + (start.strides[-2] + start.strides[-1],)
    return xp.lib.stride_tricks.as_strided(start, shape=start.shape[:-2] + (length,), strides=strides)


class Diagonal(Op):
    """z = the diagonal of x over (dim1, dim2) with ``offset``, a view.    gx = zeros with diagonal g."""

    is_view = True

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.shape, ctx.where = x.shape, (offset, dim1, dim2)
        return diagonal_window(ctx.backend.xp, x, offset, dim1, dim2)

    @staticmethod
    def backward(ctx, g):
        xp = ctx.backend.xp
        gx = xp.zeros(ctx.shape, dtype=g.dtype)
        diagonal_window(xp, gx, *ctx.where)[...] = g
        return gx, None, None, None
