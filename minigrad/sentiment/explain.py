"""Looking inside a prediction: attention heatmaps and gradient-times-input saliency.

Attention: every head of every layer has a (T, T) table of weights; row i says how much position i
took from each position j (each row sums to 1).  We draw one heatmap per layer and head.

Saliency: how much did each word push the score of the predicted class?  With ``e_t`` the vector
of token t (the embedding, before positions are added) and ``s`` the predicted class' logit::

    saliency_t = sum_k  e_t[k] * ds/de_t[k]        ("gradient times input")

It is the first-order Taylor estimate of how ``s`` would change if the word's vector were removed
(set to zero): positive = the word argued *for* the prediction, negative = *against* it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

import minigrad as mg

GREEN, RED, BOLD, RESET = "\033[32m", "\033[31m", "\033[1m", "\033[0m"


def saliency(model, encoder, text, device="cpu"):
    """``(tokens, scores (T,), probabilities (C,), predicted class)`` for one sentence."""
    ids, mask = encoder.batch([encoder.encode(text)])
    ids_t, mask_t = mg.tensor(ids, device=device), mg.tensor(mask, device=device)
    model.eval()
    vectors = model.embed(ids_t).detach().requires_grad_()      # a leaf: its .grad is ds/de
    logits = model.classify(model.encode(vectors, mask_t), mask_t)
    probabilities = mg.softmax(logits.double(), dim=-1).numpy()[0]
    predicted = int(probabilities.argmax())
    logits[0, predicted].backward()
    scores = (vectors.grad * vectors.detach()).sum(dim=-1).numpy()[0]
    model.zero_grad()
    return encoder.tokens(text), scores, probabilities, predicted


def colour_line(tokens, scores, colour=True) -> str:
    """Tokens coloured by saliency: green pushed toward the prediction, red against; bold = strong."""
    biggest = float(np.abs(scores).max()) or 1.0
    parts = []
    for token, score in zip(tokens, scores):
        if not colour:
            parts.append(f"{token}({score:+.2f})")
            continue
        strength = abs(score) / biggest
        if strength < 0.15:
            parts.append(token)
        else:
            style = (GREEN if score > 0 else RED) + (BOLD if strength >= 0.5 else "")
            parts.append(f"{style}{token}{RESET}")
    return " ".join(parts)


def attention_heatmaps(model, encoder, text, out_dir, device="cpu") -> list:
    """Write ``attention_layer{L}_head{H}.png`` for every layer and head; returns the paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tokens = encoder.tokens(text)
    ids, mask = encoder.batch([encoder.encode(text)])
    model.eval()
    with mg.no_grad():
        _, per_layer = model.attention_weights(mg.tensor(ids, device=device), mg.tensor(mask, device=device))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    size = max(3.0, 0.45 * len(tokens) + 1.5)
    for layer, weights in enumerate(per_layer):
        weights = weights.numpy()[0]                              # (heads, T, T)
        for head in range(weights.shape[0]):
            figure, axes = plt.subplots(figsize=(size, size))
            image = axes.imshow(weights[head], cmap="viridis", vmin=0.0, vmax=1.0)
            axes.set_xticks(range(len(tokens)), tokens, rotation=90)
            axes.set_yticks(range(len(tokens)), tokens)
            axes.set_xlabel("attended-to token (key)")
            axes.set_ylabel("attending token (query)")
            axes.set_title(f"layer {layer}, head {head}")
            figure.colorbar(image, ax=axes, fraction=0.046)
            figure.tight_layout()
            path = out_dir / f"attention_layer{layer}_head{head}.png"
            figure.savefig(path, dpi=80)
            plt.close(figure)
            paths.append(path)
    return paths
