r"""Batched matrix multiply, three hand-written versions and the vendor library.

    python -m kernels.matmul           # check every version, then time them (GFLOP/s, % of cuBLAS)

Formula
-------
    C[b, i, j] = sum_k A[b, i, k] * B[b, k, j]        A: (B, M, K)  B: (B, K, N)  C: (B, M, N)

Derivative: C is linear in A and in B, so with G = dL/dC

    dL/dA[b, i, k] = sum_j G[b, i, j] * B[b, k, j]    i.e.  dA = G @ B^T
    dL/dB[b, k, j] = sum_i A[b, i, k] * G[b, i, j]    i.e.  dB = A^T @ G

Both gradients are again matmuls, with one operand transposed.  That is why
the launcher takes ``transpose_a`` / ``transpose_b``: the kernels read the
stored array at swapped indices (A^T[i, k] = A[k, i]), so the backward pass
never copies a transposed matrix.

Memory traffic (napkin math, the reason there are three versions)
-----------------------------------------------------------------
The work is 2*M*N*K flops per batch item.  What changes between versions is
how many numbers are read from global memory (slow, ~5 TB/s on a big GPU)
versus on-chip shared memory and registers (much faster):

    naive      each output reads a row of A and a column of B      2*M*N*K reads
    tiled      a 16x16 block reuses each loaded number 16 times    2*M*N*K / 16 reads
    register   a 64x64 block reuses each loaded number 64 times    2*M*N*K / 64 reads,
               and each thread keeps a 4x4 tile of C in registers,
               so most multiply-adds read registers, not shared memory
    cublas     the vendor library (cupy.matmul -> cuBLAS), the bar to compare with;
               under the simulator it is numpy.matmul

For M = N = K = 1024 in float32: naive moves ~8.6 GB (mostly hitting cache,
but still bandwidth-bound), tiled ~0.5 GB, register-blocked ~0.13 GB.

The default version is "register": on paper (the traffic above) it is the
fastest hand-written one.  A measurement decides, not the napkin: time the
versions on your GPU (``python -m kernels.matmul``) and switch with
``set_matmul_version(name)`` or ``with use_matmul_version(name): ...``.

Threads and blocks (all versions)
---------------------------------
    grid.z = batch index b        grid.y = block of rows of C    grid.x = block of columns of C

A grid has at most 65,535 blocks along y and z (and 2**31 - 1 along x).  A
16-row block reaches that at M = 1,048,560 rows, so the launcher cuts the rows
(and the batch) into pieces of at most 65,535 blocks (``_launch.grid_pieces``)
and launches once per piece, telling the kernel its first row block and batch
item: block (x, y, z) of a piece computes row block ``first_row_block + y`` of
batch item ``first_batch + z``.  Almost every product is one piece.

naive: block = 16 x 16 threads, thread (ty, tx) computes C[b, row, col] with
a loop over all K: 2K global reads for 2K flops.

tiled: the same 16 x 16 block walks along K in steps of TILE = 16.  At each
step the block copies a 16x16 tile of A and one of B into shared memory
(one number per thread each), waits (syncthreads), then every thread does
16 multiply-adds from shared memory:

              k-step 0   1    2                    column block
             +------+------+------+                 +------+
    row      |  A0  |  A1  |  A2  |      k-step 0   |  B0  |
    block    +------+------+------+      k-step 1   |  B1  |
                                         k-step 2   |  B2  |
                                                    +------+
    C tile = A0 @ B0 + A1 @ B1 + A2 @ B2       (each product from shared memory)

register: block = 16 x 16 threads computes a 64 x 64 tile of C; thread (ty, tx)
owns the 4 x 4 outputs at rows ty + 16*r and columns tx + 16*c (r, c in 0..3),
strided so that neighbouring threads touch neighbouring addresses.  Per K-step
of 16 the block stages a 64x16 slab of A and a 16x64 slab of B (4 numbers per
thread each) in shared memory, then each thread does 16 steps of a 4x4 outer
product from registers: 8 shared reads feed 16 multiply-adds.

Transposed operands are read at swapped indices, so neighbouring threads may
read addresses a whole row apart (uncoalesced).  For the tiled versions this
costs only in the staging loads, which are 1/16 or 1/64 of the naive traffic.

Edges: every load outside A or B reads 0 instead (zeros add nothing to the
sum) and every store outside C is skipped, so any M, N, K work.

dtypes: the shared-memory tiles, the accumulators and the zeros loaded at the
edges all take the input's dtype (``a.dtype``), so a float32 product multiplies
and adds in float32, like cuBLAS's default.
"""
import numpy as np
from numba import cuda

from kernels._arrays import array_module, check_float_dtype, contiguous
from kernels._launch import KernelLaunch, batch_of_matrices, grid_pieces, launch
from kernels._versions import VersionSwitch

MATMUL_VERSIONS = ("naive", "tiled", "register", "cublas")

TILE = 16  # tiled: block of TILE x TILE threads and outputs; K-step of TILE
THREADS = 16  # register: block of THREADS x THREADS threads
PER_THREAD = 4  # register: each thread computes PER_THREAD x PER_THREAD outputs
BLOCK_MN = THREADS * PER_THREAD  # register: 64 x 64 outputs per block
BLOCK_K = 16  # register: K-step
LOADS_PER_THREAD = BLOCK_MN * BLOCK_K // (THREADS * THREADS)  # register: 64*16 / 256 = 4 numbers per slab


# ---------------------------------------------------------------------------
# Reading an operand, transposed or not (no copy: just swapped indices)
# ---------------------------------------------------------------------------
@cuda.jit(device=True)
def _read(x, b, row, col, transposed):
    """Logical element [row, col] of batch item b: x[b, row, col], or x[b, col, row] if transposed."""
    if transposed:
        return x[b, col, row]
    return x[b, row, col]


# ---------------------------------------------------------------------------
# Version 1: naive, one thread per output, every operand read from global memory
# ---------------------------------------------------------------------------
@cuda.jit
def matmul_naive_kernel(a, b, c, transpose_a, transpose_b, first_row_block, first_batch):
    batch = first_batch + cuda.blockIdx.z
    row = (first_row_block + cuda.blockIdx.y) * cuda.blockDim.y + cuda.threadIdx.y
    col = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
    k_size = a.shape[1] if transpose_a else a.shape[2]
    if row < c.shape[1] and col < c.shape[2]:
        acc = c.dtype.type(0)
        for k in range(k_size):
            acc += _read(a, batch, row, k, transpose_a) * _read(b, batch, k, col, transpose_b)
        c[batch, row, col] = acc


# ---------------------------------------------------------------------------
# Version 2: shared-memory tiles of TILE x TILE
# ---------------------------------------------------------------------------
@cuda.jit
def matmul_tiled_kernel(a, b, c, transpose_a, transpose_b, first_row_block, first_batch):
    a_tile = cuda.shared.array((TILE, TILE), dtype=a.dtype)
    b_tile = cuda.shared.array((TILE, TILE), dtype=a.dtype)
    zero = a.dtype.type(0)
    batch = first_batch + cuda.blockIdx.z
    ty, tx = cuda.threadIdx.y, cuda.threadIdx.x
    row = (first_row_block + cuda.blockIdx.y) * TILE + ty
    col = cuda.blockIdx.x * TILE + tx
    m, n = c.shape[1], c.shape[2]
    k_size = a.shape[1] if transpose_a else a.shape[2]

    acc = zero
    for k0 in range(0, k_size, TILE):
        # Each thread stages one number of A's tile and one of B's (0 outside the matrix).
        a_tile[ty, tx] = _read(a, batch, row, k0 + tx, transpose_a) if row < m and k0 + tx < k_size else zero
        b_tile[ty, tx] = _read(b, batch, k0 + ty, col, transpose_b) if k0 + ty < k_size and col < n else zero
        cuda.syncthreads()  # the whole tile is loaded before anyone reads it
        for kk in range(TILE):
            acc += a_tile[ty, kk] * b_tile[kk, tx]
        cuda.syncthreads()  # everyone is done with the tile before it is overwritten
    if row < m and col < n:
        c[batch, row, col] = acc


# ---------------------------------------------------------------------------
# Version 3: register blocking, each thread owns PER_THREAD x PER_THREAD outputs
# ---------------------------------------------------------------------------
@cuda.jit
def matmul_register_kernel(a, b, c, transpose_a, transpose_b, first_row_block, first_batch):
    a_slab = cuda.shared.array((BLOCK_MN, BLOCK_K), dtype=a.dtype)  # 64 rows of A, 16 k's
    b_slab = cuda.shared.array((BLOCK_K, BLOCK_MN), dtype=a.dtype)  # 16 k's, 64 columns of B
    acc = cuda.local.array((PER_THREAD, PER_THREAD), dtype=a.dtype)  # this thread's outputs
    a_reg = cuda.local.array(PER_THREAD, dtype=a.dtype)
    b_reg = cuda.local.array(PER_THREAD, dtype=a.dtype)
    zero = a.dtype.type(0)

    batch = first_batch + cuda.blockIdx.z
    ty, tx = cuda.threadIdx.y, cuda.threadIdx.x
    thread_id = ty * THREADS + tx  # 0..255, used to spread the slab loads
    row0 = (first_row_block + cuda.blockIdx.y) * BLOCK_MN  # first row of C this block computes
    col0 = cuda.blockIdx.x * BLOCK_MN  # first column of C this block computes
    m, n = c.shape[1], c.shape[2]
    k_size = a.shape[1] if transpose_a else a.shape[2]

    for r in range(PER_THREAD):
        for q in range(PER_THREAD):
            acc[r, q] = zero

    for k0 in range(0, k_size, BLOCK_K):
        # Stage the slabs: the 256 threads load 1024 numbers of each, 4 apiece.
        for load in range(LOADS_PER_THREAD):
            e = thread_id + load * THREADS * THREADS
            r, kk = e // BLOCK_K, e % BLOCK_K  # position in a_slab
            inside = row0 + r < m and k0 + kk < k_size
            a_slab[r, kk] = _read(a, batch, row0 + r, k0 + kk, transpose_a) if inside else zero
            kk, q = e // BLOCK_MN, e % BLOCK_MN  # position in b_slab
            inside = k0 + kk < k_size and col0 + q < n
            b_slab[kk, q] = _read(b, batch, k0 + kk, col0 + q, transpose_b) if inside else zero
        cuda.syncthreads()

        # 16 outer products of a 4-vector of A with a 4-vector of B, from registers.
        for kk in range(BLOCK_K):
            for r in range(PER_THREAD):
                a_reg[r] = a_slab[ty + THREADS * r, kk]
            for q in range(PER_THREAD):
                b_reg[q] = b_slab[kk, tx + THREADS * q]
            for r in range(PER_THREAD):
                for q in range(PER_THREAD):
                    acc[r, q] += a_reg[r] * b_reg[q]
        cuda.syncthreads()

    for r in range(PER_THREAD):
        for q in range(PER_THREAD):
            row = row0 + ty + THREADS * r
            col = col0 + tx + THREADS * q
            if row < m and col < n:
                c[batch, row, col] = acc[r, q]


# ---------------------------------------------------------------------------
# Choosing a version
# ---------------------------------------------------------------------------
def _default_version():
    """The version ``matmul`` uses unless told otherwise.

    On a GPU: the register-blocked kernel, the fastest of the hand-written ones by the napkin
    math above (``python -m kernels.matmul`` measures it).  Under the CUDA simulator every GPU
    thread is a Python thread and speed means nothing, so the default there is the naive
    kernel, whose blocks shrink to the size of a small output (a 3 x 5 result needs 4 x 8
    threads, not 16 x 16).  Every version is still tested on the simulator (tests/kernels).
    """
    from numba.core import config

    return "naive" if config.ENABLE_CUDASIM else "register"


#: The ladder, naive first; ``matmul`` runs ``versions.current`` unless told otherwise.
versions = VersionSwitch("matmul", MATMUL_VERSIONS, default=_default_version())


def set_matmul_version(name):
    """Make ``name`` (one of MATMUL_VERSIONS) the version ``matmul`` uses by default."""
    versions.set(name)


def get_matmul_version():
    return versions.current


def use_matmul_version(name):
    """``with use_matmul_version("tiled"): ...`` runs the block with that version, then restores."""
    return versions.use(name)


# ---------------------------------------------------------------------------
# Launcher
# ---------------------------------------------------------------------------
def _power_of_two_at_least(n):
    p = 1
    while p < n:
        p *= 2
    return p


def _logical_shape(x, transposed):
    """(batch, rows, cols) of the operand as the product sees it."""
    return (x.shape[0], x.shape[2], x.shape[1]) if transposed else tuple(x.shape)


def launch_plan(version, batch, m, n):
    """The launches of a hand-written version for a (batch, m, n) result.

    A list of (kernel, grid, block, first_row_block, first_batch): grid.x covers the columns,
    grid.y the rows and grid.z the batch, cut into pieces of at most 65,535 blocks along y
    and z (``_launch.grid_pieces``); almost always a single launch.
    """
    if version == "register":
        kernel, block, per_block = matmul_register_kernel, (THREADS, THREADS), (BLOCK_MN, BLOCK_MN)
    elif version == "tiled":
        kernel, block, per_block = matmul_tiled_kernel, (TILE, TILE), (TILE, TILE)
    else:  # naive: one thread per output, in blocks no bigger than C needs (x: columns, y: rows)
        block = (min(TILE, _power_of_two_at_least(n)), min(TILE, _power_of_two_at_least(m)))
        kernel, per_block = matmul_naive_kernel, block
    column_blocks = -(-n // per_block[0])
    return [(kernel, (column_blocks, row_blocks, batches), block, first_row_block, first_batch)
            for first_batch, batches in grid_pieces(batch, 2)
            for first_row_block, row_blocks in grid_pieces(-(-m // per_block[1]), 1)]


def matmul(a, b, *, transpose_a=False, transpose_b=False, version=None):
    """Batched C = op(A) @ op(B) with op = transpose (of the last two axes) or identity.

    a: (B, M, K), or (B, K, M) if transpose_a.   b: (B, K, N), or (B, N, K) if transpose_b.
    Returns c: (B, M, N), same dtype and array module as a.
    """
    version = versions.pick(version)
    for name, x in (("a", a), ("b", b)):
        if x.ndim != 3:
            raise ValueError(f"{name} must be 3-D (batch, rows, cols); got shape {tuple(x.shape)}.")
        check_float_dtype(name, x)
    if a.dtype != b.dtype:
        raise TypeError(f"a is {a.dtype} but b is {b.dtype}; cast one so both match.")
    batch, m, k = _logical_shape(a, transpose_a)
    batch_b, k_b, n = _logical_shape(b, transpose_b)
    if batch != batch_b or k != k_b:
        raise ValueError(
            f"cannot multiply a {tuple(a.shape)} (transpose_a={transpose_a}) by b {tuple(b.shape)} "
            f"(transpose_b={transpose_b}): need equal batch sizes ({batch} vs {batch_b}) "
            f"and inner sizes ({k} vs {k_b})."
        )
    xp = array_module(a)
    a, b = contiguous(a), contiguous(b)

    if version == "cublas":  # the vendor library: cuBLAS through CuPy (NumPy under the simulator)
        a_view = a.transpose(0, 2, 1) if transpose_a else a
        b_view = b.transpose(0, 2, 1) if transpose_b else b
        return xp.ascontiguousarray(xp.matmul(a_view, b_view))

    c = xp.empty((batch, m, n), dtype=a.dtype)
    if c.size > 0:  # k = 0 is fine: every output is a sum of no terms, 0
        for kernel, grid, block, first_row_block, first_batch in launch_plan(version, batch, m, n):
            launch(kernel, grid, block, a, b, c, bool(transpose_a), bool(transpose_b), first_row_block, first_batch)
    return c


def kernel_launches(dtype):
    """Every kernel of this file and the biggest launch its launcher can choose (see kernels/sass.py)."""
    m = batch_of_matrices(dtype)
    signature = f"({m}, {m}, {m}, boolean, boolean, int64, int64)"
    return [
        KernelLaunch(matmul_naive_kernel, signature, TILE * TILE),
        KernelLaunch(matmul_tiled_kernel, signature, TILE * TILE),
        KernelLaunch(matmul_register_kernel, signature, THREADS * THREADS),
    ]


# ---------------------------------------------------------------------------
# python -m kernels.matmul: the ladder, checked against the CPU backend, then timed
# ---------------------------------------------------------------------------
def main(argv=None):
    from kernels import _ladder

    options = _ladder.parse_options(argv, "matmul ladder (n x n @ n x n)", gpu_shape=(256, 1024, 4096),
                                    simulator_shape=(5, 33), shape_help="sizes n")
    rng = np.random.default_rng(0)
    records = []
    for n in options.shape:
        a_host = rng.standard_normal((1, n, n)).astype(options.dtype)
        b_host = rng.standard_normal((1, n, n)).astype(options.dtype)
        a, b = _ladder.to_device(options, a_host), _ladder.to_device(options, b_host)
        rungs = [_ladder.Rung(version, None, lambda version=version: matmul(a, b, version=version))
                 for version in versions.names]
        reference = _ladder.CPU.matmul(a_host.astype(np.float64), b_host.astype(np.float64))
        records += _ladder.run(f"matmul {n} x {n} {options.dtype}", versions, rungs, reference, flops=2 * n**3,
                               baseline="cublas", options=options)
    return _ladder.exit_code(records)


if __name__ == "__main__":
    raise SystemExit(main())
