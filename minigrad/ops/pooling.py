r"""Pooling: a fixed (not learned) summary of each window -- its maximum or its average.

Max pooling.  y[n, c, oy, ox] = max over the window of (oy, ox) of x[n, c, ., .].
The max is locally just one of its inputs (the winner, whose position is kept as ``indices``),
so its derivative is 1 for the winner and 0 for the rest of the window:

    dL/dx[n, c, p] = sum over the outputs whose winner is p of g[n, c, oy, ox]

(an input can win several overlapping windows and then collects all their gradients).

Average pooling.  y = (1 / divisor) * sum over the window of x, where the divisor is the window
size (``count_include_pad=True``: padding zeros count), or only the real pixels it covers
(``count_include_pad=False``), or ``divisor_override``.  The sum over a window is exactly what
im2col lays out as one column, so

    y = sum over the rows of im2col(x) / divisor,     dL/dx = col2im(g / divisor copied to every row):

each input receives g / divisor from every window it sits in.
"""
from minigrad.autograd.function import Op
from minigrad.backends.numpy_backend import conv_output_size


class MaxPool2d(Op):
    """y = max over each window; backward routes g to each window's winner (module docstring).

    ``out_size`` (OH, OW) is given by the caller (it depends on ceil_mode).  ``indices_box``: a list
    the int64 winner indices are appended to, when the caller wants them (``return_indices``)."""

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, dilation, out_size, indices_box):
        y, indices = ctx.backend.max_pool2d(x, kernel_size, stride, padding, dilation, out_size)
        if indices_box is not None:
            indices_box.append(indices)
        ctx.save_for_backward(indices)
        ctx.geometry = (x.shape, kernel_size, stride, padding, dilation)
        return y

    @staticmethod
    def backward(ctx, g):
        (indices,) = ctx.saved_tensors
        return ctx.backend.max_pool2d_backward(g, indices, *ctx.geometry), None, None, None, None, None, None


class AvgPool2d(Op):
    """y = sum over each window / divisor, through im2col; backward through col2im (module docstring).

    ``extra`` = (rows, columns) of zeros added below and to the right of x before the windows are
    taken (what ceil_mode needs); ``divisor``: a number, or an (OH, OW) array, one per window."""

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, extra, divisor):
        backend, xp = ctx.backend, ctx.backend.xp
        n, c, h, w = x.shape
        planes = x.reshape(n * c, 1, h, w)          # every channel is pooled on its own
        if extra != (0, 0):
            planes = xp.pad(planes, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))
        cols = backend.im2col(planes, kernel_size, stride, padding, (1, 1))      # (kh*kw, OH*OW*N*C)
        oh, ow = conv_output_size(planes.shape[2:], kernel_size, stride, padding, (1, 1))
        sums = backend.sum(cols, axis=0).reshape(oh, ow, n * c)
        y = (sums / _per_window(divisor)).astype(x.dtype, copy=False)
        ctx.geometry = (planes.shape, x.shape, kernel_size, stride, padding, divisor)
        return xp.ascontiguousarray(y.transpose(2, 0, 1)).reshape(n, c, oh, ow)

    @staticmethod
    def backward(ctx, g):
        backend, xp = ctx.backend, ctx.backend.xp
        planes_shape, x_shape, kernel_size, stride, padding, divisor = ctx.geometry
        n, c, oh, ow = g.shape
        g_lnc = g.reshape(n * c, oh, ow).transpose(1, 2, 0)                       # (OH, OW, N*C), like cols
        share = (g_lnc / _per_window(divisor)).astype(g.dtype, copy=False).reshape(1, -1)  # each window's g / divisor
        cols = xp.ascontiguousarray(xp.broadcast_to(share, (kernel_size[0] * kernel_size[1], share.shape[1])))
        planes = backend.col2im(cols, planes_shape, kernel_size, stride, padding, (1, 1))
        gx = planes[:, :, :x_shape[2], :x_shape[3]].reshape(x_shape)
        return gx, None, None, None, None, None



def _per_window(divisor):
    """The divisor as something that broadcasts against (OH, OW, N*C): a number, or (OH, OW, 1)."""
    return divisor[:, :, None] if hasattr(divisor, "shape") else divisor
