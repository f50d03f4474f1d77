"""What every checker shares: a shipped stub is reported as "not yet solved", real errors are not hidden."""
import pytest

import minigrad as mg
from minigrad.check import ExerciseFailed, lesson01, lesson03


def test_a_stub_is_reported_not_yet_solved(capsys):
    def matmul_outer(A, B):
        """Hint: ..."""
        raise NotImplementedError("exercise 1: write matmul_outer")
    assert lesson01.exercise1(matmul_outer) is False
    out = capsys.readouterr().out
    assert "lesson01.exercise1: not yet solved. `matmul_outer` still raises NotImplementedError" in out
    assert "correct" not in out


def test_a_stub_deep_inside_the_learners_code_is_still_a_stub(capsys):
    def helper(x):
        raise NotImplementedError
    assert lesson03.exercise1(lambda pred, target: helper(pred)) is False
    assert "not yet solved" in capsys.readouterr().out


def test_not_implemented_inside_minigrad_is_a_real_error(monkeypatch):
    """A NotImplementedError raised by minigrad itself (a device lacking an op) must not pass as a stub."""
    def refuse(*args, **kwargs):
        raise NotImplementedError("this op has no kernel on this device")
    monkeypatch.setattr(mg.Tensor, "mean", refuse)
    with pytest.raises(NotImplementedError, match="no kernel"):
        lesson03.exercise1(lambda pred, target: ((pred - target) ** 2).mean())


def test_a_wrong_answer_still_fails():
    with pytest.raises(ExerciseFailed):
        lesson03.exercise1(lambda pred, target: ((pred - target) ** 2).sum())
