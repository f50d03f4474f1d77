"""Learning-rate schedules against their closed forms."""
import math

import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.optim import lr_scheduler


def make_optimizer(lr=0.1, groups=1):
    params = [{"params": [nn.Parameter(mg.ones(1))], "lr": lr * (i + 1)} for i in range(groups)]
    return optim.SGD(params, lr=lr)


def lrs(scheduler, steps):
    """The lr of group 0 before each of ``steps`` optimizer steps."""
    seen = []
    for _ in range(steps):
        seen.append(scheduler.optimizer.param_groups[0]["lr"])
        scheduler.optimizer.step()
        scheduler.step()
    return seen


def test_step_lr():
    sched = lr_scheduler.StepLR(make_optimizer(), step_size=3, gamma=0.5)
    assert lrs(sched, 8) == pytest.approx([0.1 * 0.5 ** (e // 3) for e in range(8)])


def test_cosine_annealing_lr():
    sched = lr_scheduler.CosineAnnealingLR(make_optimizer(), T_max=10, eta_min=0.01)
    expected = [0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * e / 10)) / 2 for e in range(11)]
    assert lrs(sched, 11) == pytest.approx(expected)
    assert expected[-1] == pytest.approx(0.01)


def test_linear_lr_warmup_then_constant():
    sched = lr_scheduler.LinearLR(make_optimizer(), start_factor=0.25, end_factor=1.0, total_iters=4)
    assert lrs(sched, 7) == pytest.approx([0.025, 0.04375, 0.0625, 0.08125, 0.1, 0.1, 0.1])


def test_lambda_lr_with_one_function_per_group():
    opt = make_optimizer(groups=2)
    sched = lr_scheduler.LambdaLR(opt, [lambda e: 1 / (e + 1), lambda e: 0.9 ** e])
    for epoch in range(5):
        assert sched.get_last_lr() == pytest.approx([0.1 / (epoch + 1), 0.2 * 0.9 ** epoch])
        assert opt.param_groups[1]["lr"] == pytest.approx(0.2 * 0.9 ** epoch)
        sched.step()


def test_warmup_cosine_is_linear_then_cosine():
    opt = make_optimizer(lr=1.0)
    sched = lr_scheduler.warmup_cosine(opt, warmup_steps=4, total_steps=12, start_factor=0.2, eta_min=0.0)
    seen = lrs(sched, 13)
    warm = [0.2 + 0.8 * e / 4 for e in range(4)]
    cosine = [(1 + math.cos(math.pi * e / 8)) / 2 for e in range(9)]
    assert seen == pytest.approx(warm + cosine)


def test_sequential_lr_with_step_then_constant():
    opt = make_optimizer()
    first = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    second = lr_scheduler.LinearLR(opt, start_factor=1.0, end_factor=1.0, total_iters=1)
    sched = lr_scheduler.SequentialLR(opt, [first, second], milestones=[3])
    assert lrs(sched, 6) == pytest.approx([0.1, 0.05, 0.025, 0.1, 0.1, 0.1])


def test_scheduler_state_dict_resumes():
    opt = make_optimizer()
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=20)
    lrs(sched, 7)
    state = sched.state_dict()
    assert state["last_epoch"] == 7 and "optimizer" not in state
    # As in PyTorch, the schedules are chainable (they continue from the optimizer's current lr),
    # so resuming restores the optimizer's state (which holds the lr) as well as the scheduler's.
    fresh_optimizer = make_optimizer()
    fresh = lr_scheduler.CosineAnnealingLR(fresh_optimizer, T_max=20)
    fresh_optimizer.load_state_dict(opt.state_dict())
    fresh.load_state_dict(state)
    fresh.step()
    sched.step()
    assert fresh.get_last_lr() == pytest.approx(sched.get_last_lr())


def test_bad_arguments():
    with pytest.raises(ValueError):
        lr_scheduler.StepLR(make_optimizer(), step_size=0)
    with pytest.raises(ValueError):
        lr_scheduler.warmup_cosine(make_optimizer(), warmup_steps=10, total_steps=5)
    opt = make_optimizer()
    with pytest.raises(ValueError, match="milestones"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(opt, 1)], milestones=[2])
