"""Checkers for lesson 02, activation functions and their derivatives."""
import numpy as np

import minigrad as mg
from minigrad.check import ExerciseFailed, exercise, passed


def _numpy(value):
    return value.numpy() if isinstance(value, mg.Tensor) else np.asarray(value, dtype=np.float64)


def _reference_sigmoid(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


@exercise("lesson02.exercise1")
def exercise1(stable_sigmoid):
    """``stable_sigmoid(x)``: 1 / (1 + e^-x) for a NumPy float64 array, with no overflow for any finite x."""
    x = np.concatenate([np.linspace(-6, 6, 25), [-1e4, -1000.0, -745.0, -60.0, 60.0, 745.0, 1000.0, 1e4]])
    expected = _reference_sigmoid(x)
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            got = _numpy(stable_sigmoid(x.copy()))
    except FloatingPointError as error:
        raise ExerciseFailed(f"your sigmoid overflows on x in [-1e4, 1e4] ({error}): e^-x is huge for x << 0 and "
                             "e^x for x >> 0. Hint: only ever exponentiate -|x| (z = np.exp(-np.abs(x)) <= 1), and "
                             "use 1/(1+z) for x >= 0, z/(1+z) for x < 0.") from None
    if got.shape != x.shape:
        raise ExerciseFailed(f"for x of shape {x.shape} you returned shape {got.shape}; the sigmoid is elementwise")
    if not np.allclose(got, expected, rtol=1e-12, atol=0):
        k = int(np.argmax(np.abs(got - expected) / np.maximum(expected, 1e-300)))
        hint = "Hint: s(x) = 1/(1+e^-x) for x >= 0 and e^x/(1+e^x) for x < 0."
        if x[k] < 0 and np.isclose(got[k], 1 - expected[k]):
            hint = "For negative x you returned 1 - s(x): e^x/(1+e^x) is s(x), 1/(1+e^x) is s(-x)."
        raise ExerciseFailed(f"at x = {x[k]:.6g} you return {got[k]:.6g} but s(x) = {expected[k]:.6g} (relative "
                             f"accuracy 1e-12 is asked, also where s(x) is tiny). {hint}")
    return passed("lesson02.exercise1", "no overflow from -1e4 to 1e4, and full relative accuracy where s(x) is tiny.")


@exercise("lesson02.exercise2")
def exercise2(stable_softmax):
    """``stable_softmax(x)`` takes a 2-D minigrad tensor and returns softmax over the last axis, built from
    minigrad ops (so it has a gradient), and must survive logits of size 1e4."""
    rng = np.random.default_rng(2)
    cases = [rng.standard_normal((4, 5)), np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4], [-1e4, -1e4 + 1, 3.0]])]
    for logits in cases:
        got = _numpy(stable_softmax(mg.tensor(logits)))
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        expected = shifted / shifted.sum(axis=1, keepdims=True)
        if not np.all(np.isfinite(got)):
            raise ExerciseFailed(f"for logits with entries of size {np.abs(logits).max():.0e} your softmax contains "
                                 f"nan or inf: {got.tolist()}. exp(1e4) overflows; subtract each row's max first "
                                 "(x - x.max(dim=-1, keepdim=True)) — the result is mathematically the same.")
        if got.shape != logits.shape or not np.allclose(got, expected, rtol=1e-6, atol=1e-12):
            raise ExerciseFailed(f"for logits {np.round(logits, 3).tolist()} you return {np.round(got, 5).tolist()}, "
                                 f"expected {np.round(expected, 5).tolist()}. Check that you normalise each ROW "
                                 "(sum over dim=-1 with keepdim=True), not the whole matrix.")
    x = mg.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    try:
        mg.autograd.gradcheck(stable_softmax, (x,))
    except (AssertionError, RuntimeError) as error:
        raise ExerciseFailed(f"the values are right but the gradient is wrong or missing: {error}. Use only minigrad "
                             "ops (exp, max, sum, /); a .numpy() inside cuts the graph.") from None
    return passed("lesson02.exercise2", "Values match NumPy, logits of 1e4 stay finite, and gradcheck passes.")


@exercise("lesson02.exercise3")
def exercise3(log_softmax_jacobian):
    """``log_softmax_jacobian(y)`` takes y = softmax(x) (1-D NumPy array) and returns J[i, k] = d log y_i / d x_k."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(5)
    y = np.exp(x - x.max())
    y /= y.sum()
    expected = np.eye(5) - y[None, :]
    got = _numpy(log_softmax_jacobian(y.copy()))
    if got.shape != (5, 5):
        raise ExerciseFailed(f"for y of length 5 the Jacobian is 5 x 5, you returned shape {got.shape}")
    if not np.allclose(got, expected, rtol=1e-9, atol=1e-12):
        hint = "Hint: d log y_i / d x_k = [i = k] - y_k, i.e. J = I - 1 y^T (every ROW is the same e_i - y)."
        if np.allclose(got, np.eye(5) - y[:, None]):
            hint = "Your J is transposed: row i is e_i - y, so J[i, k] = [i = k] - y_k (y indexed by the COLUMN)."
        elif np.allclose(got, np.diag(y) - np.outer(y, y)):
            hint = "That is the softmax Jacobian; the log divides row i by y_i: J = I - 1 y^T."
        i, k = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape)
        raise ExerciseFailed(f"J[{i},{k}] = {got[i, k]:.6g} but should be {expected[i, k]:.6g}. {hint}")
    return passed("lesson02.exercise3", "J = I - 1 y^T: the softmax Jacobian diag(y) - y y^T with row i divided by y_i.")


@exercise("lesson02.exercise4")
def exercise4(silu_derivative):
    """``silu_derivative(x)``: d/dx [x sigmoid(x)] elementwise for a NumPy array."""
    x = np.linspace(-8, 8, 33)
    s = _reference_sigmoid(x)
    expected = s + x * s * (1 - s)
    got = _numpy(silu_derivative(x.copy()))
    if got.shape != x.shape:
        raise ExerciseFailed(f"for x of shape {x.shape} you returned shape {got.shape}; the derivative is elementwise")
    t = mg.tensor(x, requires_grad=True)
    (t * t.sigmoid()).sum().backward()
    assert np.allclose(t.grad.numpy(), expected)
    if not np.allclose(got, expected, rtol=1e-9, atol=1e-12):
        k = int(np.argmax(np.abs(got - expected)))
        hint = "Hint: (x s)' = s + x s' = s + x s (1 - s)."
        if np.allclose(got, s * (1 - s)):
            hint = "You returned s'(x) alone; the product rule also gives the term s(x) (from x' = 1)."
        elif np.allclose(got, s):
            hint = "You returned s(x) alone; the product rule adds x s'(x) = x s (1 - s)."
        raise ExerciseFailed(f"at x = {x[k]:.3g} you return {got[k]:.6g} but the derivative is {expected[k]:.6g}. {hint}")
    return passed("lesson02.exercise4", "silu'(x) = s(x) + x s(x)(1 - s(x)), equal to autograd's on [-8, 8].")
