"""Masked-token pre-training (the BERT recipe, small): learn from sentences *without* labels.

For every batch:

1. choose 15% of the real words (never <cls> or <pad>) as prediction targets;
2. of the chosen positions, 80% are replaced by ``<mask>``, 10% by a random word, 10% keep their
   word (so the model cannot learn "only <mask> positions matter");
3. the encoder reads the corrupted sentence and, at each chosen position, scores every word of the
   vocabulary (``model.mlm_logits``: the embedding matrix, tied);
4. loss = cross-entropy between those scores and the original words.

The loss is the mean over chosen positions only.  Written over all positions it is
``cross_entropy(all_logits, targets, ignore_index=-100)`` with ``targets = -100`` wherever nothing
was chosen; we gather the chosen positions first (``hidden[rows, cols]``), which gives the same
number and gradient while scoring ~7x fewer positions against the whole vocabulary.

The encoder learns which words fit which contexts; fine-tuning (``train --init RUN``) starts from
these weights instead of random ones.
"""
from __future__ import annotations

import math
import time

import numpy as np

import minigrad as mg
from minigrad.nn import functional as F
from minigrad.optim import AdamW
from minigrad.optim.lr_scheduler import warmup_cosine

IGNORE = -100


def mask_tokens(ids: np.ndarray, mask: np.ndarray, vocab_size: int, mask_id: int, rng,
                probability: float = 0.15, first_word_id: int = 4):
    """Corrupt a batch for masked-token prediction.

    Returns ``(inputs, targets)``: ``targets`` holds the original id at chosen positions and
    ``IGNORE`` (-100) elsewhere.  Random replacements are drawn from the ordinary words
    (ids ``first_word_id`` and up: never a special token).  At least one position per batch is chosen
    when the batch has any word at all.
    """
    candidates = mask.copy()
    candidates[:, 0] = False  # position 0 is <cls>
    chosen = (rng.random(ids.shape) < probability) & candidates
    if not chosen.any() and candidates.any():
        rows, cols = np.nonzero(candidates)
        pick = rng.integers(len(rows))
        chosen[rows[pick], cols[pick]] = True
    targets = np.where(chosen, ids, IGNORE)
    roll = rng.random(ids.shape)
    inputs = ids.copy()
    inputs[chosen & (roll < 0.8)] = mask_id
    randomised = chosen & (roll >= 0.8) & (roll < 0.9)
    inputs[randomised] = rng.integers(first_word_id, max(vocab_size, first_word_id + 1), size=int(randomised.sum()))
    return inputs, targets


def mlm_loss(model, inputs, mask, targets, device="cpu"):
    """``(loss, number of correct predictions, number of targets)`` for one corrupted batch."""
    hidden = model.encode(model.embed(mg.tensor(inputs, device=device)), mg.tensor(mask, device=device))
    rows, cols = np.nonzero(targets != IGNORE)
    logits = model.mlm_logits(hidden[mg.tensor(rows, device=device), mg.tensor(cols, device=device)])
    wanted = targets[rows, cols]
    loss = F.cross_entropy(logits, mg.tensor(wanted, device=device), ignore_index=IGNORE)
    correct = int((logits.numpy().argmax(axis=1) == wanted).sum())
    return loss, correct, len(wanted)


def pretrain(model, encoder, texts, *, epochs=2, batch_size=64, lr=2e-3, weight_decay=0.01, seed=0,
             device="cpu", held_out_fraction=0.05, progress=True, log=print) -> dict:
    """Masked-token pre-training of ``model`` on ``texts``; returns a history for metrics.json."""
    from tqdm.auto import tqdm

    from minigrad.nn.utils import clip_grad_norm_

    from .train import batches

    model.to(device)
    rng = np.random.default_rng(seed)
    id_lists = encoder.encode_all(texts)
    order = rng.permutation(len(id_lists))
    n_held = max(1, int(len(id_lists) * held_out_fraction)) if len(id_lists) > 20 else 0
    held_out = [id_lists[i] for i in order[:n_held]]
    train_ids = [id_lists[i] for i in order[n_held:]]
    dummy_labels = [0] * len(train_ids)
    vocab = encoder.vocab
    params = list(model.parameters())
    optimizer = AdamW([{"params": [p for p in params if p.ndim >= 2], "weight_decay": weight_decay},
                       {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0}], lr=lr)
    total = max(2, math.ceil(len(train_ids) / batch_size) * epochs)
    scheduler = warmup_cosine(optimizer, min(max(1, total // 10), total - 1), total)
    history = {"loss_name": "masked-token cross-entropy", "step_loss": [], "epochs": []}
    for epoch in range(1, epochs + 1):
        model.train()
        began = time.perf_counter()
        loss_sum = correct = count = seen = 0
        bar = tqdm(total=len(train_ids), desc=f"pretrain {epoch}/{epochs}", unit="sent", disable=not progress,
                   leave=False, dynamic_ncols=True)
        for ids, mask, _ in batches(train_ids, dummy_labels, encoder, batch_size, True, seed=seed * 1000 + epoch):
            inputs, targets = mask_tokens(ids, mask, len(vocab), vocab.mask_id, rng)
            if not (targets != IGNORE).any():
                continue
            loss, batch_correct, batch_count = mlm_loss(model, inputs, mask, targets, device)
            optimizer.zero_grad()
            loss.backward()
            clip_grad_norm_(params, 1.0)
            optimizer.step()
            scheduler.step()
            history["step_loss"].append(loss.item())
            loss_sum += loss.item() * batch_count
            correct += batch_correct
            count += batch_count
            seen += len(ids)
            bar.update(len(ids))
            bar.set_postfix(loss=f"{loss_sum / count:.3f}", acc=f"{correct / count:.3f}",
                            sent_per_s=f"{seen / (time.perf_counter() - began):.0f}")
        bar.close()
        record = {"epoch": epoch, "train_loss": loss_sum / max(count, 1), "train_accuracy": correct / max(count, 1),
                  "seconds": time.perf_counter() - began}
        if held_out:
            record["held_out"] = _held_out_score(model, encoder, held_out, device, seed)
        history["epochs"].append(record)
        log(f"pretrain epoch {epoch}: masked-token loss {record['train_loss']:.3f}, "
            f"accuracy {record['train_accuracy']:.3f}"
            + (f" | held-out loss {record['held_out']['loss']:.3f} accuracy {record['held_out']['accuracy']:.3f}"
               if held_out else "") + f" | {record['seconds']:.1f}s")
    return history


def _held_out_score(model, encoder, id_lists, device, seed):
    from .train import batches

    model.eval()
    rng = np.random.default_rng(seed + 99)  # the same corruption every epoch: comparable numbers
    loss_sum = correct = count = 0
    with mg.no_grad():
        for ids, mask, _ in batches(id_lists, [0] * len(id_lists), encoder, 256, False):
            inputs, targets = mask_tokens(ids, mask, len(encoder.vocab), encoder.vocab.mask_id, rng)
            if not (targets != IGNORE).any():
                continue
            loss, batch_correct, batch_count = mlm_loss(model, inputs, mask, targets, device)
            loss_sum += loss.item() * batch_count
            correct += batch_correct
            count += batch_count
    model.train()
    return {"loss": loss_sum / max(count, 1), "accuracy": correct / max(count, 1)}
