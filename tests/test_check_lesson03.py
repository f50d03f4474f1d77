"""The lesson 03 checkers accept right answers and reject typical wrong ones with a useful message."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.check import ExerciseFailed, lesson03, reference_solutions


SOLUTIONS = reference_solutions(3)


def test_exercise1_accepts_the_stable_form():
    assert lesson03.exercise1(SOLUTIONS.bce_with_logits) is True


def test_exercise1_rejects_the_textbook_form_that_overflows():
    def textbook(z, y):
        s = 1 / (1 + (-z).exp())
        return (-(y * s.log()) - (1 - y) * (1 - s).log()).mean()
    with pytest.raises(ExerciseFailed, match="overflows|log 0"):
        lesson03.exercise1(textbook)


def test_exercise1_names_the_sign():
    with pytest.raises(ExerciseFailed, match="wrong sign"):
        lesson03.exercise1(lambda z, y: -SOLUTIONS.bce_with_logits(z, y))


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
    with pytest.raises(ExerciseFailed, match="overflows"):
        lesson03.exercise2(naive)


def test_exercise2_blames_underflow_for_log_of_softmax():
    """The issue's misleading message: log(stable softmax) does not overflow, its probability underflows to 0."""
    def log_of_softmax(logits, target):
        e = (logits - logits.max(dim=1, keepdim=True).values).exp()
        p = e / e.sum(dim=1, keepdim=True)
        return -p.log()[mg.arange(logits.shape[0]), target].mean()
    with pytest.raises(ExerciseFailed, match="nothing overflowed, but the probability .* UNDERFLOWS to 0"):
        lesson03.exercise2(log_of_softmax)


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
