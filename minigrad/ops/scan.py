"""Cumulative sums and products along one axis (scans).

Cumulative sum   z_k = sum_{i<=k} x_i.
    Each x_i appears in every z_k with k >= i, so  gx_i = sum_{k>=i} g_k:
    the cumulative sum of g taken from the end (flip, cumsum, flip).

Cumulative product   z_k = prod_{i<=k} x_i.
    dz_k/dx_i = prod_{j<=k, j!=i} x_j  for k >= i, so   gx_i = sum_{k>=i} g_k prod_{j<=k, j!=i} x_j.
    When no x_j is 0 this is  sum_{k>=i} g_k z_k / x_i  (a reversed cumsum of g z, divided by x_i).
    With zeros that division is 0/0, so (as PyTorch does) each slice is split at its first zero,
    at position f:
      * i < f:  x_i != 0 and the formula above holds (every z_k with k >= f is 0 anyway);
      * i = f:  gx_f = sum_{k>=f} g_k prod_{j<=k, j!=f} x_j = sum_{k>=f} g_k w_k, where w is the
                cumulative product of x with x_f replaced by 1;
      * i > f:  every product still contains x_f = 0, so gx_i = 0.
"""
from minigrad.autograd.function import Op


def _reverse_cumsum(xp, a, axis):
    return xp.flip(xp.cumsum(xp.flip(a, axis), axis), axis)


class CumSum(Op):
    """z = cumsum(x) along ``dim``.    gx = reversed cumsum of g."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return ctx.backend.xp.cumsum(x, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return _reverse_cumsum(ctx.backend.xp, g, ctx.dim), None


class CumProd(Op):
    """z = cumprod(x) along ``dim``.    gx: see the module docstring (exact with zeros)."""

    @staticmethod
    def forward(ctx, x, dim):
        z = ctx.backend.xp.cumprod(x, axis=dim)
        ctx.save_for_backward(x, z)
        ctx.dim = dim
        return z

    @staticmethod
    def backward(ctx, g):
        x, z = ctx.saved_tensors
        xp, dim = ctx.backend.xp, ctx.dim
        n = x.shape[dim]
        is_zero = x == 0
        if not is_zero.any():
            return _reverse_cumsum(xp, g * z, dim) / x, None
        # position of each slice's first zero (n where the slice has none)
        first = xp.where(is_zero.any(axis=dim, keepdims=True), xp.argmax(is_zero, axis=dim, keepdims=True), n)
        position = xp.arange(n).reshape([n if a == dim else 1 for a in range(x.ndim)])
        before, at = position < first, position == first
        safe_x = xp.where(before, x, 1)
        grad_before = _reverse_cumsum(xp, g * z, dim) / safe_x
        w = xp.cumprod(xp.where(at, 1, x), axis=dim)
        grad_at = xp.sum(xp.where(position >= first, g * w, 0), axis=dim, keepdims=True)
        zero = xp.zeros((), dtype=g.dtype)
        return xp.where(before, grad_before, xp.where(at, grad_at, zero)), None
