"""The lesson 06 checkers accept right answers and reject typical wrong ones with a useful message."""
import numpy as np
import pytest

from minigrad.check import ExerciseFailed, lesson06


def adam_update(theta, g, m, v, t, lr, beta1, beta2, eps, bias_correction=True, sqrt=True):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat, v_hat = (m / (1 - beta1 ** t), v / (1 - beta2 ** t)) if bias_correction else (m, v)
    denominator = np.sqrt(v_hat) if sqrt else v_hat
    return theta - lr * m_hat / (denominator + eps), m, v


def test_exercise1_accepts_adam():
    assert lesson06.exercise1(adam_update) is True


def test_exercise1_explains_missing_bias_correction():
    with pytest.raises(ExerciseFailed, match="without bias correction"):
        lesson06.exercise1(lambda *a: adam_update(*a, bias_correction=False))


def test_exercise1_explains_missing_square_root():
    with pytest.raises(ExerciseFailed, match="not sqrt"):
        lesson06.exercise1(lambda *a: adam_update(*a, sqrt=False))


def momentum_update(theta, g, buf, lr, momentum):
    buf = momentum * buf + g
    return theta - lr * buf, buf


def test_exercise2_accepts_pytorch_momentum():
    assert lesson06.exercise2(momentum_update) is True


def test_exercise2_explains_averaged_momentum():
    def averaged(theta, g, buf, lr, momentum):
        buf = momentum * buf + (1 - momentum) * g
        return theta - lr * buf, buf
    with pytest.raises(ExerciseFailed, match="an average"):
        lesson06.exercise2(averaged)


def test_exercise3_accepts_two_over_a():
    assert lesson06.exercise3(lambda a: 2 / a) is True


def test_exercise3_explains_one_over_a():
    with pytest.raises(ExerciseFailed, match="one step"):
        lesson06.exercise3(lambda a: 1 / a)
