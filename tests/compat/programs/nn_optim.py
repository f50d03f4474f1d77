"""The same cubic fit with nn.Sequential(Linear, Flatten), nn.MSELoss and an optimizer (RMSprop,
then SGD with momentum for a second model), as in the tutorial's nn and optim sections."""
import math

import minigrad as torch
import minigrad.nn as nn


def make_model():
    return torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))


def features():
    x = torch.linspace(-math.pi, math.pi, 2000)
    p = torch.tensor([1, 2, 3])
    return x.unsqueeze(-1).pow(p), torch.sin(x)


def train(model, steps=25):
    xx, y = features()
    loss_fn = nn.MSELoss(reduction="sum")
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    losses = []
    for t in range(steps):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    second = torch.optim.SGD(model.parameters(), lr=1e-6, momentum=0.9)
    for t in range(steps):
        loss = loss_fn(model(xx), y)
        losses.append(loss.item())
        second.zero_grad()
        loss.backward()
        second.step()
    linear_layer = model[0]
    return losses, {"weight": linear_layer.weight.detach(), "bias": linear_layer.bias.detach()}
