"""Checkers for lesson 08 (training in practice): macro F1, inverted dropout, Kaiming-normal initialisation,
early stopping."""
import math

import numpy as np

import minigrad as mg
from minigrad.check import ExerciseFailed, exercise, passed


def _macro_f1_reference(pred, target, num_classes):
    scores = []
    for c in range(num_classes):
        tp = np.sum((pred == c) & (target == c))
        fp = np.sum((pred == c) & (target != c))
        fn = np.sum((pred != c) & (target == c))
        scores.append(2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else 0.0)
    return float(np.mean(scores)), scores


@exercise("lesson08.exercise1")
def exercise1(macro_f1):
    """``macro_f1(pred, target, num_classes)``: the mean over classes of one-vs-rest F1 (0 for an empty class)."""
    rng = np.random.default_rng(1)
    cases = [(rng.integers(0, 3, 40), rng.integers(0, 3, 40), 3),
             (np.array([0, 0, 1, 1, 2, 2]), np.array([0, 1, 1, 1, 0, 2]), 4),      # class 3: never seen
             (np.array([1] * 10), np.array([0] * 9 + [1]), 2)]
    for pred, target, c in cases:
        expected, per_class = _macro_f1_reference(pred, target, c)
        got = macro_f1(mg.tensor(pred), mg.tensor(target), c)
        got = float(got.item() if isinstance(got, mg.Tensor) else got)
        if math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12):
            continue
        hint = "Hint: F1_c = 2 TP_c / (2 TP_c + FP_c + FN_c) for each class c, then the plain mean over the C classes."
        accuracy = float(np.mean(pred == target))
        present = [s for k, s in enumerate(per_class) if np.any(pred == k) or np.any(target == k)]
        if math.isclose(got, accuracy, rel_tol=1e-9):
            hint = "You returned the accuracy (that is the micro-average); macro-F1 averages the per-class F1s."
        elif present and math.isclose(got, float(np.mean(present)), rel_tol=1e-9):
            hint = (f"You averaged over the {len(present)} classes that occur; with num_classes = {c}, an absent class "
                    "counts as F1 = 0 (scikit-learn's zero_division=0).")
        elif math.isclose(got, per_class[1], rel_tol=1e-9):
            hint = "That is the F1 of class 1 only (binary F1); average over every class."
        raise ExerciseFailed(f"exercise1: for pred {pred.tolist()[:12]}... and target {target.tolist()[:12]}... "
                             f"(num_classes {c}) you return {got:.6g}, expected {expected:.6g} "
                             f"(per class {np.round(per_class, 4).tolist()}). {hint}")
    return passed("lesson08.exercise1", f"macro-F1 right on {len(cases)} cases, an absent class and a degenerate "
                  "predictor included.")


@exercise("lesson08.exercise2")
def exercise2(my_dropout):
    """``my_dropout(x, p)``: training-mode inverted dropout from minigrad ops."""
    mg.manual_seed(5)
    x = mg.ones(200_000)
    for p in (0.3, 0.75):
        y = my_dropout(x, p)
        if not isinstance(y, mg.Tensor) or tuple(y.shape) != tuple(x.shape):
            raise ExerciseFailed("exercise2: return a minigrad tensor of the input's shape")
        values = y.numpy()
        kept = values != 0
        if abs(kept.mean() - (1 - p)) > 0.01:
            hint = " You kept a fraction p; p is the probability of DROPPING a unit." if abs(kept.mean() - p) < 0.01 else ""
            raise ExerciseFailed(f"exercise2: with p = {p} you kept {kept.mean():.3f} of the units, expected "
                                 f"1 - p = {1 - p:.2f}.{hint}")
        scale = np.unique(values[kept].round(5))
        if len(scale) != 1 or not math.isclose(scale[0], 1 / (1 - p), rel_tol=1e-4):
            hint = " You did not rescale: inverted dropout divides the kept units by 1 - p so the mean is unchanged." \
                if len(scale) == 1 and math.isclose(scale[0], 1.0) else ""
            raise ExerciseFailed(f"exercise2: kept units of an all-ones input became {scale[:3].tolist()}, expected "
                                 f"1 / (1 - p) = {1 / (1 - p):.4f}.{hint}")
        if abs(values.mean() - 1) > 0.02:
            raise ExerciseFailed(f"exercise2: the mean of the output is {values.mean():.3f}; inverted dropout keeps it 1")
    if not np.array_equal(my_dropout(x, 0.0).numpy(), x.numpy()):
        raise ExerciseFailed("exercise2: with p = 0 nothing may be dropped: return x unchanged")
    z = mg.tensor(np.random.default_rng(4).standard_normal(1000), requires_grad=True)
    out = my_dropout(z, 0.4)
    out.sum().backward()
    if z.grad is None:
        raise ExerciseFailed("exercise2: no gradient reached x: build the output from minigrad ops (x * mask / (1 - p))")
    mask = out.numpy() != 0
    if not np.allclose(z.grad.numpy(), mask / 0.6, rtol=1e-5):
        raise ExerciseFailed("exercise2: the gradient must be the same mask divided by 1 - p; did you draw the mask "
                             "twice, or detach something?")
    return passed("lesson08.exercise2", "keeps 1 - p of the units, scales them by 1/(1 - p), mean preserved, p = 0 is "
                  "the identity, and the gradient is the mask.")


@exercise("lesson08.exercise3")
def exercise3(kaiming_init_):
    """``kaiming_init_(linear)``: weight ~ N(0, 2 / fan_in), bias = 0, in place."""
    mg.manual_seed(11)
    layer = mg.nn.Linear(600, 150)   # fan_in 600, fan_out 150: the two choices differ by 2x in std
    weight_before = layer.weight
    returned = kaiming_init_(layer)
    if returned is not layer:
        raise ExerciseFailed("exercise3: return the layer you were given (init functions work in place)")
    if layer.weight is not weight_before:
        raise ExerciseFailed("exercise3: fill the existing layer.weight in place (weight.normal_(...) under "
                             "mg.no_grad()) instead of assigning a new Parameter")
    if tuple(layer.weight.shape) != (150, 600):
        raise ExerciseFailed(f"exercise3: the weight's shape changed to {tuple(layer.weight.shape)}; keep (150, 600)")
    w = layer.weight.numpy()
    expected = math.sqrt(2.0 / 600)
    std, mean = float(w.std()), float(w.mean())
    if abs(std / expected - 1) > 0.03:
        hint = ""
        if abs(std / math.sqrt(2.0 / 150) - 1) < 0.03:
            hint = " That is sqrt(2/fan_out): a Linear weight is (out_features, in_features), so fan_in = weight.shape[1]."
        elif abs(std / (2.0 / 600) - 1) < 0.05:
            hint = " normal_ takes the standard deviation, not the variance: use sqrt(2 / fan_in)."
        elif abs(std / math.sqrt(1.0 / 600) - 1) < 0.03:
            hint = " That is sqrt(1/fan_in) (LeCun); Kaiming for ReLU doubles the variance: sqrt(2/fan_in)."
        raise ExerciseFailed(f"exercise3: weight std is {std:.5f}, expected sqrt(2/600) = {expected:.5f}.{hint}")
    beyond = float(np.mean(np.abs(w) > 2 * expected))
    if beyond < 0.01:
        raise ExerciseFailed(f"exercise3: the std is right but only {beyond:.2%} of the weights lie beyond 2 std (a "
                             "normal distribution has 4.6%, a uniform one 0%): you drew Kaiming-UNIFORM, "
                             "U(-sqrt(6/fan_in), sqrt(6/fan_in)). Kaiming-normal is weight.normal_(0, sqrt(2/fan_in)).")
    if abs(mean) > 0.003:
        raise ExerciseFailed(f"exercise3: weight mean is {mean:.5f}; draw from a zero-mean normal")
    if layer.bias is not None and np.any(layer.bias.numpy() != 0):
        raise ExerciseFailed("exercise3: the bias must be all zeros (layer.bias.zero_())")
    if not layer.weight.requires_grad:
        raise ExerciseFailed("exercise3: the weight no longer requires grad; fill it in place under mg.no_grad()")
    return passed("lesson08.exercise3", f"weight std {std:.5f} = sqrt(2/fan_in), mean ~ 0, bias 0, filled in place.")


@exercise("lesson08.exercise4")
def exercise4(early_stopping):
    """``early_stopping(val_losses, patience)`` returns ``(best_epoch, stop_epoch)``."""
    cases = [([1.0, 0.8, 0.7, 0.75, 0.72, 0.71, 0.9], 3, (2, 5)),
             ([1.0, 0.9, 0.8, 0.7], 2, (3, 3)),
             ([0.5, 0.5, 0.6, 0.4, 0.45, 0.41], 3, (3, 5)),
             ([0.5, 0.5, 0.6, 0.4], 2, (0, 2)),
             ([0.3], 1, (0, 0))]
    for losses, patience, expected in cases:
        got = early_stopping(list(losses), patience)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise ExerciseFailed("exercise4: return a pair (best_epoch, stop_epoch)")
        if tuple(int(g) for g in got) != expected:
            hint = "Hint: an epoch improves only if its loss is STRICTLY below the best so far; stop when the " \
                   "count of epochs since the best reaches patience."
            if losses == [0.5, 0.5, 0.6, 0.4] and tuple(got) == (3, 3):
                hint = ("Epoch 1 ties the best (0.5), which is not an improvement; epochs 1 and 2 make patience 2 run "
                        "out at epoch 2, before the 0.4 is ever seen.")
            elif int(got[1]) == expected[1] + 1:
                hint = "You stop one epoch late: stop AT the patience-th epoch without improvement."
            raise ExerciseFailed(f"exercise4: for losses {losses} and patience {patience} you return {tuple(got)}, "
                                 f"expected {expected}. {hint}")
    return passed("lesson08.exercise4", f"{len(cases)} loss curves: ties, never-stopping and one-epoch runs included.")
