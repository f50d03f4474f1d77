"""Fit sin(x) with a + b P3(c + d x), where P3 is a Legendre polynomial written as a custom
autograd Function (forward and backward by hand), updated by hand under no_grad."""
import math

import minigrad as torch


class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


def make_parameters():
    return {"a": torch.full((), 0.0, requires_grad=True), "b": torch.full((), -1.0, requires_grad=True),
            "c": torch.full((), 0.0, requires_grad=True), "d": torch.full((), 0.3, requires_grad=True)}


def train(params, steps=60, learning_rate=5e-6):
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    a, b, c, d = (params[name] for name in "abcd")
    P3 = LegendrePolynomial3.apply
    losses = []
    for t in range(steps):
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for p in (a, b, c, d):
                p -= learning_rate * p.grad
                p.grad.zero_()
    return losses, {name: p.detach() for name, p in params.items()}
