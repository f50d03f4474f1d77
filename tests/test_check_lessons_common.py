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
    assert lesson03.exercise1(lambda z, y: helper(z)) is False
    assert "not yet solved" in capsys.readouterr().out


def test_not_implemented_inside_minigrad_is_a_real_error():
    """A NotImplementedError raised by minigrad itself (here: calling a ModuleList) must not pass as a stub."""
    with pytest.raises(NotImplementedError, match="ModuleList is not callable"):
        lesson03.exercise1(lambda z, y: mg.nn.ModuleList([])(z))


def test_a_wrong_answer_still_fails():
    with pytest.raises(ExerciseFailed):
        lesson03.exercise1(lambda z, y: (z.relu() - z * y).mean())
