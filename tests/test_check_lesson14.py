"""The lesson 14 checkers accept right answers and reject typical wrong ones with a useful hint."""
import numpy as np
import pytest

from minigrad.check import ExerciseFailed, lesson14


def per_tensor(w, bits, divisor_offset=0, rounding=np.round):
    levels = 2 ** (bits - 1) - 1
    scale = np.abs(w).max() / (levels + divisor_offset)
    return np.clip(rounding(w / scale), -levels - divisor_offset, levels + divisor_offset).astype(np.int32), scale


def test_exercise1_accepts_correct_quantisation(capsys):
    assert lesson14.exercise1(per_tensor) is True
    assert "correct" in capsys.readouterr().out


def test_exercise1_names_128_overflow():
    with pytest.raises(ExerciseFailed, match="wrap"):
        lesson14.exercise1(lambda w, b: per_tensor(w, b, divisor_offset=1))


def test_exercise1_names_truncation():
    with pytest.raises(ExerciseFailed, match="round"):
        lesson14.exercise1(lambda w, b: per_tensor(w, b, rounding=np.trunc))


def per_channel(w, bits, axis=1):
    levels = 2 ** (bits - 1) - 1
    scales = np.abs(w).max(axis=axis, keepdims=True) / levels
    return np.clip(np.round(w / scales), -levels, levels).astype(np.int32), scales


def test_exercise2_accepts_rows_and_names_columns():
    assert lesson14.exercise2(per_channel) is True
    with pytest.raises(ExerciseFailed, match="one per \\*column\\*"):
        lesson14.exercise2(lambda w, b: per_channel(w, b, axis=0))


def prune(w, fraction, in_place=False, signed=False):
    k = int(round(fraction * w.size))
    out = w if in_place else w.copy()
    if k:
        out.flat[np.argsort(w if signed else np.abs(w), axis=None)[:k]] = 0
    return out


def test_exercise3_accepts_and_names_mistakes():
    assert lesson14.exercise3(prune) is True
    with pytest.raises(ExerciseFailed, match="signed"):
        lesson14.exercise3(lambda w, f: prune(w, f, signed=True))
    with pytest.raises(ExerciseFailed, match="input array was modified"):
        lesson14.exercise3(lambda w, f: prune(w, f, in_place=True))
