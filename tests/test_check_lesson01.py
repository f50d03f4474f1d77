"""The lesson 01 checkers accept right answers and reject typical wrong ones with a useful message."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.check import ExerciseFailed, lesson01


def matmul_loops(A, B):
    C = np.zeros((A.shape[0], B.shape[1]))
    for i in range(A.shape[0]):
        for j in range(B.shape[1]):
            for k in range(A.shape[1]):
                C[i, j] += A[i, k] * B[k, j]
    return C


def test_exercise1_accepts_loops():
    assert lesson01.exercise1(matmul_loops) is True


def test_exercise1_rejects_transposed_index():
    def wrong(A, B):  # B[j, k] instead of B[k, j]; shape is wrong for non-square B
        C = np.zeros((A.shape[0], B.shape[1]))
        for i in range(A.shape[0]):
            for j in range(B.shape[1]):
                for k in range(A.shape[1]):
                    C[i, j] += A[i, k] * B[j % B.shape[0], k % B.shape[1]]
        return C
    with pytest.raises(ExerciseFailed, match=r"C_ij = sum_k A\[i,k\] \* B\[k,j\]"):
        lesson01.exercise1(wrong)


def test_exercise1_rejects_wrong_shape():
    with pytest.raises(ExerciseFailed, match="rows of A, columns of B"):
        lesson01.exercise1(lambda A, B: A @ B[:, :1])


def broadcast_shape(a, b):
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            raise ValueError(f"{x} vs {y}")
        out.append(max(x, y))
    return tuple(out)


def test_exercise2_accepts_right_alignment():
    assert lesson01.exercise2(broadcast_shape) is True


def test_exercise2_rejects_left_alignment():
    def left_aligned(a, b):
        n = max(len(a), len(b))
        return broadcast_shape(tuple(a) + (1,) * (n - len(a)), tuple(b) + (1,) * (n - len(b)))
    with pytest.raises(ExerciseFailed, match="RIGHT|right end"):
        lesson01.exercise2(left_aligned)


def test_exercise2_rejects_missing_error():
    def never_raises(a, b):
        try:
            return broadcast_shape(a, b)
        except ValueError:
            return ()
    with pytest.raises(ExerciseFailed, match="raise ValueError"):
        lesson01.exercise2(never_raises)


def cross(a, b):
    return mg.stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])


def test_exercise3_accepts_component_formula():
    assert lesson01.exercise3(cross) is True


def test_exercise3_rejects_sign_error():
    def wrong(a, b):
        return mg.stack([a[1] * b[2] - a[2] * b[1], a[0] * b[2] - a[2] * b[0], a[0] * b[1] - a[1] * b[0]])
    with pytest.raises(ExerciseFailed, match=r"component\(s\) \[1\]"):
        lesson01.exercise3(wrong)


def test_exercise3_rejects_numpy_detour():
    def detour(a, b):
        return mg.tensor(np.cross(a.numpy(), b.numpy()))
    with pytest.raises(ExerciseFailed, match="minigrad ops"):
        lesson01.exercise3(detour)
