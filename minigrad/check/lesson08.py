"""Checkers for lesson 08 (training in practice): metrics, standardisation, Kaiming initialisation."""
import math

import numpy as np

import minigrad as mg
from minigrad.check import ExerciseFailed, passed


def _reference_prf(pred, target):
    tp = int(np.sum((pred == 1) & (target == 1)))
    fp = int(np.sum((pred == 1) & (target == 0)))
    fn = int(np.sum((pred == 0) & (target == 1)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return precision, recall, f1


def _prf_cases():
    rng = np.random.default_rng(7)
    cases = [
        ("a mixed batch", np.array([1, 1, 1, 0, 0, 0, 1, 0]), np.array([1, 0, 1, 1, 0, 0, 1, 1])),
        ("no positive predictions", np.zeros(6, dtype=np.int64), np.array([1, 0, 1, 0, 0, 0])),
        ("no positive labels", np.array([1, 0, 0, 1]), np.zeros(4, dtype=np.int64)),
        ("perfect predictions", np.array([1, 0, 1, 1]), np.array([1, 0, 1, 1])),
    ]
    for k in range(4):
        target = rng.integers(0, 2, 50)
        pred = np.where(rng.random(50) < 0.3, 1 - target, target) if k % 2 else rng.integers(0, 2, 50)
        cases.append((f"random batch {k}", pred, target))
    return cases


def exercise1(precision_recall_f1):
    """``precision_recall_f1(pred, target) -> (precision, recall, f1)`` on int64 0/1 tensors."""
    for name, pred, target in _prf_cases():
        expected = _reference_prf(pred, target)
        try:
            got = precision_recall_f1(mg.tensor(pred, dtype=mg.int64), mg.tensor(target, dtype=mg.int64))
        except ZeroDivisionError:
            raise ExerciseFailed(f"exercise1, {name}: ZeroDivisionError. When tp + fp (or tp + fn) is 0 the ratio "
                                 "is defined as 0.0; test the denominator before dividing.") from None
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            raise ExerciseFailed(f"exercise1: return a tuple (precision, recall, f1), got {got!r}")
        got = tuple(float(g.item() if hasattr(g, "item") else g) for g in got)
        if any(math.isnan(g) for g in got):
            raise ExerciseFailed(f"exercise1, {name}: got {got} containing NaN; a 0/0 ratio must be 0.0 here")
        if np.allclose(got, expected, atol=1e-6):
            continue
        hint = ""
        if np.allclose(got, (expected[1], expected[0], expected[2]), atol=1e-6):
            hint = " It looks like precision and recall are swapped: precision = tp/(tp+fp), recall = tp/(tp+fn)."
        elif np.isclose(got[2], (expected[0] + expected[1]) / 2, atol=1e-6) and not np.isclose(got[2], expected[2]):
            hint = " F1 is the harmonic mean 2PR/(P+R), not the arithmetic mean (P+R)/2."
        raise ExerciseFailed(f"exercise1, {name}: pred={pred.tolist()}, target={target.tolist()}: got "
                             f"(precision, recall, f1) = {tuple(round(g, 4) for g in got)}, expected "
                             f"{tuple(round(e, 4) for e in expected)}.{hint}")
    return passed("lesson08.exercise1", f"precision, recall and F1 match on {len(_prf_cases())} batches, "
                                        "including the 0/0 cases.")


def exercise2(standardize):
    """``standardize(train_x, other_x) -> (train_z, other_z)`` with the training statistics."""
    rng = np.random.default_rng(3)
    train = rng.normal([5.0, -200.0, 0.01], [2.0, 50.0, 0.001], size=(40, 3))
    other = rng.normal([7.0, -150.0, 0.02], [4.0, 10.0, 0.003], size=(15, 3))
    mean, std = train.mean(axis=0), train.std(axis=0)
    expected_train, expected_other = (train - mean) / std, (other - mean) / std
    train_t = mg.tensor(train, dtype=mg.float64, requires_grad=True)
    other_t = mg.tensor(other, dtype=mg.float64)
    result = standardize(train_t, other_t)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise ExerciseFailed(f"exercise2: return a pair (train_z, other_z), got {type(result).__name__}")
    got_train, got_other = (np.asarray(r.numpy() if hasattr(r, "numpy") else r, dtype=np.float64) for r in result)
    if got_train.shape != train.shape or got_other.shape != other.shape:
        raise ExerciseFailed(f"exercise2: shapes {got_train.shape}, {got_other.shape}; expected {train.shape}, "
                             f"{other.shape} (standardise each column, keep every row)")
    if not np.allclose(got_train, expected_train, rtol=1e-4, atol=1e-6):
        hint = ""
        if np.allclose(got_train, (train - mean) / train.std(axis=0, ddof=1), rtol=1e-4):
            hint = " You divided by the sample std (n - 1); use the population std (divide by n, ddof=0)."
        elif np.allclose(got_train, (train - train.mean()) / train.std(), rtol=1e-4):
            hint = " You used one mean/std over the whole matrix; take them per column (dim=0)."
        raise ExerciseFailed("exercise2: train_z is wrong: its column means are "
                             f"{np.round(got_train.mean(axis=0), 4).tolist()} and stds "
                             f"{np.round(got_train.std(axis=0), 4).tolist()} (expected 0 and 1).{hint}")
    if not np.allclose(got_other, expected_other, rtol=1e-4, atol=1e-6):
        hint = ""
        if np.allclose(got_other, (other - other.mean(axis=0)) / other.std(axis=0), rtol=1e-4):
            hint = (" other_z was standardised with its own mean and std. Use the *training* statistics: "
                    "that is what a model sees at prediction time.")
        raise ExerciseFailed(f"exercise2: other_z is wrong (first row {np.round(got_other[0], 4).tolist()}, "
                             f"expected {np.round(expected_other[0], 4).tolist()}).{hint}")
    if not getattr(result[0], "requires_grad", False):
        raise ExerciseFailed("exercise2: train_z does not require grad although train_x did. Use minigrad tensor "
                             "operations (mean, **, sqrt, /), not .numpy(), so the result stays differentiable.")
    return passed("lesson08.exercise2", "both outputs use the training mean and population std, column by column, "
                                        "and stay in the autograd graph.")


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
    if abs(mean) > 0.003:
        raise ExerciseFailed(f"exercise3: weight mean is {mean:.5f}; draw from a zero-mean normal")
    if layer.bias is not None and np.any(layer.bias.numpy() != 0):
        raise ExerciseFailed("exercise3: the bias must be all zeros (layer.bias.zero_())")
    if not layer.weight.requires_grad:
        raise ExerciseFailed("exercise3: the weight no longer requires grad; fill it in place under mg.no_grad()")
    return passed("lesson08.exercise3", f"weight std {std:.5f} = sqrt(2/fan_in), mean ~ 0, bias 0, filled in place.")
