"""Checkers for lesson 02, activation functions and their derivatives."""
import numpy as np

import minigrad as mg
from minigrad.check import ExerciseFailed, passed


def _numpy(value):
    return value.numpy() if isinstance(value, mg.Tensor) else np.asarray(value, dtype=np.float64)


def exercise1(sigmoid_derivative):
    """``sigmoid_derivative(x)`` takes a NumPy array x and returns d sigmoid(x)/dx elementwise."""
    x = np.linspace(-6, 6, 25)
    s = 1 / (1 + np.exp(-x))
    expected = s * (1 - s)
    got = _numpy(sigmoid_derivative(x.copy()))
    if got.shape != x.shape:
        raise ExerciseFailed(f"for x of shape {x.shape} you returned shape {got.shape}; the derivative is elementwise")
    if not np.allclose(got, expected, rtol=1e-7, atol=1e-10):
        k = int(np.argmax(np.abs(got - expected)))
        hint = "Hint: sigma'(x) = sigma(x) (1 - sigma(x)) — apply the formula to sigma(x), not to x."
        if np.allclose(got, x * (1 - x)):
            hint = "You computed x (1 - x): the formula is s (1 - s) with s = sigma(x), not with x itself."
        raise ExerciseFailed(f"at x = {x[k]:.3g} you return {got[k]:.6g} but sigma'(x) = {expected[k]:.6g}. {hint}")
    return passed("lesson02.exercise1", "sigma'(x) = sigma(x)(1 - sigma(x)) on [-6, 6].")


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


def exercise3(softmax_jacobian):
    """``softmax_jacobian(y)`` takes y = softmax(x) (1-D NumPy array) and returns J with J[i, k] = dy_i/dx_k."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(5)
    y = np.exp(x - x.max())
    y /= y.sum()
    expected = np.diag(y) - np.outer(y, y)
    got = _numpy(softmax_jacobian(y.copy()))
    if got.shape != (5, 5):
        raise ExerciseFailed(f"for y of length 5 the Jacobian is 5 x 5, you returned shape {got.shape}")
    if not np.allclose(got, expected, rtol=1e-9, atol=1e-12):
        if np.allclose(np.diag(got), np.diag(expected)):
            hint = ("The diagonal y_i (1 - y_i) is right, the off-diagonal entries are not: changing x_k also "
                    "changes every other y_i, by -y_i y_k.")
        else:
            hint = "Hint: J = diag(y) - y y^T, i.e. J[i,k] = y_i (delta_ik - y_k)."
        i, k = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape)
        raise ExerciseFailed(f"J[{i},{k}] = {got[i, k]:.6g} but should be {expected[i, k]:.6g}. {hint}")
    return passed("lesson02.exercise3", "Your Jacobian equals diag(y) - y y^T.")
