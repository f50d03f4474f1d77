"""Softmax and log-softmax along one axis.

Softmax     y_i = e^{x_i} / sum_j e^{x_j}
    Subtracting m = max_j x_j first changes nothing (e^{-m} cancels) but keeps every exponent
    <= 0, so nothing overflows even for logits of 1e4.
    Jacobian: dy_i/dx_k = y_i (delta_ik - y_k), hence   gx_k = y_k (g_k - sum_i g_i y_i).

Log-softmax y_i = x_i - m - log sum_j e^{x_j - m}      (the log-sum-exp trick)
    dy_i/dx_k = delta_ik - softmax_k,  hence   gx_k = g_k - softmax_k * sum_i g_i,
    with softmax_k = e^{y_k}.

The backend works on the last axis; another ``dim`` is moved to the end and back.
"""
from minigrad.autograd.function import Op


def _to_last(xp, x, dim):
    return xp.ascontiguousarray(xp.moveaxis(x, dim, -1)) if dim not in (-1, x.ndim - 1) else x


def _from_last(xp, x, dim):
    return xp.moveaxis(x, -1, dim) if dim not in (-1, x.ndim - 1) else x


class Softmax(Op):
    """y = softmax(x) along ``dim``.    gx = y * (g - sum(g * y))."""

    @staticmethod
    def forward(ctx, x, dim):
        xp = ctx.backend.xp
        y = ctx.backend.softmax(_to_last(xp, x, dim))
        ctx.save_for_backward(y)
        ctx.dim = dim
        return _from_last(xp, y, dim)

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        xp = ctx.backend.xp
        return _from_last(xp, ctx.backend.softmax_backward(_to_last(xp, g, ctx.dim), y), ctx.dim), None


class LogSoftmax(Op):
    """y = log softmax(x) along ``dim``.    gx = g - exp(y) * sum(g)."""

    @staticmethod
    def forward(ctx, x, dim):
        xp = ctx.backend.xp
        y = ctx.backend.log_softmax(_to_last(xp, x, dim))
        ctx.save_for_backward(y)
        ctx.dim = dim
        return _from_last(xp, y, dim)

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        xp = ctx.backend.xp
        return _from_last(xp, ctx.backend.log_softmax_backward(_to_last(xp, g, ctx.dim), y), ctx.dim), None
