"""Checkers for lesson 14 (making it cheaper): asymmetric quantisation, quantisation-aware training with a
straight-through estimator, structured row pruning."""
import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.check import ExerciseFailed, exercise, passed


@exercise("lesson14.exercise1")
def exercise1(quantize_asymmetric):
    """``quantize_asymmetric(w, bits)`` returns ``(q, scale, zero_point)`` with q in [0, 2^bits - 1] and
    w ~ scale * (q - zero_point)."""
    rng = np.random.default_rng(14)
    cases = [np.maximum(rng.standard_normal((6, 5)), 0) + 0.1, rng.standard_normal(40) * 3 + 2,
             np.array([-1.0, 0.0, 0.5, 3.0])]
    for w in cases:
        for bits in (8, 4, 2):
            levels = 2 ** bits - 1
            answer = quantize_asymmetric(w.copy(), bits)
            if not isinstance(answer, (tuple, list)) or len(answer) != 3:
                raise ExerciseFailed("return a triple (q, scale, zero_point)")
            q, scale, zero = np.asarray(answer[0]), float(answer[1]), answer[2]
            expected_scale = (w.max() - w.min()) / levels
            if not np.isclose(scale, expected_scale, rtol=1e-9):
                hint = "Hint: scale = (max w - min w) / (2^bits - 1): the whole range onto 2^bits levels."
                if np.isclose(scale, np.abs(w).max() / (2 ** (bits - 1) - 1)):
                    hint = "That is the symmetric scale max|w| / Q; the asymmetric one spans [min w, max w]."
                raise ExerciseFailed(f"{bits} bits, w in [{w.min():.3g}, {w.max():.3g}]: scale {scale:.6g}, expected "
                                     f"{expected_scale:.6g}. {hint}")
            if not float(zero).is_integer():
                raise ExerciseFailed(f"the zero point must be an integer (round(-min w / scale)), got {zero}")
            if q.shape != w.shape or not np.issubdtype(q.dtype, np.integer) and not np.all(q == np.round(q)):
                raise ExerciseFailed(f"q must be integers of w's shape {w.shape}; got dtype {q.dtype}, shape {q.shape}")
            if q.min() < 0 or q.max() > levels:
                raise ExerciseFailed(f"{bits} bits: q spans [{q.min()}, {q.max()}], it must stay in [0, {levels}] "
                                     "(clip after adding the zero point)")
            w_hat = scale * (q.astype(np.float64) - float(zero))
            if np.abs(w_hat - w).max() > scale / 2 + 1e-9:
                k = int(np.argmax(np.abs(w_hat - w)))
                hint = "Hint: q = clip(round(w / scale) + zero_point, 0, 2^bits - 1)."
                if np.isclose(float(zero), 0) and abs(w.min()) > scale:
                    hint = ("Your zero point is 0, so the grid starts at 0 instead of at min w and part of the range is "
                            "clipped away: zero_point = round(-min w / scale).")
                raise ExerciseFailed(f"{bits} bits: w = {w[np.unravel_index(k, w.shape)]:.4g} comes back as "
                                     f"{w_hat.ravel()[k]:.4g}, an error above scale / 2 = {scale / 2:.3g}. {hint}")
    return passed("lesson14.exercise1", "q in [0, 2^b - 1], error <= scale / 2 everywhere, for 8, 4 and 2 bits and "
                  "ranges that do and do not include 0.")


def _qat_run(fake_quant, bits, steps=150, seed=0):
    """Fit y = x W_true^T with a weight that is fake-quantised in the forward pass; return (losses, W)."""
    rng = np.random.default_rng(seed)
    x = mg.tensor(rng.standard_normal((64, 8)))
    w_true = rng.choice([-1.0, 0.0, 1.0], size=(3, 8))           # a target that 2-bit weights can represent
    y = x @ mg.tensor(w_true).T
    w = mg.tensor(rng.standard_normal((3, 8)) * 0.5, requires_grad=True)
    optimizer = mg.optim.Adam([w], lr=0.02)
    losses = []
    for _ in range(steps):
        loss = F.mse_loss(x @ fake_quant(w, bits).T, y)
        optimizer.zero_grad()
        loss.backward()
        if w.grad is None:
            raise ExerciseFailed("no gradient reached the float weights: backward must return the gradient for w")
        optimizer.step()
        losses.append(loss.item())
    return np.array(losses), w


class _RoundWithTrueGradient(mg.autograd.Function):
    """The same forward with the true derivative of round: 0 almost everywhere."""

    @staticmethod
    def forward(ctx, w, bits):
        levels = 2 ** (bits - 1) - 1
        scale = np.abs(w).max() / levels
        return np.round(w / scale) * scale

    @staticmethod
    def backward(ctx, g):
        return g * 0, None


@exercise("lesson14.exercise2")
def exercise2(FakeQuantSTE):
    """``FakeQuantSTE`` (an ``mg.autograd.Function``): forward = s round(w / s), backward = identity."""
    if not (isinstance(FakeQuantSTE, type) and issubclass(FakeQuantSTE, mg.autograd.Function)):
        raise ExerciseFailed("FakeQuantSTE must be a class that subclasses mg.autograd.Function")
    rng = np.random.default_rng(2)
    w_np = rng.standard_normal((4, 5))
    for bits in (8, 4, 2):
        levels = 2 ** (bits - 1) - 1
        scale = np.abs(w_np).max() / levels
        expected = np.round(w_np / scale) * scale
        w = mg.tensor(w_np, requires_grad=True)
        out = FakeQuantSTE.apply(w, bits)
        got = out.numpy()
        if got.shape != w_np.shape or not np.allclose(got, expected, rtol=1e-9, atol=1e-12):
            hint = "Hint: s = max|w| / (2^(bits-1) - 1); w_hat = s * round(w / s)."
            if got.shape == w_np.shape and np.allclose(got, np.round(w_np / scale)):
                hint = "You returned the integers q; the forward must return the dequantised s * q."
            raise ExerciseFailed(f"at {bits} bits the forward differs from s round(w / s). {hint}")
        g = rng.standard_normal(w_np.shape)
        out.backward(mg.tensor(g))
        if w.grad is None or not np.allclose(w.grad.numpy(), g):
            raise ExerciseFailed("the backward must pass the incoming gradient straight through (return g, None): "
                                 f"got {None if w.grad is None else np.round(w.grad.numpy()[0], 4).tolist()} for "
                                 f"g = {np.round(g[0], 4).tolist()}")
    ste_losses, w = _qat_run(FakeQuantSTE.apply, 2)
    frozen_losses, _ = _qat_run(_RoundWithTrueGradient.apply, 2)
    if not ste_losses[-1] < 0.2 * frozen_losses[-1]:
        raise ExerciseFailed(f"quantisation-aware training at 2 bits ended at loss {ste_losses[-1]:.3g}, not much "
                             f"below the {frozen_losses[-1]:.3g} of training with round's true (zero) gradient")
    return passed("lesson14.exercise2", f"forward = s round(w / s), gradient straight through; at 2 bits QAT reaches "
                  f"loss {ste_losses[-1]:.2g} where round's true gradient leaves it at {frozen_losses[-1]:.2g}.")


@exercise("lesson14.exercise3")
def exercise3(prune_rows):
    """``prune_rows(w, fraction)``: a copy of w with the round(fraction * rows) rows of smallest L2 norm zeroed."""
    rng = np.random.default_rng(3)
    w = rng.standard_normal((10, 6)) * rng.uniform(0.1, 2.0, size=(10, 1))
    w[3] = -5.0                               # a row of large negative weights: small signed sum, large norm
    for fraction in (0.0, 0.2, 0.5, 0.9):
        original = w.copy()
        got = np.asarray(prune_rows(w, fraction))
        if not np.array_equal(w, original):
            raise ExerciseFailed("prune_rows changed its input: work on a copy (w.copy())")
        k = int(round(fraction * w.shape[0]))
        zeroed = np.argsort(np.linalg.norm(w, axis=1))[:k]
        expected = w.copy()
        expected[zeroed] = 0
        if got.shape != w.shape or not np.array_equal(got, expected):
            hint = "Hint: zero the k = round(fraction * rows) rows with the smallest np.linalg.norm(w, axis=1)."
            if got.shape == w.shape:
                zero_rows = np.flatnonzero(~got.any(axis=1))
                by_sum = np.sort(np.argsort(w.sum(axis=1))[:k])
                if k and np.array_equal(zero_rows, by_sum):
                    hint = "You ranked rows by their signed sum; rank them by their L2 norm (row 3 is large!)."
                elif np.count_nonzero(got == 0) == k * w.shape[1] and len(zero_rows) != k:
                    hint = "You zeroed individual weights; this exercise removes whole rows (axis=1 norms)."
                elif np.array_equal(np.sort(zero_rows), np.sort(np.argsort(np.linalg.norm(w, axis=0))[:k])):
                    hint = "You used column norms; an output unit is a ROW of a Linear weight (out, in)."
            raise ExerciseFailed(f"fraction {fraction}: expected rows {sorted(zeroed.tolist())} to be zero. {hint}")
    return passed("lesson14.exercise3", "the rows of smallest L2 norm are zeroed, the rest untouched, the input unchanged.")
