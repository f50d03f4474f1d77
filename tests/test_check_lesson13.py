"""The lesson 13 checkers accept right answers and reject typical wrong ones with a message naming the mistake."""
import numpy as np
import pytest

from minigrad.check import ExerciseFailed, lesson13, reference_solutions

SOLUTIONS = reference_solutions(13)


def test_exercise1_accepts_gradient_times_input():
    assert lesson13.exercise1(SOLUTIONS.gradient_times_input) is True


def test_exercise1_names_the_plain_gradient_and_the_lost_sign():
    def gradient_only(model, ids, mask, target):
        vectors = model.embed(ids).detach().requires_grad_()
        model.classify(model.encode(vectors, mask), mask)[0, target].backward()
        return vectors.grad.sum(dim=-1).numpy()[0]
    with pytest.raises(ExerciseFailed, match="multiply it by the input"):
        lesson13.exercise1(gradient_only)
    with pytest.raises(ExerciseFailed, match="Keep the sign"):
        lesson13.exercise1(lambda *a: np.abs(SOLUTIONS.gradient_times_input(*a)))


def test_exercise2_accepts_midpoint_integrated_gradients():
    assert lesson13.exercise2(SOLUTIONS.integrated_gradients) is True


def test_exercise2_names_a_sum_instead_of_a_mean_and_a_single_point():
    with pytest.raises(ExerciseFailed, match="MEAN along the path"):
        lesson13.exercise2(lambda model, ids, mask, target, steps:
                           SOLUTIONS.integrated_gradients(model, ids, mask, target, steps) * steps)
    with pytest.raises(ExerciseFailed, match="does not change with steps"):
        lesson13.exercise2(lambda model, ids, mask, target, steps:
                           SOLUTIONS.integrated_gradients(model, ids, mask, target, 1))


def test_exercise3_accepts_the_rollout():
    assert lesson13.exercise3(SOLUTIONS.attention_rollout) is True


def test_exercise3_names_the_order_and_the_missing_residual():
    def bottom_left(weights):
        out = None
        for w in weights:
            a = 0.5 * w.mean(axis=0) + 0.5 * np.eye(w.shape[-1])
            out = a if out is None else out @ a
        return out
    with pytest.raises(ExerciseFailed, match="top layer's matrix goes on the left"):
        lesson13.exercise3(bottom_left)
    with pytest.raises(ExerciseFailed, match="residual connection"):
        lesson13.exercise3(lambda weights: weights[0].mean(axis=0) if len(weights) == 1 else None)
