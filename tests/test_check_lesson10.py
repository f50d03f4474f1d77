"""The lesson 10 checkers accept right answers and reject typical wrong ones with a message naming the mistake."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.check import ExerciseFailed, lesson10, reference_solutions

SOLUTIONS = reference_solutions(10)


def test_exercise1_accepts_reshape_then_transpose():
    assert lesson10.exercise1(SOLUTIONS.split_heads, SOLUTIONS.merge_heads) is True


def test_exercise1_names_the_scrambling_reshape():
    def straight(x, n_heads):
        n, length, e = x.shape
        return x.reshape(n, n_heads, length, e // n_heads)
    with pytest.raises(ExerciseFailed, match="cuts the FLAT memory"):
        lesson10.exercise1(straight, SOLUTIONS.merge_heads)


def test_exercise1_rejects_a_merge_that_does_not_invert():
    def merge_without_transpose(x):
        n, h, length, d = x.shape
        return x.reshape(n, length, h * d)
    with pytest.raises(ExerciseFailed, match="merge_heads\\(split_heads\\(x\\)\\) is not x"):
        lesson10.exercise1(SOLUTIONS.split_heads, merge_without_transpose)


def test_exercise2_accepts_the_cached_step():
    assert lesson10.exercise2(SOLUTIONS.attend_last) is True


def test_exercise2_names_the_missing_scale():
    with pytest.raises(ExerciseFailed, match="sqrt\\(d\\)"):
        lesson10.exercise2(lambda q, k, v: F.softmax(q @ k.transpose(-2, -1), dim=-1) @ v)


def test_exercise3_accepts_alibi():
    assert lesson10.exercise3(SOLUTIONS.alibi_attention) is True


def test_exercise3_names_the_sign_of_the_penalty_and_the_missing_mask():
    def plus(q, k, v, slope):
        return SOLUTIONS.alibi_attention(q, k, v, -slope)
    with pytest.raises(ExerciseFailed, match="wrong sign"):
        lesson10.exercise3(plus)
    def unmasked(q, k, v, slope):
        length = q.shape[-2]
        pos = np.arange(length)
        distance = mg.tensor((pos[:, None] - pos[None, :]).astype(np.float64))
        w = F.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]) - slope * distance, dim=-1)
        return w @ v, w
    with pytest.raises(ExerciseFailed, match="Future keys"):
        lesson10.exercise3(unmasked)
