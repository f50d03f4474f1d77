"""Checkers for lesson 06, optimizers: RMSprop, AdamW, Nesterov momentum (one step each, run for several)."""
import numpy as np

import minigrad as mg
from minigrad.check import ExerciseFailed, exercise, passed


def _gradients(seed, steps, shape=(3,)):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) * np.array([1.0, 0.01, 100.0]) for _ in range(steps)]


def _show(a):
    """An array printed with enough digits that two different ones never look the same."""
    return np.array2string(np.asarray(a), precision=10, floatmode="maxprec")


def _floats(values, count, name):
    if not isinstance(values, (tuple, list)) or len(values) != count:
        raise ExerciseFailed(f"{name} must return a tuple of {count} arrays")
    return [np.asarray(a, dtype=np.float64) for a in values]


@exercise("lesson06.exercise1")
def exercise1(rmsprop_update):
    """``rmsprop_update(theta, g, v, lr, alpha, eps)`` returns ``(theta, v)`` after one RMSprop step
    (PyTorch's form: v = alpha v + (1 - alpha) g^2, theta -= lr g / (sqrt(v) + eps))."""
    lr, alpha, eps = 0.01, 0.99, 1e-3          # a large eps, so that where it sits shows in the result
    theta, v = np.array([0.5, -1.0, 2.0]), np.zeros(3)
    ref_theta, ref_v = theta.copy(), v.copy()
    for t, g in enumerate(_gradients(6, 5), start=1):
        ref_v = alpha * ref_v + (1 - alpha) * g * g
        before = ref_theta.copy()
        ref_theta = ref_theta - lr * g / (np.sqrt(ref_v) + eps)
        theta, v = _floats(rmsprop_update(theta.copy(), g.copy(), v.copy(), lr, alpha, eps), 2, "rmsprop_update")
        if not np.allclose(v, ref_v, rtol=1e-10, atol=1e-15):
            raise ExerciseFailed(f"after step {t}, v = {_show(v)} but should be {_show(ref_v)}. "
                                 "Hint: v = alpha * v + (1 - alpha) * g**2 (an average of SQUARED gradients).")
        if not np.allclose(theta, ref_theta, rtol=1e-10, atol=1e-13):
            hint = "Hint: theta = theta - lr * g / (np.sqrt(v) + eps)."
            step = theta - before
            if np.allclose(step, -lr * g / np.sqrt(ref_v + eps)):
                hint = "eps is inside your square root: RMSprop adds it OUTSIDE, sqrt(v) + eps."
            elif np.allclose(step, -lr * g / (ref_v + eps)):
                hint = "You divided by v, not sqrt(v): the step then depends on the scale of the loss."
            raise ExerciseFailed(f"after step {t}, theta = {_show(theta)} but should be {_show(ref_theta)}. {hint}")
    return passed("lesson06.exercise1", "5 RMSprop steps match PyTorch's formula, on gradients of very different sizes.")


@exercise("lesson06.exercise2")
def exercise2(adamw_update):
    """``adamw_update(theta, g, m, v, t, lr, beta1, beta2, eps, weight_decay)`` returns ``(theta, m, v)``,
    equal to ``minigrad.optim.AdamW``."""
    theta0 = np.array([0.5, -1.0, 2.0])
    lr, beta1, beta2, eps, wd = 0.1, 0.9, 0.999, 1e-3, 0.1
    param = mg.tensor(theta0.copy(), requires_grad=True)
    optimizer = mg.optim.AdamW([param], lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=wd)
    theta, m, v = theta0.copy(), np.zeros(3), np.zeros(3)
    for t, g in enumerate(_gradients(7, 5), start=1):
        before, m_before, v_before = theta.copy(), m.copy(), v.copy()
        param.grad = mg.tensor(g)
        optimizer.step()
        expected = param.numpy()
        theta, m, v = _floats(adamw_update(theta.copy(), g.copy(), m.copy(), v.copy(), t, lr, beta1, beta2, eps, wd),
                              3, "adamw_update")
        if np.allclose(theta, expected, rtol=1e-9, atol=1e-12):
            continue
        decayed = before * (1 - lr * wd)
        m_ref = beta1 * m_before + (1 - beta1) * g
        v_ref = beta2 * v_before + (1 - beta2) * g * g
        m_hat, v_hat = m_ref / (1 - beta1 ** t), v_ref / (1 - beta2 ** t)
        candidates = {
            "eps is inside your square root: Adam divides by sqrt(v_hat) + eps.":
                decayed - lr * m_hat / np.sqrt(v_hat + eps),
            "your step is lr * sign(m): that is signSGD with momentum, not Adam. Divide m_hat by sqrt(v_hat) + eps.":
                decayed - lr * np.sign(m_hat),
            "you added weight_decay * theta to the gradient (L2, plain Adam's weight_decay); AdamW decouples it: "
            "theta = theta * (1 - lr * weight_decay), outside the Adam step.":
                before - lr * (beta1 * m_before + (1 - beta1) * (g + wd * before)) / (1 - beta1 ** t) /
                (np.sqrt((beta2 * v_before + (1 - beta2) * (g + wd * before) ** 2) / (1 - beta2 ** t)) + eps),
            "your decay is not multiplied by lr: theta = theta * (1 - lr * weight_decay).":
                before * (1 - wd) - lr * m_hat / (np.sqrt(v_hat) + eps),
            "you left out the bias correction: m_hat = m / (1 - beta1^t), v_hat = v / (1 - beta2^t).":
                decayed - lr * m_ref / (np.sqrt(v_ref) + eps),
            "you divided by v_hat, not sqrt(v_hat): the step then depends on the scale of the loss.":
                decayed - lr * m_hat / (v_hat + eps),
            "you left out the weight decay.": before - lr * m_hat / (np.sqrt(v_hat) + eps),
        }
        hint = next((message for message, wrong in candidates.items() if np.allclose(theta, wrong, rtol=1e-9)),
                    "Hint: decay, then m, v, their bias corrections, and theta -= lr m_hat / (sqrt(v_hat) + eps).")
        raise ExerciseFailed(f"after step t = {t}, theta = {_show(theta)} but minigrad.optim.AdamW gives "
                             f"{_show(expected)} (difference {_show(theta - expected)}): {hint}")
    return passed("lesson06.exercise2", "5 steps agree with minigrad.optim.AdamW (decoupled decay, bias correction).")


@exercise("lesson06.exercise3")
def exercise3(nesterov_update):
    """``nesterov_update(theta, g, buf, lr, momentum)`` returns ``(theta, buf)``, equal to
    ``minigrad.optim.SGD(momentum=momentum, nesterov=True)``."""
    theta0 = np.array([1.0, -2.0, 0.5])
    lr, momentum = 0.05, 0.9
    param = mg.tensor(theta0.copy(), requires_grad=True)
    optimizer = mg.optim.SGD([param], lr=lr, momentum=momentum, nesterov=True)
    theta, buf = theta0.copy(), np.zeros(3)
    for t, g in enumerate(_gradients(8, 5), start=1):
        before, buf_before = theta.copy(), buf.copy()
        param.grad = mg.tensor(g)
        optimizer.step()
        expected = param.numpy()
        theta, buf = _floats(nesterov_update(theta.copy(), g.copy(), buf.copy(), lr, momentum), 2, "nesterov_update")
        if not np.allclose(theta, expected, rtol=1e-9, atol=1e-12):
            new_buf = momentum * buf_before + g
            hint = "Hint: buf = momentum * buf + g; theta = theta - lr * (g + momentum * buf)."
            plain = np.allclose(theta, before - lr * new_buf)
            stale = np.allclose(theta, before - lr * (g + momentum * buf_before))
            if plain and stale:     # at step 1 the old buffer is 0, and both slips give theta - lr g
                hint = ("Your first step is lr * g: either plain momentum (theta -= lr buf) or a look-ahead with the "
                        "OLD buffer (still 0). Update buf first, then step along g + momentum * buf.")
            elif plain:
                hint = "That is plain momentum (theta -= lr buf); Nesterov steps along g + momentum * buf."
            elif stale:
                hint = "You looked ahead with the OLD buffer: update buf first, then step along g + momentum * buf."
            raise ExerciseFailed(f"after step {t}, theta = {_show(theta)} but SGD(nesterov=True) gives "
                                 f"{_show(expected)}. {hint}")
    return passed("lesson06.exercise3", "5 steps agree with minigrad.optim.SGD(momentum=0.9, nesterov=True).")
