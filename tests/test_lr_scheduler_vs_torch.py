"""Every learning-rate schedule against torch.optim.lr_scheduler: the lr (and momentum) of every
param group after every step, for 40 steps, to 1e-12 relative."""
import math
import warnings

import pytest

import minigrad as mg
from minigrad import nn, optim

torch = pytest.importorskip("torch")

STEPS = 40
LRS = (0.1, 0.02)  # two param groups with their own lr


def make_optimizers(name="SGD", **options):
    """The same two-group optimizer in PyTorch and minigrad."""
    t_groups = [{"params": [torch.nn.Parameter(torch.ones(1))], "lr": lr} for lr in LRS]
    m_groups = [{"params": [nn.Parameter(mg.ones(1))], "lr": lr} for lr in LRS]
    return getattr(torch.optim, name)(t_groups, **options), getattr(optim, name)(m_groups, **options)


def hyper(optimizer):
    """lr, momentum and betas of every group, as one flat list of numbers per group."""
    values = []
    for group in optimizer.param_groups:
        numbers = [group["lr"]] + ([group["momentum"]] if "momentum" in group else [])
        values.append(numbers + list(group.get("betas", ())))
    return values


def assert_same_hyper(m_opt, t_opt):
    for m_values, t_values in zip(hyper(m_opt), hyper(t_opt)):
        assert m_values == pytest.approx(t_values, rel=1e-12, abs=1e-15)


def run_both(t_opt, m_opt, t_scheds, m_scheds, steps=STEPS, metrics=None):
    """Step both optimizers and all their schedulers in lockstep, checking after every step."""
    assert_same_hyper(m_opt, t_opt)
    for step in range(steps):
        t_opt.step()
        m_opt.step()
        for t_sched, m_sched in zip(t_scheds, m_scheds):
            if metrics is None:
                t_sched.step()
                m_sched.step()
            else:
                t_sched.step(metrics[step])
                m_sched.step(metrics[step])
            assert m_sched.get_last_lr() == pytest.approx(t_sched.get_last_lr(), rel=1e-12, abs=1e-15)
            assert getattr(m_sched, "last_epoch", None) == getattr(t_sched, "last_epoch", None)
        assert_same_hyper(m_opt, t_opt)


SCHEDULES = {
    "LambdaLR": lambda S, o: S.LambdaLR(o, lambda e: 1 / (1 + 0.1 * e)),
    "LambdaLR-per-group": lambda S, o: S.LambdaLR(o, [lambda e: 0.95 ** e, lambda e: 1 + e % 3]),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, lambda e: 0.97),
    "StepLR": lambda S, o: S.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.3),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, T_max=10),  # 4 half-periods: past T_max too
    "CosineAnnealingLR-eta_min": lambda S, o: S.CosineAnnealingLR(o, T_max=13, eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=6, eta_min=0.002),
    "CosineAnnealingWarmRestarts-T_mult": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2),
    "LinearLR": lambda S, o: S.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=8),
    "LinearLR-decay": lambda S, o: S.LinearLR(o, start_factor=1.0, end_factor=0.05, total_iters=25),
    "ConstantLR": lambda S, o: S.ConstantLR(o, factor=0.25, total_iters=6),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o, total_iters=30, power=2.0),
    "SequentialLR": lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, 0.1, 1.0, 5), S.ExponentialLR(o, 0.9), S.CosineAnnealingLR(o, 12)], milestones=[5, 15]),
    "OneCycleLR-cos": lambda S, o: S.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=STEPS),
    "OneCycleLR-linear": lambda S, o: S.OneCycleLR(o, max_lr=0.3, epochs=4, steps_per_epoch=10, pct_start=0.25,
                                                   anneal_strategy="linear", div_factor=10.0, final_div_factor=100.0),
    "OneCycleLR-three-phase": lambda S, o: S.OneCycleLR(o, max_lr=0.4, total_steps=STEPS, three_phase=True,
                                                        base_momentum=0.8, max_momentum=0.9),
    "OneCycleLR-no-momentum": lambda S, o: S.OneCycleLR(o, max_lr=0.4, total_steps=STEPS, cycle_momentum=False),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_matches_pytorch(name):
    t_opt, m_opt = make_optimizers(momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_sched = SCHEDULES[name](torch.optim.lr_scheduler, t_opt)
        m_sched = SCHEDULES[name](optim.lr_scheduler, m_opt)
        run_both(t_opt, m_opt, [t_sched], [m_sched])


@pytest.mark.parametrize("options", [dict(), dict(three_phase=True, anneal_strategy="linear")])
def test_one_cycle_cycles_adams_beta1_like_pytorch(options):
    t_opt, m_opt = make_optimizers("Adam", betas=(0.9, 0.99))
    t_sched = torch.optim.lr_scheduler.OneCycleLR(t_opt, max_lr=0.01, total_steps=STEPS, **options)
    m_sched = optim.lr_scheduler.OneCycleLR(m_opt, max_lr=0.01, total_steps=STEPS, **options)
    run_both(t_opt, m_opt, [t_sched], [m_sched])
    assert m_opt.param_groups[0]["betas"][1] == 0.99


def test_one_cycle_refuses_too_many_steps_and_optimizers_without_momentum():
    _, m_opt = make_optimizers()
    sched = optim.lr_scheduler.OneCycleLR(m_opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        sched.step()
    adagrad = optim.Adagrad([nn.Parameter(mg.ones(1))])
    with pytest.raises(ValueError, match="momentum or beta1"):
        optim.lr_scheduler.OneCycleLR(adagrad, max_lr=0.1, total_steps=3)
    with pytest.raises(ValueError, match="total_steps OR"):
        optim.lr_scheduler.OneCycleLR(m_opt, max_lr=0.1)


def test_two_schedulers_on_one_optimizer_chain_like_pytorch():
    """PyTorch's schedules are chainable: their factors multiply."""
    t_opt, m_opt = make_optimizers()
    both = []
    for S, opt in ((torch.optim.lr_scheduler, t_opt), (optim.lr_scheduler, m_opt)):
        both.append([S.ExponentialLR(opt, gamma=0.95), S.MultiStepLR(opt, milestones=[10, 25], gamma=0.1)])
    run_both(t_opt, m_opt, both[0], both[1])
    assert m_opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.95 ** STEPS * 0.01, rel=1e-12)


def test_chained_scheduler_and_a_hand_set_lr_like_pytorch():
    t_opt, m_opt = make_optimizers()
    t_chain = torch.optim.lr_scheduler.ChainedScheduler([torch.optim.lr_scheduler.ConstantLR(t_opt, 0.5, 4),
                                                         torch.optim.lr_scheduler.ExponentialLR(t_opt, 0.9)])
    m_chain = optim.lr_scheduler.ChainedScheduler([optim.lr_scheduler.ConstantLR(m_opt, 0.5, 4),
                                                   optim.lr_scheduler.ExponentialLR(m_opt, 0.9)])
    run_both(t_opt, m_opt, [t_chain], [m_chain], steps=10)
    for opt in (t_opt, m_opt):
        opt.param_groups[1]["lr"] = 0.5  # set by hand: the schedule continues from it
    run_both(t_opt, m_opt, [t_chain], [m_chain], steps=10)


def test_step_with_an_epoch_uses_the_closed_form_like_pytorch():
    for make in (lambda S, o: S.StepLR(o, 3, 0.5), lambda S, o: S.CosineAnnealingLR(o, 10, 0.01),
                 lambda S, o: S.MultiStepLR(o, [2, 6]), lambda S, o: S.LinearLR(o, 0.2, 1.0, 5),
                 lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2)):
        t_opt, m_opt = make_optimizers()
        t_sched, m_sched = make(torch.optim.lr_scheduler, t_opt), make(optim.lr_scheduler, m_opt)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in (4, 1, 9, 7.5, 13.25, 30):
                t_sched.step(epoch)
                m_sched.step(epoch)
                assert m_sched.get_last_lr() == pytest.approx(t_sched.get_last_lr(), rel=1e-12)


def test_cosine_annealing_chainable_form_equals_its_closed_form():
    _, m_opt = make_optimizers()
    sched = optim.lr_scheduler.CosineAnnealingLR(m_opt, T_max=10, eta_min=0.001)
    for epoch in range(1, 3 * 10 + 1):
        sched.step()
        closed = [0.001 + (lr - 0.001) * (1 + math.cos(math.pi * epoch / 10)) / 2 for lr in LRS]
        assert sched.get_last_lr() == pytest.approx(closed, rel=1e-12)


PLATEAU = {
    "min-rel": dict(),
    "min-abs-patience": dict(threshold_mode="abs", threshold=0.05, patience=2, factor=0.5),
    "max-cooldown": dict(mode="max", patience=1, cooldown=3, factor=0.5),
    "max-abs-min_lr": dict(mode="max", threshold_mode="abs", patience=0, factor=0.3, min_lr=[0.01, 0.015]),
    "eps": dict(patience=0, factor=0.9, eps=0.003),
}


@pytest.mark.parametrize("name", list(PLATEAU))
def test_reduce_lr_on_plateau_matches_pytorch(name):
    metrics = [1.0, 0.9, 0.85, 0.86, 0.85, 0.849, 0.7, 0.71, 0.72, 0.7, 0.69, 0.69, 0.69, 0.8, 0.6] * 3
    t_opt, m_opt = make_optimizers()
    t_sched = torch.optim.lr_scheduler.ReduceLROnPlateau(t_opt, **PLATEAU[name])
    m_sched = optim.lr_scheduler.ReduceLROnPlateau(m_opt, **PLATEAU[name])
    run_both(t_opt, m_opt, [t_sched], [m_sched], steps=len(metrics), metrics=metrics)
    assert m_opt.param_groups[0]["lr"] < LRS[0]  # it did reduce
    assert m_sched.best == t_sched.best and m_sched.num_bad_epochs == t_sched.num_bad_epochs


def test_reduce_lr_on_plateau_takes_a_tensor_metric_and_checks_arguments():
    _, m_opt = make_optimizers()
    sched = optim.lr_scheduler.ReduceLROnPlateau(m_opt, patience=0)
    sched.step(mg.tensor(1.0))
    sched.step(mg.tensor(2.0))
    assert sched.get_last_lr() == pytest.approx([0.01, 0.002])
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        optim.lr_scheduler.ReduceLROnPlateau(m_opt, factor=1.0)
    with pytest.raises(ValueError, match="mode maximum is unknown"):
        optim.lr_scheduler.ReduceLROnPlateau(m_opt, mode="maximum")
    with pytest.raises(ValueError, match="expected 2 min_lrs"):
        optim.lr_scheduler.ReduceLROnPlateau(m_opt, min_lr=[0.1])


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR-eta_min", "CosineAnnealingWarmRestarts-T_mult",
                                  "SequentialLR", "OneCycleLR-cos", "LambdaLR", "MultiplicativeLR"])
def test_state_dict_resume_matches_an_uninterrupted_pytorch_run(name):
    """Save optimizer + scheduler after 13 steps, load both into fresh ones, continue: PyTorch's numbers."""
    t_opt, m_opt = make_optimizers(momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_sched = SCHEDULES[name](torch.optim.lr_scheduler, t_opt)
        m_sched = SCHEDULES[name](optim.lr_scheduler, m_opt)
        run_both(t_opt, m_opt, [t_sched], [m_sched], steps=13)
        saved_opt, saved_sched = m_opt.state_dict(), m_sched.state_dict()
        assert "optimizer" not in saved_sched and saved_sched["last_epoch"] == 13
        _, fresh_opt = make_optimizers(momentum=0.9)
        fresh_sched = SCHEDULES[name](optim.lr_scheduler, fresh_opt)
        fresh_opt.load_state_dict(saved_opt)
        fresh_sched.load_state_dict(saved_sched)
        run_both(t_opt, fresh_opt, [t_sched], [fresh_sched], steps=STEPS - 13)


def test_resuming_with_last_epoch_needs_initial_lr():
    _, m_opt = make_optimizers()
    with pytest.raises(KeyError, match="initial_lr"):
        optim.lr_scheduler.StepLR(m_opt, 3, last_epoch=5)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        optim.lr_scheduler.ExponentialLR("sgd", 0.9)
