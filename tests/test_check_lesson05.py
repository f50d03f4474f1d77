"""The lesson 05 checkers accept right answers and reject typical wrong ones with a useful message."""
import numpy as np
import pytest

from minigrad.check import ExerciseFailed, lesson05


def backward_by_hand(X, Y, W1, b1, W2, b2, use_activation_derivative=True):
    n = X.shape[0]
    h = 1 / (1 + np.exp(-(X @ W1.T + b1)))
    yhat = h @ W2.T + b2
    delta2 = (yhat - Y) / n
    delta1 = delta2 @ W2
    if use_activation_derivative:
        delta1 = delta1 * h * (1 - h)
    return {"W2": delta2.T @ h, "b2": delta2.sum(0), "W1": delta1.T @ X, "b1": delta1.sum(0)}


def test_exercise1_accepts_hand_derived_gradients():
    assert lesson05.exercise1(backward_by_hand) is True


def test_exercise1_names_the_dropped_activation_derivative():
    with pytest.raises(ExerciseFailed, match="dropped the activation's derivative"):
        lesson05.exercise1(lambda *a, **k: backward_by_hand(*a, **k, use_activation_derivative=False))


def test_exercise1_rejects_bias_without_batch_sum():
    def unsummed(*args, **kwargs):
        grads = backward_by_hand(*args, **kwargs)
        grads["b2"] = grads["b2"][None, :].repeat(3, axis=0)
        return grads
    with pytest.raises(ExerciseFailed, match="sum the deltas over the batch"):
        lesson05.exercise1(unsummed)


def test_exercise1_rejects_missing_key():
    with pytest.raises(ExerciseFailed, match="lacks"):
        lesson05.exercise1(lambda *a, **k: {"W1": 0})


def test_exercise2_accepts_tanh_delta():
    assert lesson05.exercise2(lambda d2, W2, h: (d2 @ W2) * (1 - h ** 2)) is True


def test_exercise2_names_the_sigmoid_derivative_mix_up():
    with pytest.raises(ExerciseFailed, match="sigmoid's derivative"):
        lesson05.exercise2(lambda d2, W2, h: (d2 @ W2) * h * (1 - h))
