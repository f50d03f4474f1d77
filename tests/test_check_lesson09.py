"""The lesson 09 checkers accept right answers and reject typical wrong ones with a useful hint.

Kernels run on Numba's CUDA simulator when there is no GPU (chosen in tests/conftest.py).
"""
import math

import pytest
from numba import cuda

from minigrad.check import ExerciseFailed, lesson09


def test_exercise1_accepts_ceiling_division(capsys):
    assert lesson09.exercise1(lambda n, t: (n + t - 1) // t) is True
    assert "correct" in capsys.readouterr().out


def test_exercise1_catches_floor_division():
    with pytest.raises(ExerciseFailed, match="rounds down"):
        lesson09.exercise1(lambda n, t: n // t)


def test_exercise1_catches_always_one_more():
    with pytest.raises(ExerciseFailed, match="one block too many"):
        lesson09.exercise1(lambda n, t: n // t + 1)


def test_exercise1_rejects_float_grid():
    with pytest.raises(ExerciseFailed, match="must be an int"):
        lesson09.exercise1(lambda n, t: math.ceil(n / t) * 1.0)


@cuda.jit
def good_axpy(alpha, x, y, out):
    row = cuda.blockIdx.y * cuda.blockDim.y + cuda.threadIdx.y
    col = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
    if row < out.shape[0] and col < out.shape[1]:
        out[row, col] = alpha * x[row, col] + y[row, col]


@cuda.jit
def unguarded_axpy(alpha, x, y, out):
    row = cuda.blockIdx.y * cuda.blockDim.y + cuda.threadIdx.y
    col = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
    out[row, col] = alpha * x[row, col] + y[row, col]


@cuda.jit
def swapped_axpy(alpha, x, y, out):
    row = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x   # rows along x: wrong convention
    col = cuda.blockIdx.y * cuda.blockDim.y + cuda.threadIdx.y
    if row < out.shape[0] and col < out.shape[1]:
        out[row, col] = alpha * x[row, col] + y[row, col]


@cuda.jit
def forgets_alpha(alpha, x, y, out):
    row = cuda.blockIdx.y * cuda.blockDim.y + cuda.threadIdx.y
    col = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
    if row < out.shape[0] and col < out.shape[1]:
        out[row, col] = x[row, col] + y[row, col]


def test_exercise2_accepts_guarded_kernel():
    assert lesson09.exercise2(good_axpy) is True


def test_exercise2_explains_missing_guard():
    with pytest.raises(ExerciseFailed, match="guard"):
        lesson09.exercise2(unguarded_axpy)


def test_exercise2_explains_swapped_axes():
    with pytest.raises(ExerciseFailed, match="never written"):
        lesson09.exercise2(swapped_axpy)


def test_exercise2_reports_wrong_values():
    with pytest.raises(ExerciseFailed, match="expected alpha"):
        lesson09.exercise2(forgets_alpha)


def test_exercise3_accepts_exact_count():
    assert lesson09.exercise3(lambda m, n, k, t: m * k * math.ceil(n / t) + k * n * math.ceil(m / t)) is True


def test_exercise3_explains_the_napkin_formula():
    with pytest.raises(ExerciseFailed, match="multiples of the tile"):
        lesson09.exercise3(lambda m, n, k, t: 2 * m * n * k / t)


def test_exercise3_catches_swapped_block_counts():
    with pytest.raises(ExerciseFailed, match="once per block column"):
        lesson09.exercise3(lambda m, n, k, t: m * k * math.ceil(m / t) + k * n * math.ceil(n / t))
