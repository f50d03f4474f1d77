"""The lesson 09 checkers accept right answers and reject typical wrong ones with a useful hint.

Kernels run on Numba's CUDA simulator when there is no GPU (chosen in tests/conftest.py), where the
checkers also count global-memory reads.
"""
import pytest
from numba import cuda, float64

from minigrad.check import ExerciseFailed, lesson09, reference_solutions

SOLUTIONS = reference_solutions(9)
THREADS, TILE = 64, 16


def test_exercise1_accepts_the_tree_reduction():
    assert lesson09.exercise1(SOLUTIONS.block_sum_kernel) is True


@cuda.jit
def unguarded_sum(x, partial):
    shared = cuda.shared.array(THREADS, float64)
    t = cuda.threadIdx.x
    shared[t] = x[cuda.blockIdx.x * THREADS + t]          # no guard: reads past the end
    stride = THREADS // 2
    while stride > 0:
        cuda.syncthreads()
        if t < stride:
            shared[t] += shared[t + stride]
        stride //= 2
    if t == 0:
        partial[cuda.blockIdx.x] = shared[0]


@cuda.jit
def half_tree_sum(x, partial):
    shared = cuda.shared.array(THREADS, float64)
    t = cuda.threadIdx.x
    i = cuda.blockIdx.x * THREADS + t
    shared[t] = x[i] if i < x.size else 0.0
    stride = THREADS // 4                                  # starts one level too low
    while stride > 0:
        cuda.syncthreads()
        if t < stride:
            shared[t] += shared[t + stride]
        stride //= 2
    if t == 0:
        partial[cuda.blockIdx.x] = shared[0]


@cuda.jit
def rereading_sum(x, partial):
    t = cuda.threadIdx.x
    if t == 0:                                             # one thread reads the whole block from global memory
        total = 0.0
        for j in range(THREADS):
            i = cuda.blockIdx.x * THREADS + j
            if i < x.size:
                total += x[i]
        partial[cuda.blockIdx.x] = total + 0.0 * x[0]      # ... and one extra read


def test_exercise1_names_the_missing_guard_and_the_short_tree():
    with pytest.raises(ExerciseFailed, match="out of bounds"):
        lesson09.exercise1(unguarded_sum)
    with pytest.raises(ExerciseFailed, match="wrote"):
        lesson09.exercise1(half_tree_sum)


def test_exercise1_counts_reads():
    with pytest.raises(ExerciseFailed, match="read x .* times"):
        lesson09.exercise1(rereading_sum)


@cuda.jit
def stub_kernel(x, partial):
    """Hint: ..."""
    raise NotImplementedError("exercise 1")


def test_a_kernel_stub_is_not_yet_solved(capsys):
    assert lesson09.exercise1(stub_kernel) is False
    assert "lesson09.exercise1: not yet solved" in capsys.readouterr().out


def test_exercise2_accepts_the_sum_of_launch_sizes():
    assert lesson09.exercise2(SOLUTIONS.full_sum_reads) is True


def test_exercise2_names_one_launch_only():
    with pytest.raises(ExerciseFailed, match="only the first launch"):
        lesson09.exercise2(lambda n, threads=64: n if n > 1 else 0)


def test_exercise3_accepts_the_tiled_transpose():
    assert lesson09.exercise3(SOLUTIONS.transpose_kernel) is True


@cuda.jit
def unswapped_blocks(a, out):
    tile = cuda.shared.array((TILE, TILE + 1), float64)
    tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
    bx, by = cuda.blockIdx.x, cuda.blockIdx.y
    if by * TILE + ty < a.shape[0] and bx * TILE + tx < a.shape[1]:
        tile[ty, tx] = a[by * TILE + ty, bx * TILE + tx]
    cuda.syncthreads()
    r, c = by * TILE + ty, bx * TILE + tx                  # forgot to swap the block indices
    if r < out.shape[0] and c < out.shape[1]:
        out[r, c] = tile[tx, ty]


def test_exercise3_names_unswapped_block_indices():
    with pytest.raises(ExerciseFailed, match="never written|a.T there"):
        lesson09.exercise3(unswapped_blocks)
