"""The lesson 01 checkers accept right answers and reject typical wrong ones with a useful message."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.check import ExerciseFailed, lesson01, reference_solutions


SOLUTIONS = reference_solutions(1)


def test_exercise1_accepts_outer_products():
    assert lesson01.exercise1(SOLUTIONS.matmul_outer) is True


@pytest.mark.parametrize("library", [lambda A, B: A @ B, lambda A, B: np.dot(A, B), lambda A, B: np.matmul(A, B),
                                     lambda A, B: np.einsum("ik,kj->ij", A, B)])
def test_exercise1_rejects_the_library_product(library):
    with pytest.raises(ExerciseFailed, match=r"you used np\.\w+.*; the exercise is to build the product without it"):
        lesson01.exercise1(library)


def test_exercise1_rejects_a_single_outer_product():
    def last_only(A, B):
        C = np.zeros((A.shape[0], B.shape[1]))
        for p in range(A.shape[1]):
            C = np.outer(A[:, p], B[p, :])          # = instead of +=
        return C
    with pytest.raises(ExerciseFailed, match=r"single outer product: add them up"):
        lesson01.exercise1(last_only)


def test_exercise1_rejects_wrong_shape():
    with pytest.raises(ExerciseFailed, match="rows of A, columns of B"):
        lesson01.exercise1(lambda A, B: SOLUTIONS.matmul_outer(A, B)[:, :1])


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


def test_exercise4_accepts_the_derived_gradients():
    assert lesson01.exercise4(SOLUTIONS.solve_gradients) is True


def test_exercise4_names_the_wrong_sign_and_the_untransposed_solve():
    def plus_sign(A, b, G):
        dA, db = SOLUTIONS.solve_gradients(A, b, G)
        return -dA, db
    with pytest.raises(ExerciseFailed, match="wrong sign"):
        lesson01.exercise4(plus_sign)
    def untransposed(A, b, G):
        dA, _ = SOLUTIONS.solve_gradients(A, b, G)
        return dA, np.linalg.solve(A, G)
    with pytest.raises(ExerciseFailed, match="You solved with A"):
        lesson01.exercise4(untransposed)
