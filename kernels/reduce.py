r"""Sums over one axis of a matrix, and the block tree reduction every row kernel reuses.

Formulas
--------
    sum_last(x)[i]  = sum_j x[i, j]        (rows,)   e.g. softmax's denominator
    sum_first(x)[j] = sum_i x[i, j]        (cols,)   e.g. a bias gradient: sum of dL/dy over the batch

Derivative (what an autograd engine does with them): every input element
contributes once with weight 1, so the gradient of a sum just copies the
incoming gradient back along the summed axis:

    d sum_last(x)[i] / d x[i, j] = 1   =>   dx[i, j] = g[i]      (broadcast g over columns)
    d sum_first(x)[j] / d x[i, j] = 1  =>   dx[i, j] = g[j]      (broadcast g over rows)

So no backward kernel is needed here; broadcasting is the backward.

Two ways to sum
---------------
sum_last: ONE BLOCK PER ROW, a tree reduction in shared memory.

    row i of x:  [ x0 x1 x2 ... x(n-1) ]            (n can be longer than the block)
    thread t adds up x[t], x[t+B], x[t+2B], ...     (B = threads per block: "block-stride" loop)
    then the B partial sums are halved step by step:

        shared:  s0  s1  s2  s3  s4  s5  s6  s7     B = 8
        step 1:  s0+s4  s1+s5  s2+s6  s3+s7         threads 0..3 work, stride 4
        step 2:  (..)+(..)  (..)+(..)               threads 0..1 work, stride 2
        step 3:  total                              thread 0 works,    stride 1

    log2(B) steps, with cuda.syncthreads() between them so no thread reads a
    partial sum before its neighbour has written it.  B must be a power of two.

sum_first: ONE THREAD PER COLUMN walks down its column.  Neighbouring threads
read neighbouring addresses of the same row at each step, so the reads are
coalesced (one wide memory transaction per warp).  Simple and fast for wide
matrices (the usual bias-gradient shape: many rows, hundreds of columns);
for a very tall, very narrow matrix a 2-D block reduction would keep more
threads busy.

Memory traffic: both read every element of x exactly once, which is the
minimum; the row sums write `rows` numbers, the column sums `cols` numbers.

Shared-memory detail: the reduction buffer is *dynamic* shared memory
(``cuda.shared.array(0, ...)``), sized at launch as block_size * 8 bytes, so the
same compiled kernel works for any block size (tests check several, as llm.c
does).  It holds float64, so float32 inputs are summed in double precision
and one kernel serves both dtypes.

The device functions ``block_sum`` and ``block_max`` below are imported by
softmax.py, losses.py and layernorm.py: every "one block per row" kernel in
this package reduces exactly this way.
"""

import numpy as np
from numba import cuda, float64

from kernels._arrays import (
    array_module,
    check_block_size,
    check_float_dtype,
    contiguous,
    elementwise_launch,
)

#: Threads per block of the row kernels (a power of two).
DEFAULT_BLOCK_SIZE = 128

#: Bytes of dynamic shared memory per thread: one float64 partial result.
SHARED_BYTES_PER_THREAD = 8


# ---------------------------------------------------------------------------
# Device functions: the block-wide reductions (called by every thread of a block)
# ---------------------------------------------------------------------------
@cuda.jit(device=True)
def block_sum(shared, value):
    """Sum of ``value`` over all threads of the block; every thread gets the total.

    ``shared`` is a float64 shared array with one slot per thread.  Every
    thread of the block must call this (it contains cuda.syncthreads()).
    """
    t = cuda.threadIdx.x
    shared[t] = value
    cuda.syncthreads()
    stride = cuda.blockDim.x // 2
    while stride > 0:
        if t < stride:
            shared[t] += shared[t + stride]
        cuda.syncthreads()
        stride //= 2
    total = shared[0]
    cuda.syncthreads()  # everyone has read shared[0] before the buffer is reused
    return total


@cuda.jit(device=True)
def block_max(shared, value):
    """Maximum of ``value`` over all threads of the block; every thread gets it."""
    t = cuda.threadIdx.x
    shared[t] = value
    cuda.syncthreads()
    stride = cuda.blockDim.x // 2
    while stride > 0:
        if t < stride:
            shared[t] = max(shared[t], shared[t + stride])
        cuda.syncthreads()
        stride //= 2
    largest = shared[0]
    cuda.syncthreads()
    return largest


# ---------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------
@cuda.jit
def sum_last_kernel(x, out):
    """Block i sums row i of x into out[i]."""
    shared = cuda.shared.array(0, dtype=float64)  # block_size slots, sized at launch
    row = cuda.blockIdx.x
    partial = 0.0
    for j in range(cuda.threadIdx.x, x.shape[1], cuda.blockDim.x):
        partial += x[row, j]
    total = block_sum(shared, partial)
    if cuda.threadIdx.x == 0:
        out[row] = total


@cuda.jit
def sum_first_kernel(x, out):
    """Thread j sums column j of x into out[j] (grid-stride over columns)."""
    start = cuda.grid(1)
    stride = cuda.gridsize(1)
    for col in range(start, x.shape[1], stride):
        total = 0.0
        for row in range(x.shape[0]):
            total += x[row, col]
        out[col] = total


# ---------------------------------------------------------------------------
# Launchers
# ---------------------------------------------------------------------------
def _check_matrix(name, x):
    if x.ndim != 2:
        raise ValueError(f"{name} must be 2-D (rows, cols); got shape {tuple(x.shape)}. Reshape it first.")
    check_float_dtype(name, x)


def sum_last(x, *, block_size=DEFAULT_BLOCK_SIZE):
    """Row sums of a 2-D array: shape (rows, cols) -> (rows,)."""
    _check_matrix("x", x)
    check_block_size(block_size)
    xp = array_module(x)
    x = contiguous(x)
    rows = x.shape[0]
    out = xp.zeros(rows, dtype=x.dtype)
    if rows == 0:
        return out
    sum_last_kernel[rows, block_size, 0, block_size * SHARED_BYTES_PER_THREAD](x, out)
    return out


def sum_first(x):
    """Column sums of a 2-D array: shape (rows, cols) -> (cols,)."""
    _check_matrix("x", x)
    xp = array_module(x)
    x = contiguous(x)
    cols = x.shape[1]
    out = xp.zeros(cols, dtype=x.dtype)
    if cols == 0:
        return out
    blocks, threads = elementwise_launch(cols)
    sum_first_kernel[blocks, threads](x, out)
    return out


# ---------------------------------------------------------------------------
# NumPy references (what the tests compare with)
# ---------------------------------------------------------------------------
def sum_last_reference(x):
    """Row sums with an explicit loop-free NumPy formula, accumulated in float64."""
    x = np.asarray(x)
    return x.astype(np.float64).sum(axis=1).astype(x.dtype)


def sum_first_reference(x):
    """Column sums, accumulated in float64."""
    x = np.asarray(x)
    return x.astype(np.float64).sum(axis=0).astype(x.dtype)
