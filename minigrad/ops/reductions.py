"""Reductions over some axes (``dim`` = None for all, an int, or a tuple).

The backward of a reduction must *spread* g back over the reduced axes.  With keepdim the
reduced axes are still there as size-1 axes and plain broadcasting spreads g; without it we
first re-insert them (``_keepdim_shape``).
"""
import numpy as np

from minigrad.autograd.function import Op


def normalize_dims(dim, ndim):
    """dim (None | int | tuple, negatives allowed) -> sorted tuple of axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"dim {d} is out of range for a tensor with {ndim} dimension(s)")
        out.append(d % max(ndim, 1))
    return tuple(sorted(set(out))) if ndim else ()


def _keepdim_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Op):
    """z = sum_i x_i over the axes.    dz/dx_i = 1:   gx = g spread over the reduced axes."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.shape, ctx.axes = x.shape, axes
        return ctx.backend.sum(x, axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        g = g.reshape(_keepdim_shape(ctx.shape, ctx.axes))
        return ctx.backend.xp.broadcast_to(g, ctx.shape), None, None


class Mean(Op):
    """z = (1/n) sum_i x_i.    dz/dx_i = 1/n:   gx = g / n spread over the reduced axes."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.shape, ctx.axes = x.shape, axes
        ctx.count = 1
        for a in axes:
            ctx.count *= x.shape[a]
        return ctx.backend.sum(x, axis=axes, keepdims=keepdim) / max(ctx.count, 1)

    @staticmethod
    def backward(ctx, g):
        g = g.reshape(_keepdim_shape(ctx.shape, ctx.axes)) / ctx.count
        return ctx.backend.xp.broadcast_to(g, ctx.shape), None, None


class Var(Op):
    """z = sum_i (x_i - mean)^2 / (n - correction)     (correction=1: the unbiased estimate).

    dz/dx_i = 2 (x_i - mean) / (n - correction)   (the terms through the mean cancel, because
    sum_i (x_i - mean) = 0).
    """

    @staticmethod
    def forward(ctx, x, axes, keepdim, correction):
        xp = ctx.backend.xp
        count = 1
        for a in axes:
            count *= x.shape[a]
        centered = x - x.mean(axis=axes, keepdims=True)
        ctx.save_for_backward(centered)
        ctx.shape, ctx.axes, ctx.divisor = x.shape, axes, max(count - correction, 0)
        return xp.sum(centered * centered, axis=axes, keepdims=keepdim) / ctx.divisor

    @staticmethod
    def backward(ctx, g):
        (centered,) = ctx.saved_tensors
        g = g.reshape(_keepdim_shape(ctx.shape, ctx.axes))
        return g * 2 * centered / ctx.divisor, None, None, None


class Max(Op):
    """z = max_i x_i.    dz/dx_i = 1 for the maximal element(s), else 0.  When several
    elements tie for the maximum the gradient is shared equally between them."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        z = x.max(axis=axes, keepdims=True)
        ctx.save_for_backward(x, z)
        ctx.axes = axes
        return z if keepdim else z.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    @staticmethod
    def backward(ctx, g):
        x, z = ctx.saved_tensors
        winners = x == z
        share = winners / winners.sum(axis=ctx.axes, keepdims=True)
        return g.reshape(z.shape) * share, None, None


class Min(Op):
    """z = min_i x_i.    The gradient goes to the minimal element(s), shared equally on ties."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        z = x.min(axis=axes, keepdims=True)
        ctx.save_for_backward(x, z)
        ctx.axes = axes
        return z if keepdim else z.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    @staticmethod
    def backward(ctx, g):
        x, z = ctx.saved_tensors
        winners = x == z
        share = winners / winners.sum(axis=ctx.axes, keepdims=True)
        return g.reshape(z.shape) * share, None, None


class Prod(Op):
    """z = prod_i x_i along one axis.

    dz/dx_i = prod_{j!=i} x_j  = (product of the x_j before i) * (product of those after i):
    two exclusive cumulative products, which stay exact when some x_j are 0 (z / x_i would be 0/0).
    gx_i = g * prod_{j!=i} x_j.
    """

    @staticmethod
    def forward(ctx, x, axis, keepdim):
        ctx.save_for_backward(x)
        ctx.axis = axis
        return ctx.backend.xp.prod(x, axis=axis, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xp, axis, n = ctx.backend.xp, ctx.axis, x.shape[ctx.axis]
        ones = xp.ones(_keepdim_shape(x.shape, (axis,)), dtype=x.dtype)
        before = xp.concatenate([ones, xp.cumprod(x, axis=axis)], axis=axis)   # prod of x_j, j < i
        after = xp.flip(xp.cumprod(xp.flip(x, axis), axis=axis), axis)
        after = xp.concatenate([after, ones], axis=axis)                        # prod of x_j, j > i
        first_n, last_n = [slice(None)] * x.ndim, [slice(None)] * x.ndim
        first_n[axis], last_n[axis] = slice(0, n), slice(1, n + 1)
        others = before[tuple(first_n)] * after[tuple(last_n)]
        return g.reshape(ones.shape) * others, None, None


class LogSumExp(Op):
    """z = log sum_i e^{x_i} over the axes, computed as m + log sum_i e^{x_i - m} with m = max_i x_i,
    so that no exponent is positive (no overflow for x = 1e4).  m is taken as 0 where it is
    infinite (a row of -inf gives log 0 = -inf; a +inf gives +inf), as in PyTorch.

    dz/dx_i = e^{x_i} / sum_j e^{x_j} = e^{x_i - z}   (the softmax):   gx = g e^{x - z}.
    """

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        xp = ctx.backend.xp
        if all(x.shape[a] for a in axes):
            m = xp.max(x, axis=axes, keepdims=True)
            m = xp.where(xp.isfinite(m), m, 0)
        else:  # an empty sum: e^... sums to 0 and z = -inf
            m = xp.zeros(_keepdim_shape(x.shape, axes), dtype=x.dtype)
        with np.errstate(divide="ignore"):
            z = xp.log(xp.sum(xp.exp(x - m), axis=axes, keepdims=True)) + m
        ctx.save_for_backward(x, z)
        return z if keepdim else z.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    @staticmethod
    def backward(ctx, g):
        x, z = ctx.saved_tensors
        return g.reshape(z.shape) * ctx.backend.xp.exp(x - z), None, None
