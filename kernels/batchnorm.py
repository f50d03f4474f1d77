r"""Batch normalisation (training mode) on the GPU: a ladder of two versions, forward and backward.

    python -m kernels.batchnorm        # check both versions x block sizes, then time them

Forward (x (N, C, L); channel c has M = N*L values)
---------------------------------------------------
    mean_c = (1/M) sum x,   var_c = (1/M) sum (x - mean_c)^2 (biased),   rstd_c = 1 / sqrt(var_c + eps)
    y = (x - mean_c) * rstd_c * weight_c + bias_c

Backward (g = dL/dy; derived step by step in minigrad/ops/batchnorm.py)
-----------------------------------------------------------------------
    dbias_c = sum g,    dweight_c = sum g * xhat,    xhat = (x - mean_c) * rstd_c
    dx = weight_c * rstd_c * (g - dbias_c / M - xhat * dweight_c / M)

Unlike layer norm (kernels/layernorm.py), the parameter gradients here are *per channel* sums --
exactly the sums dx needs -- so one kernel computes all three gradients.

The ladder (``version=``, default ``versions.current``)
-------------------------------------------------------
    naive   one thread per channel does everything with plain loops: C threads in all, most of
            the GPU idle, each thread walking M values serially (and its neighbours' reads are
            L numbers apart: uncoalesced).  Kept deliberately simple: the first rung of the ladder.
    fused   one *block* per channel.  Its threads stride over the M values (thread t takes values
            t, t + B, ...), so neighbouring threads read neighbouring addresses, and the sums are
            the warp-shuffle reductions of kernels/reduce.py (block_sum_warps).
            forward: 3 passes over the channel (sum, sum of squared deviations, write y);
            backward: 2 passes (the two sums, then dx).

Threads and blocks (fused):  grid = (C,), block = (block_size,) a power of two;
element e of channel c is x[e // L, c, e % L].

Precision: every sum is accumulated in the input's dtype, so a float32 batch norm does float32
arithmetic (what cuDNN and PyTorch's CUDA kernels do too).  A channel of a large batch holds
~1e5-1e6 values, but "fused" splits it into block_size partial sums of M / block_size values
each, then adds those in a tree: the rounding error grows with M / block_size + log2(block_size),
not with M.  The variance is a second pass over (x - mean)^2, never E[x^2] - mean^2, so it does not
cancel.  "naive" sums each channel serially and is correspondingly less accurate in float32.

The reference: the CPU backend's formulas (``NumpyBackend.batch_norm`` / ``batch_norm_backward``),
in float64.
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
from kernels._launch import KernelLaunch, launch, vector
from kernels._versions import VersionSwitch
from kernels.reduce import DEFAULT_BLOCK_SIZE, block_sum_warps

#: The ladder, naive first; the launchers run ``versions.current`` unless told otherwise.
versions = VersionSwitch("batchnorm", ("naive", "fused"), default="fused")


# ---------------------------------------------------------------------------
# Version "naive": one thread per channel
# ---------------------------------------------------------------------------
@cuda.jit
def batchnorm_forward_naive_kernel(x, weight, bias, eps, y, mean_out, var_out):
    real = x.dtype.type
    n_images, length = x.shape[0], x.shape[2]
    m = real(n_images * length)
    for c in range(cuda.grid(1), x.shape[1], cuda.gridsize(1)):
        total = real(0)
        for n in range(n_images):
            for i in range(length):
                total += x[n, c, i]
        mean = total / m
        squares = real(0)
        for n in range(n_images):
            for i in range(length):
                deviation = x[n, c, i] - mean
                squares += deviation * deviation
        var = squares / m
        scale = weight[c] / math.sqrt(var + eps)
        for n in range(n_images):
            for i in range(length):
                y[n, c, i] = (x[n, c, i] - mean) * scale + bias[c]
        mean_out[c] = mean
        var_out[c] = var


@cuda.jit
def batchnorm_backward_naive_kernel(dy, x, mean, var, weight, eps, dx, dweight, dbias):
    real = x.dtype.type
    n_images, length = x.shape[0], x.shape[2]
    m = real(n_images * length)
    for c in range(cuda.grid(1), x.shape[1], cuda.gridsize(1)):
        rstd = real(1) / math.sqrt(var[c] + eps)
        sum_g = real(0)
        sum_g_xhat = real(0)
        for n in range(n_images):
            for i in range(length):
                sum_g += dy[n, c, i]
                sum_g_xhat += dy[n, c, i] * ((x[n, c, i] - mean[c]) * rstd)
        for n in range(n_images):
            for i in range(length):
                xhat = (x[n, c, i] - mean[c]) * rstd
                dx[n, c, i] = weight[c] * rstd * (dy[n, c, i] - sum_g / m - xhat * (sum_g_xhat / m))
        dweight[c] = sum_g_xhat
        dbias[c] = sum_g


# ---------------------------------------------------------------------------
# Version "fused": one block per channel, warp-shuffle reductions
# ---------------------------------------------------------------------------
@cuda.jit
def batchnorm_forward_fused_kernel(x, weight, bias, eps, y, mean_out, var_out):
    shared = cuda.shared.array(32, dtype=x.dtype)  # one slot per warp
    real = x.dtype.type
    c = cuda.blockIdx.x
    t = cuda.threadIdx.x
    length = x.shape[2]
    m = x.shape[0] * length
    partial = real(0)
    for e in range(t, m, cuda.blockDim.x):
        partial += x[e // length, c, e % length]
    mean = block_sum_warps(shared, partial) / real(m)
    partial = real(0)  # a second pass: the sum of squared deviations is more accurate than E[x^2] - mean^2
    for e in range(t, m, cuda.blockDim.x):
        deviation = x[e // length, c, e % length] - mean
        partial += deviation * deviation
    var = block_sum_warps(shared, partial) / real(m)
    scale = weight[c] / math.sqrt(var + eps)
    for e in range(t, m, cuda.blockDim.x):
        n, i = e // length, e % length
        y[n, c, i] = (x[n, c, i] - mean) * scale + bias[c]
    if t == 0:
        mean_out[c] = mean
        var_out[c] = var


@cuda.jit
def batchnorm_backward_fused_kernel(dy, x, mean, var, weight, eps, dx, dweight, dbias):
    shared = cuda.shared.array(32, dtype=x.dtype)
    real = x.dtype.type
    c = cuda.blockIdx.x
    t = cuda.threadIdx.x
    length = x.shape[2]
    m = x.shape[0] * length
    rstd = real(1) / math.sqrt(var[c] + eps)
    channel_mean = mean[c]
    partial_g = real(0)
    partial_g_xhat = real(0)
    for e in range(t, m, cuda.blockDim.x):
        n, i = e // length, e % length
        partial_g += dy[n, c, i]
        partial_g_xhat += dy[n, c, i] * ((x[n, c, i] - channel_mean) * rstd)
    sum_g = block_sum_warps(shared, partial_g)
    sum_g_xhat = block_sum_warps(shared, partial_g_xhat)
    scale = weight[c] * rstd
    g_term, xhat_term = sum_g / real(m), sum_g_xhat / real(m)
    for e in range(t, m, cuda.blockDim.x):
        n, i = e // length, e % length
        xhat = (x[n, c, i] - channel_mean) * rstd
        dx[n, c, i] = scale * (dy[n, c, i] - g_term - xhat * xhat_term)
    if t == 0:
        dweight[c] = sum_g_xhat
        dbias[c] = sum_g


# ---------------------------------------------------------------------------
# Launchers
# ---------------------------------------------------------------------------
def _check(name, x):
    if x.ndim != 3:
        raise ValueError(f"{name} must be 3-D (N, C, L); got shape {tuple(x.shape)}. Reshape to (N, C, -1) first.")
    check_float_dtype(name, x)
    return contiguous(x)


def _channel_vector(name, v, c, like):
    if tuple(v.shape) != (c,):
        raise ValueError(f"{name} must have shape ({c},), one number per channel; got {tuple(v.shape)}.")
    return contiguous(v, dtype=like.dtype)


def _launch(version, naive_kernel, fused_kernel, channels, block_size, *args):
    """naive: a grid-stride loop over the channels; fused: one block of ``block_size`` threads per channel."""
    if version == "naive":
        launch(naive_kernel, *elementwise_launch(channels, threads_per_block=block_size), *args)
    else:
        launch(fused_kernel, channels, block_size, *args)


def batchnorm_forward(x, weight, bias, eps=1e-5, *, version=None, block_size=DEFAULT_BLOCK_SIZE):
    """(y, mean, var) for x (N, C, L), with weight and bias (C,); mean and var (C,) are the batch's."""
    version = versions.pick(version)
    check_block_size(block_size)
    x = _check("x", x)
    c = x.shape[1]
    weight, bias = _channel_vector("weight", weight, c, x), _channel_vector("bias", bias, c, x)
    xp = array_module(x)
    y = xp.empty_like(x)
    mean, var = xp.empty(c, dtype=x.dtype), xp.empty(c, dtype=x.dtype)
    if x.size:
        _launch(version, batchnorm_forward_naive_kernel, batchnorm_forward_fused_kernel, c, block_size,
                x, weight, bias, scalar(x.dtype, eps), y, mean, var)
    return y, mean, var


def batchnorm_backward(dy, x, mean, var, weight, eps=1e-5, *, version=None, block_size=DEFAULT_BLOCK_SIZE):
    """(dx, dweight, dbias) of batchnorm_forward, given dy = dL/dy and the saved mean and var."""
    version = versions.pick(version)
    check_block_size(block_size)
    x, dy = _check("x", x), _check("dy", dy)
    if dy.shape != x.shape:
        raise ValueError(f"dy {tuple(dy.shape)} must match x {tuple(x.shape)}.")
    c = x.shape[1]
    mean, var = _channel_vector("mean", mean, c, x), _channel_vector("var", var, c, x)
    weight = _channel_vector("weight", weight, c, x)
    xp = array_module(x)
    dx = xp.empty_like(x)
    dweight, dbias = xp.zeros(c, dtype=x.dtype), xp.zeros(c, dtype=x.dtype)
    if x.size:
        _launch(version, batchnorm_backward_naive_kernel, batchnorm_backward_fused_kernel, c, block_size,
                dy, x, mean, var, weight, scalar(x.dtype, eps), dx, dweight, dbias)
    return dx, dweight, dbias


def kernel_launches(dtype):
    """Every kernel of this file and the biggest launch its launcher can choose (see kernels/sass.py)."""
    x, v = f"{dtype}[:, :, ::1]", vector(dtype)
    forward = f"({x}, {v}, {v}, {dtype}, {x}, {v}, {v})"
    backward = f"({x}, {x}, {v}, {v}, {v}, {dtype}, {x}, {v}, {v})"
    return [
        KernelLaunch(batchnorm_forward_naive_kernel, forward, MAX_BLOCK_SIZE),
        KernelLaunch(batchnorm_backward_naive_kernel, backward, MAX_BLOCK_SIZE),
        KernelLaunch(batchnorm_forward_fused_kernel, forward, MAX_BLOCK_SIZE),
        KernelLaunch(batchnorm_backward_fused_kernel, backward, MAX_BLOCK_SIZE),
    ]


# ---------------------------------------------------------------------------
# python -m kernels.batchnorm: forward + backward of each version, checked against the CPU, then timed
# ---------------------------------------------------------------------------
def main(argv=None):
    from kernels import _ladder

    options = _ladder.parse_options(argv, "batch-norm forward + backward ladder", gpu_shape=(128, 64, 1024),
                                    simulator_shape=(3, 4, 70), shape_help="batch channels pixels")
    if len(options.shape) != 3:
        raise SystemExit(f"error: --shape takes 3 numbers (batch channels pixels), got {options.shape}")
    n, c, length = options.shape
    rng = np.random.default_rng(0)
    x_host = (rng.standard_normal((n, c, length)) * 2 + 1).astype(options.dtype)
    w_host, b_host = (rng.standard_normal(c).astype(options.dtype) for _ in range(2))
    g_host = rng.standard_normal((n, c, length)).astype(options.dtype)
    x, weight, bias, g = (_ladder.to_device(options, a) for a in (x_host, w_host, b_host, g_host))

    def forward_backward(version, block):
        y, mean, var = batchnorm_forward(x, weight, bias, 1e-5, version=version, block_size=block)
        return (y,) + batchnorm_backward(g, x, mean, var, weight, 1e-5, version=version, block_size=block)

    rungs = [_ladder.Rung(version, block, lambda version=version, block=block: forward_backward(version, block))
             for version in versions.names for block in options.block_sizes]
    x64, w64, b64, g64 = (a.astype(np.float64) for a in (x_host, w_host, b_host, g_host))
    y_ref, mean_ref, var_ref = _ladder.CPU.batch_norm(x64, w64, b64, 1e-5)
    reference = (y_ref,) + _ladder.CPU.batch_norm_backward(g64, x64, mean_ref, var_ref, w64, 1e-5)
    records = _ladder.run(f"batch norm forward + backward {tuple(options.shape)} {options.dtype}", versions, rungs,
                          reference, bytes_moved=5 * x_host.nbytes, options=options)
    return _ladder.exit_code(records)


if __name__ == "__main__":
    raise SystemExit(main())
