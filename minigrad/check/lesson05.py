"""Checkers for lesson 05, backpropagation by hand.

Exercise 1: a 3-layer ReLU network with a softmax + cross-entropy head.  Exercises 2-3: the sigmoid
network of the lesson, z1 = X W1^T + b1, h = sigmoid(z1), yhat = h W2^T + b2,
L = (1 / 2N) sum_n ||yhat_n - y_n||^2.
"""
import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.check import ExerciseFailed, exercise, passed

def _problem(seed=5):
    rng = np.random.default_rng(seed)
    n, d_in, d_hidden, d_out = 6, 3, 5, 2
    X, Y = rng.standard_normal((n, d_in)), rng.standard_normal((n, d_out))
    params = {"W1": rng.standard_normal((d_hidden, d_in)), "b1": rng.standard_normal(d_hidden),
              "W2": rng.standard_normal((d_out, d_hidden)), "b2": rng.standard_normal(d_out)}
    return X, Y, params


def _three_layer_problem(seed=8):
    rng = np.random.default_rng(seed)
    n, sizes = 7, (4, 6, 5, 3)
    X, labels = rng.standard_normal((n, sizes[0])), rng.integers(0, sizes[-1], n)
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:]), start=1):
        params[f"W{layer}"] = rng.standard_normal((fan_out, fan_in)) / np.sqrt(fan_in)
        params[f"b{layer}"] = 0.3 * rng.standard_normal(fan_out)
    return X, labels, params


def _three_layer_autograd(X, labels, params):
    p = {k: mg.tensor(v, requires_grad=True) for k, v in params.items()}
    z1 = mg.tensor(X) @ p["W1"].T + p["b1"]
    z2 = z1.relu() @ p["W2"].T + p["b2"]
    logits = z2.relu() @ p["W3"].T + p["b3"]
    F.cross_entropy(logits, mg.tensor(labels)).backward()
    return {k: p[k].grad.numpy() for k in params}, z1.numpy(), z2.numpy(), logits.numpy()


@exercise("lesson05.exercise1")
def exercise1(backward_3_layers):
    """``backward_3_layers(X, labels, P)`` returns the six NumPy gradients of the mean cross-entropy of a
    3-layer ReLU network with a softmax head."""
    X, labels, params = _three_layer_problem()
    expected, z1, z2, logits = _three_layer_autograd(X, labels, params)
    assert np.abs(z1).min() > 1e-6 and np.abs(z2).min() > 1e-6       # no unit on ReLU's kink
    got = backward_3_layers(X.copy(), labels.copy(), {k: v.copy() for k, v in params.items()})
    names = ("W3", "b3", "W2", "b2", "W1", "b1")
    missing = [k for k in names if k not in got]
    if missing:
        raise ExerciseFailed(f"the returned dict lacks {missing}; return one gradient per parameter, keyed like P")
    N = X.shape[0]
    for k in names:
        g = np.asarray(got[k], dtype=np.float64)
        if g.shape != expected[k].shape:
            raise ExerciseFailed(f"d{k} has shape {g.shape} but {k} has shape {expected[k].shape}; a gradient has the "
                                 "shape of its parameter (dW = delta^T input; db = delta summed over the batch).")
        if np.allclose(g, expected[k], rtol=1e-8, atol=1e-12):
            continue
        hint = {"W3": "dW3 = delta3^T H2 with delta3 = (softmax(logits) - onehot) / N.",
                "b3": "db3 = delta3 summed over the batch.",
                "W2": "dW2 = delta2^T H1 with delta2 = (delta3 W3) * [Z2 > 0].",
                "b2": "db2 = delta2 summed over the batch.",
                "W1": "dW1 = delta1^T X with delta1 = (delta2 W2) * [Z1 > 0].",
                "b1": "db1 = delta1 summed over the batch."}[k]
        if np.allclose(g, N * expected[k], rtol=1e-8):
            hint = f"Your d{k} is N = {N} times too big: the loss is the MEAN over the batch, so delta3 = (P - Y) / N."
        elif np.allclose(g, -expected[k], rtol=1e-8):
            hint = f"Your d{k} has the wrong sign: the head's delta is P - Y (prediction minus target)."
        elif k in ("W2", "b2", "W1", "b1"):
            hint += " ReLU's derivative is the 0/1 mask [Z > 0] of the pre-activation of the same layer."
        raise ExerciseFailed(f"d{k} differs from autograd's (largest gap {np.abs(g - expected[k]).max():.3g}). {hint}")
    return passed("lesson05.exercise1", "all six gradients of the 3-layer ReLU/softmax network equal autograd's.")


@exercise("lesson05.exercise2")
def exercise2(input_gradient):
    """``input_gradient(X, Y, W1, b1, W2, b2)``: dL/dX for the lesson's sigmoid network with the MSE head."""
    X, Y, params = _problem()
    x = mg.tensor(X, requires_grad=True)
    h = (x @ mg.tensor(params["W1"]).T + mg.tensor(params["b1"])).sigmoid()
    loss = ((h @ mg.tensor(params["W2"]).T + mg.tensor(params["b2"]) - mg.tensor(Y)) ** 2).sum() / (2 * X.shape[0])
    loss.backward()
    expected = x.grad.numpy()
    got = np.asarray(input_gradient(X.copy(), Y.copy(), **{k: v.copy() for k, v in params.items()}), dtype=np.float64)
    if got.shape != X.shape:
        raise ExerciseFailed(f"dL/dX must have the shape of X, {X.shape}; you returned {got.shape}. "
                             "delta1 (N, hidden) @ W1 (hidden, d_in) gives (N, d_in).")
    if not np.allclose(got, expected, rtol=1e-8, atol=1e-12):
        hint = "Hint: dL/dX = delta1 W1, with delta1 = (delta2 W2) * h (1 - h) and delta2 = (yhat - y) / N."
        hidden = 1 / (1 + np.exp(-(X @ params["W1"].T + params["b1"])))
        delta2 = (hidden @ params["W2"].T + params["b2"] - Y) / X.shape[0]
        if np.allclose(got, (delta2 @ params["W2"]) @ params["W1"]):
            hint = "You dropped the sigmoid's derivative on the way through the hidden layer: multiply by h (1 - h)."
        raise ExerciseFailed(f"dL/dX differs from autograd's (largest gap {np.abs(got - expected).max():.3g}). {hint}")
    return passed("lesson05.exercise2", "dL/dX = delta1 W1 equals autograd's gradient with respect to the input.")


@exercise("lesson05.exercise3")
def exercise3(tanh_hidden_delta):
    """``tanh_hidden_delta(delta2, W2, h)``: the hidden layer's delta when h = tanh(z1) instead of sigmoid."""
    rng = np.random.default_rng(6)
    delta2, W2 = rng.standard_normal((4, 2)), rng.standard_normal((2, 3))
    h = np.tanh(rng.standard_normal((4, 3)))
    expected = (delta2 @ W2) * (1 - h ** 2)
    got = np.asarray(tanh_hidden_delta(delta2.copy(), W2.copy(), h.copy()), dtype=np.float64)
    if got.shape != expected.shape:
        raise ExerciseFailed(f"delta1 must have the shape of h, {h.shape}; you returned {got.shape}. "
                             "delta2 (N, out) @ W2 (out, hidden) gives (N, hidden).")
    if not np.allclose(got, expected, rtol=1e-10):
        hint = "Hint: delta1 = (delta2 @ W2) * tanh'(z1), and tanh'(z1) = 1 - h^2."
        if np.allclose(got, (delta2 @ W2) * h * (1 - h)):
            hint = "You used the sigmoid's derivative h (1 - h); for tanh it is 1 - h^2."
        elif np.allclose(got, delta2 @ W2):
            hint = "You left out the activation's derivative: multiply by 1 - h^2."
        raise ExerciseFailed(f"delta1 is wrong (largest gap {np.abs(got - expected).max():.3g}). {hint}")
    return passed("lesson05.exercise3", "delta1 = (delta2 W2) * (1 - h^2).")
