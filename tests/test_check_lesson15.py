"""The lesson 15 checkers accept the reference solutions (lessons/_solutions/lesson15.py) and reject
typical wrong answers with the hint that names the mistake."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.check import ExerciseFailed, lesson15, reference_solutions


@pytest.fixture(scope="module")
def solutions():
    return reference_solutions(15)


def test_reference_solutions_pass(solutions, capsys):
    assert lesson15.exercise1(solutions.conv_output_size) is True
    assert lesson15.exercise2(solutions.im2col) is True
    assert lesson15.exercise3(solutions.conv2d_weight_grad) is True
    assert capsys.readouterr().out.count(": correct.") == 3


def test_an_unsolved_stub_is_reported_not_raised(capsys):
    def im2col(x, k):
        """Hint: ..."""
        raise NotImplementedError("exercise 2: write im2col")
    assert lesson15.exercise2(im2col) is False
    assert "lesson15.exercise2: not yet solved. `im2col` still raises NotImplementedError" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda n, k, s=1, p=0, d=1: (n + 2 * p - k) // s + 1, "without dilation"),
    (lambda n, k, s=1, p=0, d=1: (n + 2 * p - d * (k - 1) - 1) // s, "Off by one"),
    (lambda n, k, s=1, p=0, d=1: (n + p - d * (k - 1) - 1) // s + 1, "both sides"),
])
def test_exercise1_names_the_mistake(wrong, hint):
    with pytest.raises(ExerciseFailed, match=hint):
        lesson15.exercise1(wrong)


def test_exercise2_names_transposed_and_reordered_windows(solutions):
    with pytest.raises(ExerciseFailed, match="the transpose"):
        lesson15.exercise2(lambda x, k: solutions.im2col(x, k).T)

    def channel_last(x, k):
        c = x.shape[0]
        cols = solutions.im2col(x, k)
        return cols.reshape(c, k, k, -1).transpose(1, 2, 0, 3).reshape(cols.shape)
    with pytest.raises(ExerciseFailed, match="ordered \\(i, j, c\\)"):
        lesson15.exercise2(channel_last)


def test_exercise3_names_flipped_kernel_and_missing_batch_sum(solutions):
    with pytest.raises(ExerciseFailed, match="flipped"):
        lesson15.exercise3(lambda x, g, k: solutions.conv2d_weight_grad(x, g, k).numpy()[..., ::-1, ::-1])
    with pytest.raises(ExerciseFailed, match="Only the first image"):
        lesson15.exercise3(lambda x, g, k: solutions.conv2d_weight_grad(x[:1], g[:1], k))
    with pytest.raises(ExerciseFailed, match="mean over the batch"):
        lesson15.exercise3(lambda x, g, k: solutions.conv2d_weight_grad(x, g, k) / x.shape[0])


def test_the_solution_im2col_is_f_unfold(solutions):
    x = np.random.default_rng(0).standard_normal((2, 4, 5))
    np.testing.assert_array_equal(solutions.im2col(x, 2), F.unfold(mg.tensor(x[None]), 2).numpy()[0])
