"""The backend of device "cpu": NumpyBackend's formulas, with layer norm, the attention softmax
and Adam's update run by compiled loops.

``NumpyBackend`` (numpy_backend.py) is every course formula in vectorised NumPy, and it stays
the one reference: the GPU kernels and the tests are checked against it.  ``CpuBackend`` is what
tensors on "cpu" actually use.  It inherits every formula, and replaces only those that NumPy
cannot fuse, where a compiled loop (cpu_kernels.py, Numba) computes *the same formula* in one
pass over the data instead of one pass per NumPy operation.  tests/test_cpu_kernels.py holds
each replacement equal to its NumPy formula (to float32 rounding), on awkward shapes and values.

Inputs the loops do not cover (float16, empty rows, strided optimizer state) go to the NumPy
formula.
"""
import math

import numpy as np

from minigrad.backends.numpy_backend import NumpyBackend

_COMPILED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _kernels():
    """cpu_kernels, imported on first use (importing Numba takes a moment)."""
    from minigrad.backends import cpu_kernels
    return cpu_kernels


class CpuBackend(NumpyBackend):
    name = "cpu"

    def layer_norm(self, x, weight, bias, eps):
        """NumpyBackend.layer_norm, by cpu_kernels.layer_norm_rows."""
        if x.dtype not in _COMPILED_DTYPES or x.shape[1] == 0:
            return super().layer_norm(x, weight, bias, eps)
        rows = x.shape[0]
        y = np.empty_like(x)
        mean, rstd = np.empty(rows, dtype=x.dtype), np.empty(rows, dtype=x.dtype)
        _kernels().layer_norm_rows(np.ascontiguousarray(x), np.ascontiguousarray(weight, dtype=x.dtype),
                                   np.ascontiguousarray(bias, dtype=x.dtype), float(eps), y, mean, rstd)
        return y, mean, rstd

    def layer_norm_backward(self, grad, x, mean, rstd, weight):
        """NumpyBackend.layer_norm_backward, by cpu_kernels.layer_norm_backward_rows."""
        if x.dtype not in _COMPILED_DTYPES or grad.dtype != x.dtype or x.shape[1] == 0:
            return super().layer_norm_backward(grad, x, mean, rstd, weight)
        gx = np.empty_like(x)
        gw, gb = np.empty(x.shape[1], dtype=x.dtype), np.empty(x.shape[1], dtype=x.dtype)
        _kernels().layer_norm_backward_rows(np.ascontiguousarray(grad), np.ascontiguousarray(x), mean, rstd,
                                            np.ascontiguousarray(weight, dtype=x.dtype), gx, gw, gb)
        return gx, gw, gb

    def masked_softmax(self, x, keep, scale):
        """NumpyBackend.masked_softmax: masking, scale and max by cpu_kernels.shifted_masked_rows,
        NumPy's exp, then cpu_kernels.normalize_rows."""
        if keep is None or x.dtype not in _COMPILED_DTYPES or x.size == 0:
            return super().masked_softmax(x, keep, scale)
        n = x.shape[-1]
        rows = np.ascontiguousarray(x).reshape(-1, n)
        keep_rows = np.broadcast_to(keep, x.shape).reshape(-1, n)   # a copy only if keep was broadcast
        y = np.empty_like(rows)
        kernels = _kernels()
        kernels.shifted_masked_rows(rows, keep_rows, x.dtype.type(scale), x.dtype.type(-np.inf), y)
        np.exp(y, out=y)
        kernels.normalize_rows(y)
        return y.reshape(x.shape)

    def masked_softmax_backward(self, grad, y, scale):
        """NumpyBackend.masked_softmax_backward, by cpu_kernels.softmax_backward_rows."""
        if y.dtype not in _COMPILED_DTYPES or grad.dtype != y.dtype or y.size == 0:
            return super().masked_softmax_backward(grad, y, scale)
        n = y.shape[-1]
        gx = np.empty(y.shape, dtype=y.dtype)
        _kernels().softmax_backward_rows(np.ascontiguousarray(grad).reshape(-1, n), np.ascontiguousarray(y).reshape(-1, n),
                                         float(scale), gx.reshape(-1, n))
        return gx

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, *, step, lr, beta1, beta2, eps, weight_decay,
                  decoupled_weight_decay):
        """NumpyBackend.adam_step, by cpu_kernels.adam_update (one pass instead of ~13)."""
        arrays = (param, grad, exp_avg, exp_avg_sq)
        if param.dtype not in _COMPILED_DTYPES or any(a.dtype != param.dtype or not a.flags.c_contiguous
                                                      for a in arrays):
            return super().adam_step(param, grad, exp_avg, exp_avg_sq, step=step, lr=lr, beta1=beta1, beta2=beta2,
                                     eps=eps, weight_decay=weight_decay, decoupled_weight_decay=decoupled_weight_decay)
        scalar = param.dtype.type
        decay = 1 - lr * weight_decay if decoupled_weight_decay else 1.0
        l2 = 0.0 if decoupled_weight_decay else weight_decay
        _kernels().adam_update(*(a.reshape(-1) for a in arrays), scalar(beta1), scalar(beta2),
                               scalar(lr / (1 - beta1 ** step)), scalar(1 / math.sqrt(1 - beta2 ** step)),
                               scalar(eps), scalar(l2), scalar(decay))
