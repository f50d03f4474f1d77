"""The lesson 13 checkers accept right answers and reject typical wrong ones with a useful hint."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.check import ExerciseFailed, lesson13


def saliency(model, ids, mask, target, times_input=True, absolute=False):
    vectors = model.embed(ids).detach().requires_grad_()
    model.classify(model.encode(vectors, mask), mask)[0, target].backward()
    grad = vectors.grad.numpy()[0]
    scores = (grad * vectors.detach().numpy()[0]).sum(-1) if times_input else grad.sum(-1)
    return np.abs(scores) if absolute else scores


def test_exercise1_accepts_gradient_times_input(capsys):
    assert lesson13.exercise1(saliency) is True
    assert "correct" in capsys.readouterr().out


def test_exercise1_names_plain_gradient():
    with pytest.raises(ExerciseFailed, match="multiply it by the input"):
        lesson13.exercise1(lambda m, i, k, t: saliency(m, i, k, t, times_input=False))


def test_exercise1_names_lost_sign():
    with pytest.raises(ExerciseFailed, match="Keep the sign"):
        lesson13.exercise1(lambda m, i, k, t: saliency(m, i, k, t, absolute=True))


def occlusion(model, ids, mask, target, flip=False):
    with mg.no_grad():
        vectors = model.embed(ids)
        full = model.classify(model.encode(vectors, mask), mask).numpy()[0, target]
        out = []
        for t in range(ids.shape[1]):
            zeroed = vectors.clone()
            zeroed.data[0, t] = 0
            out.append(full - model.classify(model.encode(zeroed, mask), mask).numpy()[0, target])
    return -np.array(out) if flip else np.array(out)


def test_exercise2_accepts_and_names_flipped_sign():
    assert lesson13.exercise2(occlusion) is True
    with pytest.raises(ExerciseFailed, match="sign is flipped"):
        lesson13.exercise2(lambda m, i, k, t: occlusion(m, i, k, t, flip=True))


def entropy(weights, n_real):
    w = weights[:n_real, :n_real]
    return float(-(w * np.log(np.where(w > 0, w, 1.0))).sum(-1).mean())


def test_exercise3_accepts_and_explains_nan():
    assert lesson13.exercise3(entropy) is True
    with np.errstate(divide="ignore", invalid="ignore"):
        with pytest.raises(ExerciseFailed, match="0 \\* log\\(0\\)"):
            lesson13.exercise3(lambda w, n: float(-(w[:n, :n] * np.log(w[:n, :n])).sum(-1).mean()))


def test_exercise3_names_padding_rows():
    def with_padding_rows(w, n):
        part = w[:, :n]
        return float(-(part * np.log(np.where(part > 0, part, 1.0))).sum(-1).mean())
    with pytest.raises(ExerciseFailed, match="padding rows"):
        lesson13.exercise3(with_padding_rows)
