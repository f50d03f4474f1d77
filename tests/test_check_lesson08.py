"""The lesson 08 checkers accept a right answer and reject typical wrong ones with a useful hint."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.check import ExerciseFailed, lesson08, reference_solutions


SOLUTIONS = reference_solutions(8)


def test_exercise1_accepts_macro_f1():
    assert lesson08.exercise1(SOLUTIONS.macro_f1) is True


def test_exercise1_names_accuracy_and_skipped_classes():
    with pytest.raises(ExerciseFailed, match="accuracy"):
        lesson08.exercise1(lambda pred, target, c: (pred == target).float().mean().item())
    def skips_absent(pred, target, num_classes):
        present = [c for c in range(num_classes) if ((pred == c) | (target == c)).long().sum().item()]
        per = [_f1(pred, target, c) for c in present]
        return sum(per) / len(per)
    with pytest.raises(ExerciseFailed, match="absent class counts as F1 = 0"):
        lesson08.exercise1(skips_absent)


def _f1(pred, target, c):
    tp = ((pred == c) & (target == c)).long().sum().item()
    fp = ((pred == c) & (target != c)).long().sum().item()
    fn = ((pred != c) & (target == c)).long().sum().item()
    return 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else 0.0


def test_exercise2_accepts_inverted_dropout():
    assert lesson08.exercise2(SOLUTIONS.my_dropout) is True


def test_exercise2_names_a_missing_rescale_and_a_swapped_p():
    def no_rescale(x, p):
        return x * (mg.rand(*x.shape) >= p).to(x.dtype)
    with pytest.raises(ExerciseFailed, match="did not rescale"):
        lesson08.exercise2(no_rescale)
    def keeps_p(x, p):
        return x * (mg.rand(*x.shape) < p).to(x.dtype) / p if p else x
    with pytest.raises(ExerciseFailed, match="probability of DROPPING"):
        lesson08.exercise2(keeps_p)


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


def test_exercise3_rejects_kaiming_uniform():
    """The issue's accepted-wrong answer: Kaiming-uniform has the right std but is not Kaiming-normal."""
    def uniform(linear):
        bound = math.sqrt(6 / linear.weight.shape[1])
        with mg.no_grad():
            linear.weight.uniform_(-bound, bound)
            linear.bias.zero_()
        return linear
    with pytest.raises(ExerciseFailed, match="Kaiming-UNIFORM"):
        lesson08.exercise3(uniform)


def test_exercise4_accepts_patience():
    assert lesson08.exercise4(SOLUTIONS.early_stopping) is True


def test_exercise4_names_a_late_stop_and_ties():
    def late(val_losses, patience):
        best, stop = SOLUTIONS.early_stopping(val_losses, patience)
        return best, min(stop + 1, len(val_losses) - 1) if stop < len(val_losses) - 1 else stop
    with pytest.raises(ExerciseFailed, match="one epoch late"):
        lesson08.exercise4(late)
    def ties_improve(val_losses, patience):
        best_epoch, since = 0, 0
        for epoch in range(1, len(val_losses)):
            if val_losses[epoch] <= val_losses[best_epoch]:
                best_epoch, since = epoch, 0
            else:
                since += 1
                if since == patience:
                    return best_epoch, epoch
        return best_epoch, len(val_losses) - 1
    with pytest.raises(ExerciseFailed, match="STRICTLY|ties the best"):
        lesson08.exercise4(ties_improve)
