"""Checkers for lesson 09 (GPU kernels): a block reduction, the reads of a full sum, a tiled transpose.

On a machine without a GPU the kernels run on Numba's CUDA simulator, where every read of a kernel's
global-memory argument goes through ``FakeCUDAArray.__getitem__``: the checkers count those reads.
"""
import contextlib
import math
import os

import numpy as np

from minigrad.check import ExerciseFailed, exercise, passed


def _cuda():
    """numba.cuda, on the simulator unless a real GPU is there (same rule as the lesson's first cell)."""
    import minigrad as mg
    if not mg.cuda.is_available():
        os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
    from numba import cuda
    return cuda


def _simulated():
    return os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"


@contextlib.contextmanager
def _counting_reads(counter, device_arrays):
    """On the simulator: count every element read of these global-memory arguments into counter[0].

    Only reads of *these* arrays count: threads of an earlier launch that failed may still be running.
    """
    if not _simulated():
        yield
        return
    from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray
    original = FakeCUDAArray.__getitem__
    ours = [vars(d)["_ary"] for d in device_arrays]

    def counting(self, index):
        if any(np.shares_memory(vars(self)["_ary"], a) for a in ours):
            counter[0] += 1
        return original(self, index)

    FakeCUDAArray.__getitem__ = counting
    try:
        yield
    finally:
        FakeCUDAArray.__getitem__ = original


def _launch(kernel, grid, block, *arrays, what):
    """Launch on device copies of ``arrays``; return the host copies and the number of global reads."""
    cuda = _cuda()
    device = [cuda.to_device(a) for a in arrays]
    count = [0]
    try:
        with _counting_reads(count, device):
            kernel[grid, block](*device)
    except IndexError as error:
        raise ExerciseFailed(f"{what}: a thread indexed out of bounds ({error}). The last block has spare threads: "
                             "guard every global read and write with the array's size.") from None
    return [d.copy_to_host() for d in device], count[0]


_reference_kernels = {}
cuda = float64 = None           # set by _reference_block_sum, after the simulator decision


def _reference_block_sum():
    """The checker's own block sum, the one exercise 2's counts are measured with."""
    global cuda, float64         # module globals: the simulator swaps a kernel's global `cuda` for its fake one
    if "sum" not in _reference_kernels:
        cuda = _cuda()
        from numba import float64

        @cuda.jit
        def block_sum_64(x, partial):
            shared = cuda.shared.array(64, float64)
            t = cuda.threadIdx.x
            i = cuda.blockIdx.x * 64 + t
            shared[t] = x[i] if i < x.size else 0.0
            stride = 32
            while stride > 0:
                cuda.syncthreads()
                if t < stride:
                    shared[t] += shared[t + stride]
                stride //= 2
            if t == 0:
                partial[cuda.blockIdx.x] = shared[0]

        _reference_kernels["sum"] = block_sum_64
    return _reference_kernels["sum"]


@exercise("lesson09.exercise1")
def exercise1(block_sum_kernel):
    """``block_sum_kernel[ceil(n / 64), 64](x, partial)``: partial[b] = sum of block b's 64 elements of x."""
    rng = np.random.default_rng(9)
    for n in (1, 63, 64, 65, 200):
        x = rng.standard_normal(n)
        blocks = math.ceil(n / 64)
        partial = np.full(blocks, np.nan)
        (_, got), reads = _launch(block_sum_kernel, blocks, 64, x, partial, what=f"exercise1 (n = {n})")
        expected = np.array([x[b * 64:(b + 1) * 64].sum() for b in range(blocks)])
        if np.isnan(got).any():
            raise ExerciseFailed(f"exercise1: n = {n}: partial sums {np.flatnonzero(np.isnan(got)).tolist()} were never "
                                 "written. Thread 0 of every block writes partial[cuda.blockIdx.x] at the end.")
        if not np.allclose(got, expected, rtol=1e-12, atol=1e-12):
            b = int(np.argmax(np.abs(got - expected)))
            hint = "Hint: load 0 beyond the end of x; halve the stride 32, 16, ..., 1 with a syncthreads before each step."
            if n % 64 and np.isclose(got[b], x[b * 64:b * 64 + 32].sum()):
                hint = "Your block only added its first half: the tree must start at stride 32 = THREADS // 2."
            raise ExerciseFailed(f"exercise1: n = {n}: block {b} wrote {got[b]:.6g}, the sum of its elements is "
                                 f"{expected[b]:.6g}. {hint}")
        if _simulated() and reads != n:
            raise ExerciseFailed(f"exercise1: n = {n}: your kernel read x {reads} times; a reduction needs to read each "
                                 f"of the {n} elements exactly once (into shared memory) and then works in shared memory.")
    counted = " and reads each element exactly once (counted on the simulator)" if _simulated() else ""
    return passed("lesson09.exercise1", f"the partial sums are right for n = 1, 63, 64, 65, 200{counted}.")


def _measured_full_sum_reads(n):
    cuda = _cuda()
    kernel = _reference_block_sum()
    values, total = np.random.default_rng(n).standard_normal(n), 0
    while len(values) > 1:
        blocks = math.ceil(len(values) / 64)
        (_, partial), reads = _launch(kernel, blocks, 64, values, np.zeros(blocks), what="reference")
        values, total = partial, total + reads
    return total


@exercise("lesson09.exercise2")
def exercise2(full_sum_reads):
    """``full_sum_reads(n, threads=64)``: global reads of reducing n numbers to one by repeated block sums."""
    def formula(n, threads):
        total = 0
        while n > 1:
            total, n = total + n, math.ceil(n / threads)
        return total
    for n in (1, 2, 64, 65, 4096, 4097, 300_000):
        for threads in (64, 256):
            expected = formula(n, threads)
            got = full_sum_reads(n, threads)
            if got != expected:
                hint = "Hint: add the size of each launch's input: n, then ceil(n / T), ... while more than one is left."
                if got == n:
                    hint = "That counts only the first launch; the partial sums are read again by the next launches."
                elif got == expected + 1:
                    hint = "One read too many: once a single number is left, no further launch is needed."
                raise ExerciseFailed(f"exercise2: full_sum_reads({n}, {threads}) = {got}, expected {expected}. {hint}")
    if _simulated():
        for n in (65, 300):
            measured = _measured_full_sum_reads(n)
            if measured != full_sum_reads(n, 64):
                raise ExerciseFailed(f"exercise2: for n = {n} the simulator counted {measured} reads, you say "
                                     f"{full_sum_reads(n, 64)}")
    where = " and equal to the reads counted on the simulator for n = 65 and 300" if _simulated() else ""
    return passed("lesson09.exercise2", f"exact totals for 14 sizes and two block sizes{where}.")


@exercise("lesson09.exercise3")
def exercise3(transpose_kernel):
    """``transpose_kernel[(ceil(N/16), ceil(M/16)), (16, 16)](a, out)``: out = a.T."""
    rng = np.random.default_rng(10)
    for shape in ((5, 7), (17, 20), (1, 20)):
        m, n = shape
        a = rng.standard_normal(shape)
        out = np.full((n, m), np.nan)
        grid = (math.ceil(n / 16), math.ceil(m / 16))
        (_, got), reads = _launch(transpose_kernel, grid, (16, 16), a, out, what=f"exercise3 (shape {shape})")
        if np.isnan(got).any():
            missing = np.argwhere(np.isnan(got))
            raise ExerciseFailed(f"exercise3: shape {shape}: {len(missing)} of {got.size} elements of out were never "
                                 f"written (first: {tuple(int(i) for i in missing[0])}). The grid is (ceil(N/16), "
                                 "ceil(M/16)) over a's columns and rows; when writing, swap the BLOCK indices: "
                                 "out[bx*16 + ty, by*16 + tx].")
        if not np.array_equal(got, a.T):
            worst = np.unravel_index(np.argmax(np.abs(got - a.T)), got.shape)
            hint = ("Hint: after the syncthreads, thread (tx, ty) writes out[bx*16 + ty, by*16 + tx] = tile[tx, ty].")
            raise ExerciseFailed(f"exercise3: shape {shape}: out{tuple(int(i) for i in worst)} = {got[worst]:.6g}, "
                                 f"but a.T there is {a.T[worst]:.6g}. {hint}")
        if _simulated() and reads != m * n:
            raise ExerciseFailed(f"exercise3: shape {shape}: a was read {reads} times, expected {m * n} (once per "
                                 "element, into the shared tile; the write reads only shared memory).")
    counted = ", reading a exactly once per element" if _simulated() else ""
    return passed("lesson09.exercise3", f"out = a.T on (5, 7), (17, 20), (1, 20){counted}.")
