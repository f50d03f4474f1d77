"""The lesson 02 checkers accept right answers and reject typical wrong ones with a useful message."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.check import ExerciseFailed, lesson02, reference_solutions


SOLUTIONS = reference_solutions(2)


def test_exercise1_accepts_the_stable_sigmoid():
    assert lesson02.exercise1(SOLUTIONS.stable_sigmoid) is True


@pytest.mark.parametrize("naive", [lambda x: 1 / (1 + np.exp(-x)), lambda x: np.exp(x) / (1 + np.exp(x))])
def test_exercise1_rejects_the_overflowing_forms(naive):
    with pytest.raises(ExerciseFailed, match="overflows"):
        lesson02.exercise1(naive)


def test_exercise1_rejects_clipping_that_loses_the_tiny_values():
    with pytest.raises(ExerciseFailed, match="relative"):
        lesson02.exercise1(lambda x: 1 / (1 + np.exp(-np.clip(x, -30, 30))))


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


def test_exercise3_accepts_identity_minus_y():
    assert lesson02.exercise3(SOLUTIONS.log_softmax_jacobian) is True


def test_exercise3_names_the_transpose_and_the_softmax_jacobian():
    with pytest.raises(ExerciseFailed, match="transposed"):
        lesson02.exercise3(lambda y: np.eye(len(y)) - y[:, None])
    with pytest.raises(ExerciseFailed, match="That is the softmax Jacobian"):
        lesson02.exercise3(lambda y: np.diag(y) - np.outer(y, y))


def test_exercise4_accepts_the_product_rule():
    assert lesson02.exercise4(SOLUTIONS.silu_derivative) is True


def test_exercise4_names_a_missing_product_rule_term():
    s = lambda x: 1 / (1 + np.exp(-x))
    with pytest.raises(ExerciseFailed, match="s'\\(x\\) alone"):
        lesson02.exercise4(lambda x: s(x) * (1 - s(x)))
    with pytest.raises(ExerciseFailed, match="s\\(x\\) alone"):
        lesson02.exercise4(s)
