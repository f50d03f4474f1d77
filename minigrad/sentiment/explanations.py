"""Every explanation of one prediction, side by side, as plain JSON-ready data (what ``POST /explain`` answers).

Three methods give one score per token (after ``<cls>``), all signed the same way: positive = the
token argued *for* the predicted class, negative = *against* it.

* ``saliency``  gradient x input of the predicted class' logit (``explain.saliency``; logit units);
* ``occlusion`` the drop in the predicted class' probability when the token is removed (``perturbation``);
* ``lime``      the token's weight in a linear surrogate fitted to random removals (``perturbation``).

They measure different things (a derivative at the sentence, one removal, many removals), so
where they *agree* is the interesting part: ``agreement`` gives Spearman's rank correlation of each
pair (1 = same order of importance, 0 = unrelated, -1 = reversed), and the LIME fit's R^2 says
whether the model behaves linearly enough near the sentence for per-token scores to mean much.

``attention`` is what each head looked at, per layer: ``weights[layer][head][i][j]`` = how much
token ``i`` took from token ``j`` (each row sums to 1; rounded to 4 decimals).
"""
from __future__ import annotations

import numpy as np

import minigrad as mg

from .explain import saliency
from .perturbation import lime, occlusion

ATTENTION_DECIMALS = 4


def ranks(values) -> np.ndarray:
    """Ranks 1..n of ``values``, ties sharing their average rank (as Spearman's rho needs)."""
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, kind="stable")
    ranked = np.empty(len(values))
    ranked[order] = np.arange(1, len(values) + 1)
    for value in np.unique(values):
        tied = values == value
        ranked[tied] = ranked[tied].mean()
    return ranked


def spearman(a, b) -> float | None:
    """Spearman's rank correlation of two score vectors; None with fewer than 2 tokens or a constant one."""
    if len(a) < 2:
        return None
    ra, rb = ranks(a), ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    scale = np.sqrt(np.sum(ra ** 2) * np.sum(rb ** 2))
    return None if scale == 0 else float(np.sum(ra * rb) / scale)


def attention(model, encoder, text, device="cpu") -> list:
    """``[layer][head][query][key]`` attention weights for one sentence (nested lists, rounded)."""
    ids, mask = encoder.batch([encoder.encode(text)])
    with mg.no_grad():
        _, per_layer = model.attention_weights(mg.tensor(ids, device=device), mg.tensor(mask, device=device))
    return [np.round(weights.numpy()[0].astype(np.float64), ATTENTION_DECIMALS).tolist() for weights in per_layer]


def explain_sentence(model, encoder, text, label_names, samples=300, seed=0, device="cpu") -> dict:
    """The prediction for ``text``, its three explanations, their agreement and the attention weights."""
    tokens, gradient_scores, probabilities, predicted = saliency(model, encoder, text, device)
    methods = {
        "saliency": np.asarray(gradient_scores[1:], dtype=np.float64),    # [0] is <cls>, never removed
        "occlusion": occlusion(model, encoder, text, predicted, device),
    }
    surrogate = lime(model, encoder, text, predicted, samples, seed, device)
    methods["lime"] = surrogate.weights
    names = list(methods)
    agreement = {f"{a}~{b}": spearman(methods[a], methods[b]) for i, a in enumerate(names) for b in names[i + 1:]}
    return {
        "text": text,
        "label": label_names[predicted],
        "probability": float(probabilities[predicted]),
        "probabilities": {name: float(p) for name, p in zip(label_names, probabilities)},
        "tokens": tokens,
        "truncated": len(encoder.split(text)) > encoder.max_len - 1,
        "methods": {name: [float(s) for s in scores] for name, scores in methods.items()},
        "lime": {"intercept": surrogate.intercept, "r2": surrogate.r2, "samples": surrogate.samples, "seed": seed},
        "agreement": agreement,
        "attention": attention(model, encoder, text, device),
    }
