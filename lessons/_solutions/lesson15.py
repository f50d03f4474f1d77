"""Reference solutions of lesson 15's exercises (the notebook ships them as stubs).

Each function has the name of its stub in lessons/_src/15_convolutional_networks.py;
tests/test_check_lesson15.py hands them to minigrad.check.lesson15.
"""
import numpy as np

import minigrad.nn.functional as F


def conv_output_size(n, k, s=1, p=0, d=1):
    """Window positions: the span n + 2p, minus the window's own span d(k - 1) + 1, in steps of s, plus the first."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def im2col(x, k):
    """(C, H, W) -> (C*k*k, OH*OW): row (c, i, j), column (oy, ox) holds x[c, oy + i, ox + j]."""
    c, h, w = x.shape
    oh, ow = h - k + 1, w - k + 1
    cols = np.empty((c, k, k, oh, ow), dtype=x.dtype)
    for i in range(k):
        for j in range(k):
            cols[:, i, j] = x[:, i:i + oh, j:j + ow]
    return cols.reshape(c * k * k, oh * ow)


def conv2d_weight_grad(x, grad_output, kernel_size):
    """dW = sum over images of G_n @ cols_n^T: a correlation of the input with the output gradient."""
    n, o = grad_output.shape[:2]
    cols = F.unfold(x, kernel_size)                                  # (N, C*k*k, L)
    g = grad_output.reshape(n, o, -1)                                # (N, O, L)
    dw = (g @ cols.transpose(1, 2)).sum(0)                           # (O, C*k*k)
    return dw.reshape(o, x.shape[1], kernel_size, kernel_size)
