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
            a = a.swapaxes(-1, -2)
        if transpose_b:
            b = b.swapaxes(-1, -2)
        return np.matmul(a, b)

    def sum(self, x, axis=None, keepdims=False):
        return x.sum(axis=axis, keepdims=keepdims)

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
    def softmax(self, x):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def softmax_backward(self, grad, y):
        return y * (grad - (grad * y).sum(axis=-1, keepdims=True))

    def log_softmax(self, x):
        shifted = x - x.max(axis=-1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))

    def log_softmax_backward(self, grad, y):
        return grad - np.exp(y) * grad.sum(axis=-1, keepdims=True)

    # ------------------------------------------------------------------ losses (fused forward + backward)
    def cross_entropy(self, logits, target, ignore_index=-100, label_smoothing=0.0):
        """Per-row loss and d(row loss)/d(logits) for (N, C) logits and (N,) class indices.

        One pass of exp serves both: with s = x - max(x), e = exp(s), S = sum(e):
        log p = s - log S  and  softmax = e / S."""
        n, c = logits.shape
        shifted = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        log_total = np.log(total[:, 0])
        keep = target != ignore_index
        every_row_counts = keep.all()
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
        mean = x.mean(axis=1)
        centered = x - mean[:, None]
        rstd = 1 / np.sqrt((centered * centered).mean(axis=1) + eps)
        y = centered * rstd[:, None] * weight + bias
        return y, mean, rstd

    def layer_norm_backward(self, grad, x, mean, rstd, weight):
        xhat = (x - mean[:, None]) * rstd[:, None]
        g = grad * weight
        dx = rstd[:, None] * (g - g.mean(axis=1, keepdims=True) - xhat * (g * xhat).mean(axis=1, keepdims=True))
        return dx, (grad * xhat).sum(axis=0), grad.sum(axis=0)

    # ------------------------------------------------------------------ embedding
    def embedding(self, weight, indices):
        return weight[indices]

    def embedding_backward(self, grad, indices, num_embeddings, padding_idx=-1):
        dweight = np.zeros((num_embeddings, grad.shape[1]), dtype=grad.dtype)
        np.add.at(dweight, indices, grad)
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
