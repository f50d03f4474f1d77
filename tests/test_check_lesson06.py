"""The lesson 06 checkers accept right answers and reject typical wrong ones with a message naming the mistake."""
import numpy as np
import pytest

from minigrad.check import ExerciseFailed, lesson06, reference_solutions

SOLUTIONS = reference_solutions(6)


def test_exercise1_accepts_rmsprop():
    assert lesson06.exercise1(SOLUTIONS.rmsprop_update) is True


def test_exercise1_names_eps_inside_the_root():
    def inside(theta, g, v, lr, alpha, eps):
        v = alpha * v + (1 - alpha) * g ** 2
        return theta - lr * g / np.sqrt(v + eps), v
    with pytest.raises(ExerciseFailed, match="eps is inside your square root"):
        lesson06.exercise1(inside)


def adamw_variant(**wrong):
    def update(theta, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
        if wrong.get("l2"):
            g = g + weight_decay * theta
        elif not wrong.get("no_decay"):
            theta = theta * (1 - (1 if wrong.get("decay_without_lr") else lr) * weight_decay)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g ** 2
        m_hat, v_hat = (m, v) if wrong.get("no_correction") else (m / (1 - beta1 ** t), v / (1 - beta2 ** t))
        if wrong.get("sign"):
            return theta - lr * np.sign(m_hat), m, v
        if wrong.get("eps_inside"):
            return theta - lr * m_hat / np.sqrt(v_hat + eps), m, v
        return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
    return update


def test_exercise2_accepts_adamw():
    assert lesson06.exercise2(SOLUTIONS.adamw_update) is True
    assert lesson06.exercise2(adamw_variant()) is True


@pytest.mark.parametrize("wrong, message", [
    ("eps_inside", "eps is inside your square root"),
    ("sign", r"lr \* sign\(m\): that is signSGD"),
    ("l2", "added weight_decay \\* theta to the gradient"),
    ("decay_without_lr", "not multiplied by lr"),
    ("no_correction", "left out the bias correction"),
    ("no_decay", "left out the weight decay"),
])
def test_exercise2_names_each_mistake(wrong, message):
    with pytest.raises(ExerciseFailed, match=message):
        lesson06.exercise2(adamw_variant(**{wrong: True}))


def test_exercise2_prints_values_that_differ_visibly():
    """The issue: an eps-inside-the-sqrt answer printed two identical-looking vectors."""
    with pytest.raises(ExerciseFailed) as failure:
        lesson06.exercise2(adamw_variant(eps_inside=True))
    message = str(failure.value)
    ours, theirs = message.split("theta = ")[1].split(" but ")[0], message.split("AdamW gives ")[1].split(" (")[0]
    assert ours != theirs and "difference" in message


def test_exercise3_accepts_nesterov():
    assert lesson06.exercise3(SOLUTIONS.nesterov_update) is True


def test_exercise3_names_plain_momentum_and_the_old_buffer():
    def plain(theta, g, buf, lr, momentum):
        buf = momentum * buf + g
        return theta - lr * buf, buf
    with pytest.raises(ExerciseFailed, match="plain momentum"):
        lesson06.exercise3(plain)
    def old_buffer(theta, g, buf, lr, momentum):
        step = g + momentum * buf
        return theta - lr * step, momentum * buf + g
    with pytest.raises(ExerciseFailed, match="OLD buffer"):
        lesson06.exercise3(old_buffer)
