r"""Max pooling on the GPU: the forward, and a ladder of two backwards.

Formula (x (N, C, H, W), a kh x kw window with stride, padding and dilation, output (N, C, OH, OW))
--------------------------------------------------------------------------------------------------
    y[n, c, oy, ox]       = max over the taps (i, j) inside x of x[n, c, oy*sh - ph + i*dh, ox*sw - pw + j*dw]
    indices[n, c, oy, ox] = y_pos * W + x_pos of that maximum (the first one in row-major order;
                            a NaN wins, as in PyTorch)

Derivative: locally y is just one of its inputs, the winner, so dy/dx is 1 for the winner and 0
for the other taps, and

    dx[n, c, p] = sum of g[n, c, oy, ox] over the outputs whose winner is p.

Versions of the backward (``max_pool2d_backward(..., version=)``)
-----------------------------------------------------------------
    atomic   one thread per *output*: dx[n, c, indices[...]] += g with cuda.atomic.add.  Simple,
             but when windows overlap (stride < kernel) two threads may add to the same pixel, the
             hardware serialises them, and the order of the float additions -- so the last bits --
             changes from run to run.
    gather   one thread per *input* pixel p: it visits the at most kh*kw windows that contain p
             (the same arithmetic as col2im in conv.py) and adds g of those whose winner is p.
             No atomics, a fixed order, deterministic: the default.

Threads and blocks
------------------
Every kernel is a grid-stride loop over the flat index of what it writes, the last axis fastest
(neighbouring threads write neighbouring addresses):

    forward   e -> (n, c, oy, ox)      reads its window (kh*kw loads, each from the cache mostly)
    atomic    e -> (n, c, oy, ox)      one atomic add into dx
    gather    e -> (n, c, y, x)        reads up to kh*kw indices and gradients

Memory traffic (forward): x is read about kh*kw / (sh*sw) times (once when stride = kernel), y and
indices are written once: for a 2x2 window, stride 2, that is 4 bytes read per 1 + 2 bytes written
per input number in float32 -- a bandwidth-bound kernel.

Run it: ``python -m kernels.pool`` on a GPU, ``NUMBA_ENABLE_CUDASIM=1 python -m kernels.pool`` anywhere.
"""
import functools

import numpy as np
from numba import cuda, float32, float64

from kernels._arrays import array_module, check_float_dtype, contiguous, elementwise_launch

BACKWARD_VERSIONS = ("atomic", "gather")
DEFAULT_THREADS = 256


def _numba_dtype(dtype):
    return float32 if dtype == np.float32 else float64


# ---------------------------------------------------------------------------
# Forward: one thread per output
# ---------------------------------------------------------------------------
@cuda.jit
def max_pool2d_forward_kernel(x, y, indices, kh, kw, sh, sw, ph, pw, dh, dw):
    channels, height, width = x.shape[1], x.shape[2], x.shape[3]
    oh, ow = y.shape[2], y.shape[3]
    for e in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        ox = e % ow
        oy = (e // ow) % oh
        c = (e // (ow * oh)) % channels
        n = e // (ow * oh * channels)
        best = x[n, c, 0, 0]       # any value of the right type; replaced by the first tap inside x
        best_index = -1
        for i in range(kh):
            row = oy * sh - ph + i * dh
            if 0 <= row < height:
                for j in range(kw):
                    column = ox * sw - pw + j * dw
                    if 0 <= column < width:
                        value = x[n, c, row, column]
                        # take it if it is the first, larger, or the first NaN (NaN != NaN)
                        if best_index < 0 or value > best or (value != value and best == best):
                            best = value
                            best_index = row * width + column
        y[n, c, oy, ox] = best
        indices[n, c, oy, ox] = best_index


# ---------------------------------------------------------------------------
# Backward version "atomic": one thread per output, scattering
# ---------------------------------------------------------------------------
@cuda.jit
def max_pool2d_backward_atomic_kernel(grad, indices, dx_flat, plane_size):
    channels, oh, ow = grad.shape[1], grad.shape[2], grad.shape[3]
    for e in range(cuda.grid(1), grad.size, cuda.gridsize(1)):
        ox = e % ow
        oy = (e // ow) % oh
        c = (e // (ow * oh)) % channels
        n = e // (ow * oh * channels)
        cuda.atomic.add(dx_flat, (n * channels + c) * plane_size + indices[n, c, oy, ox], grad[n, c, oy, ox])


# ---------------------------------------------------------------------------
# Backward version "gather": one thread per input pixel, no atomics
# ---------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def max_pool2d_backward_gather_kernel(dtype):
    """The gather kernel for one dtype (its accumulator has the gradient's type)."""
    acc_type = _numba_dtype(dtype)

    @cuda.jit
    def max_pool2d_backward_gather(grad, indices, dx, kh, kw, sh, sw, ph, pw, dh, dw):
        channels, height, width = dx.shape[1], dx.shape[2], dx.shape[3]
        oh, ow = grad.shape[2], grad.shape[3]
        for e in range(cuda.grid(1), dx.size, cuda.gridsize(1)):
            xx = e % width
            y = (e // width) % height
            c = (e // (width * height)) % channels
            n = e // (width * height * channels)
            me = y * width + xx
            acc = acc_type(0)
            for i in range(kh):
                ty = y + ph - i * dh            # = oy * sh for a window oy that has (y, xx) at tap i
                if ty < 0 or ty % sh != 0 or ty // sh >= oh:
                    continue
                for j in range(kw):
                    tx = xx + pw - j * dw
                    if tx < 0 or tx % sw != 0 or tx // sw >= ow:
                        continue
                    if indices[n, c, ty // sh, tx // sw] == me:
                        acc += grad[n, c, ty // sh, tx // sw]
            dx[n, c, y, xx] = acc

    return max_pool2d_backward_gather


# ---------------------------------------------------------------------------
# Launchers
# ---------------------------------------------------------------------------
def _launch(kernel, n_outputs, block_size, *args):
    if n_outputs:
        blocks, threads = elementwise_launch(n_outputs, threads_per_block=block_size)
        kernel[blocks, threads](*args)


def max_pool2d_forward(x, kernel_size, stride, padding, dilation, out_size, *, block_size=DEFAULT_THREADS):
    """(y, indices) for x (N, C, H, W); ``out_size`` = (OH, OW) (ceil_mode is decided by the caller)."""
    if x.ndim != 4:
        raise ValueError(f"x must be 4-D (N, C, H, W); got shape {tuple(x.shape)}.")
    check_float_dtype("x", x)
    x = contiguous(x)
    xp = array_module(x)
    shape = tuple(x.shape[:2]) + tuple(out_size)
    y = xp.empty(shape, dtype=x.dtype)
    indices = xp.empty(shape, dtype=np.int64)
    _launch(max_pool2d_forward_kernel, y.size, block_size, x, y, indices, *kernel_size, *stride, *padding, *dilation)
    return y, indices


def max_pool2d_backward(grad, indices, x_shape, kernel_size, stride, padding, dilation, *, version="gather",
                        block_size=DEFAULT_THREADS):
    """dx (x_shape): each output's gradient added to the input that won its window."""
    if version not in BACKWARD_VERSIONS:
        raise ValueError(f"unknown max-pool backward version {version!r}; choose one of {BACKWARD_VERSIONS}.")
    check_float_dtype("grad", grad)
    grad, indices = contiguous(grad), contiguous(indices)
    if tuple(grad.shape) != tuple(indices.shape):
        raise ValueError(f"grad {tuple(grad.shape)} and indices {tuple(indices.shape)} must have the same shape.")
    xp = array_module(grad)
    if version == "atomic":
        dx = xp.zeros(int(np.prod(x_shape)), dtype=grad.dtype)
        _launch(max_pool2d_backward_atomic_kernel, grad.size, block_size, grad, indices, dx,
                int(x_shape[2] * x_shape[3]))
        return dx.reshape(tuple(x_shape))
    dx = xp.empty(tuple(x_shape), dtype=grad.dtype)
    _launch(max_pool2d_backward_gather_kernel(grad.dtype), dx.size, block_size, grad, indices, dx,
            *kernel_size, *stride, *padding, *dilation)
    return dx


# ---------------------------------------------------------------------------
# The reference: the CPU backend's formulas
# ---------------------------------------------------------------------------
def reference_backend():
    from minigrad.backends import get_backend
    return get_backend("cpu")


# ---------------------------------------------------------------------------
# python -m kernels.pool: validate every version x block size, then time them
# ---------------------------------------------------------------------------
def main():
    from kernels import _ladder

    rng = np.random.default_rng(0)
    cpu = reference_backend()
    print(f"kernels.pool on {_ladder.where()}")
    geometries = [((2, 3, 6, 7), (2, 2), (2, 2), (0, 0), (1, 1), (3, 3)),      # the CNN's pooling
                  ((1, 2, 7, 6), (3, 2), (1, 2), (1, 1), (1, 2), (7, 3)),      # overlapping, dilated
                  ((2, 2, 5, 5), (3, 3), (2, 2), (1, 1), (1, 1), (3, 3))]      # padding
    for dtype in (np.float32, np.float64):
        for x_shape, kernel_size, stride, padding, dilation, out_size in geometries:
            x = rng.standard_normal(x_shape).astype(dtype)
            y, indices = cpu.max_pool2d(x, kernel_size, stride, padding, dilation, out_size)
            grad = rng.standard_normal(y.shape).astype(dtype)
            dx = cpu.max_pool2d_backward(grad, indices, x_shape, kernel_size, stride, padding, dilation)
            for block_size in (32, 256):
                tag = f"{np.dtype(dtype).name} {x_shape} k{kernel_size} s{stride} block {block_size}"
                got_y, got_indices = max_pool2d_forward(_ladder.on_device(x), kernel_size, stride, padding, dilation,
                                                        out_size, block_size=block_size)
                _ladder.check(f"forward {tag}", got_y, y, dtype)
                _ladder.check(f"indices {tag}", got_indices, indices, np.float64)
                for version in BACKWARD_VERSIONS:
                    got = max_pool2d_backward(_ladder.on_device(grad), _ladder.on_device(indices), x_shape,
                                              kernel_size, stride, padding, dilation, version=version,
                                              block_size=block_size)
                    _ladder.check(f"backward {version} {tag}", got, dx, dtype)
    if _ladder.SIMULATED:
        print("(simulator: correctness only; timings need a GPU)")
        return
    shape = (128, 64, 64, 64)
    x = _ladder.on_device(rng.standard_normal(shape).astype(np.float32))
    print(f"timing 2x2 max pooling, stride 2, of {shape} float32")
    y, indices = max_pool2d_forward(x, (2, 2), (2, 2), (0, 0), (1, 1), (32, 32))
    for block_size in (128, 256, 512):
        seconds = _ladder.median_seconds(
            lambda: max_pool2d_forward(x, (2, 2), (2, 2), (0, 0), (1, 1), (32, 32), block_size=block_size))
        _ladder.report_time(f"forward block {block_size}", seconds, x.nbytes + y.nbytes + indices.nbytes)
        for version in BACKWARD_VERSIONS:
            seconds = _ladder.median_seconds(lambda: max_pool2d_backward(
                y, indices, shape, (2, 2), (2, 2), (0, 0), (1, 1), version=version, block_size=block_size))
            _ladder.report_time(f"backward {version} block {block_size}", seconds,
                                y.nbytes + indices.nbytes + x.nbytes)


if __name__ == "__main__":
    main()
