r"""Sums over one axis of a matrix, and the block reductions every row kernel reuses.

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

Reducing a row with one block: two ways
---------------------------------------
Thread t of a block of B threads first adds up x[t], x[t+B], x[t+2B], ... on its own
(a "block-stride" loop; rows may be longer than the block).  Then the B partial sums are
combined into one.

1. THE TREE in shared memory (``block_sum``, ``block_max``), the classic one:

        shared:  s0  s1  s2  s3  s4  s5  s6  s7     B = 8
        step 1:  s0+s4  s1+s5  s2+s6  s3+s7         threads 0..3 work, stride 4
        step 2:  (..)+(..)  (..)+(..)               threads 0..1 work, stride 2
        step 3:  total                              thread 0 works,    stride 1

   log2(B) steps, with cuda.syncthreads() between them so no thread reads a
   partial sum before its neighbour has written it.  B must be a power of two.
   It needs B slots of *dynamic* shared memory (``cuda.shared.array(0, ...)``,
   sized at launch), and every step is a round trip through shared memory.

2. WARP SHUFFLES (``warp_sum``, ``block_sum_warps``), what fast kernels do:
   the 32 threads of a warp run in lockstep and can read each other's registers
   with one instruction, ``cuda.shfl_xor_sync(mask, value, k)`` = the value of
   the lane whose number differs from mine in bit k.  Five butterfly steps
   (k = 16, 8, 4, 2, 1) leave the warp's total in *every* lane, with no shared
   memory and no syncthreads:

        lane:    0   1   2   3   ...  (k = 1 drawn: lanes swap with their neighbour and add)
                 a   b   c   d
                a+b a+b c+d c+d

   Across warps: lane 0 of each warp writes its total to shared memory (32 slots
   at most: 1024 threads / 32), one syncthreads, and every warp reduces those
   totals with five more shuffles.  Two syncthreads per reduction instead of
   log2(B) + 1.

sum_first: ONE THREAD PER COLUMN walks down its column.  Neighbouring threads
read neighbouring addresses of the same row at each step, so the reads are
coalesced (one wide memory transaction per warp).  Simple and fast for wide
matrices (the usual bias-gradient shape: many rows, hundreds of columns).

Memory traffic: both read every element of x exactly once, which is the
minimum; the row sums write `rows` numbers, the column sums `cols` numbers.

dtypes: every accumulator and shared buffer has the input's dtype
(``x.dtype.type(0)``, ``cuda.shared.array(..., dtype=x.dtype)``), so a float32
kernel does float32 arithmetic.  A Python literal would not do: Numba types
``0.0`` as float64, and ``acc = 0.0; acc += x[j]`` would sum a float32 row in
double precision (slow on most GPUs, and not what NumPy does on the CPU).

NaN: ``nan_max`` returns NaN when either number is NaN, as NumPy's max does.
CUDA's built-in ``max`` on floats (fmaxf) returns the *other* number, so a
row max would silently skip a NaN.

The device functions below are imported by softmax.py, losses.py and
layernorm.py: every "one block per row" kernel in this package reduces this way.
"""
import math

from numba import cuda
from numba.core import config

from kernels._arrays import (
    MAX_BLOCK_SIZE,
    array_module,
    check_block_size,
    check_float_dtype,
    contiguous,
    elementwise_launch,
)
from kernels._launch import KernelLaunch, launch, matrix, vector

if config.ENABLE_CUDASIM:  # the simulator has no warp shuffles of its own: give it ours
    from kernels._simulator import add_warp_shuffles

    add_warp_shuffles()

#: Threads per block of the row kernels (a power of two).
DEFAULT_BLOCK_SIZE = 256

#: All 32 lanes of a warp take part in a shuffle.
FULL_WARP = 0xFFFFFFFF


# ---------------------------------------------------------------------------
# Device functions: combining two numbers, then a block's worth
# ---------------------------------------------------------------------------
@cuda.jit(device=True)
def nan_max(a, b):
    """The larger of a and b, or NaN if either is NaN (NumPy's rule)."""
    return a if a > b or a != a else b


@cuda.jit(device=True)
def block_sum(shared, value):
    """Sum of ``value`` over all threads of the block (the tree); every thread gets the total.

    ``shared`` has one slot per thread, of the kernel's dtype.  Every thread of the block must
    call this (it contains cuda.syncthreads()).
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
    """Maximum of ``value`` over all threads of the block (the tree, NaN wins); every thread gets it."""
    t = cuda.threadIdx.x
    shared[t] = value
    cuda.syncthreads()
    stride = cuda.blockDim.x // 2
    while stride > 0:
        if t < stride:
            shared[t] = nan_max(shared[t], shared[t + stride])
        cuda.syncthreads()
        stride //= 2
    largest = shared[0]
    cuda.syncthreads()
    return largest


@cuda.jit(device=True)
def warp_lanes():
    """(lanes, mask): how many threads share this thread's warp, and the shuffle mask naming them.

    A block smaller than a warp (B = 1, 2, ..., 16 threads; B is a power of two) fills only
    lanes 0..B-1 of one warp, so only those may take part in a shuffle.
    """
    lanes = min(cuda.blockDim.x, 32)
    mask = FULL_WARP if lanes == 32 else (1 << lanes) - 1
    return lanes, mask


@cuda.jit(device=True)
def warp_sum(value):
    """Sum of ``value`` over the lanes of this thread's warp; every lane gets it (butterfly)."""
    lanes, mask = warp_lanes()
    k = lanes // 2
    while k > 0:
        value += cuda.shfl_xor_sync(mask, value, k)
        k //= 2
    return value


@cuda.jit(device=True)
def warp_max(value):
    """Maximum of ``value`` over the lanes of this thread's warp (NaN wins); every lane gets it."""
    lanes, mask = warp_lanes()
    k = lanes // 2
    while k > 0:
        value = nan_max(value, cuda.shfl_xor_sync(mask, value, k))
        k //= 2
    return value


@cuda.jit(device=True)
def block_sum_warps(shared, value):
    """Sum of ``value`` over all threads of the block with shuffles; every thread gets the total.

    ``shared`` has at least 32 slots (one per warp) of the kernel's dtype.  Every thread of the
    block must call this.
    """
    t = cuda.threadIdx.x
    lane, warp = t % 32, t // 32
    value = warp_sum(value)
    if lane == 0:
        shared[warp] = value
    cuda.syncthreads()
    warps = (cuda.blockDim.x + 31) // 32
    value = shared[lane] if lane < warps else shared.dtype.type(0)
    total = warp_sum(value)  # every warp reduces the per-warp totals, so every thread has the sum
    cuda.syncthreads()  # everyone has read shared before the buffer is reused
    return total


@cuda.jit(device=True)
def block_max_warps(shared, value):
    """Maximum of ``value`` over all threads of the block with shuffles (NaN wins)."""
    t = cuda.threadIdx.x
    lane, warp = t % 32, t // 32
    value = warp_max(value)
    if lane == 0:
        shared[warp] = value
    cuda.syncthreads()
    warps = (cuda.blockDim.x + 31) // 32
    value = shared[lane] if lane < warps else shared.dtype.type(-math.inf)
    largest = warp_max(value)
    cuda.syncthreads()
    return largest


# ---------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------
@cuda.jit
def sum_last_kernel(x, out):
    """Block i sums row i of x into out[i]."""
    shared = cuda.shared.array(32, dtype=x.dtype)  # one slot per warp
    row = cuda.blockIdx.x
    partial = x.dtype.type(0)
    for j in range(cuda.threadIdx.x, x.shape[1], cuda.blockDim.x):
        partial += x[row, j]
    total = block_sum_warps(shared, partial)
    if cuda.threadIdx.x == 0:
        out[row] = total


@cuda.jit
def sum_first_kernel(x, out):
    """Thread j sums column j of x into out[j] (grid-stride over columns)."""
    for col in range(cuda.grid(1), x.shape[1], cuda.gridsize(1)):
        total = x.dtype.type(0)
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
    if rows > 0:
        launch(sum_last_kernel, rows, block_size, x, out)
    return out


def sum_first(x):
    """Column sums of a 2-D array: shape (rows, cols) -> (cols,)."""
    _check_matrix("x", x)
    xp = array_module(x)
    x = contiguous(x)
    cols = x.shape[1]
    out = xp.zeros(cols, dtype=x.dtype)
    if cols > 0:
        launch(sum_first_kernel, *elementwise_launch(cols), x, out)
    return out


def kernel_launches(dtype):
    """Every kernel of this file and the biggest launch its launcher can choose (see kernels/sass.py)."""
    return [
        KernelLaunch(sum_last_kernel, f"({matrix(dtype)}, {vector(dtype)})", MAX_BLOCK_SIZE),
        KernelLaunch(sum_first_kernel, f"({matrix(dtype)}, {vector(dtype)})", elementwise_launch(1 << 30)[1]),
    ]
