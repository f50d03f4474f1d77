r"""Convolution as im2col + matmul, and its backward as two more matmuls and a col2im.

Forward (2-D; Conv1d is the case H = 1).  Input x (N, C, H, W), weight W (O, C/G, kh, kw) in G
groups, output y (N, O, OH, OW):

    y[n, o, oy, ox] = b[o] + sum_{c in group(o), i, j} W[o, c, i, j] * x_pad[n, c, oy*sh + i*dh, ox*sw + j*dw]

Every output pixel reads one window of the input.  ``im2col`` (a backend formula) copies the
windows into the columns of one matrix, cols (C*kh*kw, OH*OW*N), so that the sum above becomes a
single matrix product per group:

    Y_g = W_g @ cols_g          W_g: (O/G, C/G*kh*kw),  cols_g: (C/G*kh*kw, OH*OW*N)

(a column is one output pixel of one image, ordered (oy, ox, n): the batch index runs fastest,
which makes the copies fast on the CPU; numpy_backend.im2col says why).

Backward (g = dL/dy, laid out the same way as G_g: (O/G, OH*OW*N)).  Y_g = W_g cols_g is a
matmul, so (lesson 01):

    dL/dW_g    = G_g @ cols_g^T            a *correlation* of the input with the output gradient:
                                           dW[o, c, i, j] = sum_{n, oy, ox} g[n, o, oy, ox] x_pad[n, c, oy*sh + i*dh, ...]
    dL/dcols_g = W_g^T @ G_g               then every column entry goes back to the pixel it was read
    dL/dx      = col2im(dL/dcols)          from (col2im, the adjoint of im2col).

The last two lines together are the *transposed convolution*: each output gradient is spread back
over its window, weighted by W.  For stride 1 it equals a plain convolution of g (padded by
d*(k-1) - p) with the weight flipped in space and its in/out channels swapped; for stride s it is
the same on g with s - 1 zeros inserted between its pixels.  The bias gradient sums g over
everything but the channel.

``unfold`` / ``fold`` (``F.unfold``, ``F.fold``) expose im2col and col2im themselves, in PyTorch's
layout (N, C*kh*kw, L).  They are adjoint: the backward of one is the other.
"""
from minigrad.autograd.function import Op
from minigrad.backends.numpy_backend import conv_output_size


class Conv2d(Op):
    """y = conv2d(x, W) + b with stride, padding, dilation and groups (formulas: module docstring).

    x (N, C, H, W), W (O, C/G, kh, kw), b (O,) or None; the pairs are (height, width) ints."""

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        backend, xp = ctx.backend, ctx.backend.xp
        n, c, h, w = x.shape
        o, c_per_group, kh, kw = weight.shape
        oh, ow = conv_output_size((h, w), (kh, kw), stride, padding, dilation)
        cols = backend.im2col(x, (kh, kw), stride, padding, dilation)            # (C*kh*kw, OH*OW*N)
        w_g = weight.reshape(groups, o // groups, c_per_group * kh * kw)
        cols_g = cols.reshape(groups, c_per_group * kh * kw, oh * ow * n)
        y = backend.matmul(w_g, cols_g)                                          # (G, O/G, OH*OW*N)
        y = xp.ascontiguousarray(y.reshape(o, oh, ow, n).transpose(3, 0, 1, 2))  # (N, O, OH, OW)
        if bias is not None:
            y += bias.reshape(1, o, 1, 1)
        needs = ctx.needs_input_grad
        if needs:
            ctx.save_for_backward(cols_g if needs[1] else None, w_g if needs[0] else None)
            ctx.geometry = (x.shape, weight.shape, stride, padding, dilation, groups)
        return y

    @staticmethod
    def backward(ctx, g):
        backend, xp = ctx.backend, ctx.backend.xp
        cols_g, w_g = ctx.saved_tensors
        x_shape, w_shape, stride, padding, dilation, groups = ctx.geometry
        o, _, kh, kw = w_shape
        g_g = xp.ascontiguousarray(g.transpose(1, 2, 3, 0)).reshape(groups, o // groups, -1)  # (G, O/G, OH*OW*N)
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            grad_cols = backend.matmul(w_g, g_g, transpose_a=True)               # (G, C/G*kh*kw, OH*OW*N)
            gx = backend.col2im(grad_cols.reshape(-1, grad_cols.shape[-1]), x_shape, (kh, kw), stride, padding,
                                dilation)
        if ctx.needs_input_grad[1]:
            gw = backend.matmul(g_g, cols_g, transpose_b=True).reshape(w_shape)  # (G, O/G, C/G*kh*kw)
        if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]:
            gb = backend.sum(g_g, axis=2).reshape(o)
        return gx, gw, gb, None, None, None, None


class Unfold(Op):
    """cols[n, (c, i, j), l] = x_pad[n, c, window l's tap (i, j)]  (``F.unfold``: im2col, PyTorch layout).

    Backward: the adjoint, col2im: each gradient entry is added to the pixel it was copied from."""

    @staticmethod
    def forward(ctx, x, kernel_size, dilation, padding, stride):
        n = x.shape[0]
        cols = ctx.backend.im2col(x, kernel_size, stride, padding, dilation)      # (C*kh*kw, L*N)
        ctx.geometry = (x.shape, kernel_size, stride, padding, dilation)
        return ctx.backend.xp.ascontiguousarray(cols.reshape(cols.shape[0], -1, n).transpose(2, 0, 1))

    @staticmethod
    def backward(ctx, g):
        x_shape, kernel_size, stride, padding, dilation = ctx.geometry
        cols = ctx.backend.xp.ascontiguousarray(g.transpose(1, 2, 0)).reshape(g.shape[1], -1)
        return ctx.backend.col2im(cols, x_shape, kernel_size, stride, padding, dilation), None, None, None, None


class Fold(Op):
    """x[n, c, y, x] = sum of the cols entries that unfold would have copied from (y, x)  (``F.fold``: col2im).

    Backward: the adjoint, im2col: each pixel's gradient is copied to every entry that summed into it."""

    @staticmethod
    def forward(ctx, cols, x_shape, kernel_size, dilation, padding, stride):
        ctx.geometry = (x_shape, kernel_size, stride, padding, dilation)
        flat = ctx.backend.xp.ascontiguousarray(cols.transpose(1, 2, 0)).reshape(cols.shape[1], -1)
        return ctx.backend.col2im(flat, x_shape, kernel_size, stride, padding, dilation)

    @staticmethod
    def backward(ctx, g):
        x_shape, kernel_size, stride, padding, dilation = ctx.geometry
        cols = ctx.backend.im2col(g, kernel_size, stride, padding, dilation)
        grad = ctx.backend.xp.ascontiguousarray(cols.reshape(cols.shape[0], -1, x_shape[0]).transpose(2, 0, 1))
        return grad, None, None, None, None, None
