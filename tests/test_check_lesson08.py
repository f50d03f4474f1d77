"""The lesson 08 checkers accept a right answer and reject typical wrong ones with a useful hint."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.check import ExerciseFailed, lesson08


def _counts(pred, target):
    p, t = pred.numpy(), target.numpy()
    return int(((p == 1) & (t == 1)).sum()), int(((p == 1) & (t == 0)).sum()), int(((p == 0) & (t == 1)).sum())


def good_prf(pred, target):
    tp, fp, fn = _counts(pred, target)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall, (2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)


def test_exercise1_accepts_correct_metrics(capsys):
    assert lesson08.exercise1(good_prf) is True
    assert "correct" in capsys.readouterr().out


def test_exercise1_names_swapped_precision_and_recall():
    def swapped(pred, target):
        p, r, f = good_prf(pred, target)
        return r, p, f
    with pytest.raises(ExerciseFailed, match="swapped"):
        lesson08.exercise1(swapped)


def test_exercise1_explains_zero_division():
    def divides_blindly(pred, target):
        tp, fp, fn = _counts(pred, target)
        return tp / (tp + fp), tp / (tp + fn), 2 * tp / (2 * tp + fp + fn)
    with pytest.raises(ExerciseFailed, match="ZeroDivisionError"):
        lesson08.exercise1(divides_blindly)


def test_exercise1_names_arithmetic_mean_f1():
    def arithmetic(pred, target):
        p, r, _ = good_prf(pred, target)
        return p, r, (p + r) / 2
    with pytest.raises(ExerciseFailed, match="harmonic"):
        lesson08.exercise1(arithmetic)


def good_standardize(train_x, other_x):
    mean = train_x.mean(dim=0)
    std = ((train_x - mean) ** 2).mean(dim=0).sqrt()
    return (train_x - mean) / std, (other_x - mean) / std


def test_exercise2_accepts_training_statistics():
    assert lesson08.exercise2(good_standardize) is True


def test_exercise2_catches_leaky_own_statistics():
    def own_stats(train_x, other_x):
        return good_standardize(train_x, train_x)[0], good_standardize(other_x, other_x)[0]
    with pytest.raises(ExerciseFailed, match="training"):
        lesson08.exercise2(own_stats)


def test_exercise2_catches_sample_std():
    def sample_std(train_x, other_x):
        mean, std = train_x.mean(dim=0), train_x.std(dim=0)
        return (train_x - mean) / std, (other_x - mean) / std
    with pytest.raises(ExerciseFailed, match="n - 1"):
        lesson08.exercise2(sample_std)


def test_exercise2_requires_differentiable_result():
    def via_numpy(train_x, other_x):
        a, b = train_x.numpy(), other_x.numpy()
        m, s = a.mean(0), a.std(0)
        return mg.tensor((a - m) / s), mg.tensor((b - m) / s)
    with pytest.raises(ExerciseFailed, match="differentiable"):
        lesson08.exercise2(via_numpy)


def _init_with_std(std_of_layer):
    def init(linear):
        with mg.no_grad():
            linear.weight.normal_(0.0, std_of_layer(linear))
            linear.bias.zero_()
        return linear
    return init


def test_exercise3_accepts_kaiming():
    assert lesson08.exercise3(_init_with_std(lambda l: math.sqrt(2 / l.weight.shape[1]))) is True


def test_exercise3_catches_fan_out():
    with pytest.raises(ExerciseFailed, match="fan_in = weight.shape"):
        lesson08.exercise3(_init_with_std(lambda l: math.sqrt(2 / l.weight.shape[0])))


def test_exercise3_catches_variance_passed_as_std():
    with pytest.raises(ExerciseFailed, match="standard deviation, not the variance"):
        lesson08.exercise3(_init_with_std(lambda l: 2 / l.weight.shape[1]))


def test_exercise3_catches_nonzero_bias():
    def keeps_bias(linear):
        with mg.no_grad():
            linear.weight.normal_(0.0, math.sqrt(2 / linear.weight.shape[1]))
        return linear
    with pytest.raises(ExerciseFailed, match="bias"):
        lesson08.exercise3(keeps_bias)
