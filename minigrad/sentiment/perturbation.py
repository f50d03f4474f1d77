"""Explaining a prediction by taking words out: occlusion and a LIME-style local surrogate.

Gradient-times-input (``explain.py``) asks the model's *derivative*; these two ask the model
itself.  Both remove tokens from the sentence (the ``<cls>`` token always stays), run the model on
what is left, and watch ``p``, the probability of the class predicted for the whole sentence.
Removing (rather than replacing with ``<unk>``) is what LIME does for text; the later words move
up one position, as they would if the sentence had been written without the word.

**Occlusion**, one token out at a time::

    occlusion_t = p(sentence) - p(sentence without token t)

positive: without the token the prediction loses support, so the token argued *for* it.

**Local surrogate** (LIME, Ribeiro et al. 2016, "Why should I trust you?").  Draw ``N`` random
subsets of the ``n`` tokens; ``z_i`` in {0, 1}^n says which tokens sample ``i`` keeps (sample 0
keeps all of them; each other one drops ``r`` tokens, ``r`` uniform in 1..n).  Fit a straight line
``p(z) ~ b + sum_t w_t z_t`` by weighted least squares, trusting the samples near the sentence more::

    d(z)  = 1 - sqrt(|z| / n)                 cosine distance between z and all-ones (|z| = tokens kept)
    pi(z) = sqrt(exp(-d(z)^2 / width^2))      LIME's text kernel (width 0.25 here = its 25 on distances x 100)
    w, b  = argmin_{w, b}  sum_i pi(z_i) (p(z_i) - b - w . z_i)^2

solved as an ordinary least-squares problem on rows scaled by ``sqrt(pi)`` (``numpy.linalg.lstsq``).
``w_t`` is the token's local effect on ``p`` (same sign convention as occlusion).  The weighted
``R^2`` of the fit says how much of the model's behaviour near this sentence a straight line
explains: a low ``R^2`` means the tokens interact (e.g. "not" + "good"), and then no single score
per token tells the whole story.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .train import predict_proba_ids

KERNEL_WIDTH = 0.25


def probabilities_keeping(model, encoder, ids, keep, device="cpu") -> np.ndarray:
    """Class probabilities ``(N, C)`` of the sentence ``ids`` (``<cls>`` first) with only the
    tokens ``ids[1:][keep[i]]`` left, for each row ``keep[i]`` of the ``(N, n)`` bool array."""
    cls, tokens = ids[0], np.asarray(ids[1:], dtype=np.int64)
    id_lists = [[cls] + tokens[row].tolist() for row in np.asarray(keep, dtype=bool)]
    return predict_proba_ids(model, encoder, id_lists, device=device)


def occlusion(model, encoder, text, target, device="cpu") -> np.ndarray:
    """``p(sentence) - p(sentence without token t)`` for each token after ``<cls>`` (``(n,)``);
    ``p`` is the probability of class ``target``."""
    ids = encoder.encode(text)
    n = len(ids) - 1
    keep = np.vstack([np.ones((1, n), dtype=bool), ~np.eye(n, dtype=bool)])   # row 0: the whole sentence
    p = probabilities_keeping(model, encoder, ids, keep, device)[:, target]
    return p[0] - p[1:]


@dataclass
class Surrogate:
    """A linear model ``p(z) ~ intercept + weights . z`` fitted near one sentence."""
    weights: np.ndarray          # (n,) one per token
    intercept: float
    r2: float | None             # weighted R^2 of the fit; None when p did not vary over the samples
    samples: int


def perturbation_masks(n, samples, rng) -> np.ndarray:
    """``(samples, n)`` bool: row 0 keeps every token; each other row drops ``r ~ U{1..n}`` of them."""
    keep = np.ones((samples, n), dtype=bool)
    for row in range(1, samples):
        dropped = rng.choice(n, size=rng.integers(1, n + 1), replace=False)
        keep[row, dropped] = False
    return keep


def local_surrogate(predict, n, samples=300, seed=0, width=KERNEL_WIDTH) -> Surrogate:
    """Fit the weighted linear surrogate (module docstring) to ``predict``, a function from a
    ``(N, n)`` bool keep-mask to the ``(N,)`` probabilities of the explained class.  Seeded: the
    same ``seed`` draws the same subsets, so the same model gives the same weights."""
    if n == 0:
        return Surrogate(np.zeros(0), float(predict(np.ones((1, 0), dtype=bool))[0]), None, 1)
    keep = perturbation_masks(n, samples, np.random.default_rng(seed))
    y = np.asarray(predict(keep), dtype=np.float64)
    distance = 1.0 - np.sqrt(keep.sum(axis=1) / n)
    pi = np.sqrt(np.exp(-distance ** 2 / width ** 2))
    design = np.hstack([np.ones((samples, 1)), keep.astype(np.float64)])      # column 0: the intercept
    root = np.sqrt(pi)[:, None]
    solution, *_ = np.linalg.lstsq(design * root, y * root[:, 0], rcond=None)
    residual = y - design @ solution
    mean = np.sum(pi * y) / np.sum(pi)
    spread = np.sum(pi * (y - mean) ** 2)
    r2 = None if spread <= 1e-15 else float(1.0 - np.sum(pi * residual ** 2) / spread)
    return Surrogate(solution[1:], float(solution[0]), r2, samples)


def lime(model, encoder, text, target, samples=300, seed=0, device="cpu") -> Surrogate:
    """``local_surrogate`` of the model's probability of class ``target`` around ``text``."""
    ids = encoder.encode(text)

    def predict(keep):
        return probabilities_keeping(model, encoder, ids, keep, device)[:, target]

    return local_surrogate(predict, len(ids) - 1, samples, seed)
