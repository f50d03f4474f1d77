"""The CPU backend: every course formula written in vectorised NumPy.

Each method is the reference formula for the op that calls it; the op's docstring holds the
derivation.  The GPU backend (``cuda_backend.py``) has the same methods, implemented by the
CUDA kernels of ``kernels/``.  All arrays here are ``numpy.ndarray``.

These methods are also the one NumPy reference the kernels are checked against (every version
and block size, in tests/kernels and ``python -m kernels.<family>``, on float64 copies of the
inputs): ``kernels/`` keeps no second copy of any formula.
"""
import math

import numpy as np

# Row reductions over the last axis, used by the row formulas below (softmax, layer norm).  On short
# rows (a 48-key attention row, a 64-wide layer-norm row) NumPy's x.max(-1) and x.sum(-1) spend most
# of their time starting and stopping their loop once per row; these spellings give the same
# numbers 2.5x (max) and 4x (sums, einsum's loop) faster.  einsum adds in one running sum per
# SIMD lane, which on rows of a million numbers drifts (~1e-5) where NumPy's pairwise x.sum(-1)
# stays at float32 rounding: so long rows keep x.sum(-1) (on them it is fast anyway).
_SHORT_ROW = 1024


def _row_max(x):
    """max over the last axis, keeping it (length 1)."""
    if x.dtype.kind != "f":
        return x.max(axis=-1, keepdims=True)
    return np.maximum.reduce(x, axis=-1, keepdims=True, initial=-np.inf)


def _row_sum(x):
    """sum over the last axis, keeping it (length 1)."""
    if x.shape[-1] > _SHORT_ROW:
        return x.sum(axis=-1, keepdims=True)
    return np.einsum("...j->...", x)[..., None]


def _row_dot(a, b):
    """sum over the last axis of a * b, keeping it (length 1), without making the array a * b."""
    if a.shape[-1] > _SHORT_ROW:
        return (a * b).sum(axis=-1, keepdims=True)
    return np.einsum("...j,...j->...", a, b)[..., None]


class NumpyBackend:
    name = "cpu"
    xp = np

    # ------------------------------------------------------------------ moving data
    def asarray(self, data, dtype=None):
        return np.asarray(data, dtype=dtype)

    def to_numpy(self, array):
        return array

    # ------------------------------------------------------------------ linear algebra
    def matmul(self, a, b, transpose_a=False, transpose_b=False):
        """C = A @ B over the last two axes, batch axes broadcast (np.matmul semantics)."""
        if transpose_a:
            a = a.mT   # the matrix transpose of the last two axes (a view)
        if transpose_b:
            b = b.mT
        return np.matmul(a, b)

    def sum(self, x, axis=None, keepdims=False):
        return np.add.reduce(x, axis=axis, keepdims=keepdims)  # x.sum(), without the Python layer ndarray.sum adds

    def scatter_add(self, target, index, values):
        """target[index] += values, adding repeated indices up (the backward of indexing)."""
        np.add.at(target, index, values)

    # ------------------------------------------------------------------ activations
    def relu(self, x):
        return np.maximum(x, 0)

    def relu_backward(self, grad, x):
        return grad * (x > 0)

    def sigmoid(self, x):
        # exp(-|x|) never overflows: for x >= 0, 1/(1+e^-x); for x < 0, e^x/(1+e^x).
        # Computed in place and without np.where (both measured several times slower on large arrays),
        # on a 1-D view so that even a 0-d input gives arrays (not scalars) to write into.
        shape, x = x.shape, x.reshape(-1)
        e = np.abs(x)
        np.negative(e, out=e)
        np.exp(e, out=e)                  # e = exp(-|x|), in (0, 1]: cannot overflow
        y = e + 1
        np.reciprocal(y, out=y)           # y = sigmoid(|x|)
        np.multiply(e, y, out=e)          # e = sigmoid(-|x|) = e^-|x| / (1 + e^-|x|)
        y -= e
        y *= x >= 0                       # y = sigmoid(|x|) - sigmoid(-|x|) where x >= 0, else 0
        y += e                            # so y = sigmoid(|x|) for x >= 0 and sigmoid(-|x|) for x < 0
        return y.reshape(shape)

    def sigmoid_backward(self, grad, y):
        return grad * y * (1 - y)

    def tanh(self, x):
        return np.tanh(x)

    def tanh_backward(self, grad, y):
        return grad * (1 - y * y)

    def gelu(self, x, approximate="none"):
        if approximate == "tanh":
            inner = math.sqrt(2 / math.pi) * (x + 0.044715 * (x * x * x))
            return 0.5 * x * (1 + np.tanh(inner))
        return 0.5 * x * (1 + _erf(x / math.sqrt(2)))

    def gelu_backward(self, grad, x, approximate="none"):
        if approximate == "tanh":
            c = math.sqrt(2 / math.pi)
            t = np.tanh(c * (x + 0.044715 * (x * x * x)))
            dinner = c * (1 + 3 * 0.044715 * x * x)
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner)
        cdf = 0.5 * (1 + _erf(x / math.sqrt(2)))
        pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return grad * (cdf + x * pdf)

    # ------------------------------------------------------------------ softmax family (last axis)
    # Each formula makes one new array and works in it in place (``out=``, ``-=``, ``/=``): every
    # temporary of NumPy's one-pass-per-operation style costs a pass over memory and, when large, a
    # fresh allocation from the operating system.
    def softmax(self, x):
        """y = e^(x - max) / sum e^(x - max), rows being the last axis."""
        y = x - _row_max(x)
        np.exp(y, out=y)
        y /= _row_sum(y)
        return y

    def softmax_backward(self, grad, y):
        """gx = y * (g - sum(g * y))."""
        gx = grad - _row_dot(grad, y)
        gx *= y
        return gx

    def masked_softmax(self, x, keep, scale):
        """softmax(scale * x) over the entries of each row where ``keep`` (a bool array that
        broadcasts against x; None = keep all) is True, and 0 where it is False.  A row with nothing
        kept (all -inf after masking) is all 0, not 0/0.  The attention weights: one pass of each
        step, instead of scale, mask, softmax and the two fix-ups of empty rows as separate ops."""
        y = x * scale
        if keep is None:
            return self.softmax(y)
        np.copyto(y, -np.inf, where=~keep)
        peak = _row_max(y)
        peak[peak == -np.inf] = 0         # a row with nothing kept: e^(-inf - 0) = 0, not nan
        y -= peak
        np.exp(y, out=y)
        total = _row_sum(y)
        total[total == 0] = 1             # ... and 0 / 1 = 0
        y /= total
        return y

    def masked_softmax_backward(self, grad, y, scale):
        """gx = scale * y * (g - sum(g * y)): softmax's gradient times the scale (0 where y is)."""
        gx = self.softmax_backward(grad, y)
        if scale != 1:
            gx *= scale
        return gx

    def log_softmax(self, x):
        """y = (x - max) - log sum e^(x - max)."""
        shifted = x - _row_max(x)
        e = np.exp(shifted)
        shifted -= np.log(_row_sum(e))
        return shifted

    def log_softmax_backward(self, grad, y):
        """gx = g - e^y * sum(g)."""
        gx = np.exp(y)
        gx *= -_row_sum(grad)
        gx += grad
        return gx

    # ------------------------------------------------------------------ losses (fused forward + backward)
    def cross_entropy(self, logits, target, ignore_index=-100, label_smoothing=0.0):
        """Per-row loss and d(row loss)/d(logits) for (N, C) logits and (N,) class indices.

        One pass of exp serves both: with s = x - max(x), e = exp(s), S = sum(e):
        log p = s - log S  and  softmax = e / S."""
        n, c = logits.shape
        shifted = logits - _row_max(logits)
        e = np.exp(shifted)
        total = _row_sum(e)
        log_total = np.log(total[:, 0])
        keep = target != ignore_index
        every_row_counts = np.count_nonzero(keep) == n
        safe_target = target if every_row_counts else np.where(keep, target, 0)
        rows = np.arange(n)
        loss = log_total - shifted[rows, safe_target]          # -log p[t]
        grad = np.divide(e, total, out=e)                       # softmax
        grad[rows, safe_target] -= 1
        eps = label_smoothing
        if eps:
            mean_log_p = shifted.sum(axis=1) / c - log_total    # (1/C) sum_j log p_j
            loss = (1 - eps) * loss - eps * mean_log_p
            grad[rows, safe_target] += eps
            grad -= eps / c
        if not every_row_counts:
            loss = loss * keep
            grad *= keep[:, None]
        return loss, grad

    def mse(self, pred, target):
        diff = pred - target
        return diff * diff, 2 * diff

    def hinge(self, scores, y):
        margin = 1 - y * scores
        active = margin > 0
        return np.where(active, margin, 0).astype(scores.dtype, copy=False), np.where(active, -y, 0).astype(scores.dtype, copy=False)

    def multi_margin(self, x, target, p=1, margin=1.0):
        n, c = x.shape
        rows = np.arange(n)
        m = margin - x[rows, target][:, None] + x            # (N, C)
        m[rows, target] = 0
        active = m > 0
        loss = (np.where(active, m, 0) ** p).sum(axis=1) / c
        dterm = np.where(active, p * m ** (p - 1), 0) / c     # d loss / d x_j for j != t
        grad = dterm.astype(x.dtype, copy=True)
        grad[rows, target] = -dterm.sum(axis=1)
        return loss.astype(x.dtype, copy=False), grad

    # ------------------------------------------------------------------ layer norm (rows of a 2-D array)
    def layer_norm(self, x, weight, bias, eps):
        """y = (x - mean) * rstd * w + b per row, rstd = 1 / sqrt(mean((x - mean)^2) + eps)."""
        n = x.shape[1]
        mean = _row_sum(x) / n
        y = x - mean                                       # the one new (rows, n) array, then in place
        rstd = 1 / np.sqrt(_row_dot(y, y) / n + eps)
        y *= rstd
        y *= weight
        y += bias
        return y, mean[:, 0], rstd[:, 0]

    def layer_norm_backward(self, grad, x, mean, rstd, weight):
        """gx = rstd * (gh - mean(gh) - xhat * mean(gh * xhat)) with gh = g * w;
        gw = sum over rows of g * xhat;  gb = sum over rows of g."""
        n = x.shape[1]
        rstd = rstd[:, None]
        xhat = x - mean[:, None]
        xhat *= rstd
        gh = grad * weight
        gx = xhat * (-_row_dot(gh, xhat) / n)
        gx += gh
        gx -= _row_sum(gh) / n
        gx *= rstd
        np.multiply(grad, xhat, out=gh)                    # gh is used up: reuse its memory for g * xhat
        return gx, gh.sum(axis=0), grad.sum(axis=0)

    # ------------------------------------------------------------------ embedding
    def embedding(self, weight, indices):
        return weight[indices]

    def embedding_backward(self, grad, indices, num_embeddings, padding_idx=-1):
        """dW[r] = sum of grad[n] over the n with indices[n] == r; the padding row gets nothing.

        np.add.at adds repeated indices up (in their order).  It is given the table as one flat
        row and one index per number, (index, column) -> index * dim + column: NumPy's loop for
        1-D add.at is 4x faster than its loop over rows, and the additions are the same."""
        dim = grad.shape[1]
        dweight = np.zeros((num_embeddings, dim), dtype=grad.dtype)
        cells = (indices[:, None] * dim + np.arange(dim)).reshape(-1)
        np.add.at(dweight.reshape(-1), cells, grad.reshape(-1))
        if padding_idx >= 0:
            dweight[padding_idx] = 0
        return dweight

    # ------------------------------------------------------------------ optimizer updates (in place)
    def sgd_step(self, param, grad, momentum_buffer, *, lr, momentum, dampening, weight_decay, nesterov, first_step):
        g = grad + weight_decay * param if weight_decay else grad
        if momentum:
            if first_step:
                momentum_buffer[...] = g
            else:
                momentum_buffer *= momentum
                momentum_buffer += (1 - dampening) * g
            g = g + momentum * momentum_buffer if nesterov else momentum_buffer
        param -= lr * g

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, *, step, lr, beta1, beta2, eps, weight_decay,
                  decoupled_weight_decay):
        """m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  param -= lr * m_hat / (sqrt(v_hat) + eps)
        with m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t) — computed in place, with as few
        temporary arrays as possible (this runs on every parameter at every step)."""
        if weight_decay and decoupled_weight_decay:
            param *= 1 - lr * weight_decay
        elif weight_decay:
            grad = grad + weight_decay * param
        exp_avg *= beta1
        exp_avg += (1 - beta1) * grad
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * (grad * grad)
        # sqrt(v_hat) + eps = sqrt(v) / sqrt(1 - b2^t) + eps, and m_hat = m / (1 - b1^t):
        denom = np.sqrt(exp_avg_sq)
        denom *= 1 / math.sqrt(1 - beta2 ** step)
        denom += eps
        update = np.divide(exp_avg, denom, out=denom)
        update *= lr / (1 - beta1 ** step)
        param -= update

    # ------------------------------------------------------------------ convolution, pooling, batch norm
    # (images are NCHW: batch, channels, height, width; every pair is (height, width))
    def im2col(self, x, kernel_size, stride, padding, dilation):
        """The sliding windows of ``x`` (N, C, H, W) laid out as the columns of one matrix.

            cols[(c, i, j), (oy, ox, n)] = x_padded[n, c, oy*sh + i*dh, ox*sw + j*dw]

        shape (C*kh*kw, OH*OW*N): row (c, i, j) is "tap (i, j) of channel c", column (oy, ox, n)
        is "the window of output pixel (oy, ox) of image n".  A convolution is then one matmul,
        W (O, C*kh*kw) @ cols.  x_padded is x with ``padding`` zeros on each side, and
        OH = (H + 2 ph - dh (kh - 1) - 1) // sh + 1 (OW alike).

        The batch is the *last* (fastest) index of a column: x is first copied into a padded
        (C, H, W, N) array, and then every copy moves runs of N (or OW*N) neighbouring numbers,
        which NumPy does many times faster than runs of OW.  The windows are a strided *view* of
        that array with the 6 axes (c, i, j, oy, ox, n); the final reshape copies it into the matrix."""
        n, c, h, w = x.shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
        oh, ow = conv_output_size((h, w), kernel_size, stride, padding, dilation)
        padded = np.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=x.dtype)
        padded[:, ph:ph + h, pw:pw + w, :] = x.transpose(1, 2, 3, 0)
        sc, sy, sx, sn = padded.strides
        windows = np.lib.stride_tricks.as_strided(
            padded, shape=(c, kh, kw, oh, ow, n), strides=(sc, dh * sy, dw * sx, sh * sy, sw * sx, sn),
            writeable=False)
        return windows.reshape(c * kh * kw, oh * ow * n)

    def col2im(self, cols, x_shape, kernel_size, stride, padding, dilation):
        """The adjoint of ``im2col``: every entry of cols is added back to the input pixel it was
        read from (pixels in several windows receive the sum; padding positions are dropped).

            x[n, c, y, x] = sum over (i, j, oy, ox) with oy*sh + i*dh - ph = y, ox*sw + j*dw - pw = x
                            of cols[(c, i, j), (oy, ox, n)]

        This is the backward of im2col, and with cols = W^T @ g it is the *transposed convolution*
        that gives a convolution's input gradient.  NumPy: one strided slice-add per tap (i, j),
        into a padded (C, H, W, N) array (long contiguous runs again), then back to (N, C, H, W)."""
        n, c, h, w = x_shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
        oh, ow = conv_output_size((h, w), kernel_size, stride, padding, dilation)
        taps = cols.reshape(c, kh, kw, oh, ow, n)
        padded = np.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=cols.dtype)
        for i in range(kh):
            for j in range(kw):
                rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
                columns = slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)
                padded[:, rows, columns, :] += taps[:, i, j]
        return np.ascontiguousarray(padded[:, ph:ph + h, pw:pw + w, :].transpose(3, 0, 1, 2))

    def max_pool2d(self, x, kernel_size, stride, padding, dilation, out_size):
        """y[n, c, oy, ox] = max of x over the window of (oy, ox), and the flat index y*W + x of the
        winner in its channel (PyTorch's ``indices``), int64.  Positions outside x (padding, and
        the extra row/column ceil_mode asks for) never win: they are padded with -inf.  Ties go to
        the first tap of the window in row-major order; a NaN wins (NaN propagates).

        NumPy: one strided view of x per tap (i, j); the max is a running np.maximum over the taps,
        and the winner the first tap equal to it (each found with a few whole-array operations --
        much faster than an argmax over a short last axis)."""
        n, c, h, w = x.shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
        oh, ow = out_size
        bottom = max(0, (oh - 1) * sh + dh * (kh - 1) + 1 - h - ph)  # the rows ceil_mode reaches below x
        right = max(0, (ow - 1) * sw + dw * (kw - 1) + 1 - w - pw)
        padded = x
        if ph or pw or bottom or right:
            padded = np.pad(x, ((0, 0), (0, 0), (ph, bottom), (pw, right)), constant_values=-np.inf)
        top, left = np.arange(oh) * sh - ph, np.arange(ow) * sw - pw    # where each window starts in x
        taps = []                                                        # (view, offset in x, inside x?)
        for i in range(kh):
            for j in range(kw):
                view = padded[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
                inside = None
                if padded is not x:   # a padding position may never win, not even a tie with an input -inf
                    rows, columns = top + i * dh, left + j * dw
                    inside = ((rows >= 0) & (rows < h))[:, None] & ((columns >= 0) & (columns < w))[None, :]
                taps.append((view, i * dh * w + j * dw, inside))
        y = taps[0][0].copy()
        for view, _, _ in taps[1:]:
            np.maximum(y, view, out=y)
        has_nan = np.isnan(y).any()
        indices = np.broadcast_to(top[:, None] * w + left[None, :], y.shape).copy()
        found = np.zeros(y.shape, dtype=bool)
        for view, offset, inside in taps:
            hit = view == y
            if has_nan:
                hit |= np.isnan(view)
            if inside is not None:
                hit &= inside
            hit &= ~found          # only the first tap that reaches the max
            found |= hit
            if offset:
                indices += hit * offset
        return y, indices

    def max_pool2d_backward(self, grad, indices, x_shape, kernel_size, stride, padding, dilation):
        """dx[n, c, indices[n, c, oy, ox]] += grad[n, c, oy, ox]: each output's gradient goes to the
        one input that won its window (an input that won several windows gets their sum).  The
        indices say everything here; the window geometry is for the GPU, whose kernel visits, for
        each input pixel, the windows that contain it."""
        n, c, h, w = x_shape
        plane = np.arange(n * c, dtype=np.int64).reshape(n, c, 1, 1) * (h * w)
        dx = np.bincount((indices + plane).reshape(-1), weights=grad.reshape(-1), minlength=n * c * h * w)
        return dx.astype(grad.dtype, copy=False).reshape(x_shape)

    def batch_norm(self, x, weight, bias, eps):
        """Batch normalisation with the batch's own statistics, for x (N, C, L): per channel c,
        over its M = N*L values,

            mean_c = (1/M) sum x,   var_c = (1/M) sum (x - mean_c)^2   (biased),
            y = (x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c.

        Returns (y, mean, var)."""
        mean = x.mean(axis=(0, 2))
        centered = x - mean[:, None]
        var = np.einsum("ncl,ncl->c", centered, centered) / (x.shape[0] * x.shape[2])
        scale = weight / np.sqrt(var + eps)
        centered *= scale[:, None]
        centered += bias[:, None]
        return centered, mean, var

    def batch_norm_backward(self, grad, x, mean, var, weight, eps):
        """Gradients of ``batch_norm`` (g = dL/dy, xhat = (x - mean) rstd, M values per channel):

            dbias_c = sum g,   dweight_c = sum g * xhat,
            dx = weight_c rstd_c (g - dbias_c / M - xhat dweight_c / M)

        (the two subtracted terms are the gradient through the batch mean and the batch variance:
        every value of the channel moved them).  Returns (dx, dweight, dbias)."""
        m = x.shape[0] * x.shape[2]
        rstd = 1 / np.sqrt(var + eps)
        xhat = (x - mean[:, None]) * rstd[:, None]
        dbias = grad.sum(axis=(0, 2))
        dweight = np.einsum("ncl,ncl->c", grad, xhat)
        xhat *= (dweight / m)[:, None]
        dx = grad - (dbias / m)[:, None]
        dx -= xhat
        dx *= (weight * rstd)[:, None]
        return dx, dweight, dbias

    # ------------------------------------------------------------------ int8 linear (quantized inference)
    def int8_linear(self, x_q, w_q, x_scale, w_scale, bias):
        """y[n, j] = (sum_k x_q[n, k] w_q[j, k]) * x_scale * w_scale[j] + bias[j].

        ``x_q`` (N, K) and ``w_q`` (M, K) are int8; their products are summed in int32, exactly (each
        product is at most 127^2 = 16,129, so the sum cannot overflow before K = 133,000).  ``x_scale`` is a
        0-d array, ``w_scale`` and ``bias`` (M,) arrays, all of the output's float dtype.

        NumPy has no integer BLAS: its int32 ``matmul`` is a plain loop, about 2x slower than ``einsum``'s
        (measured on (5000, 64) x (64, 192)), and both are 7-15x slower than a float32 BLAS product of
        the same shape -- so on the CPU an int8 model saves bytes, not time."""
        acc = np.einsum("nk,mk->nm", x_q.astype(np.int32), w_q.astype(np.int32))
        return acc.astype(w_scale.dtype) * (x_scale * w_scale) + bias


def conv_output_size(size, kernel_size, stride, padding, dilation):
    """(OH, OW) of a convolution or pooling window sliding over ``size`` = (H, W):
    OH = floor((H + 2 ph - dh (kh - 1) - 1) / sh) + 1, the number of window positions that fit."""
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                 for n, k, s, p, d in zip(size, kernel_size, stride, padding, dilation))


def _erf(x):
    """The error function, elementwise.  NumPy has none, so Python's exact ``math.erf`` is
    compiled into a NumPy ufunc with ``numba.vectorize`` on first use (about a second, once).
    Only ``numba`` itself is imported here, never ``numba.cuda``, so choosing "cuda" or
    "cudasim" later is unaffected."""
    global _erf_ufunc
    if _erf_ufunc is None:
        import numba

        def erf(value):
            return math.erf(value)

        _erf_ufunc = numba.vectorize(["float32(float32)", "float64(float64)"])(erf)
    return _erf_ufunc(x)


_erf_ufunc = None
