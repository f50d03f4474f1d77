"""Reference solutions for lesson 07. The tests write each one into the notebook in place of its stub."""
import math

import numpy as np

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F


class MLP(nn.Module):
    """depth x (Linear -> ReLU) in self.hidden (an nn.ModuleList), then self.head = Linear(n_hidden, n_out)."""

    def __init__(self, n_in, n_hidden, n_out, depth):
        super().__init__()
        sizes = [n_in] + [n_hidden] * depth
        self.hidden = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])])
        self.head = nn.Linear(n_hidden, n_out)

    def forward(self, x):
        for layer in self.hidden:
            x = F.relu(layer(x))
        return self.head(x)


def sgd_step(parameters, lr, weight_decay):
    with mg.no_grad():
        for p in parameters:
            p.sub_(lr * (p.grad + weight_decay * p))


def clip_by_global_norm(parameters, max_norm):
    parameters = [p for p in parameters if p.grad is not None]
    norm = math.sqrt(sum(float(np.sum(p.grad.numpy().astype(np.float64) ** 2)) for p in parameters))
    if norm > max_norm:
        with mg.no_grad():
            for p in parameters:
                p.grad.mul_(max_norm / norm)
    return norm


def warmup_cosine_lr(s, base_lr, warmup_steps, total_steps, start_factor=0.01, eta_min=0.0):
    if s < warmup_steps:
        return base_lr * (start_factor + (1 - start_factor) * s / warmup_steps)
    progress = (s - warmup_steps) / (total_steps - warmup_steps)
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * progress)) / 2
