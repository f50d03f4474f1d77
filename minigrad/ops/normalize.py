"""Lp normalisation (``F.normalize``, and through it ``F.cosine_similarity``).

Along ``dim``, each slice x is divided by its p-norm, kept away from 0 by eps:

    n = ||x||_p = (sum_j |x_j|^p)^(1/p)        (p = inf: max_j |x_j|)
    d = max(n, eps)
    y = x / d

Gradient.  y_j = x_j / d, so dL/dd = -sum_j g_j x_j / d^2, and d depends on x only while n >= eps:

    gx_i = g_i / d  +  dL/dd * [n >= eps] * dn/dx_i

    dn/dx_i = sign(x_i) |x_i|^(p-1) / n^(p-1)      (p = 2: x_i / n;  p = 1: sign(x_i);
                                                    p = inf: sign(x_i) on the largest |x_i|, shared by ties)

``clamp_in_graph=False`` treats the eps clamp as a constant (the gradient always takes the dn
path), which is how PyTorch's cosine_similarity clamps its norms.
"""
import math

from minigrad.autograd.function import Op


def _norm(xp, x, p, dim):
    a = xp.abs(x)
    if p == math.inf:
        return a.max(axis=dim, keepdims=True)
    if p == 2:
        return xp.sqrt((x * x).sum(axis=dim, keepdims=True))
    if p == 1:
        return a.sum(axis=dim, keepdims=True)
    return (a ** p).sum(axis=dim, keepdims=True) ** (1.0 / p)


def _norm_slope(xp, x, n, p, dim):
    """dn/dx (0 for an all-zero slice, as in PyTorch)."""
    safe_n = xp.where(n > 0, n, 1)
    if p == 2:
        return x / safe_n
    if p == 1:
        return xp.sign(x)
    if p == math.inf:
        largest = (xp.abs(x) == n) & (n > 0)
        return xp.sign(x) * largest / xp.maximum(largest.sum(axis=dim, keepdims=True), 1)
    a = xp.abs(x)
    return xp.where(a > 0, xp.sign(x) * a ** (p - 1), 0) / safe_n ** (p - 1)


class Normalize(Op):
    """y = x / max(||x||_p, eps) along ``dim``.    gx: see the module docstring."""

    @staticmethod
    def forward(ctx, x, p, dim, eps, clamp_in_graph=True):
        xp = ctx.backend.xp
        n = _norm(xp, x, p, dim)
        d = xp.maximum(n, eps)
        ctx.save_for_backward(x, n, d)
        ctx.p, ctx.dim, ctx.eps, ctx.clamp_in_graph = p, dim, eps, clamp_in_graph
        return x / d

    @staticmethod
    def backward(ctx, g):
        x, n, d = ctx.saved_tensors
        xp = ctx.backend.xp
        grad_d = -(g * x).sum(axis=ctx.dim, keepdims=True) / (d * d)
        if ctx.clamp_in_graph:
            grad_d = grad_d * (n >= ctx.eps)
        return g / d + grad_d * _norm_slope(xp, x, n, ctx.p, ctx.dim), None, None, None, None
