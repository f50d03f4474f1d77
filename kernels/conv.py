r"""Convolution on the GPU: im2col and col2im, and a ladder of two forward versions.

    python -m kernels.conv             # check both versions x block sizes, then time them

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

The ladder (forward; ``conv2d_forward(..., version=)``, default ``versions.current``)
-------------------------------------------------------------------------------------
    direct   one thread per output number, looping over its C/G*kh*kw taps: every tap is a read of
             x and of w from global memory, 2*C/G*kh*kw reads per 2*C/G*kh*kw flops (the naive matmul's
             ratio), and no reuse between threads except through the cache.
    im2col   the im2col kernel writes cols (kh*kw times the size of x: the price of this version),
             then the tiled/register-blocked matmul of kernels/matmul.py reuses every loaded number
             16 or 64 times.  This is what the engine runs: the Conv2d op (minigrad/ops/convolution.py)
             calls CudaBackend.im2col and the matmul kernels itself, because its backward reuses cols
             for the weight gradient; ``versions.current`` is "im2col" for that reason, and "direct"
             is the ladder's naive rung.

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

dtypes: the kernels that add (col2im, direct) accumulate in the input's dtype (``x.dtype.type(0)``),
so a float32 convolution adds in float32, as cuBLAS does; im2col only copies.

The reference: the CPU backend's formulas (``NumpyBackend.im2col`` / ``col2im``, and for the whole
convolution minigrad's Conv2d op on the CPU, which is that im2col and one NumPy matmul per group),
in float64.  ``python -m kernels.conv`` checks every rung against it, then times it on a GPU.
"""
import numpy as np
from numba import cuda

from kernels._arrays import MAX_BLOCK_SIZE, array_module, check_float_dtype, contiguous, elementwise_launch
from kernels._launch import KernelLaunch, launch, matrix
from kernels._versions import VersionSwitch
from minigrad.backends.numpy_backend import conv_output_size

#: The forward ladder, naive first; ``conv2d_forward`` runs ``versions.current`` unless told otherwise.
versions = VersionSwitch("conv", ("direct", "im2col"), default="im2col")
DEFAULT_THREADS = 256


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
            cols[row, column] = cols.dtype.type(0)


# ---------------------------------------------------------------------------
# col2im: one thread per input pixel, gathering (no atomics)
# ---------------------------------------------------------------------------
@cuda.jit
def col2im_kernel(cols, x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    n_images, channels, height, width = x.shape
    for e in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        xx = e % width
        y = (e // width) % height
        c = (e // (width * height)) % channels
        n = e // (width * height * channels)
        acc = x.dtype.type(0)
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


# ---------------------------------------------------------------------------
# Version "direct": one thread per output number
# ---------------------------------------------------------------------------
@cuda.jit
def conv2d_direct_kernel(x, w, y, sh, sw, ph, pw, dh, dw, groups):
    height, width = x.shape[2], x.shape[3]
    out_channels, c_per_group, kh, kw = w.shape
    oh, ow = y.shape[2], y.shape[3]
    for e in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        ox = e % ow
        oy = (e // ow) % oh
        o = (e // (ow * oh)) % out_channels
        n = e // (ow * oh * out_channels)
        first_channel = (o // (out_channels // groups)) * c_per_group
        acc = y.dtype.type(0)
        for cg in range(c_per_group):
            for i in range(kh):
                yy = oy * sh - ph + i * dh
                if 0 <= yy < height:
                    for j in range(kw):
                        xx = ox * sw - pw + j * dw
                        if 0 <= xx < width:
                            acc += x[n, first_channel + cg, yy, xx] * w[o, cg, i, j]
        y[n, o, oy, ox] = acc


# ---------------------------------------------------------------------------
# Launchers
# ---------------------------------------------------------------------------
def _check_image(name, x):
    if x.ndim != 4:
        raise ValueError(f"{name} must be 4-D (N, C, H, W); got shape {tuple(x.shape)}.")
    check_float_dtype(name, x)
    return contiguous(x)


def _launch_over(kernel, n_outputs, block_size, *args):
    """A grid-stride launch of ``kernel`` over ``n_outputs`` numbers, ``block_size`` threads per block."""
    if n_outputs:
        launch(kernel, *elementwise_launch(n_outputs, threads_per_block=block_size), *args)


def im2col(x, kernel_size, stride, padding, dilation, *, block_size=DEFAULT_THREADS):
    """cols (C*kh*kw, OH*OW*N) of x (N, C, H, W); every geometry argument is an (h, w) pair."""
    x = _check_image("x", x)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh, ow = conv_output_size((h, w), kernel_size, stride, padding, dilation)
    cols = array_module(x).empty((c * kh * kw, oh * ow * n), dtype=x.dtype)
    _launch_over(im2col_kernel, cols.size, block_size, x, cols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
    return cols


def col2im(cols, x_shape, kernel_size, stride, padding, dilation, *, block_size=DEFAULT_THREADS):
    """x (N, C, H, W) = ``x_shape``: the sum of the entries of cols taken from each pixel."""
    check_float_dtype("cols", cols)
    cols = contiguous(cols)
    n, c, h, w = x_shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh, ow = conv_output_size((h, w), kernel_size, stride, padding, dilation)
    if tuple(cols.shape) != (c * kh * kw, oh * ow * n):
        raise ValueError(f"cols has shape {tuple(cols.shape)}, but an input of shape {tuple(x_shape)} with these "
                         f"windows gives ({c * kh * kw}, {oh * ow * n}).")
    x = array_module(cols).empty(tuple(x_shape), dtype=cols.dtype)
    _launch_over(col2im_kernel, x.size, block_size, cols, x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
    return x


def conv2d_forward(x, weight, stride, padding, dilation, groups=1, *, version=None, block_size=DEFAULT_THREADS):
    """y (N, O, OH, OW) = the convolution of x with weight (no bias), by the chosen version."""
    version = versions.pick(version)
    x, weight = _check_image("x", x), _check_image("weight", weight)
    if x.dtype != weight.dtype:
        raise TypeError(f"x is {x.dtype} but weight is {weight.dtype}; cast one so both match.")
    xp = array_module(x)
    n, c, h, w = x.shape
    o, c_per_group, kh, kw = weight.shape
    if c != c_per_group * groups or o % groups:
        raise ValueError(f"weight {tuple(weight.shape)} with groups={groups} does not fit an input of {c} channels.")
    oh, ow = conv_output_size((h, w), (kh, kw), stride, padding, dilation)
    if version == "direct":
        y = xp.empty((n, o, oh, ow), dtype=x.dtype)
        _launch_over(conv2d_direct_kernel, y.size, block_size, x, weight, y, *stride, *padding, *dilation, groups)
        return y
    from kernels.matmul import matmul  # version "im2col": the windows, then one matmul per group
    cols = im2col(x, (kh, kw), stride, padding, dilation, block_size=block_size)
    y = matmul(weight.reshape(groups, o // groups, -1), cols.reshape(groups, -1, cols.shape[1]))
    return xp.ascontiguousarray(y.reshape(o, oh, ow, n).transpose(3, 0, 1, 2))


def kernel_launches(dtype):
    """Every kernel of this file and the biggest launch its launcher can choose (see kernels/sass.py)."""
    image, m = f"{dtype}[:, :, :, ::1]", matrix(dtype)
    geometry = ", ".join(["int64"] * 10)  # kh, kw, sh, sw, ph, pw, dh, dw, oh, ow
    return [
        KernelLaunch(im2col_kernel, f"({image}, {m}, {geometry})", MAX_BLOCK_SIZE),
        KernelLaunch(col2im_kernel, f"({m}, {image}, {geometry})", MAX_BLOCK_SIZE),
        KernelLaunch(conv2d_direct_kernel, f"({image}, {image}, {image}, {', '.join(['int64'] * 7)})",
                     MAX_BLOCK_SIZE),
    ]


# ---------------------------------------------------------------------------
# python -m kernels.conv: the forward ladder, checked against the CPU, then timed
# ---------------------------------------------------------------------------
def main(argv=None):
    import minigrad as mg
    from kernels import _ladder

    options = _ladder.parse_options(argv, "conv2d forward ladder (3x3 kernel, padding 1, as many out channels as in)",
                                    gpu_shape=(64, 64, 32, 32), simulator_shape=(2, 3, 7, 6),
                                    shape_help="batch channels height width")
    if len(options.shape) != 4:
        raise SystemExit(f"error: --shape takes 4 numbers (batch channels height width), got {options.shape}")
    n, c, h, w = options.shape
    rng = np.random.default_rng(0)
    x_host = rng.standard_normal((n, c, h, w)).astype(options.dtype)
    w_host = (rng.standard_normal((c, c, 3, 3)) / np.sqrt(9 * c)).astype(options.dtype)
    x, weight = _ladder.to_device(options, x_host), _ladder.to_device(options, w_host)
    geometry = ((1, 1), (1, 1), (1, 1))  # stride, padding, dilation
    rungs = [
        _ladder.Rung(version, block, lambda version=version, block=block: conv2d_forward(
            x, weight, *geometry, version=version, block_size=block))
        for version in versions.names for block in options.block_sizes
    ]
    # The reference: minigrad's Conv2d op on the CPU (NumpyBackend.im2col + one NumPy matmul), in float64.
    reference = mg.nn.functional.conv2d(mg.from_numpy(x_host.astype(np.float64)),
                                        mg.from_numpy(w_host.astype(np.float64)), None, *geometry).numpy()
    records = _ladder.run(f"conv2d forward 3x3 x {tuple(options.shape)} -> {c} channels, {options.dtype}", versions,
                          rungs, reference, flops=2 * n * c * c * 9 * h * w, baseline="im2col", options=options)
    return _ladder.exit_code(records)


if __name__ == "__main__":
    raise SystemExit(main())
