"""Checkers for lesson 03, loss functions and their gradients."""
import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.check import ExerciseFailed, exercise, passed


def _value_and_grad(loss_fn, x, *rest):
    x = mg.tensor(x, requires_grad=True)
    loss = loss_fn(x, *rest)
    if not isinstance(loss, mg.Tensor) or loss.shape != ():
        shape = loss.shape if isinstance(loss, mg.Tensor) else type(loss).__name__
        raise ExerciseFailed(f"the loss should be a 0-d minigrad tensor (one number), you returned {shape}; "
                             "reduce with .mean() or .sum()")
    loss.backward()
    if x.grad is None:
        raise ExerciseFailed("no gradient reached the input: build the loss from minigrad ops only")
    return loss.item(), x.grad.numpy()


@exercise("lesson03.exercise1")
def exercise1(bce_with_logits):
    """``bce_with_logits(z, y)``: mean binary cross-entropy of logits z and 0/1 labels y, without overflow."""
    z_np = np.array([-1000.0, -40.0, -3.0, -0.5, 0.25, 0.7, 2.0, 40.0, 1000.0])   # not 0: the kinks of relu and abs
    y_np = np.array([1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0])
    expected = F.binary_cross_entropy_with_logits(mg.tensor(z_np), mg.tensor(y_np)).item()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        value, grad = _value_and_grad(bce_with_logits, z_np, mg.tensor(y_np))
    if not np.isfinite(value):
        raise ExerciseFailed(f"for logits of +-1000 your loss is {value}: e^1000 overflows (or s(z) rounds to 0 or 1 "
                             "and log 0 = -inf). Hint: rewrite it as max(z, 0) - z y + log(1 + e^{-|z|}).")
    if not np.isclose(value, expected, rtol=1e-9):
        hint = "Hint: -y log s(z) - (1-y) log(1 - s(z)) = max(z, 0) - z y + log(1 + e^{-|z|}); then the mean."
        if np.isclose(value, -expected):
            hint = "Your loss has the wrong sign: it is MINUS the log-likelihood."
        raise ExerciseFailed(f"loss = {value:.10g}, expected {expected:.10g} "
                             f"(F.binary_cross_entropy_with_logits). {hint}")
    s = np.where(z_np >= 0, 1 / (1 + np.exp(-np.abs(z_np))), np.exp(-np.abs(z_np)) / (1 + np.exp(-np.abs(z_np))))
    if not np.all(np.isfinite(grad)) or not np.allclose(grad, (s - y_np) / len(z_np), rtol=1e-9, atol=1e-15):
        raise ExerciseFailed("the value is right but the gradient is not (s(z) - y) / N; build it from minigrad ops "
                             "only, and avoid ops whose gradient is infinite (log of an exact 0).")
    return passed("lesson03.exercise1", "finite at logits of +-1000, value and gradient (s(z) - y)/N are right.")


@exercise("lesson03.exercise2")
def exercise2(cross_entropy):
    """``cross_entropy(logits, target)``: mean over rows of -log softmax(logits)[target], written with the
    log-sum-exp trick from minigrad ops; logits (N, C) float, target (N,) int64."""
    rng = np.random.default_rng(2)
    cases = [rng.standard_normal((5, 4)), np.array([[1000.0, 0.0, -1000.0], [0.0, 800.0, 0.0]])]
    targets = [rng.integers(0, 4, 5), np.array([2, 0])]
    for logits, t in zip(cases, targets):
        try:
            with np.errstate(over="raise", divide="raise", invalid="raise"):
                value, grad = _value_and_grad(cross_entropy, logits, mg.tensor(t))
        except FloatingPointError as error:
            if "overflow" in str(error):
                raise ExerciseFailed(f"for logits as large as {np.abs(logits).max():.0f} your loss overflows ({error}): "
                                     "e^1000 is inf. Use log sum_j e^{x_j} = m + log sum_j e^{x_j - m} with "
                                     "m = max_j x_j.") from None
            raise ExerciseFailed(f"for logits as large as {np.abs(logits).max():.0f} your loss hits '{error}': nothing "
                                 "overflowed, but the probability of a class far below the max UNDERFLOWS to 0 and "
                                 "log 0 = -inf (the log of a softmax). Never form the probability: "
                                 "loss = lse(x) - x_t with lse(x) = m + log sum_j e^{x_j - m}.") from None
        expected = F.cross_entropy(mg.tensor(logits), mg.tensor(t)).item()
        if not np.isfinite(value):
            raise ExerciseFailed(f"for logits as large as {np.abs(logits).max():.0f} your loss is {value}; use "
                                 "lse(x) - x_t with lse(x) = m + log sum_j e^{x_j - m}.")
        if not np.isclose(value, expected, rtol=1e-7):
            raise ExerciseFailed(f"for logits {np.round(logits, 3).tolist()} and targets {t.tolist()} your loss is "
                                 f"{value:.6g}, expected {expected:.6g}. Hint: loss_n = logsumexp(x_n) - x_n[t_n], "
                                 "then the mean over n.")
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(t)), t] -= 1
        if not np.allclose(grad, p / len(t), rtol=1e-6, atol=1e-12):
            raise ExerciseFailed("the loss is right but its gradient is not (softmax - onehot) / N; "
                                 "keep everything inside minigrad ops so autograd can see it.")
    return passed("lesson03.exercise2", "Matches F.cross_entropy, stays finite at logits of 1000, gradient "
                  "(softmax - onehot) / N.")


@exercise("lesson03.exercise3")
def exercise3(multi_hinge):
    """``multi_hinge(scores, target, margin=1.0)``: multi-class hinge loss
    mean_n (1/C) sum_{j != t_n} max(0, margin - s_{n,t} + s_{n,j}), from minigrad ops."""
    rng = np.random.default_rng(3)
    scores = rng.standard_normal((6, 4))
    target = rng.integers(0, 4, 6)
    value, grad = _value_and_grad(multi_hinge, scores, mg.tensor(target))
    x = mg.tensor(scores, requires_grad=True)
    reference = F.multi_margin_loss(x, mg.tensor(target))
    reference.backward()
    expected = reference.item()
    if not np.isclose(value, expected, rtol=1e-9):
        c = scores.shape[1]
        hint = " Hint: the sum runs over the wrong classes j only (j != t), and divides by C."
        if np.isclose(value - expected, 1.0 / c):
            hint = (f" Your loss is exactly margin/C = {1 / c:.3g} too big: you counted the j = t term, which is "
                    "always max(0, margin) = margin. Leave it out.")
        elif np.isclose(value, expected * c):
            hint = f" Your loss is C = {c} times too big: divide the sum by the number of classes C."
        raise ExerciseFailed(f"loss = {value:.6g}, expected {expected:.6g} (F.multi_margin_loss).{hint}")
    if not np.allclose(grad, x.grad.numpy(), rtol=1e-9, atol=1e-12):
        raise ExerciseFailed("the loss is right but the gradient differs from F.multi_margin_loss's")
    return passed("lesson03.exercise3", "Value and gradient match F.multi_margin_loss.")
