"""The lesson 05 checkers accept right answers and reject typical wrong ones with a useful message."""
import numpy as np
import pytest

from minigrad.check import ExerciseFailed, lesson05, reference_solutions

SOLUTIONS = reference_solutions(5)


def test_exercise1_accepts_the_three_layer_backward():
    assert lesson05.exercise1(SOLUTIONS.backward_3_layers) is True


def test_exercise1_names_the_missing_mean():
    def summed(X, labels, P):
        return {k: v * X.shape[0] for k, v in SOLUTIONS.backward_3_layers(X, labels, P).items()}
    with pytest.raises(ExerciseFailed, match="N = 7 times too big"):
        lesson05.exercise1(summed)


def test_exercise1_names_the_sign_of_the_head():
    def flipped(X, labels, P):
        return {k: -v for k, v in SOLUTIONS.backward_3_layers(X, labels, P).items()}
    with pytest.raises(ExerciseFailed, match="wrong sign"):
        lesson05.exercise1(flipped)


def test_exercise1_rejects_the_mask_of_the_wrong_layer():
    def wrong_mask(X, labels, P):
        grads = SOLUTIONS.backward_3_layers(X, labels, P)
        N = X.shape[0]
        Z1 = X @ P["W1"].T + P["b1"]
        H1 = np.maximum(Z1, 0)
        Z2 = H1 @ P["W2"].T + P["b2"]
        logits = np.maximum(Z2, 0) @ P["W3"].T + P["b3"]
        probs = np.exp(logits - logits.max(1, keepdims=True))
        probs /= probs.sum(1, keepdims=True)
        delta2 = ((probs - np.eye(3)[labels]) / N @ P["W3"]) * (Z2 > 0)
        delta1 = delta2 @ P["W2"]                     # forgot relu' of layer 1
        grads["W1"], grads["b1"] = delta1.T @ X, delta1.sum(0)
        return grads
    with pytest.raises(ExerciseFailed, match=r"dW1 differs .*\[Z > 0\]"):
        lesson05.exercise1(wrong_mask)


def test_exercise1_rejects_missing_key_and_wrong_shape():
    with pytest.raises(ExerciseFailed, match="lacks"):
        lesson05.exercise1(lambda X, labels, P: {"W1": 0})
    def unsummed_bias(X, labels, P):
        grads = SOLUTIONS.backward_3_layers(X, labels, P)
        grads["b3"] = np.tile(grads["b3"], (X.shape[0], 1)) / X.shape[0]
        return grads
    with pytest.raises(ExerciseFailed, match="shape of its parameter"):
        lesson05.exercise1(unsummed_bias)


def test_exercise2_accepts_delta1_times_w1():
    assert lesson05.exercise2(SOLUTIONS.input_gradient) is True


def test_exercise2_names_the_dropped_sigmoid_derivative():
    def dropped(X, Y, W1, b1, W2, b2):
        H = 1 / (1 + np.exp(-(X @ W1.T + b1)))
        return ((H @ W2.T + b2 - Y) / X.shape[0] @ W2) @ W1
    with pytest.raises(ExerciseFailed, match="dropped the sigmoid's derivative"):
        lesson05.exercise2(dropped)


def test_exercise3_accepts_tanh_delta():
    assert lesson05.exercise3(SOLUTIONS.tanh_hidden_delta) is True


def test_exercise3_names_the_sigmoid_derivative_mix_up():
    with pytest.raises(ExerciseFailed, match="sigmoid's derivative"):
        lesson05.exercise3(lambda d2, W2, h: (d2 @ W2) * h * (1 - h))
    with pytest.raises(ExerciseFailed, match="left out the activation's derivative"):
        lesson05.exercise3(lambda d2, W2, h: d2 @ W2)
