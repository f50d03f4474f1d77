"""Reference solutions for lesson 06. The tests write each one into the notebook in place of its stub."""
import numpy as np


def rmsprop_update(theta, g, v, lr, alpha, eps):
    v = alpha * v + (1 - alpha) * g ** 2
    return theta - lr * g / (np.sqrt(v) + eps), v


def adamw_update(theta, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
    theta = theta * (1 - lr * weight_decay)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def nesterov_update(theta, g, buf, lr, momentum):
    buf = momentum * buf + g
    return theta - lr * (g + momentum * buf), buf
