r"""Batch normalisation (training mode) on the GPU: fused forward and fused backward, one block per channel.

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

Versions (``version=``)
-----------------------
    naive   one thread per channel does everything with plain loops: C threads in all, most of
            the GPU idle, each thread walking M values serially (and its neighbours' reads are
            L numbers apart: uncoalesced).  Kept deliberately simple: the first rung of the ladder.
    fused   one *block* per channel.  Its threads stride over the M values (thread t takes values
            t, t + B, ...), so neighbouring threads read neighbouring addresses, and the sums are
            the shared-memory tree reductions of kernels/reduce.py (block_sum).
            forward: 3 passes over the channel (sum, sum of squared deviations, write y);
            backward: 2 passes (the two sums, then dx).

Threads and blocks (fused):  grid = (C,), block = (block_size,) a power of two;
element e of channel c is x[e // L, c, e % L].

Precision: the sums are accumulated in float64 in both dtypes (reduce.py's float64 shared buffer),
a deliberate choice: a channel of a large batch holds ~1e5-1e6 values, and a float32 running sum
of that many loses 3-4 digits.  In "fused" the per-element formula (y, dx) runs in the input's
dtype: the float64 statistics are converted once per block; "naive" does all its arithmetic in
float64 (it is the simple rung, not the fast one).

Run it: ``python -m kernels.batchnorm`` on a GPU, ``NUMBA_ENABLE_CUDASIM=1 python -m kernels.batchnorm`` anywhere.
"""
import functools
import math

import numpy as np
from numba import cuda, float32, float64

from kernels._arrays import array_module, check_block_size, check_float_dtype, contiguous, elementwise_launch
from kernels.reduce import DEFAULT_BLOCK_SIZE, SHARED_BYTES_PER_THREAD, block_sum

BATCHNORM_VERSIONS = ("naive", "fused")


def _numba_dtype(dtype):
    return float32 if dtype == np.float32 else float64


# ---------------------------------------------------------------------------
# Version "naive": one thread per channel
# ---------------------------------------------------------------------------
@cuda.jit
def batchnorm_forward_naive_kernel(x, weight, bias, eps, y, mean_out, var_out):
    n_images, length = x.shape[0], x.shape[2]
    m = n_images * length
    for c in range(cuda.grid(1), x.shape[1], cuda.gridsize(1)):
        total = 0.0
        for n in range(n_images):
            for i in range(length):
                total += x[n, c, i]
        mean = total / m
        squares = 0.0
        for n in range(n_images):
            for i in range(length):
                squares += (x[n, c, i] - mean) ** 2
        var = squares / m
        scale = weight[c] / math.sqrt(var + eps)
        for n in range(n_images):
            for i in range(length):
                y[n, c, i] = (x[n, c, i] - mean) * scale + bias[c]
        mean_out[c] = mean
        var_out[c] = var


@cuda.jit
def batchnorm_backward_naive_kernel(dy, x, mean, var, weight, eps, dx, dweight, dbias):
    n_images, length = x.shape[0], x.shape[2]
    m = n_images * length
    for c in range(cuda.grid(1), x.shape[1], cuda.gridsize(1)):
        rstd = 1.0 / math.sqrt(var[c] + eps)
        sum_g = 0.0
        sum_g_xhat = 0.0
        for n in range(n_images):
            for i in range(length):
                sum_g += dy[n, c, i]
                sum_g_xhat += dy[n, c, i] * (x[n, c, i] - mean[c]) * rstd
        for n in range(n_images):
            for i in range(length):
                xhat = (x[n, c, i] - mean[c]) * rstd
                dx[n, c, i] = weight[c] * rstd * (dy[n, c, i] - sum_g / m - xhat * sum_g_xhat / m)
        dweight[c] = sum_g_xhat
        dbias[c] = sum_g


# ---------------------------------------------------------------------------
# Version "fused": one block per channel, tree reductions in shared memory
# ---------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def fused_forward_kernel(dtype):
    """The fused forward for one dtype (the per-element formula runs in that dtype)."""
    value = _numba_dtype(dtype)

    @cuda.jit
    def batchnorm_forward_fused(x, weight, bias, eps, y, mean_out, var_out):
        shared = cuda.shared.array(0, dtype=float64)
        c = cuda.blockIdx.x
        t = cuda.threadIdx.x
        length = x.shape[2]
        m = x.shape[0] * length
        partial = 0.0
        for e in range(t, m, cuda.blockDim.x):
            partial += x[e // length, c, e % length]
        mean = block_sum(shared, partial) / m
        partial = 0.0  # a second pass: the sum of squared deviations is more accurate than E[x^2] - mean^2
        for e in range(t, m, cuda.blockDim.x):
            deviation = x[e // length, c, e % length] - mean
            partial += deviation * deviation
        var = block_sum(shared, partial) / m
        mean_v = value(mean)
        scale = value(weight[c] / math.sqrt(var + eps))
        for e in range(t, m, cuda.blockDim.x):
            n, i = e // length, e % length
            y[n, c, i] = (x[n, c, i] - mean_v) * scale + bias[c]
        if t == 0:
            mean_out[c] = mean
            var_out[c] = var

    return batchnorm_forward_fused


@functools.lru_cache(maxsize=None)
def fused_backward_kernel(dtype):
    """The fused backward for one dtype."""
    value = _numba_dtype(dtype)

    @cuda.jit
    def batchnorm_backward_fused(dy, x, mean, var, weight, eps, dx, dweight, dbias):
        shared = cuda.shared.array(0, dtype=float64)
        c = cuda.blockIdx.x
        t = cuda.threadIdx.x
        length = x.shape[2]
        m = x.shape[0] * length
        rstd = 1.0 / math.sqrt(var[c] + eps)
        channel_mean = mean[c]
        partial_g = 0.0
        partial_g_xhat = 0.0
        for e in range(t, m, cuda.blockDim.x):
            n, i = e // length, e % length
            partial_g += dy[n, c, i]
            partial_g_xhat += dy[n, c, i] * ((x[n, c, i] - channel_mean) * rstd)
        sum_g = block_sum(shared, partial_g)
        sum_g_xhat = block_sum(shared, partial_g_xhat)
        mean_v, rstd_v = value(channel_mean), value(rstd)
        scale = value(weight[c] * rstd)
        g_term, xhat_term = value(sum_g / m), value(sum_g_xhat / m)
        for e in range(t, m, cuda.blockDim.x):
            n, i = e // length, e % length
            xhat = (x[n, c, i] - mean_v) * rstd_v
            dx[n, c, i] = scale * (dy[n, c, i] - g_term - xhat * xhat_term)
        if t == 0:
            dweight[c] = sum_g_xhat
            dbias[c] = sum_g

    return batchnorm_backward_fused


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


def _version(version):
    if version not in BATCHNORM_VERSIONS:
        raise ValueError(f"unknown batch-norm version {version!r}; choose one of {BATCHNORM_VERSIONS}.")
    return version


def batchnorm_forward(x, weight, bias, eps=1e-5, *, version="fused", block_size=DEFAULT_BLOCK_SIZE):
    """(y, mean, var) for x (N, C, L), with weight and bias (C,); mean and var (C,) are the batch's."""
    _version(version)
    check_block_size(block_size)
    x = _check("x", x)
    c = x.shape[1]
    weight, bias = _channel_vector("weight", weight, c, x), _channel_vector("bias", bias, c, x)
    xp = array_module(x)
    y = xp.empty_like(x)
    mean, var = xp.empty(c, dtype=x.dtype), xp.empty(c, dtype=x.dtype)
    if x.size:
        if version == "naive":
            blocks, threads = elementwise_launch(c)
            batchnorm_forward_naive_kernel[blocks, threads](x, weight, bias, float(eps), y, mean, var)
        else:
            fused_forward_kernel(x.dtype)[c, block_size, 0, block_size * SHARED_BYTES_PER_THREAD](
                x, weight, bias, float(eps), y, mean, var)
    return y, mean, var


def batchnorm_backward(dy, x, mean, var, weight, eps=1e-5, *, version="fused", block_size=DEFAULT_BLOCK_SIZE):
    """(dx, dweight, dbias) of batchnorm_forward, given dy = dL/dy and the saved mean and var."""
    _version(version)
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
        if version == "naive":
            blocks, threads = elementwise_launch(c)
            batchnorm_backward_naive_kernel[blocks, threads](dy, x, mean, var, weight, float(eps), dx, dweight, dbias)
        else:
            fused_backward_kernel(x.dtype)[c, block_size, 0, block_size * SHARED_BYTES_PER_THREAD](
                dy, x, mean, var, weight, float(eps), dx, dweight, dbias)
    return dx, dweight, dbias


# ---------------------------------------------------------------------------
# The reference: the CPU backend's formulas
# ---------------------------------------------------------------------------
def reference_backend():
    from minigrad.backends import get_backend
    return get_backend("cpu")


# ---------------------------------------------------------------------------
# python -m kernels.batchnorm: validate every version x block size, then time them
# ---------------------------------------------------------------------------
def main():
    from kernels import _ladder

    rng = np.random.default_rng(0)
    cpu = reference_backend()
    print(f"kernels.batchnorm on {_ladder.where()}")
    for dtype in (np.float32, np.float64):
        for shape in ((3, 4, 5), (2, 3, 70), (1, 2, 1)):
            x = (rng.standard_normal(shape) * 2 + 1).astype(dtype)
            weight, bias = rng.standard_normal(shape[1]).astype(dtype), rng.standard_normal(shape[1]).astype(dtype)
            dy = rng.standard_normal(shape).astype(dtype)
            y, mean, var = cpu.batch_norm(x, weight, bias, 1e-5)
            grads = cpu.batch_norm_backward(dy, x, mean, var, weight, 1e-5)
            for version in BATCHNORM_VERSIONS:
                for block_size in (1, 64):
                    tag = f"{version} {np.dtype(dtype).name} {shape} block {block_size}"
                    got = batchnorm_forward(_ladder.on_device(x), _ladder.on_device(weight), _ladder.on_device(bias),
                                            1e-5, version=version, block_size=block_size)
                    for name, g, e in zip(("y", "mean", "var"), got, (y, mean, var)):
                        _ladder.check(f"forward {name} {tag}", g, e, dtype)
                    got = batchnorm_backward(_ladder.on_device(dy), _ladder.on_device(x), _ladder.on_device(mean),
                                             _ladder.on_device(var), _ladder.on_device(weight), 1e-5,
                                             version=version, block_size=block_size)
                    for name, g, e in zip(("dx", "dweight", "dbias"), got, grads):
                        _ladder.check(f"backward {name} {tag}", g, e, dtype)
    if _ladder.SIMULATED:
        print("(simulator: correctness only; timings need a GPU)")
        return
    shape = (128, 64, 32 * 32)
    x = _ladder.on_device(rng.standard_normal(shape).astype(np.float32))
    ones, zeros = _ladder.on_device(np.ones(64, np.float32)), _ladder.on_device(np.zeros(64, np.float32))
    print(f"timing batch norm of {shape} float32 (N, C, H*W)")
    for version in BATCHNORM_VERSIONS:
        for block_size in ((1,) if version == "naive" else (128, 256, 512, 1024)):
            seconds = _ladder.median_seconds(lambda: batchnorm_forward(x, ones, zeros, version=version,
                                                                       block_size=block_size), repeats=5)
            _ladder.report_time(f"forward {version} block {block_size}", seconds, 2 * x.nbytes)
            _, mean, var = batchnorm_forward(x, ones, zeros)
            seconds = _ladder.median_seconds(lambda: batchnorm_backward(x, x, mean, var, ones, version=version,
                                                                        block_size=block_size), repeats=5)
            _ladder.report_time(f"backward {version} block {block_size}", seconds, 3 * x.nbytes)


if __name__ == "__main__":
    main()
