r"""Softmax and log-softmax over the last axis of a matrix: one block per row.

Formulas (for one row x of length n)
------------------------------------
    m          = max_j x[j]                         (subtracted for safety, changes nothing)
    S          = sum_j exp(x[j] - m)
    softmax    y[j] = exp(x[j] - m) / S
    log_softmax y[j] = x[j] - m - log(S)

Subtracting m is what keeps this exact at logits like 1e4: exp(1e4) overflows
to inf, but exp(x[j] - m) <= exp(0) = 1 always, and S >= 1 (the largest
term is exp(0)), so log(S) never sees zero.

Backward of softmax, step by step
---------------------------------
y[j] depends on every x[k] through S.  Differentiate y[j] = exp(x[j]-m)/S
(m cancels out of the ratio, so treat it as a constant):

    dy[j]/dx[k] = y[j] * (1[j == k] - y[k])          (quotient rule)

Given the upstream gradient g = dL/dy, the chain rule sums over j:

    dL/dx[k] = sum_j g[j] * y[j] * (1[j == k] - y[k])
             = g[k] * y[k] - y[k] * sum_j g[j] * y[j]
             = y[k] * (g[k] - dot),     dot = sum_j g[j] * y[j]

One reduction (dot) per row, then an elementwise formula.

Backward of log_softmax, step by step
-------------------------------------
    y[j] = x[j] - log sum_k exp(x[k])
    dy[j]/dx[k] = 1[j == k] - softmax(x)[k] = 1[j == k] - exp(y[k])
    dL/dx[k] = sum_j g[j] * (1[j == k] - exp(y[k])) = g[k] - exp(y[k]) * sum_j g[j]

Again one reduction (the plain sum of g) per row.  Note the backward takes
the *output* y, not x: the forward already did the expensive work.

Threads and blocks
------------------
    grid  = (rows,)         block i owns row i
    block = (block_size,)   threads stride over the row: thread t handles
                            columns t, t + B, t + 2B, ...  (rows longer than
                            the block are fine)

    row i:  | t0 t1 t2 t3 | t0 t1 t2 t3 | t0 t1 ...       (B = 4 drawn)

Each reduction (max, sum, dot) is the shared-memory tree from reduce.py.

Memory traffic per row of n numbers (the Triton tutorial's napkin math):
the forward reads x three times (max pass, sum pass, write pass) and writes
y once: 3n reads + n writes, all inside one launch, and for rows that fit
in cache (L1/L2) the 2nd and 3rd reads are cheap.  A naive version with one
kernel per step (max, subtract, exp, sum, divide) would move ~5x more data
through global memory.
"""
import math

import numpy as np
from numba import cuda, float64

from kernels._arrays import array_module, check_block_size, check_float_dtype, contiguous
from kernels.reduce import DEFAULT_BLOCK_SIZE, SHARED_BYTES_PER_THREAD, block_max, block_sum


# ---------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------
@cuda.jit(device=True)
def _row_max_and_sum(shared, x, row):
    """Every thread gets (m, S) of the row: its max and sum_j exp(x[j] - m)."""
    t = cuda.threadIdx.x
    n = x.shape[1]
    local_max = -math.inf
    for j in range(t, n, cuda.blockDim.x):
        local_max = max(local_max, float64(x[row, j]))
    row_max = block_max(shared, local_max)
    local_sum = 0.0
    for j in range(t, n, cuda.blockDim.x):
        local_sum += math.exp(x[row, j] - row_max)
    row_sum = block_sum(shared, local_sum)
    return row_max, row_sum


@cuda.jit
def softmax_forward_kernel(x, y):
    shared = cuda.shared.array(0, dtype=float64)
    row = cuda.blockIdx.x
    row_max, row_sum = _row_max_and_sum(shared, x, row)
    for j in range(cuda.threadIdx.x, x.shape[1], cuda.blockDim.x):
        y[row, j] = math.exp(x[row, j] - row_max) / row_sum


@cuda.jit
def log_softmax_forward_kernel(x, y):
    shared = cuda.shared.array(0, dtype=float64)
    row = cuda.blockIdx.x
    row_max, row_sum = _row_max_and_sum(shared, x, row)
    log_sum = math.log(row_sum)
    for j in range(cuda.threadIdx.x, x.shape[1], cuda.blockDim.x):
        y[row, j] = x[row, j] - row_max - log_sum


@cuda.jit
def softmax_backward_kernel(grad, y, dx):
    shared = cuda.shared.array(0, dtype=float64)
    row = cuda.blockIdx.x
    local_dot = 0.0
    for j in range(cuda.threadIdx.x, y.shape[1], cuda.blockDim.x):
        local_dot += grad[row, j] * y[row, j]
    dot = block_sum(shared, local_dot)
    for j in range(cuda.threadIdx.x, y.shape[1], cuda.blockDim.x):
        dx[row, j] = y[row, j] * (grad[row, j] - dot)


@cuda.jit
def log_softmax_backward_kernel(grad, y, dx):
    shared = cuda.shared.array(0, dtype=float64)
    row = cuda.blockIdx.x
    local_sum = 0.0
    for j in range(cuda.threadIdx.x, y.shape[1], cuda.blockDim.x):
        local_sum += grad[row, j]
    grad_sum = block_sum(shared, local_sum)
    for j in range(cuda.threadIdx.x, y.shape[1], cuda.blockDim.x):
        dx[row, j] = grad[row, j] - math.exp(y[row, j]) * grad_sum


# ---------------------------------------------------------------------------
# Launchers
# ---------------------------------------------------------------------------
def _prepare(name, x):
    if x.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (rows, classes); got shape {tuple(x.shape)}. "
            "Move the softmax axis last and reshape to (-1, n) first."
        )
    check_float_dtype(name, x)
    return contiguous(x)


def _launch_rowwise(kernel, out, inputs, block_size):
    check_block_size(block_size)
    if out.size > 0:  # no rows, or rows of length 0: nothing to compute
        kernel[out.shape[0], block_size, 0, block_size * SHARED_BYTES_PER_THREAD](*inputs, out)
    return out


def _check_same_shape(a_name, a, b_name, b):
    if a.shape != b.shape or a.dtype != b.dtype:
        raise ValueError(
            f"{a_name} {tuple(a.shape)} {a.dtype} and {b_name} {tuple(b.shape)} {b.dtype} "
            "must have the same shape and dtype."
        )


def softmax_forward(x, *, block_size=DEFAULT_BLOCK_SIZE):
    """softmax over the last axis of a 2-D array."""
    x = _prepare("x", x)
    y = array_module(x).empty_like(x)
    return _launch_rowwise(softmax_forward_kernel, y, (x,), block_size)


def softmax_backward(grad, y, *, block_size=DEFAULT_BLOCK_SIZE):
    """dx = y * (grad - sum(grad * y)) row by row; ``y`` is softmax's output."""
    grad, y = _prepare("grad", grad), _prepare("y", y)
    _check_same_shape("grad", grad, "y", y)
    dx = array_module(y).empty_like(y)
    return _launch_rowwise(softmax_backward_kernel, dx, (grad, y), block_size)


def log_softmax_forward(x, *, block_size=DEFAULT_BLOCK_SIZE):
    """log(softmax(x)) over the last axis, computed without ever forming softmax."""
    x = _prepare("x", x)
    y = array_module(x).empty_like(x)
    return _launch_rowwise(log_softmax_forward_kernel, y, (x,), block_size)


def log_softmax_backward(grad, y, *, block_size=DEFAULT_BLOCK_SIZE):
    """dx = grad - exp(y) * sum(grad) row by row; ``y`` is log_softmax's output."""
    grad, y = _prepare("grad", grad), _prepare("y", y)
    _check_same_shape("grad", grad, "y", y)
    dx = array_module(y).empty_like(y)
    return _launch_rowwise(log_softmax_backward_kernel, dx, (grad, y), block_size)


# ---------------------------------------------------------------------------
# NumPy references: the same formulas, one row-vectorised line each
# ---------------------------------------------------------------------------
def softmax_forward_reference(x):
    shifted = x - x.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def softmax_backward_reference(grad, y):
    dot = (grad * y).sum(axis=1, keepdims=True)
    return y * (grad - dot)


def log_softmax_forward_reference(x):
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def log_softmax_backward_reference(grad, y):
    return grad - np.exp(y) * grad.sum(axis=1, keepdims=True)
