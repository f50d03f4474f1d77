"""Acceptance: small networks built from minigrad.nn and trained with minigrad.optim really learn.

1. Regression: an MLP 10 -> 100 -> 1 (ReLU, MSE, Adam lr 1e-3) on a synthetic nonlinear target
   reaches a held-out MSE at least 20x below the target's variance.
2. Classification: an MLP with cross-entropy separates a 3-arm 2-D spiral to >= 97% held-out
   accuracy, which a linear model cannot (checked too, so the data set is not trivially easy).
Everything is seeded, so the runs are reproducible.
"""
import numpy as np

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import optim


def regression_data(seed=0, n_train=2000, n_test=1000):
    """y = a linear part + a sine of another direction + an interaction term (variance ~2.4)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_train + n_test, 10)).astype(np.float32)
    w = rng.standard_normal(10) / np.sqrt(10)
    v = rng.standard_normal(10) / np.sqrt(10)
    y = (x @ w + np.sin(2 * x @ v) + 0.5 * x[:, 0] * x[:, 1]).astype(np.float32)[:, None]
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def spiral_data(n_per_class, seed, classes=3, noise=0.1):
    """``classes`` interleaved spiral arms in the plane, each making 1.5 turns."""
    rng = np.random.default_rng(seed)
    points, labels = [], []
    for c in range(classes):
        r = rng.uniform(0.05, 1.0, n_per_class)
        theta = 2 * np.pi * c / classes + 3 * np.pi * r + noise * rng.standard_normal(n_per_class)
        points.append(np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1))
        labels.append(np.full(n_per_class, c))
    return np.concatenate(points).astype(np.float32), np.concatenate(labels)


def train(model, loss_fn, x, y, *, lr, epochs, batch_size, seed=1):
    optimizer = optim.Adam(model.parameters(), lr=lr)
    order = np.random.default_rng(seed)
    for _ in range(epochs):
        perm = order.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = perm[start:start + batch_size]
            loss = loss_fn(model(mg.tensor(x[batch])), mg.tensor(y[batch]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return loss.item()


def test_mlp_regression_beats_target_variance_twentyfold():
    mg.manual_seed(0)
    x_train, y_train, x_test, y_test = regression_data()
    model = nn.Sequential(nn.Linear(10, 100), nn.ReLU(), nn.Linear(100, 1))
    with mg.no_grad():
        before = F.mse_loss(model(mg.tensor(x_test)), mg.tensor(y_test)).item()
    train(model, F.mse_loss, x_train, y_train, lr=1e-3, epochs=40, batch_size=32)
    with mg.no_grad():
        after = F.mse_loss(model(mg.tensor(x_test)), mg.tensor(y_test)).item()
    variance = float(y_test.var())
    assert after * 20 <= variance, f"test MSE {after:.4f} is not 20x below the variance {variance:.4f}"
    assert after < before / 10


def accuracy(model, x, y):
    with mg.no_grad():
        return float((model(mg.tensor(x)).argmax(1).numpy() == y).mean())


def test_mlp_classifies_spiral():
    mg.manual_seed(0)
    x_train, y_train = spiral_data(300, seed=0)
    x_test, y_test = spiral_data(200, seed=1)
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))
    final_loss = train(model, F.cross_entropy, x_train, y_train, lr=1e-2, epochs=50, batch_size=64)
    assert final_loss < 0.2
    assert accuracy(model, x_test, y_test) >= 0.97


def test_linear_model_cannot_classify_spiral():
    """The control: without a hidden layer the spiral is not separable."""
    mg.manual_seed(0)
    x_train, y_train = spiral_data(300, seed=0)
    x_test, y_test = spiral_data(200, seed=1)
    model = nn.Linear(2, 3)
    train(model, F.cross_entropy, x_train, y_train, lr=1e-2, epochs=15, batch_size=64)
    assert accuracy(model, x_test, y_test) < 0.75
