"""Checkers for lesson 09 (GPU kernels): launch sizes, a 2-D kernel, counting global reads."""
import math
import os

import numpy as np

from minigrad.check import ExerciseFailed, passed


def exercise1(blocks_needed):
    """``blocks_needed(n, threads_per_block)`` = ceil(n / threads_per_block)."""
    cases = [(1, 32), (32, 32), (33, 32), (37, 8), (1000, 256), (1024, 256), (1025, 256), (7, 1024), (0, 128)]
    for n, threads in cases:
        expected = -(-n // threads)
        got = blocks_needed(n, threads)
        if not isinstance(got, (int, np.integer)):
            raise ExerciseFailed(f"exercise1: blocks_needed({n}, {threads}) returned {got!r} of type "
                                 f"{type(got).__name__}; a grid size must be an int (use // or math.ceil)")
        if got != expected:
            hint = ""
            if got == n // threads:
                hint = (" n // threads rounds down, so the last, partial block is missing and "
                        f"{n - got * threads} elements are never processed. Round up: (n + threads - 1) // threads.")
            elif got == n // threads + 1:
                hint = " n // threads + 1 launches one block too many when n is a multiple of the block size."
            raise ExerciseFailed(f"exercise1: blocks_needed({n}, {threads}) returned {got}, expected {expected}.{hint}")
    return passed("lesson09.exercise1", f"ceil(n / threads) on {len(cases)} sizes, including exact multiples and n = 0.")


def _cuda():
    """numba.cuda, on the simulator unless a real GPU is there (same rule as the lesson's first cell)."""
    import minigrad as mg
    if not mg.cuda.is_available():
        os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
    from numba import cuda
    return cuda


def exercise2(axpy_2d):
    """``axpy_2d[grid, block](alpha, x, y, out)`` writes out = alpha * x + y, x along columns, y along rows."""
    cuda = _cuda()
    rng = np.random.default_rng(8)
    block = (8, 4)  # 8 threads along x (columns), 4 along y (rows)
    for shape in [(5, 7), (1, 33), (17, 3), (8, 8)]:
        m, n = shape
        x = rng.standard_normal(shape)
        y = rng.standard_normal(shape)
        alpha = 1.5
        out = np.full(shape, np.nan)
        grid = (math.ceil(n / block[0]), math.ceil(m / block[1]))
        try:
            if cuda.is_available() or os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
                d_out = cuda.to_device(out)
                axpy_2d[grid, block](alpha, cuda.to_device(x), cuda.to_device(y), d_out)
                out = d_out.copy_to_host()
            else:
                raise ExerciseFailed("exercise2: no GPU and the simulator is off; restart the kernel and set "
                                     "NUMBA_ENABLE_CUDASIM=1 before importing numba")
        except IndexError as error:
            raise ExerciseFailed(f"exercise2: shape {shape} with grid {grid} and blocks {block}: a thread indexed out "
                                 f"of bounds ({error}). The last blocks have spare threads: guard with "
                                 "`if row < out.shape[0] and col < out.shape[1]:`") from None
        expected = alpha * x + y
        if np.isnan(out).any():
            missing = np.argwhere(np.isnan(out))
            raise ExerciseFailed(f"exercise2: shape {shape}: {len(missing)} of {out.size} elements were never written "
                                 f"(first: {tuple(int(i) for i in missing[0])}). The checker launches grid "
                                 f"(ceil(N / {block[0]}), ceil(M / {block[1]})) with x along columns: "
                                 "col = blockIdx.x * blockDim.x + threadIdx.x, row = blockIdx.y * blockDim.y + threadIdx.y.")
        if not np.allclose(out, expected, rtol=1e-12, atol=1e-12):
            worst = np.unravel_index(np.argmax(np.abs(out - expected)), shape)
            raise ExerciseFailed(f"exercise2: shape {shape}: out{tuple(int(i) for i in worst)} = {out[worst]:.6g}, "
                                 f"expected alpha * x + y = {expected[worst]:.6g}.")
    return passed("lesson09.exercise2", "out = alpha * x + y on shapes (5, 7), (1, 33), (17, 3), (8, 8) with "
                                        "(8, 4) blocks: every element written once, no out-of-bounds access.")


def exercise3(tiled_global_reads):
    """Exact global reads of the tiled kernel: m*k*ceil(n/tile) + k*n*ceil(m/tile)."""
    cases = [(16, 16, 16, 16), (5, 3, 7, 16), (17, 33, 19, 16), (64, 64, 64, 16), (100, 1, 3, 8), (31, 65, 2, 32)]
    for m, n, k, tile in cases:
        expected = m * k * math.ceil(n / tile) + k * n * math.ceil(m / tile)
        got = tiled_global_reads(m, n, k, tile)
        if got != expected:
            hint = ""
            if math.isclose(got, 2 * m * n * k / tile):
                hint = (" 2*m*n*k/tile is exact only when m and n are multiples of the tile. Count per operand: "
                        "A is read in full once per block *column*, and there are ceil(n / tile) of them.")
            elif got == 2 * m * n * k:
                hint = " That is the naive kernel's count; tiles reuse each loaded number across a block."
            elif got == m * k * math.ceil(m / tile) + k * n * math.ceil(n / tile):
                hint = " A is re-read once per block column (ceil(n / tile)), B once per block row (ceil(m / tile))."
            raise ExerciseFailed(f"exercise3: tiled_global_reads(m={m}, n={n}, k={k}, tile={tile}) returned {got}, "
                                 f"expected {expected}.{hint}")
    return passed("lesson09.exercise3", f"exact read counts on {len(cases)} shapes, edges included.")
