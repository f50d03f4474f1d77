r"""Batched matrix multiply, three hand-written versions and the vendor library.

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
versions on your GPU (e.g. the repository's benchmarks) and switch with
``set_matmul_version(name)`` or ``with use_matmul_version(name): ...``.

Threads and blocks (all versions)
---------------------------------
    grid.z = batch index b        grid.y = block of rows of C    grid.x = block of columns of C

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

dtypes: shared-memory arrays (and the accumulator) need their dtype at
compile time, so each kernel is built by a small cached factory, once per
dtype: ``tiled_kernel(numpy.dtype("float32"))``.  Sums accumulate in the
input dtype, like cuBLAS's default.
"""
import contextlib
import functools

import numpy as np
from numba import cuda, float32, float64

from kernels._arrays import array_module, check_float_dtype, contiguous

MATMUL_VERSIONS = ("naive", "tiled", "register", "cublas")

TILE = 16  # tiled: block of TILE x TILE threads and outputs; K-step of TILE
THREADS = 16  # register: block of THREADS x THREADS threads
PER_THREAD = 4  # register: each thread computes PER_THREAD x PER_THREAD outputs
BLOCK_MN = THREADS * PER_THREAD  # register: 64 x 64 outputs per block
BLOCK_K = 16  # register: K-step


# ---------------------------------------------------------------------------
# Reading an operand, transposed or not (no copy: just swapped indices)
# ---------------------------------------------------------------------------
@cuda.jit(device=True)
def _read(x, b, row, col, transposed):
    """Logical element [row, col] of batch item b: x[b, row, col], or x[b, col, row] if transposed."""
    if transposed:
        return x[b, col, row]
    return x[b, row, col]


def _numba_dtype(dtype):
    return float32 if dtype == np.float32 else float64


# ---------------------------------------------------------------------------
# Version 1: naive, one thread per output, every operand read from global memory
# ---------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def naive_kernel(dtype):
    """The naive kernel for one dtype (``dtype`` sets the accumulator's type)."""
    acc_type = _numba_dtype(dtype)

    @cuda.jit
    def matmul_naive(a, b, c, transpose_a, transpose_b):
        batch = cuda.blockIdx.z
        row = cuda.blockIdx.y * cuda.blockDim.y + cuda.threadIdx.y
        col = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
        k_size = a.shape[1] if transpose_a else a.shape[2]
        if row < c.shape[1] and col < c.shape[2]:
            acc = acc_type(0)
            for k in range(k_size):
                acc += _read(a, batch, row, k, transpose_a) * _read(b, batch, k, col, transpose_b)
            c[batch, row, col] = acc

    return matmul_naive


# ---------------------------------------------------------------------------
# Version 2: shared-memory tiles of TILE x TILE
# ---------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def tiled_kernel(dtype):
    """The tiled kernel for one dtype (shared arrays need their dtype at compile time)."""
    tile_type = _numba_dtype(dtype)

    @cuda.jit
    def matmul_tiled(a, b, c, transpose_a, transpose_b):
        a_tile = cuda.shared.array((TILE, TILE), dtype=tile_type)
        b_tile = cuda.shared.array((TILE, TILE), dtype=tile_type)
        batch = cuda.blockIdx.z
        ty, tx = cuda.threadIdx.y, cuda.threadIdx.x
        row = cuda.blockIdx.y * TILE + ty
        col = cuda.blockIdx.x * TILE + tx
        m, n = c.shape[1], c.shape[2]
        k_size = a.shape[1] if transpose_a else a.shape[2]

        acc = tile_type(0)
        for k0 in range(0, k_size, TILE):
            # Each thread stages one number of A's tile and one of B's (0 outside the matrix).
            a_tile[ty, tx] = _read(a, batch, row, k0 + tx, transpose_a) if row < m and k0 + tx < k_size else 0
            b_tile[ty, tx] = _read(b, batch, k0 + ty, col, transpose_b) if k0 + ty < k_size and col < n else 0
            cuda.syncthreads()  # the whole tile is loaded before anyone reads it
            for kk in range(TILE):
                acc += a_tile[ty, kk] * b_tile[kk, tx]
            cuda.syncthreads()  # everyone is done with the tile before it is overwritten
        if row < m and col < n:
            c[batch, row, col] = acc

    return matmul_tiled


# ---------------------------------------------------------------------------
# Version 3: register blocking, each thread owns PER_THREAD x PER_THREAD outputs
# ---------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def register_kernel(dtype):
    """The register-blocked kernel for one dtype."""
    tile_type = _numba_dtype(dtype)
    loads_per_thread = BLOCK_MN * BLOCK_K // (THREADS * THREADS)  # 64*16 / 256 = 4

    @cuda.jit
    def matmul_register(a, b, c, transpose_a, transpose_b):
        a_slab = cuda.shared.array((BLOCK_MN, BLOCK_K), dtype=tile_type)  # 64 rows of A, 16 k's
        b_slab = cuda.shared.array((BLOCK_K, BLOCK_MN), dtype=tile_type)  # 16 k's, 64 columns of B
        acc = cuda.local.array((PER_THREAD, PER_THREAD), dtype=tile_type)  # this thread's outputs
        a_reg = cuda.local.array(PER_THREAD, dtype=tile_type)
        b_reg = cuda.local.array(PER_THREAD, dtype=tile_type)

        batch = cuda.blockIdx.z
        ty, tx = cuda.threadIdx.y, cuda.threadIdx.x
        thread_id = ty * THREADS + tx  # 0..255, used to spread the slab loads
        row0 = cuda.blockIdx.y * BLOCK_MN  # first row of C this block computes
        col0 = cuda.blockIdx.x * BLOCK_MN  # first column of C this block computes
        m, n = c.shape[1], c.shape[2]
        k_size = a.shape[1] if transpose_a else a.shape[2]

        for r in range(PER_THREAD):
            for q in range(PER_THREAD):
                acc[r, q] = 0

        for k0 in range(0, k_size, BLOCK_K):
            # Stage the slabs: the 256 threads load 1024 numbers of each, 4 apiece.
            for load in range(loads_per_thread):
                e = thread_id + load * THREADS * THREADS
                r, kk = e // BLOCK_K, e % BLOCK_K  # position in a_slab
                inside = row0 + r < m and k0 + kk < k_size
                a_slab[r, kk] = _read(a, batch, row0 + r, k0 + kk, transpose_a) if inside else 0
                kk, q = e // BLOCK_MN, e % BLOCK_MN  # position in b_slab
                inside = k0 + kk < k_size and col0 + q < n
                b_slab[kk, q] = _read(b, batch, k0 + kk, col0 + q, transpose_b) if inside else 0
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

    return matmul_register


# ---------------------------------------------------------------------------
# Choosing a version
# ---------------------------------------------------------------------------
def _default_version():
    """The version ``matmul`` uses unless told otherwise.

    On a GPU: the register-blocked kernel, the fastest of the hand-written ones by the napkin
    math above (the benchmarks measure it).  Under the CUDA simulator every GPU thread is a
    Python thread and speed means nothing, so the default there is the naive kernel, whose
    blocks shrink to the size of a small output (a 3 x 5 result needs 4 x 8 threads, not
    16 x 16).  Every version is still tested on the simulator (tests/kernels).
    """
    from numba.core import config

    return "naive" if config.ENABLE_CUDASIM else "register"


_current_version = _default_version()


def _check_version(name):
    if name not in MATMUL_VERSIONS:
        raise ValueError(f"unknown matmul version {name!r}; choose one of {MATMUL_VERSIONS}.")
    return name


def set_matmul_version(name):
    """Make ``name`` (one of MATMUL_VERSIONS) the version ``matmul`` uses by default."""
    global _current_version
    _current_version = _check_version(name)


def get_matmul_version():
    return _current_version


@contextlib.contextmanager
def use_matmul_version(name):
    """``with use_matmul_version("tiled"): ...`` runs the block with that version, then restores."""
    previous = get_matmul_version()
    set_matmul_version(name)
    try:
        yield
    finally:
        set_matmul_version(previous)


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


def matmul(a, b, *, transpose_a=False, transpose_b=False, version=None):
    """Batched C = op(A) @ op(B) with op = transpose (of the last two axes) or identity.

    a: (B, M, K), or (B, K, M) if transpose_a.   b: (B, K, N), or (B, N, K) if transpose_b.
    Returns c: (B, M, N), same dtype and array module as a.
    """
    version = _check_version(version or _current_version)
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
    if c.size == 0:
        return c
    if batch > 65535:
        raise ValueError(f"batch {batch} exceeds the grid's z limit of 65535; split the batch.")
    if version == "register":
        kernel, outputs_per_block = register_kernel(a.dtype), BLOCK_MN
        threads = (THREADS, THREADS)
    elif version == "tiled":
        kernel, outputs_per_block = tiled_kernel(a.dtype), TILE
        threads = (TILE, TILE)
    else:  # naive: one thread per output, in blocks no bigger than C needs (x: columns, y: rows)
        kernel = naive_kernel(a.dtype)
        threads = (min(TILE, _power_of_two_at_least(n)), min(TILE, _power_of_two_at_least(m)))
    if version == "naive":
        grid = ((n + threads[0] - 1) // threads[0], (m + threads[1] - 1) // threads[1], batch)
    else:
        grid = ((n + outputs_per_block - 1) // outputs_per_block, (m + outputs_per_block - 1) // outputs_per_block,
                batch)
    kernel[grid, threads](a, b, c, bool(transpose_a), bool(transpose_b))
    return c


# ---------------------------------------------------------------------------
# NumPy reference: the triple loop's meaning, with NumPy doing the loop
# ---------------------------------------------------------------------------
def matmul_reference(a, b, *, transpose_a=False, transpose_b=False):
    """sum_k op(A)[b, i, k] * op(B)[b, k, j] with einsum, so the formula is spelled out."""
    a_spec = "bki" if transpose_a else "bik"
    b_spec = "bjk" if transpose_b else "bkj"
    return np.einsum(f"{a_spec},{b_spec}->bij", a, b)
