"""Reference solutions for lesson 03. The tests write each one into the notebook in place of its stub."""
import numpy as np

import minigrad as mg


def bce_with_logits(z, y):
    return (z.relu() - z * y + (1 + (-z.abs()).exp()).log()).mean()


def cross_entropy(logits, target):
    m = logits.max(dim=1, keepdim=True).values
    lse = m.squeeze(1) + (logits - m).exp().sum(dim=1).log()
    picked = logits[mg.arange(logits.shape[0]), target]
    return (lse - picked).mean()


def multi_hinge(scores, target, margin=1.0):
    n, c = scores.shape
    correct = scores[mg.arange(n), target].unsqueeze(1)
    margins = (scores - correct + margin).relu()
    not_target = mg.tensor(np.arange(c)[None, :] != target.numpy()[:, None]).to(scores.dtype)
    return (margins * not_target).sum() / (n * c)
