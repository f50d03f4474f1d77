r"""Max pooling on the GPU: the forward, and a ladder of two backwards.

    python -m kernels.pool             # check both backward versions x block sizes, then time them

Formula (x (N, C, H, W), a kh x kw window with stride, padding and dilation, output (N, C, OH, OW))
--------------------------------------------------------------------------------------------------
    y[n, c, oy, ox]       = max over the taps (i, j) inside x of x[n, c, oy*sh - ph + i*dh, ox*sw - pw + j*dw]
    indices[n, c, oy, ox] = y_pos * W + x_pos of that maximum (the first one in row-major order;
                            a NaN wins, as in PyTorch)

Derivative: locally y is just one of its inputs, the winner, so dy/dx is 1 for the winner and 0
for the other taps, and

    dx[n, c, p] = sum of g[n, c, oy, ox] over the outputs whose winner is p.

The ladder (backward; ``max_pool2d_backward(..., version=)``, default ``versions.current``)
------------------------------------------------------------------------------------------
    naive    one thread per (n, c) *plane*: dx starts as zeros, and the thread walks every output
             of its plane in order, adding g to dx at the winner, as the CPU's formula does.  No two threads touch the same plane, so no races; but there are only N*C
             threads (most of a GPU idle for small batches), each walking OH*OW outputs serially.
    gather   one thread per *input* pixel p: it visits the at most kh*kw windows that contain p
             (the same arithmetic as col2im in conv.py) and adds g of those whose winner is p.
             All of the GPU busy, a fixed order, deterministic: the default.

Why not the textbook version, one thread per output doing ``cuda.atomic.add(dx, winner, g)``?
When windows overlap (stride < kernel, e.g. the 3x3 stride-2 pooling of ResNet's stem) two threads
may add to the same pixel: the float additions then happen in arrival order, so the last bits
change from run to run, and on the GPU a float32 atomic add flushes subnormal results to zero
(``RED.E.ADD.F32.FTZ.RN``, which ``python -m kernels.sass`` refuses; embedding.py tells the same
story).  Both versions here add in a fixed order and keep subnormals.

Threads and blocks
------------------
Every kernel is a grid-stride loop over the flat index of what it writes, the last axis fastest
(neighbouring threads write neighbouring addresses):

    forward   e -> (n, c, oy, ox)      reads its window (kh*kw loads, mostly from the cache)
    naive     e -> plane (n, c)        walks the plane's OH*OW outputs
    gather    e -> (n, c, y, x)        reads up to kh*kw indices and gradients

Memory traffic (forward): x is read about kh*kw / (sh*sw) times (once when stride = kernel), y and
indices are written once: for a 2x2 window, stride 2, that is 4 bytes read per 1 + 2 bytes written
per input number in float32 -- a bandwidth-bound kernel.

The reference: the CPU backend's formulas (``NumpyBackend.max_pool2d`` / ``max_pool2d_backward``),
in float64.
"""
import numpy as np
from numba import cuda

from kernels._arrays import MAX_BLOCK_SIZE, array_module, check_float_dtype, contiguous, elementwise_launch
from kernels._launch import KernelLaunch, launch
from kernels._versions import VersionSwitch

#: The backward ladder, naive first; ``max_pool2d_backward`` runs ``versions.current`` unless told otherwise.
versions = VersionSwitch("maxpool", ("naive", "gather"), default="gather")
DEFAULT_THREADS = 256


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
# Backward version "naive": one thread per plane, walking its outputs
# ---------------------------------------------------------------------------
@cuda.jit
def max_pool2d_backward_naive_kernel(grad, indices, dx):
    channels, oh, ow = grad.shape[1], grad.shape[2], grad.shape[3]
    width = dx.shape[3]
    for plane in range(cuda.grid(1), grad.shape[0] * channels, cuda.gridsize(1)):
        n, c = plane // channels, plane % channels
        for oy in range(oh):
            for ox in range(ow):
                winner = indices[n, c, oy, ox]
                dx[n, c, winner // width, winner % width] += grad[n, c, oy, ox]


# ---------------------------------------------------------------------------
# Backward version "gather": one thread per input pixel, no atomics
# ---------------------------------------------------------------------------
@cuda.jit
def max_pool2d_backward_gather_kernel(grad, indices, dx, kh, kw, sh, sw, ph, pw, dh, dw):
    channels, height, width = dx.shape[1], dx.shape[2], dx.shape[3]
    oh, ow = grad.shape[2], grad.shape[3]
    for e in range(cuda.grid(1), dx.size, cuda.gridsize(1)):
        xx = e % width
        y = (e // width) % height
        c = (e // (width * height)) % channels
        n = e // (width * height * channels)
        me = y * width + xx
        acc = dx.dtype.type(0)
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


# ---------------------------------------------------------------------------
# Launchers
# ---------------------------------------------------------------------------
def _launch_over(kernel, n_outputs, block_size, *args):
    """A grid-stride launch of ``kernel`` over ``n_outputs`` items, ``block_size`` threads per block."""
    if n_outputs:
        launch(kernel, *elementwise_launch(n_outputs, threads_per_block=block_size), *args)


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
    _launch_over(max_pool2d_forward_kernel, y.size, block_size, x, y, indices, *kernel_size, *stride, *padding,
                 *dilation)
    return y, indices


def max_pool2d_backward(grad, indices, x_shape, kernel_size, stride, padding, dilation, *, version=None,
                        block_size=DEFAULT_THREADS):
    """dx (x_shape): each output's gradient added to the input that won its window."""
    version = versions.pick(version)
    check_float_dtype("grad", grad)
    grad, indices = contiguous(grad), contiguous(indices, dtype=np.int64)
    if tuple(grad.shape) != tuple(indices.shape):
        raise ValueError(f"grad {tuple(grad.shape)} and indices {tuple(indices.shape)} must have the same shape.")
    xp = array_module(grad)
    if version == "naive":
        dx = xp.zeros(tuple(x_shape), dtype=grad.dtype)
        _launch_over(max_pool2d_backward_naive_kernel, x_shape[0] * x_shape[1], block_size, grad, indices, dx)
        return dx
    dx = xp.empty(tuple(x_shape), dtype=grad.dtype)
    _launch_over(max_pool2d_backward_gather_kernel, dx.size, block_size, grad, indices, dx,
                 *kernel_size, *stride, *padding, *dilation)
    return dx


def kernel_launches(dtype):
    """Every kernel of this file and the biggest launch its launcher can choose (see kernels/sass.py)."""
    image, winners = f"{dtype}[:, :, :, ::1]", "int64[:, :, :, ::1]"
    geometry = ", ".join(["int64"] * 8)  # kh, kw, sh, sw, ph, pw, dh, dw
    return [
        KernelLaunch(max_pool2d_forward_kernel, f"({image}, {image}, {winners}, {geometry})", MAX_BLOCK_SIZE),
        KernelLaunch(max_pool2d_backward_naive_kernel, f"({image}, {winners}, {image})", MAX_BLOCK_SIZE),
        KernelLaunch(max_pool2d_backward_gather_kernel, f"({image}, {winners}, {image}, {geometry})",
                     MAX_BLOCK_SIZE),
    ]


# ---------------------------------------------------------------------------
# python -m kernels.pool: forward + each backward, checked against the CPU, then timed
# ---------------------------------------------------------------------------
def main(argv=None):
    from kernels import _ladder

    options = _ladder.parse_options(argv, "max-pool forward + backward ladder (3x3 windows, stride 2, padding 1)",
                                    gpu_shape=(128, 64, 56, 56), simulator_shape=(2, 3, 7, 6),
                                    shape_help="batch channels height width")
    if len(options.shape) != 4:
        raise SystemExit(f"error: --shape takes 4 numbers (batch channels height width), got {options.shape}")
    n, c, h, w = options.shape
    geometry = ((3, 3), (2, 2), (1, 1), (1, 1))  # kernel, stride, padding, dilation: overlapping windows
    out_size = ((h - 1) // 2 + 1, (w - 1) // 2 + 1)
    rng = np.random.default_rng(0)
    x_host = rng.standard_normal((n, c, h, w)).astype(options.dtype)
    g_host = rng.standard_normal((n, c) + out_size).astype(options.dtype)
    x, g = _ladder.to_device(options, x_host), _ladder.to_device(options, g_host)

    def forward_backward(version, block):
        y, indices = max_pool2d_forward(x, *geometry, out_size, block_size=block)
        return y, max_pool2d_backward(g, indices, x.shape, *geometry, version=version, block_size=block)

    rungs = [_ladder.Rung(version, block, lambda version=version, block=block: forward_backward(version, block))
             for version in versions.names for block in options.block_sizes]
    y_ref, indices_ref = _ladder.CPU.max_pool2d(x_host.astype(np.float64), *geometry, out_size)
    dx_ref = _ladder.CPU.max_pool2d_backward(g_host.astype(np.float64), indices_ref, x_host.shape, *geometry)
    # read x, write y and indices; read g and indices, write dx
    bytes_moved = 2 * x_host.nbytes + 2 * g_host.nbytes + 2 * g_host.size * np.dtype(np.int64).itemsize
    records = _ladder.run(f"max-pool forward + backward 3x3/2 of {tuple(options.shape)} {options.dtype}", versions,
                          rungs, (y_ref, dx_ref), bytes_moved=bytes_moved, options=options)
    return _ladder.exit_code(records)


if __name__ == "__main__":
    raise SystemExit(main())
