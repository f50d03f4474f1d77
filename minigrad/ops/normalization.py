"""Layer normalisation over the last axes (``normalized_shape``).

For one row x of n numbers:
    mu = mean(x),   rstd = 1 / sqrt(var(x) + eps),   xhat = (x - mu) rstd,   y = w * xhat + b

Backward (g = dL/dy, and gh = g * w = dL/dxhat):
    gw = sum over rows of g * xhat          gb = sum over rows of g
    gx = rstd * (gh - mean(gh) - xhat * mean(gh * xhat))
The two mean terms are the gradient flowing through mu and through rstd: moving one x_i
moves the mean and the spread of the whole row.
"""
from minigrad.autograd.function import Op


class LayerNorm(Op):
    """y = w * (x - mean) / sqrt(var + eps) + b over the last ``n_norm`` axes."""

    @staticmethod
    def forward(ctx, x, weight, bias, n_norm, eps):
        xp = ctx.backend.xp
        width = 1
        for n in x.shape[x.ndim - n_norm:]:
            width *= n
        x2 = xp.ascontiguousarray(x.reshape(-1, width))
        w = weight.reshape(-1) if weight is not None else xp.ones(width, dtype=x.dtype)
        b = bias.reshape(-1) if bias is not None else xp.zeros(width, dtype=x.dtype)
        y, mean, rstd = ctx.backend.layer_norm(x2, w, b, eps)
        ctx.save_for_backward(x2, mean, rstd, w)
        ctx.x_shape = x.shape
        ctx.w_shape = None if weight is None else weight.shape
        ctx.b_shape = None if bias is None else bias.shape
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x2, mean, rstd, w = ctx.saved_tensors
        g2 = ctx.backend.xp.ascontiguousarray(g.reshape(x2.shape))
        gx, gw, gb = ctx.backend.layer_norm_backward(g2, x2, mean, rstd, w)
        gw = None if ctx.w_shape is None else gw.reshape(ctx.w_shape)
        gb = None if ctx.b_shape is None else gb.reshape(ctx.b_shape)
        return gx.reshape(ctx.x_shape), gw, gb, None, None
