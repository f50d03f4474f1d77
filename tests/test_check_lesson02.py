"""The lesson 02 checkers accept right answers and reject typical wrong ones with a useful message."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.check import ExerciseFailed, lesson02


def test_exercise1_accepts_s_times_one_minus_s():
    def sigmoid_derivative(x):
        s = 1 / (1 + np.exp(-x))
        return s * (1 - s)
    assert lesson02.exercise1(sigmoid_derivative) is True


def test_exercise1_rejects_formula_applied_to_x():
    with pytest.raises(ExerciseFailed, match=r"x \(1 - x\)"):
        lesson02.exercise1(lambda x: x * (1 - x))


def stable_softmax(x):
    e = (x - x.max(dim=-1, keepdim=True).values).exp()
    return e / e.sum(dim=-1, keepdim=True)


def test_exercise2_accepts_max_subtraction():
    assert lesson02.exercise2(stable_softmax) is True


def test_exercise2_rejects_overflowing_softmax():
    def naive(x):
        e = x.exp()
        return e / e.sum(dim=-1, keepdim=True)
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(ExerciseFailed, match="subtract each row's max"):
            lesson02.exercise2(naive)


def test_exercise2_rejects_whole_matrix_normalisation():
    def whole(x):
        e = (x - x.max()).exp()
        return e / e.sum()
    with pytest.raises(ExerciseFailed, match="ROW"):
        lesson02.exercise2(whole)


def test_exercise2_rejects_graph_cut():
    def detached(x):
        return mg.tensor(stable_softmax(x).numpy())
    with pytest.raises(ExerciseFailed, match="gradient"):
        lesson02.exercise2(detached)


def test_exercise3_accepts_diag_minus_outer():
    assert lesson02.exercise3(lambda y: np.diag(y) - np.outer(y, y)) is True


def test_exercise3_rejects_diagonal_only():
    with pytest.raises(ExerciseFailed, match="off-diagonal"):
        lesson02.exercise3(lambda y: np.diag(y * (1 - y)))
