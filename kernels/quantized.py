r"""The int8 linear layer: int8 x int8 products summed in int32, scaled back to floats.

    python -m kernels.quantized        # check every version, then time them (GOP/s, % of cuBLAS float32)

Formula (the CPU backend's ``int8_linear``, the one reference)
-------------------------------------------------------------
    acc[n, j] = sum_k x_q[n, k] * w_q[j, k]              x_q: (N, K) int8   w_q: (M, K) int8
    y[n, j]   = float(acc[n, j]) * (x_scale * w_scale[j]) + bias[j]        y: (N, M) float

``x_q`` are the activations quantized with one scale for the batch, ``w_q`` the weights with one
scale per output row (``minigrad/ops/quantized.py`` derives both and the backward pass, which
needs no kernel of its own: it is a float matmul with the dequantized weights).

Why int32: a product of two int8 values is at most 127 * 127 = 16,129 in magnitude, so an int32
accumulator is exact for any K below 2^31 / 16,129 = 133,000.  The scaling is fused into the
store ("epilogue"), so ``acc`` never goes to memory.

What int8 saves (napkin math)
-----------------------------
Against the float32 product of the same shape: the operands are a quarter of the bytes (1 byte per
number instead of 4), so a bandwidth-bound product reads 4x less; and a shared-memory tile of
16 x 16 numbers takes 256 bytes instead of 1 KiB.  Since compute capability 6.1 a GPU also has a
4-way int8 dot product accumulated in int32 (``dp4a``, SASS ``IDP.4A``).  Numba has no intrinsic
for it, but the compiler recognises the pattern: in the tiled kernel's sm_90 machine code the 16
unrolled multiply-adds of a K-step become 4 ``IDP.4A.S8.S8`` instructions, fed by 32 single-byte
shared-memory loads that ``PRMT`` packs into words (tests/kernels/test_kernels_quantized.py counts
them).  Loading 4 bytes at once would save most of those loads; that is the next rung to write.

    naive      one thread per output, K int8 reads of each operand from global memory
    tiled      a 16 x 16 block stages 16 x 16 int8 tiles of x_q and w_q in shared memory and
               reuses each loaded number 16 times (as matmul.py's "tiled")
    cublas     cuBLAS's float32 product of the same int8 values (cupy.matmul; NumPy under the
               simulator), scaled the same way: exact too, while every |acc| < 2^24 (K < 1,040)

Threads and blocks
------------------
    grid.x = block of 16 output features j      grid.y = block of 16 rows n      block = 16 x 16

Thread (ty, tx) computes y[row, col] with row = 16 * block.y + ty and col = 16 * block.x + tx.
tiled: per K-step of 16, thread (ty, tx) loads x_q[row0 + ty, k0 + tx] and w_q[col0 + ty, k0 + tx]
(neighbouring threads, neighbouring bytes: coalesced), then reads x_tile[ty, kk] and
w_tile[tx, kk]: the w tile is read along its rows, 16 bytes apart for neighbouring tx, which costs
2-way shared-memory bank conflicts (4 bytes per bank) -- cheap next to the 16x reuse.

Rows beyond 65,535 blocks are cut into launches of at most 65,535 blocks along y
(``_launch.grid_pieces``), as in matmul.py.  Loads outside the operands read 0 and stores outside
y are skipped, so any N, M, K work.

dtypes: x_q and w_q int8; the accumulator int32 (``numba.int32`` at every step: Numba would
otherwise widen integer arithmetic to int64); scales, bias and y float32 or float64.
"""
import numba
import numpy as np
from numba import cuda

from kernels._arrays import array_module, contiguous
from kernels._launch import KernelLaunch, grid_pieces, launch, matrix, vector
from kernels._versions import VersionSwitch

INT8_LINEAR_VERSIONS = ("naive", "tiled", "cublas")
TILE = 16


# ---------------------------------------------------------------------------
# Version 1: naive, one thread per output
# ---------------------------------------------------------------------------
@cuda.jit
def int8_linear_naive_kernel(x_q, w_q, x_scale, w_scale, bias, y, first_row_block):
    row = (first_row_block + cuda.blockIdx.y) * cuda.blockDim.y + cuda.threadIdx.y
    col = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
    if row < y.shape[0] and col < y.shape[1]:
        acc = numba.int32(0)
        for k in range(x_q.shape[1]):
            acc = numba.int32(acc + numba.int32(x_q[row, k]) * numba.int32(w_q[col, k]))
        y[row, col] = y.dtype.type(acc) * (x_scale[0] * w_scale[col]) + bias[col]


# ---------------------------------------------------------------------------
# Version 2: shared-memory int8 tiles of TILE x TILE
# ---------------------------------------------------------------------------
@cuda.jit
def int8_linear_tiled_kernel(x_q, w_q, x_scale, w_scale, bias, y, first_row_block):
    x_tile = cuda.shared.array((TILE, TILE), dtype=numba.int8)
    w_tile = cuda.shared.array((TILE, TILE), dtype=numba.int8)
    zero = numba.int8(0)
    ty, tx = cuda.threadIdx.y, cuda.threadIdx.x
    row0 = (first_row_block + cuda.blockIdx.y) * TILE
    col0 = cuda.blockIdx.x * TILE
    n, m, k_size = y.shape[0], y.shape[1], x_q.shape[1]

    acc = numba.int32(0)
    for k0 in range(0, k_size, TILE):
        # Each thread stages one byte of each tile (0 outside the operands).
        inside_k = k0 + tx < k_size
        x_tile[ty, tx] = x_q[row0 + ty, k0 + tx] if row0 + ty < n and inside_k else zero
        w_tile[ty, tx] = w_q[col0 + ty, k0 + tx] if col0 + ty < m and inside_k else zero
        cuda.syncthreads()  # both tiles are loaded before anyone reads them
        for kk in range(TILE):
            acc = numba.int32(acc + numba.int32(x_tile[ty, kk]) * numba.int32(w_tile[tx, kk]))
        cuda.syncthreads()  # everyone is done with the tiles before they are overwritten
    row, col = row0 + ty, col0 + tx
    if row < n and col < m:
        y[row, col] = y.dtype.type(acc) * (x_scale[0] * w_scale[col]) + bias[col]


# ---------------------------------------------------------------------------
# Choosing a version
# ---------------------------------------------------------------------------
def _default_version():
    """"tiled" on a GPU (16x fewer global reads than naive, by the napkin math above; ``python -m
    kernels.quantized`` measures it).  Under the simulator every thread is a Python thread; "naive"
    has no barriers and shrinks its blocks to the output, so it is the cheaper one to simulate."""
    from numba.core import config

    return "naive" if config.ENABLE_CUDASIM else "tiled"


#: The ladder, naive first; ``int8_linear`` runs ``versions.current`` unless told otherwise.
versions = VersionSwitch("int8_linear", INT8_LINEAR_VERSIONS, default=_default_version())


# ---------------------------------------------------------------------------
# Launcher
# ---------------------------------------------------------------------------
def _power_of_two_at_least(n):
    p = 1
    while p < n:
        p *= 2
    return p


def launch_plan(version, n, m):
    """The launches of a hand-written version for an (n, m) output: (kernel, grid, block, first_row_block)."""
    if version == "tiled":
        kernel, block = int8_linear_tiled_kernel, (TILE, TILE)
    else:  # naive: blocks no bigger than the output needs (x: output features, y: rows)
        kernel, block = int8_linear_naive_kernel, (min(TILE, _power_of_two_at_least(m)),
                                                   min(TILE, _power_of_two_at_least(n)))
    column_blocks = -(-m // block[0])
    return [(kernel, (column_blocks, row_blocks), block, first_row_block)
            for first_row_block, row_blocks in grid_pieces(-(-n // block[1]), 1)]


def int8_linear(x_q, w_q, x_scale, w_scale, bias, *, version=None):
    """y = (x_q @ w_q^T) * (x_scale * w_scale) + bias with int32 accumulation (the formula above).

    x_q: (N, K) int8.  w_q: (M, K) int8.  x_scale: (1,) float.  w_scale, bias: (M,) of the same float dtype.
    Returns y: (N, M) of that dtype, in the array module of x_q.
    """
    version = versions.pick(version)
    if x_q.ndim != 2 or w_q.ndim != 2 or x_q.shape[1] != w_q.shape[1]:
        raise ValueError(f"x_q {tuple(x_q.shape)} and w_q {tuple(w_q.shape)} must be (N, K) and (M, K) with the "
                         "same K")
    if x_q.dtype != np.int8 or w_q.dtype != np.int8:
        raise TypeError(f"x_q and w_q must be int8, got {x_q.dtype} and {w_q.dtype}; quantize them first "
                        "(minigrad.ops.quantized.quantize_symmetric)")
    dtype = w_scale.dtype
    if dtype not in (np.float32, np.float64) or x_scale.dtype != dtype or bias.dtype != dtype:
        raise TypeError(f"x_scale, w_scale and bias must share one float32 or float64 dtype, got {x_scale.dtype}, "
                        f"{w_scale.dtype} and {bias.dtype}")
    if x_scale.shape != (1,) or w_scale.shape != (w_q.shape[0],) or bias.shape != (w_q.shape[0],):
        raise ValueError(f"x_scale must be (1,), w_scale and bias ({w_q.shape[0]},); got {tuple(x_scale.shape)}, "
                         f"{tuple(w_scale.shape)}, {tuple(bias.shape)}")
    xp = array_module(x_q)
    x_q, w_q, x_scale, w_scale, bias = (contiguous(a) for a in (x_q, w_q, x_scale, w_scale, bias))
    n, m = x_q.shape[0], w_q.shape[0]

    if version == "cublas":  # the vendor float product of the same integers, scaled the same way
        acc = xp.matmul(x_q.astype(dtype), w_q.astype(dtype).T)
        return acc * (x_scale * w_scale) + bias

    y = xp.empty((n, m), dtype=dtype)
    if y.size > 0:
        for kernel, grid, block, first_row_block in launch_plan(version, n, m):
            launch(kernel, grid, block, x_q, w_q, x_scale, w_scale, bias, y, first_row_block)
    return y


def kernel_launches(dtype):
    """Every kernel of this file and the biggest launch its launcher can choose (see kernels/sass.py)."""
    signature = f"({matrix('int8')}, {matrix('int8')}, {vector(dtype)}, {vector(dtype)}, {vector(dtype)}, " \
                f"{matrix(dtype)}, int64)"
    return [KernelLaunch(int8_linear_naive_kernel, signature, TILE * TILE),
            KernelLaunch(int8_linear_tiled_kernel, signature, TILE * TILE)]


# ---------------------------------------------------------------------------
# python -m kernels.quantized: the ladder, checked against the CPU backend, then timed
# ---------------------------------------------------------------------------
def main(argv=None):
    from kernels import _ladder

    options = _ladder.parse_options(argv, "int8 linear ladder (n x k int8 @ (m x k int8)^T, m = k = n)",
                                    gpu_shape=(256, 1024, 4096), simulator_shape=(5, 33), shape_help="sizes n")
    rng = np.random.default_rng(0)
    records = []
    for n in options.shape:
        x_host = rng.integers(-127, 128, (n, n)).astype(np.int8)
        w_host = rng.integers(-127, 128, (n, n)).astype(np.int8)
        scales = [np.asarray(s, dtype=options.dtype) for s in
                  (rng.uniform(0.001, 0.01, 1), rng.uniform(0.001, 0.01, n), rng.standard_normal(n))]
        arrays = [_ladder.to_device(options, a) for a in (x_host, w_host, *scales)]
        rungs = [_ladder.Rung(version, None, lambda version=version: int8_linear(*arrays, version=version))
                 for version in versions.names]
        reference = _ladder.CPU.int8_linear(x_host, w_host, *(s.astype(np.float64) for s in scales))
        records += _ladder.run(f"int8 linear {n} x {n} int8 -> {options.dtype}", versions, rungs, reference,
                               flops=2 * n**3, baseline="cublas", options=options)
    return _ladder.exit_code(records)


if __name__ == "__main__":
    raise SystemExit(main())
