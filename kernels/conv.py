r"""Convolution on the GPU: im2col and col2im, and a ladder of two forward versions.

Formula (x (N, C, H, W), weight (O, C/G, kh, kw) in G groups, output (N, O, OH, OW))
------------------------------------------------------------------------------------
    y[n, o, oy, ox] = sum_{c in group(o), i, j} w[o, c, i, j] * x[n, c, oy*sh - ph + i*dh, ox*sw - pw + j*dw]

(reads outside x count as 0: the padding).  The backward, derived in minigrad/ops/convolution.py,
needs no kernel of its own: it is two matmuls and a col2im.

im2col: the windows as matrix columns
-------------------------------------
    cols[(c, i, j), (oy, ox, n)] = x[n, c, oy*sh - ph + i*dh, ox*sw - pw + j*dw]    (0 outside x)

shape (C*kh*kw, OH*OW*N): then a convolution is W (O, C*kh*kw) @ cols, one matmul per group.
col2im is its adjoint -- each pixel receives the sum of the entries that were copied from it:

    x[n, c, y, x] = sum over (i, j) with y = oy*sh - ph + i*dh, x = ox*sw - pw + j*dw of cols[(c, i, j), (oy, ox, n)]

which is also a convolution's input gradient when cols = W^T @ dL/dy (the "transposed convolution").

Versions of the forward (``conv2d_forward(..., version=)``)
-----------------------------------------------------------
    direct   one thread per output number, looping over its C/G*kh*kw taps: every tap is a read of
             x and of w from global memory, 2*C/G*kh*kw reads per 2*C/G*kh*kw flops (the naive matmul's
             ratio), and no reuse between threads except through the cache.
    im2col   the im2col kernel writes cols (kh*kw times the size of x: the price of this version),
             then the tiled/register-blocked matmul of kernels/matmul.py reuses every loaded number
             16 or 64 times.  This is what the engine runs (CudaBackend.im2col + matmul).

Napkin math for a 3x3 convolution, 64 -> 64 channels, 32 x 32 images, batch 64 (float32):
2*64*64*9*32*32*64 = 4.8 GFLOP.  direct reads 2 numbers per multiply-add from memory/cache; im2col
moves 9 * 16 MiB = 151 MiB extra through memory once, then runs a matmul of (64, 576) x (576, 65536)
that the register-blocked kernel runs at a good fraction of peak.

Threads and blocks
------------------
All three kernels are one thread per *output* number, in a grid-stride loop over the flat index:

    im2col   e -> (row = (c, i, j), column = (oy, ox, n)); n runs fastest, so neighbouring threads
             write neighbouring addresses of cols (coalesced writes); their reads of x are C*H*W
             apart (one per image), mostly served by the cache since each x value is read kh*kw times.
    col2im   e -> (n, c, y, x), x fastest: each thread *gathers* the at most kh*kw entries of cols that
             came from its pixel (y + ph - i*dh must be a multiple of sh, and the quotient a valid oy).
             No atomics, so the sum order is fixed and the result deterministic.
    direct   e -> (n, o, oy, ox), ox fastest (coalesced writes of y).

dtypes: the kernels that add (col2im, direct) are built per dtype by a cached factory, so a float32
convolution also accumulates in float32, as cuBLAS does; im2col only copies.

Run it: ``python -m kernels.conv`` on a GPU (validates, then times), or
``NUMBA_ENABLE_CUDASIM=1 python -m kernels.conv`` anywhere (validation only).
"""
import functools

import numpy as np
from numba import cuda, float32, float64

from kernels._arrays import array_module, check_float_dtype, contiguous, elementwise_launch

CONV_VERSIONS = ("direct", "im2col")
DEFAULT_THREADS = 256


def _numba_dtype(dtype):
    return float32 if dtype == np.float32 else float64


def output_size(size, kernel_size, stride, padding, dilation):
    """(OH, OW): how many window positions fit (the formula of minigrad.backends.numpy_backend)."""
    from minigrad.backends.numpy_backend import conv_output_size
    return conv_output_size(size, kernel_size, stride, padding, dilation)


# ---------------------------------------------------------------------------
# im2col: one thread per entry of cols
# ---------------------------------------------------------------------------
@cuda.jit
def im2col_kernel(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    n_images, height, width = x.shape[0], x.shape[2], x.shape[3]
    n_columns = cols.shape[1]
    for e in range(cuda.grid(1), cols.shape[0] * n_columns, cuda.gridsize(1)):
        row, column = e // n_columns, e % n_columns
        j = row % kw
        i = (row // kw) % kh
        c = row // (kw * kh)
        n = column % n_images
        ox = (column // n_images) % ow
        oy = column // (n_images * ow)
        y = oy * sh - ph + i * dh
        xx = ox * sw - pw + j * dw
        if 0 <= y < height and 0 <= xx < width:
            cols[row, column] = x[n, c, y, xx]
        else:
            cols[row, column] = 0


# ---------------------------------------------------------------------------
# col2im: one thread per input pixel, gathering (no atomics)
# ---------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def col2im_kernel(dtype):
    """The col2im kernel for one dtype (its accumulator has the input's type)."""
    acc_type = _numba_dtype(dtype)

    @cuda.jit
    def col2im(cols, x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
        n_images, channels, height, width = x.shape
        for e in range(cuda.grid(1), x.size, cuda.gridsize(1)):
            xx = e % width
            y = (e // width) % height
            c = (e // (width * height)) % channels
            n = e // (width * height * channels)
            acc = acc_type(0)
            for i in range(kh):
                ty = y + ph - i * dh            # = oy * sh for the window oy that read (y, xx) at tap i
                if ty < 0 or ty % sh != 0 or ty // sh >= oh:
                    continue
                oy = ty // sh
                for j in range(kw):
                    tx = xx + pw - j * dw
                    if tx < 0 or tx % sw != 0 or tx // sw >= ow:
                        continue
                    acc += cols[(c * kh + i) * kw + j, ((oy * ow) + tx // sw) * n_images + n]
            x[n, c, y, xx] = acc

    return col2im


# ---------------------------------------------------------------------------
# Version "direct": one thread per output number
# ---------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def direct_kernel(dtype):
    """The direct convolution for one dtype."""
    acc_type = _numba_dtype(dtype)

    @cuda.jit
    def conv2d_direct(x, w, y, sh, sw, ph, pw, dh, dw, groups):
        height, width = x.shape[2], x.shape[3]
        out_channels, c_per_group, kh, kw = w.shape
        oh, ow = y.shape[2], y.shape[3]
        for e in range(cuda.grid(1), y.size, cuda.gridsize(1)):
            ox = e % ow
            oy = (e // ow) % oh
            o = (e // (ow * oh)) % out_channels
            n = e // (ow * oh * out_channels)
            first_channel = (o // (out_channels // groups)) * c_per_group
            acc = acc_type(0)
            for cg in range(c_per_group):
                for i in range(kh):
                    yy = oy * sh - ph + i * dh
                    if 0 <= yy < height:
                        for j in range(kw):
                            xx = ox * sw - pw + j * dw
                            if 0 <= xx < width:
                                acc += x[n, first_channel + cg, yy, xx] * w[o, cg, i, j]
            y[n, o, oy, ox] = acc

    return conv2d_direct


# ---------------------------------------------------------------------------
# Launchers
# ---------------------------------------------------------------------------
def _check_image(name, x):
    if x.ndim != 4:
        raise ValueError(f"{name} must be 4-D (N, C, H, W); got shape {tuple(x.shape)}.")
    check_float_dtype(name, x)
    return contiguous(x)


def _launch(kernel, n_outputs, block_size, *args):
    if n_outputs:
        blocks, threads = elementwise_launch(n_outputs, threads_per_block=block_size)
        kernel[blocks, threads](*args)


def im2col(x, kernel_size, stride, padding, dilation, *, block_size=DEFAULT_THREADS):
    """cols (C*kh*kw, OH*OW*N) of x (N, C, H, W); every geometry argument is an (h, w) pair."""
    x = _check_image("x", x)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh, ow = output_size((h, w), kernel_size, stride, padding, dilation)
    cols = array_module(x).empty((c * kh * kw, oh * ow * n), dtype=x.dtype)
    _launch(im2col_kernel, cols.size, block_size, x, cols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
    return cols


def col2im(cols, x_shape, kernel_size, stride, padding, dilation, *, block_size=DEFAULT_THREADS):
    """x (N, C, H, W) = ``x_shape``: the sum of the entries of cols taken from each pixel."""
    check_float_dtype("cols", cols)
    cols = contiguous(cols)
    n, c, h, w = x_shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh, ow = output_size((h, w), kernel_size, stride, padding, dilation)
    if tuple(cols.shape) != (c * kh * kw, oh * ow * n):
        raise ValueError(f"cols has shape {tuple(cols.shape)}, but an input of shape {tuple(x_shape)} with these "
                         f"windows gives ({c * kh * kw}, {oh * ow * n}).")
    x = array_module(cols).empty(tuple(x_shape), dtype=cols.dtype)
    _launch(col2im_kernel(cols.dtype), x.size, block_size, cols, x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
    return x


def conv2d_forward(x, weight, stride, padding, dilation, groups=1, *, version="im2col", block_size=DEFAULT_THREADS):
    """y (N, O, OH, OW) = the convolution of x with weight (no bias), by the chosen version."""
    if version not in CONV_VERSIONS:
        raise ValueError(f"unknown conv version {version!r}; choose one of {CONV_VERSIONS}.")
    x, weight = _check_image("x", x), _check_image("weight", weight)
    if x.dtype != weight.dtype:
        raise TypeError(f"x is {x.dtype} but weight is {weight.dtype}; cast one so both match.")
    xp = array_module(x)
    n, c, h, w = x.shape
    o, c_per_group, kh, kw = weight.shape
    if c != c_per_group * groups or o % groups:
        raise ValueError(f"weight {tuple(weight.shape)} with groups={groups} does not fit an input of {c} channels.")
    oh, ow = output_size((h, w), (kh, kw), stride, padding, dilation)
    if version == "direct":
        y = xp.empty((n, o, oh, ow), dtype=x.dtype)
        _launch(direct_kernel(x.dtype), y.size, block_size, x, weight, y, *stride, *padding, *dilation, groups)
        return y
    from kernels.matmul import matmul  # version "im2col": the windows, then one matmul per group
    cols = im2col(x, (kh, kw), stride, padding, dilation, block_size=block_size)
    y = matmul(weight.reshape(groups, o // groups, -1), cols.reshape(groups, -1, cols.shape[1]))
    return xp.ascontiguousarray(y.reshape(o, oh, ow, n).transpose(3, 0, 1, 2))


# ---------------------------------------------------------------------------
# The reference: minigrad's CPU formulas (NumpyBackend.im2col / col2im, and the CPU conv2d op)
# ---------------------------------------------------------------------------
def reference_backend():
    from minigrad.backends import get_backend
    return get_backend("cpu")


def conv2d_reference(x, weight, stride, padding, dilation, groups=1):
    """minigrad's own conv2d on the CPU (im2col + matmul in NumPy), as a NumPy array."""
    import minigrad as mg
    return mg.nn.functional.conv2d(mg.tensor(x), mg.tensor(weight), None, stride, padding, dilation, groups).numpy()


# ---------------------------------------------------------------------------
# python -m kernels.conv: validate every version x block size, then time them
# ---------------------------------------------------------------------------
def main():
    from kernels import _ladder

    rng = np.random.default_rng(0)
    cpu = reference_backend()
    print(f"kernels.conv on {_ladder.where()}")
    geometries = [((2, 3, 7, 6), (4, 3, 3, 2), (1, 1), (1, 0), (1, 1), 1),
                  ((1, 4, 6, 7), (6, 2, 2, 3), (2, 1), (1, 2), (2, 1), 2)]
    for dtype in (np.float32, np.float64):
        for x_shape, w_shape, stride, padding, dilation, groups in geometries:
            x = rng.standard_normal(x_shape).astype(dtype)
            weight = rng.standard_normal(w_shape).astype(dtype)
            kernel_size = w_shape[2:]
            cols = cpu.im2col(x, kernel_size, stride, padding, dilation)
            expected = conv2d_reference(x, weight, stride, padding, dilation, groups)
            for block_size in (32, 64, 256):
                tag = f"{np.dtype(dtype).name} {x_shape} block {block_size}"
                got = im2col(_ladder.on_device(x), kernel_size, stride, padding, dilation, block_size=block_size)
                _ladder.check(f"im2col {tag}", got, cols, dtype)
                back = col2im(_ladder.on_device(cols), x_shape, kernel_size, stride, padding, dilation,
                              block_size=block_size)
                _ladder.check(f"col2im {tag}", back, cpu.col2im(cols, x_shape, kernel_size, stride, padding,
                                                                dilation), dtype)
                for version in CONV_VERSIONS:
                    got = conv2d_forward(_ladder.on_device(x), _ladder.on_device(weight), stride, padding, dilation,
                                         groups, version=version, block_size=block_size)
                    _ladder.check(f"conv2d {version} {tag}", got, expected, dtype)
    if _ladder.SIMULATED:
        print("(simulator: correctness only; timings need a GPU)")
        return
    n, c, o, size = 64, 64, 64, 32
    x = _ladder.on_device(rng.standard_normal((n, c, size, size)).astype(np.float32))
    weight = _ladder.on_device(rng.standard_normal((o, c, 3, 3)).astype(np.float32))
    flops = 2 * n * o * c * 9 * size * size
    print(f"timing a 3x3 convolution {c} -> {o} channels on {n} x {size} x {size} float32 images "
          f"({flops / 1e9:.1f} GFLOP)")
    for version in CONV_VERSIONS:
        for block_size in (128, 256, 512):
            seconds = _ladder.median_seconds(lambda: conv2d_forward(x, weight, (1, 1), (1, 1), (1, 1), 1,
                                                                    version=version, block_size=block_size))
            print(f"  conv2d {version:7s} block {block_size:4d}   {seconds * 1e3:8.3f} ms   "
                  f"{flops / seconds / 1e12:6.2f} TFLOP/s")
    cols = im2col(x, (3, 3), (1, 1), (1, 1), (1, 1))
    seconds = _ladder.median_seconds(lambda: im2col(x, (3, 3), (1, 1), (1, 1), (1, 1)))
    _ladder.report_time("im2col (writes 9x the input)", seconds, x.nbytes + cols.nbytes)
    seconds = _ladder.median_seconds(lambda: col2im(cols, x.shape, (3, 3), (1, 1), (1, 1), (1, 1)))
    _ladder.report_time("col2im (gathers 9 entries per pixel)", seconds, x.nbytes + cols.nbytes)


if __name__ == "__main__":
    main()
