"""Fit y = sin(x) with a cubic a + b x + c x^2 + d x^3, using tensors, autograd and a hand-written
gradient-descent step (the "Learning PyTorch with Examples" way: no nn, no optim)."""
import math

import minigrad as torch

dtype = torch.float


def make_parameters():
    return {name: torch.randn((), dtype=dtype, requires_grad=True) for name in "abcd"}


def train(params, steps=60, learning_rate=1e-6):
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
    y = torch.sin(x)
    a, b, c, d = (params[name] for name in "abcd")
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return losses, {name: p.detach() for name, p in params.items()}
