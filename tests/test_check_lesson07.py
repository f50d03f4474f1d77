"""The lesson 07 checkers accept right answers and reject typical wrong ones with a message naming the mistake."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.check import ExerciseFailed, lesson07, reference_solutions

SOLUTIONS = reference_solutions(7)


def test_exercise1_accepts_a_module_list():
    assert lesson07.exercise1(SOLUTIONS.MLP) is True


def test_exercise1_names_layers_in_a_plain_list():
    class ListMLP(nn.Module):
        def __init__(self, n_in, n_hidden, n_out, depth):
            super().__init__()
            sizes = [n_in] + [n_hidden] * depth
            self.hidden = [nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])]
            self.head = nn.Linear(n_hidden, n_out)

        def forward(self, x):
            for layer in self.hidden:
                x = F.relu(layer(x))
            return self.head(x)
    with pytest.raises(ExerciseFailed, match="plain Python list"):
        lesson07.exercise1(ListMLP)


def test_exercise1_names_a_relu_on_the_logits():
    class ReluHead(SOLUTIONS.MLP):
        def forward(self, x):
            return F.relu(super().forward(x))
    with pytest.raises(ExerciseFailed, match="ReLU to the logits"):
        lesson07.exercise1(ReluHead)


def test_exercise2_accepts_the_in_place_step():
    assert lesson07.exercise2(SOLUTIONS.sgd_step) is True


def test_exercise2_names_rebinding_and_missing_no_grad_and_missing_decay():
    def rebinding(parameters, lr, weight_decay):
        for p in parameters:
            p = p - lr * (p.grad + weight_decay * p)       # noqa: F841 - the mistake under test
    with pytest.raises(ExerciseFailed, match="only rebinds the name"):
        lesson07.exercise2(rebinding)
    def recorded(parameters, lr, weight_decay):
        for p in parameters:
            p.sub_(lr * (p.grad + weight_decay * p))
    with pytest.raises(ExerciseFailed, match="no_grad"):
        lesson07.exercise2(recorded)
    def no_decay(parameters, lr, weight_decay):
        with mg.no_grad():
            for p in parameters:
                p.sub_(lr * p.grad)
    with pytest.raises(ExerciseFailed, match="left out the weight decay"):
        lesson07.exercise2(no_decay)


def test_exercise3_accepts_the_global_norm():
    assert lesson07.exercise3(SOLUTIONS.clip_by_global_norm) is True
    assert lesson07.exercise3(nn.utils.clip_grad_norm_) is True


def test_exercise3_names_per_parameter_clipping_and_clipping_below_the_threshold():
    def per_parameter(parameters, max_norm):
        parameters = list(parameters)
        for p in parameters:
            n = float(np.linalg.norm(p.grad.numpy()))
            if n > max_norm:
                with mg.no_grad():
                    p.grad.mul_(max_norm / n)
        return math.sqrt(sum(float(np.sum(p.grad.numpy() ** 2)) for p in parameters))
    with pytest.raises(ExerciseFailed, match="global norm|each parameter"):
        lesson07.exercise3(per_parameter)
    def always_scales(parameters, max_norm):
        parameters = list(parameters)
        norm = math.sqrt(sum(float(np.sum(p.grad.numpy() ** 2)) for p in parameters))
        with mg.no_grad():
            for p in parameters:
                p.grad.mul_(max_norm / norm)
        return norm
    with pytest.raises(ExerciseFailed, match="below max_norm"):
        lesson07.exercise3(always_scales)


def test_exercise4_accepts_the_closed_form():
    assert lesson07.exercise4(SOLUTIONS.warmup_cosine_lr) is True


def test_exercise4_names_a_cosine_that_ignores_the_warm_up():
    def from_zero(s, base_lr, warmup_steps, total_steps, start_factor=0.01, eta_min=0.0):
        if s < warmup_steps:
            return base_lr * (start_factor + (1 - start_factor) * s / warmup_steps)
        return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * s / total_steps)) / 2
    with pytest.raises(ExerciseFailed, match="counts from step 0"):
        lesson07.exercise4(from_zero)
