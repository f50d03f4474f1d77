import numpy as np
import pytest
from kernel_testing import assert_close

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
def test_sgd_three_steps_match_reference(rng, settings, dtype):
    param = rng.standard_normal((3, 7)).astype(dtype)
    buf = np.zeros_like(param) if settings["momentum"] else None
    ref_param, ref_buf = param.copy(), None
    for step in range(3):
        grad = rng.standard_normal(param.shape).astype(dtype)
        optim.sgd_step(param, grad, buf, first_step=step == 0, **settings)
        ref_param, ref_buf = optim.sgd_step_reference(ref_param, grad, ref_buf, first_step=step == 0, **settings)
        assert_close(param, ref_param, dtype)
        if buf is not None:
            assert_close(buf, ref_buf, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weight_decay, decoupled", [(0.0, False), (0.1, False), (0.1, True)])
def test_adam_three_steps_match_reference(rng, weight_decay, decoupled, dtype):
    param = rng.standard_normal(37).astype(dtype)
    m, v = np.zeros_like(param), np.zeros_like(param)
    ref = (param.copy(), m.copy(), v.copy())
    kw = dict(lr=0.01, beta1=0.9, beta2=0.99, eps=1e-8, weight_decay=weight_decay, decoupled_weight_decay=decoupled)
    for step in range(1, 4):
        grad = rng.standard_normal(param.shape).astype(dtype)
        optim.adam_step(param, grad, m, v, step=step, **kw)
        ref = optim.adam_step_reference(*ref[:1], grad, *ref[1:], step=step, **kw)
        for got, want in zip((param, m, v), ref):
            assert_close(got, want, dtype)


def test_references_match_hand_computed_values():
    # SGD with momentum: first step buf = g, second buf = 0.9*g1 + g2.
    p, b = optim.sgd_step_reference(np.array([1.0]), np.array([2.0]), None, lr=0.1, momentum=0.9, first_step=True)
    np.testing.assert_allclose([p[0], b[0]], [0.8, 2.0])
    p, b = optim.sgd_step_reference(p, np.array([1.0]), b, lr=0.1, momentum=0.9)
    np.testing.assert_allclose([p[0], b[0]], [0.8 - 0.1 * 2.8, 2.8])
    # Adam's first step moves every parameter by about lr * sign(grad) (bias correction makes m_hat = g).
    p, m, v = optim.adam_step_reference(
        np.array([0.0, 0.0]), np.array([3.0, -0.5]), np.zeros(2), np.zeros(2), step=1, lr=0.1, eps=0.0
    )
    np.testing.assert_allclose(p, [-0.1, 0.1])
    # AdamW shrinks the parameter by (1 - lr*wd) before the update; a zero gradient adds no step.
    p, _, _ = optim.adam_step_reference(
        np.array([2.0]), np.array([0.0]), np.zeros(1), np.zeros(1), step=1, lr=0.1, weight_decay=0.5,
        decoupled_weight_decay=True, eps=1.0,
    )
    np.testing.assert_allclose(p, [2.0 * (1 - 0.05)])


def test_non_contiguous_state_and_missing_buffer_raise():
    param = np.zeros((4, 4))
    with pytest.raises(ValueError, match="not C-contiguous"):
        optim.sgd_step(param.T, np.zeros((4, 4)), None, lr=0.1)
    with pytest.raises(ValueError, match="momentum_buffer"):
        optim.sgd_step(param, np.zeros((4, 4)), None, lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="counts steps from 1"):
        optim.adam_step(param, param, param.copy(), param.copy(), step=0, lr=0.1)
