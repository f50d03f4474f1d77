"""Vector p-norms over some axes:   ||x||_p = (sum_i |x_i|^p)^(1/p).

    p = 2     sqrt(sum x_i^2)                   dz/dx_i = x_i / z
    p = 1     sum |x_i|                         dz/dx_i = sign(x_i)
    p = inf   max |x_i|                         dz/dx_i = sign(x_i) for the largest |x_i|
                                                (shared equally when several tie), else 0
    p = -inf  min |x_i|                         likewise for the smallest
    p = 0     the number of non-zero x_i        not differentiable (no gradient flows)
    other p   (sum |x_i|^p)^(1/p)               dz/dx_i = sign(x_i) |x_i|^(p-1) / z^(p-1)

At x = 0 (z = 0) and for p < 1 at x_i = 0 the formulas divide by 0; PyTorch defines the gradient
there as 0 (a subgradient), and so does minigrad.
"""
import math

from minigrad.autograd.function import Op


class Norm(Op):
    """z = ||x||_p over ``axes``.    gx: see the module docstring."""

    @staticmethod
    def forward(ctx, x, p, axes, keepdim):
        xp = ctx.backend.xp
        a = xp.abs(x)
        if p == 2:
            z = xp.sqrt(xp.sum(x * x, axis=axes, keepdims=True))
        elif p == 1:
            z = xp.sum(a, axis=axes, keepdims=True)
        elif p == math.inf:
            z = xp.max(a, axis=axes, keepdims=True)
        elif p == -math.inf:
            z = xp.min(a, axis=axes, keepdims=True)
        elif p == 0:
            z = xp.sum(x != 0, axis=axes, keepdims=True).astype(x.dtype)
        else:
            z = xp.sum(a ** p, axis=axes, keepdims=True) ** (1.0 / p)
        ctx.save_for_backward(x, z)
        ctx.p, ctx.axes = p, axes
        return z if keepdim else z.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    @staticmethod
    def backward(ctx, g):
        x, z = ctx.saved_tensors
        xp, p = ctx.backend.xp, ctx.p
        if p == 0:
            return None, None, None, None
        g = g.reshape(z.shape)
        zero = xp.zeros((), dtype=x.dtype)
        if p == 1:
            return g * xp.sign(x), None, None, None
        if p in (math.inf, -math.inf):
            winners = xp.abs(x) == z
            return g * xp.sign(x) * winners / xp.sum(winners, axis=ctx.axes, keepdims=True), None, None, None
        safe_z = xp.where(z == 0, 1, z)
        if p == 2:
            gx = g * x / safe_z
        else:
            a = xp.abs(xp.where(x == 0, 1, x))
            gx = g * xp.sign(x) * a ** (p - 1) / safe_z ** (p - 1)
        return xp.where((z == 0) | (x == 0), zero, gx), None, None, None
