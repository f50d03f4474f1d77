"""SGD, Adam and AdamW against update loops written out in NumPy."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim

STEPS = 5


def gradients(seed, shape, steps=STEPS):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(steps)]


def run_optimizer(make_optimizer, start, grads):
    """Apply the optimizer to a float64 parameter, feeding it the given gradients."""
    param = nn.Parameter(mg.tensor(start.copy()))
    opt = make_optimizer([param])
    for g in grads:
        param.grad = mg.tensor(g)
        opt.step()
    return param.numpy()


def sgd_reference(p, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    p = p.copy()
    buf = None
    for g in grads:
        g = g + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
    return p


def adam_reference(p, grads, lr, beta1, beta2, eps, weight_decay=0.0, decoupled=False):
    p = p.copy()
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p


START = np.random.default_rng(0).standard_normal((3, 4))


@pytest.mark.parametrize("options", [
    dict(),
    dict(momentum=0.9),
    dict(momentum=0.9, dampening=0.3),
    dict(momentum=0.8, nesterov=True),
    dict(momentum=0.9, weight_decay=0.1),
    dict(weight_decay=0.05),
])
def test_sgd_matches_reference(options):
    grads = gradients(1, START.shape)
    got = run_optimizer(lambda ps: optim.SGD(ps, lr=0.1, **options), START, grads)
    np.testing.assert_allclose(got, sgd_reference(START, grads, 0.1, **options), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("options", [
    dict(),
    dict(betas=(0.8, 0.99), eps=1e-6),
    dict(weight_decay=0.1),
])
def test_adam_matches_reference(options):
    grads = gradients(2, START.shape)
    got = run_optimizer(lambda ps: optim.Adam(ps, lr=0.01, **options), START, grads)
    betas = options.get("betas", (0.9, 0.999))
    expected = adam_reference(START, grads, 0.01, betas[0], betas[1], options.get("eps", 1e-8),
                              options.get("weight_decay", 0.0))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


def test_adamw_decays_weights_decoupled():
    grads = gradients(3, START.shape)
    got = run_optimizer(lambda ps: optim.AdamW(ps, lr=0.01), START, grads)
    expected = adam_reference(START, grads, 0.01, 0.9, 0.999, 1e-8, weight_decay=1e-2, decoupled=True)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    coupled = adam_reference(START, grads, 0.01, 0.9, 0.999, 1e-8, weight_decay=1e-2, decoupled=False)
    assert not np.allclose(got, coupled, rtol=1e-9, atol=0)  # the two kinds of decay really differ


def test_parameters_without_grad_are_skipped():
    a, b = nn.Parameter(mg.ones(2)), nn.Parameter(mg.ones(2))
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = mg.ones(2)
    opt.step()
    np.testing.assert_array_equal(b.numpy(), 1)
    assert b not in opt.state and opt.state[a]["step"] == 1
    assert np.all(a.numpy() < 1)


def test_param_groups_get_their_own_options():
    a, b = nn.Parameter(mg.ones(2, dtype=mg.float64)), nn.Parameter(mg.ones(2, dtype=mg.float64))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["lr"] == 0.5
    assert opt.param_groups[1]["momentum"] == 0.9
    a.grad, b.grad = mg.ones(2, dtype=mg.float64), mg.ones(2, dtype=mg.float64)
    opt.step()
    np.testing.assert_allclose(a.numpy(), 0.9)
    np.testing.assert_allclose(b.numpy(), 0.5)
    c = nn.Parameter(mg.ones(1))
    opt.add_param_group({"params": c, "lr": 0.01})
    assert opt.param_groups[2]["momentum"] == 0.9 and opt.param_groups[2]["params"] == [c]
    with pytest.raises(ValueError, match="more than one"):
        opt.add_param_group({"params": [a]})


def test_zero_grad():
    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    model(mg.randn(4, 3)).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert np.all(model.weight.grad.numpy() == 0)
    opt.zero_grad()
    assert model.weight.grad is None


def test_bad_arguments_are_refused():
    p = nn.Parameter(mg.ones(1))
    with pytest.raises(ValueError, match="learning rate"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="empty"):
        optim.Adam([], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([p], betas=(1.0, 0.9))


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: optim.Adam(ps, lr=0.01),
    lambda ps: optim.AdamW(ps, lr=0.01, weight_decay=0.1),
    lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.9, centered=True),
    lambda ps: optim.Adagrad(ps, lr=0.1, initial_accumulator_value=0.1),
    lambda ps: optim.Adadelta(ps),
    lambda ps: optim.Adam(ps, amsgrad=True),
], ids=["SGD-momentum", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adam-amsgrad"])
def test_state_dict_round_trip_continues_identically(make, tmp_path):
    """Train 3 steps, save, load into a fresh optimizer: the next steps match an uninterrupted run."""
    grads = gradients(4, (2, 3), steps=6)
    start = np.random.default_rng(5).standard_normal((2, 3))

    straight = nn.Parameter(mg.tensor(start.copy()))
    opt = make([straight])
    for g in grads:
        straight.grad = mg.tensor(g)
        opt.step()

    first = nn.Parameter(mg.tensor(start.copy()))
    opt1 = make([first])
    for g in grads[:3]:
        first.grad = mg.tensor(g)
        opt1.step()
    mg.save(opt1.state_dict(), tmp_path / "opt.mg")
    resumed = nn.Parameter(mg.tensor(first.numpy().copy()))
    opt2 = make([resumed])
    opt2.load_state_dict(mg.load(tmp_path / "opt.mg"))
    for g in grads[3:]:
        resumed.grad = mg.tensor(g)
        opt2.step()
    np.testing.assert_array_equal(resumed.numpy(), straight.numpy())


def test_state_dict_refers_to_params_by_index_and_copies_tensors():
    a, b = nn.Parameter(mg.ones(2)), nn.Parameter(mg.ones(3))
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}])
    a.grad, b.grad = mg.ones(2), mg.ones(3)
    opt.step()
    state = opt.state_dict()
    assert [g["params"] for g in state["param_groups"]] == [[0], [1]]
    assert state["param_groups"][1]["lr"] == 0.5
    assert state["state"][1]["step"] == 1 and state["state"][1]["exp_avg"].shape == (3,)
    state["state"][0]["exp_avg"].fill_(99.0)
    assert not np.any(opt.state[a]["exp_avg"].numpy() == 99.0)
    other = optim.Adam([nn.Parameter(mg.ones(2))])
    with pytest.raises(ValueError, match="parameter groups"):
        other.load_state_dict(state)


def test_training_a_linear_regression_converges():
    mg.manual_seed(0)
    x = mg.randn(64, 3)
    true_w = mg.tensor([[1.5, -2.0, 0.5]])
    y = x @ true_w.T + 0.3
    model = nn.Linear(3, 1)
    opt = optim.Adam(model.parameters(), lr=0.05)
    for _ in range(300):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(model.weight.numpy(), true_w.numpy(), atol=1e-2)
    np.testing.assert_allclose(model.bias.numpy(), [0.3], atol=1e-2)


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda ps: optim.AdamW(ps, lr=0.05),
])
def test_model_moved_to_gpu_after_building_optimizer_trains_the_same(make, gpu_device):
    """Module.to moves parameters in place, so the optimizer keeps updating the right tensors;
    the fused GPU update kernels (run by the CUDA simulator without a GPU) match NumPy."""
    results = []
    for device in ("cpu", gpu_device):
        mg.manual_seed(0)
        model = nn.Linear(3, 2).double()
        start = model.weight.numpy().copy()
        opt = make(model.parameters())
        model.to(device)
        x = mg.randn(4, 3, dtype=mg.float64).to(device)
        for _ in range(2):
            opt.zero_grad()
            ((model(x) - 1.0) ** 2).sum().backward()
            opt.step()
        assert model.weight.device == device
        results.append(model.weight.numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-10, atol=1e-12)
    assert np.abs(results[0] - start).max() > 1e-3  # the updates did happen
