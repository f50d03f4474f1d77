r"""Softmax and log-softmax over the last axis of a matrix: a ladder of three versions.

    python -m kernels.softmax          # check every version x block size, then time them

Formulas (for one row x of length n)
------------------------------------
    m          = max_j x[j]                         (subtracted for safety, changes nothing)
    S          = sum_j exp(x[j] - m)
    softmax    y[j] = exp(x[j] - m) / S
    log_softmax y[j] = (x[j] - m) - log(S)

Subtracting m is what keeps this exact at logits like 1e4: exp(1e4) overflows
to inf, but exp(x[j] - m) <= exp(0) = 1 always, and S >= 1 (the largest
term is exp(0)), so log(S) never sees zero.  The order of the subtractions
matters too: ``(x[j] - m) - log(S)`` is exact at x = 1e30, while
``x[j] - (m + log(S))`` loses log(S) in the rounding of m + log(S).

A -inf logit (a masked position) gets probability exp(-inf) = 0; a row that is
all -inf, or holds a NaN, gives NaN, as NumPy and PyTorch do.

The ladder (forward)
--------------------
1. naive   one THREAD per row, three passes over the row: max, sum, write.
           Deliberately naive: a row is read 3 times by one thread, and
           neighbouring threads read addresses a whole row apart (uncoalesced).
2. fused   one BLOCK per row; thread t handles columns t, t+B, t+2B, ...
           (coalesced); max and sum are tree reductions in shared memory
           (reduce.py).  Still three passes over the row (3n reads + n writes),
           but all inside one launch and mostly from cache.
3. online  one block per row, ONE pass for max and sum together ("online
           softmax", Milakov & Gimelshein 2018): each thread keeps a running
           (m, S) and rescales S when a bigger number arrives,

               new max v > m:   S = S * exp(m - v) + 1,   m = v
               otherwise:       S = S + exp(v - m)

           and two partial results merge the same way:
               m = max(m1, m2),   S = S1 exp(m1 - m) + S2 exp(m2 - m).
           The merges across threads are warp shuffles (reduce.py).  Reads the
           row twice (2n reads + n writes): the fewest a two-pass softmax can.

Napkin math for (8192, 4096) float32: 128 MiB of logits.  Reading it once and
writing it once moves 256 MiB; at the ~4 TB/s of an H200 that is ~65 us, the
floor no version can beat.  "fused" reads 3x, "online" 2x (the second read of
a 16 KiB row mostly hits L1/L2).

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

Again one reduction (the plain sum of g) per row.  The backward takes the
*output* y, not x: the forward already did the expensive work.  Both backward
kernels and log_softmax's forward are written like the best forward rung (one
block per row, warp-shuffle reductions, online max and sum).

Threads and blocks
------------------
    naive:          grid = (ceil(rows / B),), block = (B,): thread i owns row i
    fused, online:  grid = (rows,), block = (B,): block i owns row i, and

    row i:  | t0 t1 t2 t3 | t0 t1 t2 t3 | t0 t1 ...       (B = 4 drawn)

The reference for every version is the CPU backend's formula
(``minigrad.backends.numpy_backend.NumpyBackend.softmax``): one formula, one oracle.
"""
import math

import numpy as np
from numba import cuda

from kernels._arrays import MAX_BLOCK_SIZE, array_module, check_block_size, check_float_dtype, contiguous
from kernels._launch import KernelLaunch, launch, matrix
from kernels._versions import VersionSwitch
from kernels.reduce import DEFAULT_BLOCK_SIZE, block_max, block_sum, block_sum_warps, nan_max, warp_lanes

#: The ladder, naive first; the launchers run ``versions.current`` unless told otherwise.
versions = VersionSwitch("softmax", ("naive", "fused", "online"), default="online")


# ---------------------------------------------------------------------------
# Device functions: (m, S) of a row, two ways
# ---------------------------------------------------------------------------
@cuda.jit(device=True)
def row_max_and_sum_tree(shared, x, row):
    """(m, S) of the row for every thread of the block: a max pass, then a sum pass (trees)."""
    t = cuda.threadIdx.x
    local_max = x.dtype.type(-math.inf)
    for j in range(t, x.shape[1], cuda.blockDim.x):
        local_max = nan_max(local_max, x[row, j])
    row_max = block_max(shared, local_max)
    local_sum = x.dtype.type(0)
    for j in range(t, x.shape[1], cuda.blockDim.x):
        local_sum += math.exp(x[row, j] - row_max)
    return row_max, block_sum(shared, local_sum)


@cuda.jit(device=True)
def log_of_sum(s, real):
    """log(S) for a row's S >= 0: S = 0 (a row of only -inf) gives -inf, as the GPU's logf does.

    Written out because the simulator runs Python's math.log, which raises for 0 instead.
    """
    return math.log(s) if s > real(0) else real(-math.inf)


@cuda.jit(device=True)
def merge_max_and_sum(m1, s1, m2, s2):
    """(m, S) of two groups of numbers together, from each group's (m, S)."""
    m = nan_max(m1, m2)
    if s1 != 0:  # an empty group (s = 0, m = -inf) adds nothing: skip it, -inf - (-inf) is NaN
        s1 = s1 * math.exp(m1 - m)
    if s2 != 0:
        s2 = s2 * math.exp(m2 - m)
    return m, s1 + s2


@cuda.jit(device=True)
def warp_merge_max_and_sum(m, s):
    """Merge (m, S) over the lanes of the warp with shuffles; every lane gets the result."""
    lanes, mask = warp_lanes()
    k = lanes // 2
    while k > 0:
        m, s = merge_max_and_sum(m, s, cuda.shfl_xor_sync(mask, m, k), cuda.shfl_xor_sync(mask, s, k))
        k //= 2
    return m, s


@cuda.jit(device=True)
def row_max_and_sum_online(x, row):
    """(m, S) of the row for every thread of the block, reading the row once (online softmax)."""
    shared_m = cuda.shared.array(32, dtype=x.dtype)  # one (m, S) per warp
    shared_s = cuda.shared.array(32, dtype=x.dtype)
    real = x.dtype.type
    t = cuda.threadIdx.x
    m, s = real(-math.inf), real(0)
    for j in range(t, x.shape[1], cuda.blockDim.x):
        v = x[row, j]
        if v > m:  # a new maximum: rescale the sum so far to it (exp(-inf) = 0 at the start)
            s = s * math.exp(m - v) + real(1)
            m = v
        elif v != v:  # NaN: the row's result is NaN, as in NumPy
            m, s = v, v
        elif v != real(-math.inf):  # -inf adds exp(-inf) = 0: skipping it avoids -inf - (-inf)
            s += math.exp(v - m)
    m, s = warp_merge_max_and_sum(m, s)
    lane, warp = t % 32, t // 32
    if lane == 0:
        shared_m[warp] = m
        shared_s[warp] = s
    cuda.syncthreads()
    warps = (cuda.blockDim.x + 31) // 32
    m, s = (shared_m[lane], shared_s[lane]) if lane < warps else (real(-math.inf), real(0))
    m, s = warp_merge_max_and_sum(m, s)  # every warp merges the per-warp results
    cuda.syncthreads()
    return m, s


# ---------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------
@cuda.jit
def softmax_naive_kernel(x, y):
    row = cuda.grid(1)
    if row < x.shape[0]:
        m = x.dtype.type(-math.inf)
        for j in range(x.shape[1]):
            m = nan_max(m, x[row, j])
        s = x.dtype.type(0)
        for j in range(x.shape[1]):
            s += math.exp(x[row, j] - m)
        for j in range(x.shape[1]):
            y[row, j] = math.exp(x[row, j] - m) / s


@cuda.jit
def softmax_fused_kernel(x, y):
    shared = cuda.shared.array(0, dtype=x.dtype)  # block_size slots, sized at launch
    row = cuda.blockIdx.x
    m, s = row_max_and_sum_tree(shared, x, row)
    for j in range(cuda.threadIdx.x, x.shape[1], cuda.blockDim.x):
        y[row, j] = math.exp(x[row, j] - m) / s


@cuda.jit
def softmax_online_kernel(x, y):
    row = cuda.blockIdx.x
    m, s = row_max_and_sum_online(x, row)
    for j in range(cuda.threadIdx.x, x.shape[1], cuda.blockDim.x):
        y[row, j] = math.exp(x[row, j] - m) / s


@cuda.jit
def log_softmax_forward_kernel(x, y):
    row = cuda.blockIdx.x
    m, s = row_max_and_sum_online(x, row)
    log_s = log_of_sum(s, x.dtype.type)
    for j in range(cuda.threadIdx.x, x.shape[1], cuda.blockDim.x):
        y[row, j] = (x[row, j] - m) - log_s


@cuda.jit
def softmax_backward_kernel(grad, y, dx):
    shared = cuda.shared.array(32, dtype=y.dtype)
    row = cuda.blockIdx.x
    local_dot = y.dtype.type(0)
    for j in range(cuda.threadIdx.x, y.shape[1], cuda.blockDim.x):
        local_dot += grad[row, j] * y[row, j]
    dot = block_sum_warps(shared, local_dot)
    for j in range(cuda.threadIdx.x, y.shape[1], cuda.blockDim.x):
        dx[row, j] = y[row, j] * (grad[row, j] - dot)


@cuda.jit
def log_softmax_backward_kernel(grad, y, dx):
    shared = cuda.shared.array(32, dtype=y.dtype)
    row = cuda.blockIdx.x
    local_sum = y.dtype.type(0)
    for j in range(cuda.threadIdx.x, y.shape[1], cuda.blockDim.x):
        local_sum += grad[row, j]
    grad_sum = block_sum_warps(shared, local_sum)
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


def _check_same_shape(a_name, a, b_name, b):
    if a.shape != b.shape or a.dtype != b.dtype:
        raise ValueError(
            f"{a_name} {tuple(a.shape)} {a.dtype} and {b_name} {tuple(b.shape)} {b.dtype} "
            "must have the same shape and dtype."
        )


def softmax_forward(x, *, version=None, block_size=DEFAULT_BLOCK_SIZE):
    """softmax over the last axis of a 2-D array, with one of ``versions.names``."""
    version = versions.pick(version)
    check_block_size(block_size)
    x = _prepare("x", x)
    y = array_module(x).empty_like(x)
    rows = x.shape[0]
    if y.size == 0:  # no rows, or rows of length 0: nothing to compute
        return y
    if version == "naive":
        launch(softmax_naive_kernel, (rows + block_size - 1) // block_size, block_size, x, y)
    elif version == "fused":
        launch(softmax_fused_kernel, rows, block_size, x, y, shared_bytes=block_size * x.itemsize)
    else:
        launch(softmax_online_kernel, rows, block_size, x, y)
    return y


def log_softmax_forward(x, *, block_size=DEFAULT_BLOCK_SIZE):
    """log(softmax(x)) over the last axis, computed without ever forming softmax."""
    check_block_size(block_size)
    x = _prepare("x", x)
    y = array_module(x).empty_like(x)
    if y.size > 0:
        launch(log_softmax_forward_kernel, x.shape[0], block_size, x, y)
    return y


def softmax_backward(grad, y, *, block_size=DEFAULT_BLOCK_SIZE):
    """dx = y * (grad - sum(grad * y)) row by row; ``y`` is softmax's output."""
    check_block_size(block_size)
    grad, y = _prepare("grad", grad), _prepare("y", y)
    _check_same_shape("grad", grad, "y", y)
    dx = array_module(y).empty_like(y)
    if dx.size > 0:
        launch(softmax_backward_kernel, y.shape[0], block_size, grad, y, dx)
    return dx


def log_softmax_backward(grad, y, *, block_size=DEFAULT_BLOCK_SIZE):
    """dx = grad - exp(y) * sum(grad) row by row; ``y`` is log_softmax's output."""
    check_block_size(block_size)
    grad, y = _prepare("grad", grad), _prepare("y", y)
    _check_same_shape("grad", grad, "y", y)
    dx = array_module(y).empty_like(y)
    if dx.size > 0:
        launch(log_softmax_backward_kernel, y.shape[0], block_size, grad, y, dx)
    return dx


def kernel_launches(dtype):
    """Every kernel of this file and the biggest launch its launcher can choose (see kernels/sass.py)."""
    m = matrix(dtype)
    itemsize = np.dtype(dtype).itemsize
    return [
        KernelLaunch(softmax_naive_kernel, f"({m}, {m})", MAX_BLOCK_SIZE),
        KernelLaunch(softmax_fused_kernel, f"({m}, {m})", MAX_BLOCK_SIZE, MAX_BLOCK_SIZE * itemsize),
        KernelLaunch(softmax_online_kernel, f"({m}, {m})", MAX_BLOCK_SIZE),
        KernelLaunch(log_softmax_forward_kernel, f"({m}, {m})", MAX_BLOCK_SIZE),
        KernelLaunch(softmax_backward_kernel, f"({m}, {m}, {m})", MAX_BLOCK_SIZE),
        KernelLaunch(log_softmax_backward_kernel, f"({m}, {m}, {m})", MAX_BLOCK_SIZE),
    ]


# ---------------------------------------------------------------------------
# python -m kernels.softmax: the ladder, checked against the CPU backend, then timed
# ---------------------------------------------------------------------------
def main(argv=None):
    from kernels import _ladder

    options = _ladder.parse_options(argv, "softmax forward ladder", gpu_shape=(8192, 4096), simulator_shape=(3, 70))
    rows, cols = options.shape
    x_host = (np.random.default_rng(0).standard_normal((rows, cols)) * 4).astype(options.dtype)
    x = _ladder.to_device(options, x_host)
    rungs = [
        _ladder.Rung(version, block, lambda version=version, block=block: softmax_forward(
            x, version=version, block_size=block))
        for version in versions.names for block in options.block_sizes
    ]
    reference = _ladder.CPU.softmax(x_host.astype(np.float64))
    records = _ladder.run(f"softmax forward ({rows}, {cols}) {options.dtype}", versions, rungs, reference,
                          bytes_moved=2 * x_host.nbytes, options=options)
    return _ladder.exit_code(records)


if __name__ == "__main__":
    raise SystemExit(main())
