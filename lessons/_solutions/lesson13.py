"""Reference solutions for lesson 13. The tests write each one into the notebook in place of its stub."""
import numpy as np


def gradient_times_input(model, ids, mask, target):
    vectors = model.embed(ids).detach().requires_grad_()
    logits = model.classify(model.encode(vectors, mask), mask)
    logits[0, target].backward()
    return (vectors.grad * vectors.detach()).sum(dim=-1).numpy()[0]


def integrated_gradients(model, ids, mask, target, steps):
    vectors = model.embed(ids).detach()
    total = 0.0
    for k in range(steps):
        point = (vectors * ((k + 0.5) / steps)).detach().requires_grad_()
        model.classify(model.encode(point, mask), mask)[0, target].backward()
        total = total + point.grad.numpy()[0]
    model.zero_grad()
    return (vectors.numpy()[0] * total / steps).sum(axis=-1)


def attention_rollout(weights):
    rollout = None
    for w in weights:
        a = 0.5 * w.mean(axis=0) + 0.5 * np.eye(w.shape[-1])
        a = a / a.sum(axis=-1, keepdims=True)
        rollout = a if rollout is None else a @ rollout
    return rollout
