"""The lesson 14 checkers accept right answers and reject typical wrong ones with a message naming the mistake."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.check import ExerciseFailed, lesson14, reference_solutions

SOLUTIONS = reference_solutions(14)


def test_exercise1_accepts_the_zero_point_scheme():
    assert lesson14.exercise1(SOLUTIONS.quantize_asymmetric) is True


def test_exercise1_names_the_symmetric_scale_and_a_missing_zero_point():
    def symmetric(w, bits):
        levels = 2 ** (bits - 1) - 1
        scale = np.abs(w).max() / levels
        return np.clip(np.round(w / scale), -levels, levels).astype(int) + levels, scale, levels
    with pytest.raises(ExerciseFailed, match="symmetric scale"):
        lesson14.exercise1(symmetric)
    def no_zero_point(w, bits):
        levels = 2 ** bits - 1
        scale = (w.max() - w.min()) / levels
        return np.clip(np.round(w / scale), 0, levels).astype(int), scale, 0
    with pytest.raises(ExerciseFailed, match="zero point is 0"):
        lesson14.exercise1(no_zero_point)


def test_exercise2_accepts_the_straight_through_estimator():
    assert lesson14.exercise2(SOLUTIONS.FakeQuantSTE) is True


def test_exercise2_rejects_the_true_gradient_of_round_and_returning_integers():
    class TrueGradient(SOLUTIONS.FakeQuantSTE):
        @staticmethod
        def backward(ctx, g):
            return g * 0, None
    with pytest.raises(ExerciseFailed, match="straight through"):
        lesson14.exercise2(TrueGradient)
    class Integers(SOLUTIONS.FakeQuantSTE):
        @staticmethod
        def forward(ctx, w, bits):
            return np.round(w / (np.abs(w).max() / (2 ** (bits - 1) - 1)))
    with pytest.raises(ExerciseFailed, match="returned the integers q"):
        lesson14.exercise2(Integers)


def test_exercise3_accepts_row_pruning():
    assert lesson14.exercise3(SOLUTIONS.prune_rows) is True


def test_exercise3_names_signed_sums_and_unstructured_pruning():
    def by_sum(w, fraction):
        k = int(round(fraction * w.shape[0]))
        out = w.copy()
        out[np.argsort(w.sum(axis=1))[:k]] = 0
        return out
    with pytest.raises(ExerciseFailed, match="signed sum"):
        lesson14.exercise3(by_sum)
    def scattered(w, fraction):
        k = int(round(fraction * w.shape[0])) * w.shape[1]
        out = w.copy()
        out.flat[np.argsort(np.abs(w), axis=None)[:k]] = 0
        return out
    with pytest.raises(ExerciseFailed, match="individual weights"):
        lesson14.exercise3(scattered)
