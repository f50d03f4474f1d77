"""Reference solutions for lesson 09. The tests write each one into the notebook in place of its stub.

The kernels use the notebook's ``cuda``, ``float64``, ``THREADS`` and ``TILE``; importing this file
directly needs numba (on the simulator when there is no GPU).
"""
import math

from numba import cuda, float64

THREADS = 64
TILE = 16


@cuda.jit
def block_sum_kernel(x, partial):
    shared = cuda.shared.array(THREADS, float64)
    t = cuda.threadIdx.x
    i = cuda.blockIdx.x * THREADS + t
    shared[t] = x[i] if i < x.size else 0.0
    stride = THREADS // 2
    while stride > 0:
        cuda.syncthreads()
        if t < stride:
            shared[t] += shared[t + stride]
        stride //= 2
    if t == 0:
        partial[cuda.blockIdx.x] = shared[0]


def full_sum_reads(n, threads=64):
    total = 0
    while n > 1:
        total += n
        n = math.ceil(n / threads)
    return total


@cuda.jit
def transpose_kernel(a, out):
    tile = cuda.shared.array((TILE, TILE + 1), float64)
    tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
    bx, by = cuda.blockIdx.x, cuda.blockIdx.y
    row, col = by * TILE + ty, bx * TILE + tx
    if row < a.shape[0] and col < a.shape[1]:
        tile[ty, tx] = a[row, col]
    cuda.syncthreads()
    out_row, out_col = bx * TILE + ty, by * TILE + tx
    if out_row < out.shape[0] and out_col < out.shape[1]:
        out[out_row, out_col] = tile[tx, ty]
