r"""Layer normalisation over the last axis: one block per row, then one thread per column.

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

Threads and blocks
------------------
    forward and dx:    grid = (rows,), block = (block_size,); thread t handles columns
                       t, t+B, ...; reductions through shared memory (reduce.py)

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
from numba import cuda, float64

from kernels._arrays import (
    array_module,
    check_block_size,
    check_float_dtype,
    contiguous,
    elementwise_launch,
)
from kernels.reduce import DEFAULT_BLOCK_SIZE, SHARED_BYTES_PER_THREAD, block_sum


# ---------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------
@cuda.jit
def layernorm_forward_kernel(x, weight, bias, eps, y, mean_out, rstd_out):
    shared = cuda.shared.array(0, dtype=float64)
    row = cuda.blockIdx.x
    t = cuda.threadIdx.x
    d = x.shape[1]

    local_sum = 0.0
    for j in range(t, d, cuda.blockDim.x):
        local_sum += x[row, j]
    mean = block_sum(shared, local_sum) / d

    local_sq = 0.0  # second pass over the row: sum of squared deviations is more accurate than E[x^2]-E[x]^2
    for j in range(t, d, cuda.blockDim.x):
        dev = x[row, j] - mean
        local_sq += dev * dev
    rstd = 1.0 / math.sqrt(block_sum(shared, local_sq) / d + eps)

    for j in range(t, d, cuda.blockDim.x):
        y[row, j] = (x[row, j] - mean) * rstd * weight[j] + bias[j]
    if t == 0:
        mean_out[row] = mean
        rstd_out[row] = rstd


@cuda.jit
def layernorm_backward_input_kernel(dy, x, mean, rstd, weight, dx):
    shared = cuda.shared.array(0, dtype=float64)
    row = cuda.blockIdx.x
    t = cuda.threadIdx.x
    d = x.shape[1]
    row_mean = mean[row]
    row_rstd = rstd[row]

    local_g = 0.0
    local_g_xhat = 0.0
    for j in range(t, d, cuda.blockDim.x):
        g = dy[row, j] * weight[j]
        local_g += g
        local_g_xhat += g * (x[row, j] - row_mean) * row_rstd
    mean_g = block_sum(shared, local_g) / d
    mean_g_xhat = block_sum(shared, local_g_xhat) / d

    for j in range(t, d, cuda.blockDim.x):
        g = dy[row, j] * weight[j]
        xhat = (x[row, j] - row_mean) * row_rstd
        dx[row, j] = row_rstd * (g - mean_g - xhat * mean_g_xhat)


@cuda.jit
def layernorm_backward_params_kernel(dy, x, mean, rstd, dweight, dbias):
    for j in range(cuda.grid(1), x.shape[1], cuda.gridsize(1)):
        sum_dw = 0.0
        sum_db = 0.0
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


def layernorm_forward(x, weight, bias, eps=1e-5, *, block_size=DEFAULT_BLOCK_SIZE):
    """Normalise each row of x (rows, D); returns y (rows, D), mean (rows,), rstd (rows,).

    weight or bias may be None (meaning ones / zeros).
    """
    check_block_size(block_size)
    x = _check_x("x", x)
    rows, d = x.shape
    weight = _vector_or("weight", weight, d, 1.0, x)
    bias = _vector_or("bias", bias, d, 0.0, x)
    xp = array_module(x)
    y = xp.empty_like(x)
    mean = xp.empty(rows, dtype=x.dtype)
    rstd = xp.empty(rows, dtype=x.dtype)
    if rows > 0:
        layernorm_forward_kernel[rows, block_size, 0, block_size * SHARED_BYTES_PER_THREAD](
            x, weight, bias, float(eps), y, mean, rstd
        )
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
        layernorm_backward_input_kernel[rows, block_size, 0, block_size * SHARED_BYTES_PER_THREAD](
            dy, x, mean, rstd, weight, dx
        )
        blocks, threads = elementwise_launch(d)
        layernorm_backward_params_kernel[blocks, threads](dy, x, mean, rstd, dweight, dbias)
    return dx, dweight, dbias


# ---------------------------------------------------------------------------
# NumPy references
# ---------------------------------------------------------------------------
def layernorm_forward_reference(x, weight, bias, eps=1e-5):
    d = x.shape[1]
    weight = np.ones(d, x.dtype) if weight is None else weight
    bias = np.zeros(d, x.dtype) if bias is None else bias
    mean = x.mean(axis=1)
    var = ((x - mean[:, None]) ** 2).mean(axis=1)
    rstd = 1 / np.sqrt(var + eps)
    y = (x - mean[:, None]) * rstd[:, None] * weight + bias
    return y.astype(x.dtype), mean.astype(x.dtype), rstd.astype(x.dtype)


def layernorm_backward_reference(dy, x, mean, rstd, weight):
    weight = np.ones(x.shape[1], x.dtype) if weight is None else weight
    xhat = (x - mean[:, None]) * rstd[:, None]
    g = dy * weight
    dx = rstd[:, None] * (g - g.mean(axis=1, keepdims=True) - xhat * (g * xhat).mean(axis=1, keepdims=True))
    return dx.astype(x.dtype), (dy * xhat).sum(axis=0).astype(x.dtype), dy.sum(axis=0).astype(x.dtype)
