"""The lesson 03 checkers accept right answers and reject typical wrong ones with a useful message."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.check import ExerciseFailed, lesson03


def test_exercise1_accepts_mean_of_squares():
    assert lesson03.exercise1(lambda p, t: ((p - t) ** 2).mean()) is True


def test_exercise1_rejects_sum():
    with pytest.raises(ExerciseFailed, match="mean, not the sum"):
        lesson03.exercise1(lambda p, t: ((p - t) ** 2).sum())


def test_exercise1_rejects_half():
    with pytest.raises(ExerciseFailed, match="no 1/2"):
        lesson03.exercise1(lambda p, t: 0.5 * ((p - t) ** 2).mean())


def cross_entropy(logits, target):
    m = logits.max(dim=1, keepdim=True).values
    lse = m.squeeze(1) + (logits - m).exp().sum(dim=1).log()
    picked = logits[mg.arange(logits.shape[0]), target]
    return (lse - picked).mean()


def test_exercise2_accepts_log_sum_exp():
    assert lesson03.exercise2(cross_entropy) is True


def test_exercise2_rejects_overflow():
    def naive(logits, target):
        lse = logits.exp().sum(dim=1).log()
        return (lse - logits[mg.arange(logits.shape[0]), target]).mean()
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(ExerciseFailed, match="overflows"):
            lesson03.exercise2(naive)


def test_exercise2_rejects_sum_over_batch():
    with pytest.raises(ExerciseFailed, match="mean over n"):
        lesson03.exercise2(lambda x, t: cross_entropy(x, t) * x.shape[0])


def multi_hinge(scores, target, margin=1.0):
    n, c = scores.shape
    correct = scores[mg.arange(n), target].unsqueeze(1)
    margins = (scores - correct + margin).relu()
    not_target = mg.tensor(np.arange(c)[None, :] != target.numpy()[:, None]).double()
    return (margins * not_target).sum() / (n * c)


def test_exercise3_accepts_hinge_without_target_term():
    assert lesson03.exercise3(multi_hinge) is True


def test_exercise3_rejects_counting_the_target_class():
    def wrong(scores, target, margin=1.0):
        n, c = scores.shape
        correct = scores[mg.arange(n), target].unsqueeze(1)
        return (scores - correct + margin).relu().sum() / (n * c)
    with pytest.raises(ExerciseFailed, match="j = t term"):
        lesson03.exercise3(wrong)
