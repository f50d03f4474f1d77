"""Checkers for lesson 05, backpropagation through a two-layer network.

The network (batch of N rows):   z1 = X W1^T + b1,   h = sigmoid(z1),   yhat = h W2^T + b2,
loss L = (1 / 2N) sum_n ||yhat_n - y_n||^2.
"""
import numpy as np

import minigrad as mg
from minigrad.check import ExerciseFailed, passed

NAMES = ("W1", "b1", "W2", "b2")


def _problem(seed=5):
    rng = np.random.default_rng(seed)
    n, d_in, d_hidden, d_out = 6, 3, 5, 2
    X, Y = rng.standard_normal((n, d_in)), rng.standard_normal((n, d_out))
    params = {"W1": rng.standard_normal((d_hidden, d_in)), "b1": rng.standard_normal(d_hidden),
              "W2": rng.standard_normal((d_out, d_hidden)), "b2": rng.standard_normal(d_out)}
    return X, Y, params


def _autograd_grads(X, Y, params):
    p = {k: mg.tensor(v, requires_grad=True) for k, v in params.items()}
    h = (mg.tensor(X) @ p["W1"].T + p["b1"]).sigmoid()
    yhat = h @ p["W2"].T + p["b2"]
    loss = ((yhat - mg.tensor(Y)) ** 2).sum() / (2 * X.shape[0])
    loss.backward()
    return {k: p[k].grad.numpy() for k in NAMES}


def exercise1(backward_by_hand):
    """``backward_by_hand(X, Y, W1, b1, W2, b2)`` returns a dict with NumPy gradients "W1", "b1", "W2", "b2"."""
    X, Y, params = _problem()
    got = backward_by_hand(X, Y, **{k: v.copy() for k, v in params.items()})
    expected = _autograd_grads(X, Y, params)
    missing = [k for k in NAMES if k not in got]
    if missing:
        raise ExerciseFailed(f"the returned dict lacks {missing}; return {{'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}}")
    for k in ("W2", "b2", "W1", "b1"):
        g = np.asarray(got[k], dtype=np.float64)
        if g.shape != expected[k].shape:
            raise ExerciseFailed(f"d{k} has shape {g.shape} but {k} has shape {expected[k].shape}; a gradient has "
                                 "the shape of its parameter (for a bias: sum the deltas over the batch axis).")
        if not np.allclose(g, expected[k], rtol=1e-8, atol=1e-12):
            hint = {"W2": "dW2 = delta2^T h with delta2 = (yhat - y) / N.",
                    "b2": "db2 = delta2 summed over the batch.",
                    "W1": "dW1 = delta1^T X with delta1 = (delta2 W2) * h (1 - h).",
                    "b1": "db1 = delta1 summed over the batch."}[k]
            if k in ("W1", "b1"):
                h = 1 / (1 + np.exp(-(X @ params["W1"].T + params["b1"])))
                delta1_no_act = ((h @ params["W2"].T + params["b2"] - Y) / X.shape[0]) @ params["W2"]
                dropped = delta1_no_act.T @ X if k == "W1" else delta1_no_act.sum(0)
                if np.allclose(g, dropped):
                    hint = ("You dropped the activation's derivative: delta1 = (delta2 W2) * sigma'(z1), and "
                            "sigma'(z1) = h (1 - h).")
            raise ExerciseFailed(f"d{k} differs from autograd's (largest gap {np.abs(g - expected[k]).max():.3g}). "
                                 f"{hint}")
    return passed("lesson05.exercise1", "All four gradients equal autograd's to 1e-8.")


def exercise2(tanh_hidden_delta):
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
    return passed("lesson05.exercise2", "delta1 = (delta2 W2) * (1 - h^2).")
