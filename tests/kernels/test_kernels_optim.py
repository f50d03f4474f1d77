import numpy as np
import pytest
from kernel_testing import CPU, assert_close

from kernels import optim

DTYPES = [np.float32, np.float64]

SGD_SETTINGS = [
    dict(lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False),
    dict(lr=0.05, momentum=0.9, dampening=0.0, weight_decay=0.01, nesterov=False),
    dict(lr=0.05, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=True),
    dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.1, nesterov=False),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("settings", SGD_SETTINGS)
def test_sgd_three_steps_match_the_cpu_formula(rng, settings, dtype):
    param = rng.standard_normal((3, 7)).astype(dtype)
    buf = np.zeros_like(param) if settings["momentum"] else None
    ref_param = param.astype(np.float64)
    ref_buf = None if buf is None else buf.astype(np.float64)
    for step in range(3):
        grad = rng.standard_normal(param.shape).astype(dtype)
        optim.sgd_step(param, grad, buf, first_step=step == 0, **settings)
        CPU.sgd_step(ref_param, grad.astype(np.float64), ref_buf, first_step=step == 0, **settings)
        assert_close(param, ref_param, dtype)
        if buf is not None:
            assert_close(buf, ref_buf, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weight_decay, decoupled", [(0.0, False), (0.1, False), (0.1, True)])
def test_adam_three_steps_match_the_cpu_formula(rng, weight_decay, decoupled, dtype):
    param = rng.standard_normal(37).astype(dtype)
    m, v = np.zeros_like(param), np.zeros_like(param)
    ref = [a.astype(np.float64) for a in (param, m, v)]
    kw = dict(lr=0.01, beta1=0.9, beta2=0.99, eps=1e-8, weight_decay=weight_decay, decoupled_weight_decay=decoupled)
    for step in range(1, 4):
        grad = rng.standard_normal(param.shape).astype(dtype)
        optim.adam_step(param, grad, m, v, step=step, **kw)
        CPU.adam_step(ref[0], grad.astype(np.float64), ref[1], ref[2], step=step, **kw)
        for got, want in zip((param, m, v), ref):
            assert_close(got, want, dtype)


def test_cpu_formulas_match_hand_computed_values():
    # SGD with momentum: first step buf = g, second buf = 0.9*g1 + g2.
    p, b = np.array([1.0]), np.zeros(1)
    settings = dict(lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False)
    CPU.sgd_step(p, np.array([2.0]), b, first_step=True, **settings)
    np.testing.assert_allclose([p[0], b[0]], [0.8, 2.0])
    CPU.sgd_step(p, np.array([1.0]), b, first_step=False, **settings)
    np.testing.assert_allclose([p[0], b[0]], [0.8 - 0.1 * 2.8, 2.8])
    # Adam's first step moves every parameter by about lr * sign(grad) (bias correction makes m_hat = g).
    adam = dict(step=1, lr=0.1, beta1=0.9, beta2=0.999, eps=0.0, weight_decay=0.0, decoupled_weight_decay=False)
    p = np.zeros(2)
    CPU.adam_step(p, np.array([3.0, -0.5]), np.zeros(2), np.zeros(2), **adam)
    np.testing.assert_allclose(p, [-0.1, 0.1])
    # AdamW shrinks the parameter by (1 - lr*wd) before the update; a zero gradient adds no step.
    p = np.array([2.0])
    CPU.adam_step(p, np.array([0.0]), np.zeros(1), np.zeros(1), **dict(adam, weight_decay=0.5, eps=1.0,
                                                                         decoupled_weight_decay=True))
    np.testing.assert_allclose(p, [2.0 * (1 - 0.05)])


def test_non_contiguous_state_and_missing_buffer_raise():
    param = np.zeros((4, 4))
    with pytest.raises(ValueError, match="not C-contiguous"):
        optim.sgd_step(param.T, np.zeros((4, 4)), None, lr=0.1)
    with pytest.raises(ValueError, match="momentum_buffer"):
        optim.sgd_step(param, np.zeros((4, 4)), None, lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="counts steps from 1"):
        optim.adam_step(param, param, param.copy(), param.copy(), step=0, lr=0.1)
