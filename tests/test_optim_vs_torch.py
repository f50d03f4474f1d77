"""Every optimizer against PyTorch's: same float64 start, same gradients, 25 steps, same numbers.

The gradients are fed in (not computed), so the comparison isolates the update rule; a second
test computes them from a loss, with two parameter groups, to cover the usual training loop.
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim

torch = pytest.importorskip("torch")

STEPS = 25
TOL = dict(rtol=1e-11, atol=1e-13)

CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.5, dampening=0.3, foreach=False)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.05, maximize=True)),
    ("Adam", dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.2, fused=None, capturable=False)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, weight_decay=0.3, amsgrad=True)),
    ("AdamW", dict(lr=0.02, maximize=True, foreach=False)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.005, centered=True, momentum=0.8, weight_decay=0.05, maximize=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-6, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
    ("Adadelta", dict(lr=2.0, maximize=True)),
]


def _ids(case):
    name, options = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in options.items())


@pytest.mark.parametrize("name, options", CASES, ids=[_ids(c) for c in CASES])
def test_optimizer_matches_pytorch(name, options):
    rng = np.random.default_rng(7)
    start = rng.standard_normal((3, 4))
    grads = [rng.standard_normal((3, 4)) for _ in range(STEPS)]
    t_param = torch.nn.Parameter(torch.tensor(start.copy()))
    m_param = nn.Parameter(mg.tensor(start.copy()))
    t_opt = getattr(torch.optim, name)([t_param], **options)
    m_opt = getattr(optim, name)([m_param], **options)
    for g in grads:
        t_param.grad = torch.tensor(g)
        m_param.grad = mg.tensor(g)
        t_opt.step()
        m_opt.step()
        np.testing.assert_allclose(m_param.numpy(), t_param.detach().numpy(), **TOL)
    assert np.abs(m_param.numpy() - start).max() > 1e-3  # the parameter did move

    t_state, m_state = t_opt.state_dict(), m_opt.state_dict()
    assert set(m_state["state"]) == set(t_state["state"])                 # plain SGD keeps no state
    for key, value in t_state["state"].get(0, {}).items():                # PyTorch's names and values
        if key == "step":
            assert m_state["state"][0]["step"] == int(value) == STEPS
        else:
            np.testing.assert_allclose(m_state["state"][0][key].numpy(), value.numpy(), **TOL)
    assert set(m_state["state"].get(0, {})) == set(t_state["state"].get(0, {}))
    assert set(m_state["param_groups"][0]) <= set(t_state["param_groups"][0])
    assert m_state["param_groups"][0]["lr"] == t_state["param_groups"][0]["lr"]


@pytest.mark.parametrize("name, options", [("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
                                           ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
                                           ("Adadelta", dict(rho=0.95)),
                                           ("Adam", dict(lr=0.01, amsgrad=True))])
def test_training_loop_with_param_groups_matches_pytorch(name, options):
    rng = np.random.default_rng(0)
    w0, b0 = rng.standard_normal((2, 3)), rng.standard_normal(2)
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    t_w, t_b = torch.nn.Parameter(torch.tensor(w0)), torch.nn.Parameter(torch.tensor(b0))
    m_w, m_b = nn.Parameter(mg.tensor(w0)), nn.Parameter(mg.tensor(b0))
    t_opt = getattr(torch.optim, name)([{"params": [t_w]}, {"params": [t_b], "weight_decay": 0.1}], **options)
    m_opt = getattr(optim, name)([{"params": [m_w]}, {"params": [m_b], "weight_decay": 0.1}], **options)
    for _ in range(STEPS):
        t_opt.zero_grad()
        ((torch.tensor(x) @ t_w.T + t_b - torch.tensor(y)) ** 2).mean().backward()
        t_opt.step()
        m_opt.zero_grad()
        ((mg.tensor(x) @ m_w.T + m_b - mg.tensor(y)) ** 2).mean().backward()
        m_opt.step()
    np.testing.assert_allclose(m_w.numpy(), t_w.detach().numpy(), **TOL)
    np.testing.assert_allclose(m_b.numpy(), t_b.detach().numpy(), **TOL)


@pytest.mark.parametrize("make", [
    lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.9, centered=True, weight_decay=0.01),
    lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.01),
    lambda ps: optim.Adadelta(ps, lr=1.0),
    lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True),
], ids=["RMSprop", "Adagrad", "Adadelta", "Adam-amsgrad"])
def test_array_module_updates_run_on_the_gpu_device(make, gpu_device):
    """The new updates are written with the backend's array module; on "cuda" that is CuPy."""
    results = []
    for device in ("cpu", gpu_device):
        rng = np.random.default_rng(1)
        param = nn.Parameter(mg.tensor(rng.standard_normal((2, 3))).to(device))
        opt = make([param])
        for _ in range(3):
            param.grad = mg.tensor(rng.standard_normal((2, 3))).to(device)
            opt.step()
        assert param.device == device and opt.state[param]["step"] == 3
        results.append(param.numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-10, atol=1e-12)


def test_bad_arguments_are_refused():
    p = nn.Parameter(mg.ones(1))
    for make in [lambda: optim.RMSprop([p], lr=-1), lambda: optim.RMSprop([p], alpha=-0.5),
                 lambda: optim.Adagrad([p], lr_decay=-1), lambda: optim.Adagrad([p], initial_accumulator_value=-1),
                 lambda: optim.Adadelta([p], rho=1.5), lambda: optim.Adadelta([p], eps=-1)]:
        with pytest.raises(ValueError, match="invalid"):
            make()
    for make in [lambda: optim.SGD([p], lr=0.1, differentiable=True), lambda: optim.Adam([p], differentiable=True)]:
        with pytest.raises(NotImplementedError, match="differentiable"):
            make()
