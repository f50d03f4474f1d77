"""Checkers for lesson 06, optimizers."""
import numpy as np

import minigrad as mg
from minigrad.check import ExerciseFailed, passed


def _gradients(seed, steps, shape=(3,)):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(steps)]


def exercise1(adam_update):
    """``adam_update(theta, g, m, v, t, lr, beta1, beta2, eps)`` returns the new ``(theta, m, v)``
    (NumPy arrays) after Adam step number ``t`` (t = 1, 2, ...)."""
    theta0 = np.array([0.5, -1.0, 2.0])
    grads = _gradients(6, 5)
    lr, beta1, beta2, eps = 0.1, 0.9, 0.999, 1e-8
    param = mg.tensor(theta0.copy(), requires_grad=True)
    optimizer = mg.optim.Adam([param], lr=lr, betas=(beta1, beta2), eps=eps)
    theta, m, v = theta0.copy(), np.zeros(3), np.zeros(3)
    for t, g in enumerate(grads, start=1):
        param.grad = mg.tensor(g)
        optimizer.step()
        before = theta.copy()
        theta, m, v = (np.asarray(a, dtype=np.float64) for a in
                       adam_update(theta.copy(), g.copy(), m.copy(), v.copy(), t, lr, beta1, beta2, eps))
        expected = param.numpy()
        if not np.allclose(theta, expected, rtol=1e-9, atol=1e-12):
            step_got, step_expected = theta - before, expected - before
            hint = ("Hint: m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  m_hat = m / (1 - b1^t);  "
                    "v_hat = v / (1 - b2^t);  theta -= lr m_hat / (sqrt(v_hat) + eps).")
            if t == 1 and np.allclose(step_got, -lr * (1 - beta1) * g / (np.sqrt((1 - beta2) * g * g) + eps)):
                hint = ("Your first step is ~3.2x too large: without bias correction m = 0.1 g and v = 0.001 g^2 are "
                        "still pulled towards their start 0 (v more so), and 0.1 / sqrt(0.001) = 3.16. Divide m by "
                        "(1 - beta1^t) and v by (1 - beta2^t).")
            elif t == 1 and np.allclose(step_got, -lr * g / (g * g + eps)):
                hint = "Your step divides by v_hat, not sqrt(v_hat): the step should be about lr in size, whatever |g| is."
            raise ExerciseFailed(f"after step t = {t}, theta = {np.round(theta, 6).tolist()} but minigrad.optim.Adam "
                                 f"gives {np.round(expected, 6).tolist()} (your step {np.round(step_got, 6).tolist()}, "
                                 f"Adam's {np.round(step_expected, 6).tolist()}). {hint}")
    return passed("lesson06.exercise1", f"{len(grads)} steps agree with minigrad.optim.Adam.")


def exercise2(momentum_update):
    """``momentum_update(theta, g, buf, lr, momentum)`` returns the new ``(theta, buf)`` for SGD with momentum,
    PyTorch's form: buf = momentum * buf + g (buf starts at 0), theta -= lr * buf."""
    theta0 = np.array([1.0, -2.0, 0.5])
    grads = _gradients(7, 5)
    lr, momentum = 0.05, 0.9
    param = mg.tensor(theta0.copy(), requires_grad=True)
    optimizer = mg.optim.SGD([param], lr=lr, momentum=momentum)
    theta, buf = theta0.copy(), np.zeros(3)
    for t, g in enumerate(grads, start=1):
        param.grad = mg.tensor(g)
        optimizer.step()
        theta, buf = (np.asarray(a, dtype=np.float64) for a in
                      momentum_update(theta.copy(), g.copy(), buf.copy(), lr, momentum))
        expected = param.numpy()
        if not np.allclose(theta, expected, rtol=1e-9, atol=1e-12):
            hint = "Hint: buf = momentum * buf + g;  theta = theta - lr * buf."
            if t == 1 and np.allclose(theta, theta0 - lr * (1 - momentum) * g):
                hint = ("You wrote buf = momentum * buf + (1 - momentum) * g (an average). PyTorch's SGD adds the "
                        "full gradient, buf = momentum * buf + g, so the step grows up to 1/(1 - momentum) times lr g.")
            raise ExerciseFailed(f"after step {t}, theta = {np.round(theta, 6).tolist()} but minigrad.optim.SGD "
                                 f"(momentum={momentum}) gives {np.round(expected, 6).tolist()}. {hint}")
    return passed("lesson06.exercise2", f"{len(grads)} steps agree with minigrad.optim.SGD(momentum={momentum}).")


def exercise3(largest_stable_lr):
    """``largest_stable_lr(a)``: for f(x) = a x^2 / 2 (a > 0), the learning rate above which plain gradient
    descent x <- x - lr f'(x) diverges."""
    for a in (0.5, 2.0, 10.0):
        got = float(largest_stable_lr(a))
        if not np.isclose(got, 2.0 / a, rtol=1e-9):
            hint = ("Hint: one step multiplies x by (1 - lr a); the iteration shrinks x only while |1 - lr a| < 1.")
            if np.isclose(got, 1.0 / a):
                hint = ("1/a is the lr that jumps to the minimum in one step; above it x overshoots and flips sign, "
                        "but still shrinks while |1 - lr a| < 1.")
            raise ExerciseFailed(f"for a = {a} you say {got:.6g}, but the boundary is {2.0 / a:.6g}. {hint}")
    return passed("lesson06.exercise3", "Gradient descent on a x^2/2 converges exactly when lr < 2/a.")
