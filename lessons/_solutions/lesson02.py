"""Reference solutions for lesson 02. The tests write each one into the notebook in place of its stub."""
import numpy as np


def stable_sigmoid(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def stable_softmax(x):
    shifted = x - x.max(dim=-1, keepdim=True).values
    e = shifted.exp()
    return e / e.sum(dim=-1, keepdim=True)


def log_softmax_jacobian(y):
    return np.eye(len(y)) - y[None, :]


def silu_derivative(x):
    s = 1 / (1 + np.exp(-x))
    return s + x * s * (1 - s)
