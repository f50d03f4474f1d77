r"""Batch normalisation in training mode: normalise each channel with the batch's own statistics.

For x (N, C, L) (an image batch (N, C, H, W) is seen as L = H*W), channel c has M = N*L values:

    mean = (1/M) sum x,     var = (1/M) sum (x - mean)^2,     rstd = 1 / sqrt(var + eps)
    xhat = (x - mean) rstd,     y = weight_c xhat + bias_c

Backward (g = dL/dy).  The parameters: dbias_c = sum g,  dweight_c = sum g xhat.
The input: every x of the channel moved mean and var, so besides the direct path
(weight rstd g) two sums flow back; with gh = weight_c g = dL/dxhat,

    dmean/dx = 1/M,     dvar/dx = 2 (x - mean) / M,     drstd/dx = -rstd^3 (x - mean) / M
    dL/dx = rstd (gh - mean(gh) - xhat mean(gh xhat))
          = weight_c rstd (g - dbias_c / M - xhat dweight_c / M)

-- the layer-norm formula (ops/normalization.py) with the roles of the axes swapped: layer norm
averages over the features of one sample, batch norm over the samples (and pixels) of one feature.

The running estimates that evaluation uses are updated here too, in place, as PyTorch does:

    running_mean = (1 - momentum) running_mean + momentum mean
    running_var  = (1 - momentum) running_var  + momentum var * M / (M - 1)    (the unbiased variance)

In evaluation mode (``F.batch_norm(training=False)``) the statistics are constants, so y is a plain
elementwise affine function of x, written with ordinary tensor ops (nn/functional.py).
"""
from minigrad.autograd.function import Op


class BatchNorm(Op):
    """y = weight (x - mean) / sqrt(var + eps) + bias with the batch's per-channel mean and var.

    x (N, C, ...); weight, bias (C,) or None; running_mean, running_var (C,) arrays updated in
    place (or None)."""

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, momentum, eps):
        backend, xp = ctx.backend, ctx.backend.xp
        n, c = x.shape[0], x.shape[1]
        x3 = xp.ascontiguousarray(x.reshape(n, c, -1))
        m = x3.shape[0] * x3.shape[2]
        w = weight if weight is not None else xp.ones(c, dtype=x.dtype)
        b = bias if bias is not None else xp.zeros(c, dtype=x.dtype)
        y, mean, var = backend.batch_norm(x3, w, b, eps)
        if running_mean is not None:
            running_mean[...] = (1 - momentum) * running_mean + momentum * mean
        if running_var is not None:
            running_var[...] = (1 - momentum) * running_var + momentum * var * (m / (m - 1))
        if ctx.needs_input_grad:
            ctx.save_for_backward(x3, mean, var, w)
            ctx.eps, ctx.x_shape = eps, x.shape
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x3, mean, var, w = ctx.saved_tensors
        g3 = ctx.backend.xp.ascontiguousarray(g.reshape(x3.shape))
        dx, dweight, dbias = ctx.backend.batch_norm_backward(g3, x3, mean, var, w, ctx.eps)
        needs = ctx.needs_input_grad
        return (dx.reshape(ctx.x_shape), dweight if needs[1] else None, dbias if needs[2] else None,
                None, None, None, None)
