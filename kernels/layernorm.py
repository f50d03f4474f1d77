r"""Layer normalisation over the last axis: a ladder of three forwards, then the backward.

    python -m kernels.layernorm        # check every version x block size, then time them

Forward (one row x of length D; w = weight, b = bias)
-----------------------------------------------------
    mean = (1/D) sum_j x[j]
    var  = (1/D) sum_j (x[j] - mean)^2          (biased, like PyTorch)
    rstd = 1 / sqrt(var + eps)
    xhat[j] = (x[j] - mean) * rstd
    y[j] = xhat[j] * w[j] + b[j]

mean and rstd are saved for the backward pass (2 numbers per row).

Backward, step by step (g_y = dL/dy given)
------------------------------------------
Parameters first: y[j] = xhat[j] w[j] + b[j] for every row, so summing over rows r

    dL/dw[j] = sum_r g_y[r, j] * xhat[r, j]        dL/db[j] = sum_r g_y[r, j]

Input: let g[j] = g_y[j] * w[j] = dL/dxhat[j].  xhat depends on x directly and
through mean and rstd:

    d mean / dx[k] = 1/D
    d var  / dx[k] = (2/D) (x[k] - mean)           (the mean's own derivative sums to 0)
    d rstd / dx[k] = -1/2 (var + eps)^(-3/2) * d var / dx[k] = -rstd^3 (x[k] - mean) / D
                   = -rstd^2 xhat[k] / D
    d xhat[j] / dx[k] = rstd (1[j == k] - 1/D) + (x[j] - mean) * d rstd / dx[k]
                      = rstd (1[j == k] - 1/D - xhat[j] xhat[k] / D)

Chain rule, summing over j:

    dL/dx[k] = sum_j g[j] d xhat[j] / dx[k]
             = rstd * (g[k] - (1/D) sum_j g[j] - xhat[k] (1/D) sum_j g[j] xhat[j])
             = rstd * (g[k] - mean(g) - xhat[k] * mean(g * xhat))

Two row reductions (mean(g), mean(g*xhat)) and an elementwise formula.

The ladder (forward)
--------------------
1. naive    one THREAD per row: a pass for the mean, one for the variance, one to
            write y.  Deliberately naive (one thread reads a whole row, uncoalesced).
2. fused    one BLOCK per row, the same three passes; thread t handles columns
            t, t+B, ... (coalesced); mean and variance are tree reductions in
            shared memory (reduce.py).  3 reads + 1 write of the row.
3. welford  one block per row, mean and variance in ONE pass (Welford 1962): each
            thread keeps (count n, mean, M2 = sum of squared deviations),

                n += 1;  delta = v - mean;  mean += delta / n;  M2 += delta * (v - mean)

            and two partial results (n_a, mean_a, M2_a), (n_b, mean_b, M2_b) merge
            exactly (Chan et al. 1979), here with warp shuffles:

                n = n_a + n_b,   delta = mean_b - mean_a,
                mean = mean_a + delta * n_b / n,   M2 = M2_a + M2_b + delta^2 n_a n_b / n

            var = M2 / n.  2 reads + 1 write, and no E[x^2] - E[x]^2 cancellation.

All three agree with the CPU backend's two-pass formula (the reference,
``NumpyBackend.layer_norm``) to rounding.

Threads and blocks
------------------
    forward (fused, welford) and dx:  grid = (rows,), block = (block_size,); thread t
                       handles columns t, t+B, ...; reductions in reduce.py

    dweight, dbias:    a second kernel, one thread per column j, walking down the rows:

        rows r ->   x[0, :]   [ j0 j1 j2 ... ]    thread j reads column j of dy and x;
                    x[1, :]   [ j0 j1 j2 ... ]    neighbouring threads read neighbouring
                    ...                           addresses, so reads are coalesced

Why a second kernel and not atomics?  With atomics every row-block would
cuda.atomic.add its D contributions into dweight and dbias: rows x D atomic
operations all hitting the same D addresses (contention), and the float sum
order would change from run to run (non-deterministic last bits).  The column
kernel reads dy and x once more but is deterministic, simple and coalesced.
"""
import math

import numpy as np
from numba import cuda

from kernels._arrays import (
    MAX_BLOCK_SIZE,
    array_module,
    check_block_size,
    check_float_dtype,
    contiguous,
    elementwise_launch,
    scalar,
)
from kernels._launch import KernelLaunch, launch, matrix, vector
from kernels._versions import VersionSwitch
from kernels.reduce import DEFAULT_BLOCK_SIZE, block_sum, block_sum_warps, warp_lanes

#: The forward ladder, naive first; ``layernorm_forward`` runs ``versions.current`` unless told otherwise.
versions = VersionSwitch("layernorm", ("naive", "fused", "welford"), default="welford")


# ---------------------------------------------------------------------------
# Device functions: Welford's running statistics and their merge
# ---------------------------------------------------------------------------
@cuda.jit(device=True)
def merge_welford(n_a, mean_a, m2_a, n_b, mean_b, m2_b, real):
    """(count, mean, M2) of two groups of numbers together (Chan et al.); ``real`` is their type."""
    if n_b == real(0):
        return n_a, mean_a, m2_a
    if n_a == real(0):
        return n_b, mean_b, m2_b
    n = n_a + n_b
    delta = mean_b - mean_a
    return n, mean_a + delta * (n_b / n), m2_a + m2_b + delta * delta * (n_a * n_b / n)


@cuda.jit(device=True)
def warp_merge_welford(n, mean, m2, real):
    """Merge (count, mean, M2) over the lanes of the warp, then hand every lane lane 0's result.

    The merge is not symmetric in its two arguments to the last bit, so the lanes of a
    butterfly could end with slightly different means; broadcasting lane 0's keeps every
    thread of the row on the very same numbers.
    """
    lanes, mask = warp_lanes()
    k = lanes // 2
    while k > 0:
        n, mean, m2 = merge_welford(n, mean, m2, cuda.shfl_xor_sync(mask, n, k), cuda.shfl_xor_sync(mask, mean, k),
                                    cuda.shfl_xor_sync(mask, m2, k), real)
        k //= 2
    return cuda.shfl_sync(mask, n, 0), cuda.shfl_sync(mask, mean, 0), cuda.shfl_sync(mask, m2, 0)


# ---------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------
@cuda.jit
def layernorm_naive_kernel(x, weight, bias, eps, y, mean_out, rstd_out):
    row = cuda.grid(1)
    if row < x.shape[0]:
        real = x.dtype.type
        d = real(x.shape[1])
        total = real(0)
        for j in range(x.shape[1]):
            total += x[row, j]
        mean = total / d
        squares = real(0)
        for j in range(x.shape[1]):
            deviation = x[row, j] - mean
            squares += deviation * deviation
        rstd = real(1) / math.sqrt(squares / d + eps)
        for j in range(x.shape[1]):
            y[row, j] = (x[row, j] - mean) * rstd * weight[j] + bias[j]
        mean_out[row] = mean
        rstd_out[row] = rstd


@cuda.jit
def layernorm_fused_kernel(x, weight, bias, eps, y, mean_out, rstd_out):
    shared = cuda.shared.array(0, dtype=x.dtype)  # block_size slots, sized at launch
    real = x.dtype.type
    row = cuda.blockIdx.x
    t = cuda.threadIdx.x
    d = real(x.shape[1])

    local_sum = real(0)
    for j in range(t, x.shape[1], cuda.blockDim.x):
        local_sum += x[row, j]
    mean = block_sum(shared, local_sum) / d

    local_squares = real(0)  # a second pass: the sum of squared deviations, no E[x^2] - E[x]^2
    for j in range(t, x.shape[1], cuda.blockDim.x):
        deviation = x[row, j] - mean
        local_squares += deviation * deviation
    rstd = real(1) / math.sqrt(block_sum(shared, local_squares) / d + eps)

    for j in range(t, x.shape[1], cuda.blockDim.x):
        y[row, j] = (x[row, j] - mean) * rstd * weight[j] + bias[j]
    if t == 0:
        mean_out[row] = mean
        rstd_out[row] = rstd


@cuda.jit
def layernorm_welford_kernel(x, weight, bias, eps, y, mean_out, rstd_out):
    shared_n = cuda.shared.array(32, dtype=x.dtype)  # one (count, mean, M2) per warp
    shared_mean = cuda.shared.array(32, dtype=x.dtype)
    shared_m2 = cuda.shared.array(32, dtype=x.dtype)
    real = x.dtype.type
    row = cuda.blockIdx.x
    t = cuda.threadIdx.x

    n, mean, m2 = real(0), real(0), real(0)
    for j in range(t, x.shape[1], cuda.blockDim.x):
        v = x[row, j]
        n += real(1)
        delta = v - mean
        mean += delta / n
        m2 += delta * (v - mean)
    n, mean, m2 = warp_merge_welford(n, mean, m2, real)
    lane, warp = t % 32, t // 32
    if lane == 0:
        shared_n[warp] = n
        shared_mean[warp] = mean
        shared_m2[warp] = m2
    cuda.syncthreads()
    if lane < (cuda.blockDim.x + 31) // 32:
        n, mean, m2 = shared_n[lane], shared_mean[lane], shared_m2[lane]
    else:
        n, mean, m2 = real(0), real(0), real(0)
    n, mean, m2 = warp_merge_welford(n, mean, m2, real)  # every warp merges the per-warp results
    rstd = real(1) / math.sqrt(m2 / n + eps)

    for j in range(t, x.shape[1], cuda.blockDim.x):
        y[row, j] = (x[row, j] - mean) * rstd * weight[j] + bias[j]
    if t == 0:
        mean_out[row] = mean
        rstd_out[row] = rstd


@cuda.jit
def layernorm_backward_input_kernel(dy, x, mean, rstd, weight, dx):
    shared = cuda.shared.array(32, dtype=x.dtype)
    real = x.dtype.type
    row = cuda.blockIdx.x
    t = cuda.threadIdx.x
    d = real(x.shape[1])
    row_mean = mean[row]
    row_rstd = rstd[row]

    local_g = real(0)
    local_g_xhat = real(0)
    for j in range(t, x.shape[1], cuda.blockDim.x):
        g = dy[row, j] * weight[j]
        local_g += g
        local_g_xhat += g * ((x[row, j] - row_mean) * row_rstd)
    mean_g = block_sum_warps(shared, local_g) / d
    mean_g_xhat = block_sum_warps(shared, local_g_xhat) / d

    for j in range(t, x.shape[1], cuda.blockDim.x):
        g = dy[row, j] * weight[j]
        xhat = (x[row, j] - row_mean) * row_rstd
        dx[row, j] = row_rstd * (g - mean_g - xhat * mean_g_xhat)


@cuda.jit
def layernorm_backward_params_kernel(dy, x, mean, rstd, dweight, dbias):
    for j in range(cuda.grid(1), x.shape[1], cuda.gridsize(1)):
        sum_dw = x.dtype.type(0)
        sum_db = x.dtype.type(0)
        for row in range(x.shape[0]):
            xhat = (x[row, j] - mean[row]) * rstd[row]
            sum_dw += dy[row, j] * xhat
            sum_db += dy[row, j]
        dweight[j] = sum_dw
        dbias[j] = sum_db


# ---------------------------------------------------------------------------
# Launchers
# ---------------------------------------------------------------------------
def _vector_or(name, v, d, fill, like):
    """``v`` as a contiguous (D,) array of like's dtype, or a vector of ``fill`` when v is None."""
    xp = array_module(like)
    if v is None:
        return xp.full(d, fill, dtype=like.dtype)
    if tuple(v.shape) != (d,):
        raise ValueError(f"{name} must have shape ({d},) to match x's last axis; got {tuple(v.shape)}.")
    return contiguous(v, dtype=like.dtype)


def _check_x(name, x):
    if x.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (rows, features); got shape {tuple(x.shape)}. Reshape to (-1, D) first."
        )
    check_float_dtype(name, x)
    if x.shape[1] == 0:
        raise ValueError(f"{name} has 0 features per row; layer norm needs at least one to take a mean.")
    return contiguous(x)


def layernorm_forward(x, weight, bias, eps=1e-5, *, version=None, block_size=DEFAULT_BLOCK_SIZE):
    """Normalise each row of x (rows, D); returns y (rows, D), mean (rows,), rstd (rows,).

    weight or bias may be None (meaning ones / zeros).  ``version``: one of ``versions.names``.
    """
    version = versions.pick(version)
    check_block_size(block_size)
    x = _check_x("x", x)
    rows, d = x.shape
    weight = _vector_or("weight", weight, d, 1.0, x)
    bias = _vector_or("bias", bias, d, 0.0, x)
    xp = array_module(x)
    y = xp.empty_like(x)
    mean = xp.empty(rows, dtype=x.dtype)
    rstd = xp.empty(rows, dtype=x.dtype)
    if rows == 0:
        return y, mean, rstd
    arguments = (x, weight, bias, scalar(x.dtype, eps), y, mean, rstd)
    if version == "naive":
        launch(layernorm_naive_kernel, (rows + block_size - 1) // block_size, block_size, *arguments)
    elif version == "fused":
        launch(layernorm_fused_kernel, rows, block_size, *arguments, shared_bytes=block_size * x.itemsize)
    else:
        launch(layernorm_welford_kernel, rows, block_size, *arguments)
    return y, mean, rstd


def layernorm_backward(dy, x, mean, rstd, weight, *, block_size=DEFAULT_BLOCK_SIZE):
    """Gradients of layernorm_forward: dx (rows, D), dweight (D,), dbias (D,)."""
    check_block_size(block_size)
    x = _check_x("x", x)
    dy = _check_x("dy", dy)
    if dy.shape != x.shape:
        raise ValueError(f"dy {tuple(dy.shape)} must match x {tuple(x.shape)}.")
    rows, d = x.shape
    weight = _vector_or("weight", weight, d, 1.0, x)
    mean = contiguous(mean, dtype=x.dtype)
    rstd = contiguous(rstd, dtype=x.dtype)
    xp = array_module(x)
    dx = xp.empty_like(x)
    dweight = xp.zeros(d, dtype=x.dtype)
    dbias = xp.zeros(d, dtype=x.dtype)
    if rows > 0:
        launch(layernorm_backward_input_kernel, rows, block_size, dy, x, mean, rstd, weight, dx)
        launch(layernorm_backward_params_kernel, *elementwise_launch(d), dy, x, mean, rstd, dweight, dbias)
    return dx, dweight, dbias


def kernel_launches(dtype):
    """Every kernel of this file and the biggest launch its launcher can choose (see kernels/sass.py)."""
    m, v = matrix(dtype), vector(dtype)
    forward = f"({m}, {v}, {v}, {dtype}, {m}, {v}, {v})"
    return [
        KernelLaunch(layernorm_naive_kernel, forward, MAX_BLOCK_SIZE),
        KernelLaunch(layernorm_fused_kernel, forward, MAX_BLOCK_SIZE, MAX_BLOCK_SIZE * np.dtype(dtype).itemsize),
        KernelLaunch(layernorm_welford_kernel, forward, MAX_BLOCK_SIZE),
        KernelLaunch(layernorm_backward_input_kernel, f"({m}, {m}, {v}, {v}, {v}, {m})", MAX_BLOCK_SIZE),
        KernelLaunch(layernorm_backward_params_kernel, f"({m}, {m}, {v}, {v}, {v}, {v})",
                     elementwise_launch(1 << 30)[1]),
    ]


# ---------------------------------------------------------------------------
# python -m kernels.layernorm: the forward ladder, checked against the CPU backend, then timed
# ---------------------------------------------------------------------------
def main(argv=None):
    from kernels import _ladder

    options = _ladder.parse_options(argv, "layer norm forward ladder", gpu_shape=(8192, 4096),
                                    simulator_shape=(3, 70))
    rows, cols = options.shape
    rng = np.random.default_rng(0)
    x_host = (rng.standard_normal((rows, cols)) * 3 + 1).astype(options.dtype)
    w_host = rng.standard_normal(cols).astype(options.dtype)
    b_host = rng.standard_normal(cols).astype(options.dtype)
    x, w, b = (_ladder.to_device(options, a) for a in (x_host, w_host, b_host))
    rungs = [
        _ladder.Rung(version, block, lambda version=version, block=block: layernorm_forward(
            x, w, b, 1e-5, version=version, block_size=block), pick=lambda out: out[0])
        for version in versions.names for block in options.block_sizes
    ]
    reference = _ladder.CPU.layer_norm(*(a.astype(np.float64) for a in (x_host, w_host, b_host)), 1e-5)[0]
    records = _ladder.run(f"layer norm forward ({rows}, {cols}) {options.dtype}", versions, rungs, reference,
                          bytes_moved=2 * x_host.nbytes, options=options)
    return _ladder.exit_code(records)


if __name__ == "__main__":
    raise SystemExit(main())
