"""Padding (``F.pad``): grow (or, with negative amounts, crop) the edges of a tensor.

Along one axis of length n, padded by ``before`` and ``after``, the output has length
before + n + after.  Where the new cells take their values from:

    constant    a fixed value                 [a b c d] -> [v v | a b c d | v]
    reflect     the mirror, edge not repeated [a b c d] -> [c b | a b c d | c]
    replicate   the edge value                [a b c d] -> [a a | a b c d | d]
    circular    the other end (wrap around)   [a b c d] -> [c d | a b c d | a]

Backward: every output cell is a copy of one input cell (or a constant), so the gradient of an
input cell is the sum of the gradients of the cells copied from it.  Per padded axis:

    constant    gx = g[before : before + n]                     (the padding got no input)
    replicate   as constant, plus the sum of g over each pad added to the edge cell it copies
    reflect     as constant, plus each pad's g, flipped, added to the cells it mirrors
    circular    as constant, plus the left pad's g added to the last cells, the right pad's to the first

Axes are independent, so the backward undoes one axis after the other.
"""
from minigrad.autograd.function import Op

NUMPY_MODE = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _along(ndim, axis, index):
    """The index tuple that applies ``index`` (a slice) on ``axis`` and takes everything elsewhere."""
    full = [slice(None)] * ndim
    full[axis] = index
    return tuple(full)


class Pad(Op):
    """y = x padded by ``widths`` (one ``(before, after)`` pair per axis) in ``mode``.

    In constant mode a negative width crops: the input is cut first, then padded.
    See the module docstring for the gradient of each mode."""

    @staticmethod
    def forward(ctx, x, widths, mode, value):
        xp = ctx.backend.xp
        crop = tuple(slice(max(-b, 0), n - max(-a, 0)) for (b, a), n in zip(widths, x.shape))
        grow = [(max(b, 0), max(a, 0)) for b, a in widths]
        ctx.widths, ctx.mode, ctx.shape, ctx.crop = grow, mode, x.shape, crop
        cropped = x[crop]
        if mode == "constant":
            return xp.pad(cropped, grow, mode="constant", constant_values=value)
        return xp.pad(cropped, grow, mode=NUMPY_MODE[mode])

    @staticmethod
    def backward(ctx, g):
        xp = ctx.backend.xp
        for axis, (before, after) in enumerate(ctx.widths):
            if before or after:
                g = _unpad_axis(xp, g, axis, before, after, ctx.mode)
        if g.shape != ctx.shape:  # constant mode cropped: the cropped-off cells get no gradient
            full = xp.zeros(ctx.shape, dtype=g.dtype)
            full[ctx.crop] = g
            g = full
        return g, None, None, None


def _unpad_axis(xp, g, axis, before, after, mode):
    """The gradient of one axis' padding: fold the pads' gradients back onto the cells they copy."""
    n = g.shape[axis] - before - after
    core = g[_along(g.ndim, axis, slice(before, before + n))].copy()
    if mode == "constant":
        return core
    left = g[_along(g.ndim, axis, slice(0, before))]
    right = g[_along(g.ndim, axis, slice(before + n, before + n + after))]
    if mode == "replicate":
        core[_along(g.ndim, axis, slice(0, 1))] += left.sum(axis=axis, keepdims=True)
        core[_along(g.ndim, axis, slice(n - 1, n))] += right.sum(axis=axis, keepdims=True)
    elif mode == "reflect":  # left pad cell i copies x[before - i]; right pad cell j copies x[n - 2 - j]
        core[_along(g.ndim, axis, slice(1, before + 1))] += xp.flip(left, axis)
        core[_along(g.ndim, axis, slice(n - 1 - after, n - 1))] += xp.flip(right, axis)
    else:  # circular: left pad cell i copies x[n - before + i]; right pad cell j copies x[j]
        core[_along(g.ndim, axis, slice(n - before, n))] += left
        core[_along(g.ndim, axis, slice(0, after))] += right
    return core
