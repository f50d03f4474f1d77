"""Softmax and log-softmax along one axis.

Softmax     y_i = e^{x_i} / sum_j e^{x_j}
    Subtracting m = max_j x_j first changes nothing (e^{-m} cancels) but keeps every exponent
    <= 0, so nothing overflows even for logits of 1e4.
    Jacobian: dy_i/dx_k = y_i (delta_ik - y_k), hence   gx_k = y_k (g_k - sum_i g_i y_i).

Log-softmax y_i = x_i - m - log sum_j e^{x_j - m}      (the log-sum-exp trick)
    dy_i/dx_k = delta_ik - softmax_k,  hence   gx_k = g_k - softmax_k * sum_i g_i,
    with softmax_k = e^{y_k}.

Masked softmax (the attention weights)  y_j = keep_j e^{s x_j} / sum_k keep_k e^{s x_k}
    for a bool ``keep`` (False = this key is not allowed) and a scale s, and y = 0 on a row where
    nothing is kept.  It is softmax(s x) with the forbidden x_j set to -inf, so the gradient is
    softmax's, times s:  gx_k = s y_k (g_k - sum_i g_i y_i)  (0 where keep is False, as y is).

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


class MaskedSoftmax(Op):
    """y = softmax(scale * x) over the last axis where ``keep`` is True, 0 elsewhere (and a row with
    nothing kept is all 0).    gx = scale * y * (g - sum(g * y)).

    One op for what attention needs between ``Q K^T`` and ``weights @ V``: the scale, the mask and
    the softmax in one pass each, instead of three ops and two fix-ups of empty rows."""

    @staticmethod
    def forward(ctx, x, keep, scale):
        y = ctx.backend.masked_softmax(x, keep, scale)
        ctx.save_for_backward(y)
        ctx.scale = scale
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return ctx.backend.masked_softmax_backward(g, y, ctx.scale), None, None
