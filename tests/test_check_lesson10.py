"""The lesson 10 checkers accept right answers and reject typical wrong ones with a useful hint."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.check import ExerciseFailed, lesson10


def make_attention(scale=True, softmax_dim=-1, mask_after=False, invert_mask=False):
    def attention(q, k, v, not_allowed=None):
        scores = q @ k.transpose(-2, -1)
        if scale:
            scores = scores / math.sqrt(q.shape[-1])
        if not_allowed is not None and not mask_after:
            scores = scores.masked_fill(~not_allowed if invert_mask else not_allowed, -1e9)
        weights = F.softmax(scores, dim=softmax_dim)
        if not_allowed is not None and mask_after:
            weights = weights.masked_fill(not_allowed, 0.0)
        return weights @ v, weights
    return attention


def test_exercise1_accepts_correct_attention(capsys):
    assert lesson10.exercise1(make_attention()) is True
    assert "correct" in capsys.readouterr().out


def test_exercise1_names_missing_scale():
    with pytest.raises(ExerciseFailed, match="sqrt"):
        lesson10.exercise1(make_attention(scale=False))


def test_exercise1_names_wrong_softmax_axis():
    with pytest.raises(ExerciseFailed, match="over the queries"):
        lesson10.exercise1(make_attention(softmax_dim=-2))


def test_exercise1_names_mask_after_softmax():
    with pytest.raises(ExerciseFailed, match="after the softmax"):
        lesson10.exercise1(make_attention(mask_after=True))


def test_exercise1_names_inverted_mask():
    with pytest.raises(ExerciseFailed, match="polarity"):
        lesson10.exercise1(make_attention(invert_mask=True))


def test_exercise1_needs_differentiable_answer():
    def via_numpy(q, k, v, not_allowed=None):
        out, weights = make_attention()(q, k, v, not_allowed)
        return mg.tensor(out.numpy(), requires_grad=True), weights   # cuts the graph
    with pytest.raises(ExerciseFailed, match="gradcheck"):
        lesson10.exercise1(via_numpy)


def test_exercise2_accepts_and_rejects():
    assert lesson10.exercise2(lambda n: mg.tensor(np.triu(np.ones((n, n), dtype=bool), k=1))) is True
    with pytest.raises(ExerciseFailed, match="diagonal"):
        lesson10.exercise2(lambda n: mg.tensor(np.triu(np.ones((n, n), dtype=bool), k=0)))
    with pytest.raises(ExerciseFailed, match="polarity"):
        lesson10.exercise2(lambda n: mg.tensor(np.tril(np.ones((n, n), dtype=bool), k=0)))
    with pytest.raises(ExerciseFailed, match="bool"):
        lesson10.exercise2(lambda n: mg.tensor(np.triu(np.ones((n, n)), k=1)))


def positions(max_len, dim, swap=False, exponent_divisor=None):
    p = np.arange(max_len)[:, None]
    omega = 10000.0 ** (-np.arange(0, dim, 2) / (exponent_divisor or dim))
    pe = np.zeros((max_len, dim))
    pe[:, 0::2], pe[:, 1::2] = (np.cos(p * omega), np.sin(p * omega)) if swap else (np.sin(p * omega), np.cos(p * omega))
    return pe


def test_exercise3_accepts_and_names_mistakes():
    assert lesson10.exercise3(positions) is True
    with pytest.raises(ExerciseFailed, match="swapped"):
        lesson10.exercise3(lambda n, d: positions(n, d, swap=True))
    with pytest.raises(ExerciseFailed, match="exponent"):
        lesson10.exercise3(lambda n, d: positions(n, d, exponent_divisor=d / 2))


def layer_norm(correction=0, eps_inside=True):
    def norm(x, weight, bias, eps=1e-5):
        mu = x.mean(dim=-1, keepdim=True)
        var = ((x - mu) ** 2).sum(dim=-1, keepdim=True) / (x.shape[-1] - correction)
        denominator = (var + eps).sqrt() if eps_inside else var.sqrt() + eps
        return (x - mu) / denominator * weight + bias
    return norm


def test_exercise4_accepts_and_names_mistakes():
    assert lesson10.exercise4(layer_norm()) is True
    with pytest.raises(ExerciseFailed, match="unbiased"):
        lesson10.exercise4(layer_norm(correction=1))
    with pytest.raises(ExerciseFailed, match="inside the square root"):
        lesson10.exercise4(layer_norm(eps_inside=False))
