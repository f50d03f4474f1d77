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

import numpy as np

import minigrad as mg
from minigrad.nn import functional as F

from .loop import TrainOptions, train_loop

IGNORE = -100


def mask_tokens(ids: np.ndarray, mask: np.ndarray, vocab_size: int, mask_id: int, rng,
                probability: float = 0.15, first_word_id: int = 4, span: int = 1):
    """Corrupt a batch for masked-token prediction.

    Returns ``(inputs, targets)``: ``targets`` holds the original id at chosen positions and
    ``IGNORE`` (-100) elsewhere.  Random replacements are drawn from the ordinary words
    (ids ``first_word_id`` and up: never a special token).  At least one position per batch is chosen
    when the batch has any word at all.

    ``span > 1`` (span masking, as in SpanBERT): positions start a span with probability
    ``probability / span`` and each span hides ``span`` consecutive words, so about the same share of
    words is hidden, but a hidden word's neighbours are often hidden too: the model cannot just copy
    a phrase from the words beside it and must use the rest of the sentence.
    """
    candidates = mask.copy()
    candidates[:, 0] = False  # position 0 is <cls>
    if span <= 1:
        chosen = (rng.random(ids.shape) < probability) & candidates
    else:
        starts = (rng.random(ids.shape) < probability / span) & candidates
        chosen = starts.copy()
        for shift in range(1, span):
            chosen[:, shift:] |= starts[:, :-shift]
        chosen &= candidates
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
    """``(loss, logits at the targets, number of correct predictions, number of targets)`` for one corrupted
    batch."""
    hidden = model.encode(model.embed(mg.tensor(inputs, device=device)), mg.tensor(mask, device=device))
    rows, cols = np.nonzero(targets != IGNORE)
    logits = model.mlm_logits(hidden[mg.tensor(rows, device=device), mg.tensor(cols, device=device)])
    wanted = targets[rows, cols]
    loss = F.cross_entropy(logits, mg.tensor(wanted, device=device), ignore_index=IGNORE)
    correct = int((logits.numpy().argmax(axis=1) == wanted).sum())
    return loss, logits, correct, len(wanted)


class MaskedTokenTask:
    """Masked-token prediction as a task for ``loop.train_loop``: batches of unlabelled sentences,
    corrupted afresh every time (from the loop's random stream), scored on held-out sentences."""

    name = "pretrain"
    loss_name = "masked-token cross-entropy"
    val_key = "held_out"

    def __init__(self, encoder, texts, seed, device, held_out_fraction=0.05, span=1):
        self.encoder = encoder
        self.device = device
        self.seed = seed
        self.span = span
        id_lists = encoder.encode_all(texts)
        order = np.random.default_rng(seed).permutation(len(id_lists))
        n_held = max(1, int(len(id_lists) * held_out_fraction)) if len(id_lists) > 20 else 0
        self.held_out = [id_lists[i] for i in order[:n_held]]
        self.train_ids = [id_lists[i] for i in order[n_held:]]

    def steps_per_epoch(self, batch_size):
        return -(-len(self.train_ids) // batch_size)

    def batches(self, epoch, batch_size):
        from .train import batches

        return list(batches(self.train_ids, [0] * len(self.train_ids), self.encoder, batch_size, True,
                            seed=self.seed * 1000 + epoch))

    def loss(self, model, batch, rng, part=None):
        """(mean loss, sentences, correct, targets) of the batch, or of its rows ``part(len(batch))`` (the
        corruption is drawn for the whole batch first); None when there is no target to predict."""
        ids, mask, _ = batch
        vocab = self.encoder.vocab
        inputs, targets = mask_tokens(ids, mask, len(vocab), vocab.mask_id, rng, span=self.span)
        if part is not None:
            rows = part(len(ids))
            ids, inputs, mask, targets = ids[rows], inputs[rows], mask[rows], targets[rows]
        if not (targets != IGNORE).any():
            return None
        loss, logits, correct, count = mlm_loss(model, inputs, mask, targets, self.device)
        return loss, logits, len(ids), correct, count

    def validate(self, model):
        if not self.held_out:
            return {"loss": float("nan"), "accuracy": 0.0}
        return _held_out_score(model, self.encoder, self.held_out, self.device, self.seed, self.span)

    def describe(self, record, epochs):
        held = record["held_out"]
        return (f"pretrain epoch {record['epoch']}/{epochs}: masked-token loss {record['train_loss']:.3f}, "
                f"accuracy {record['train_accuracy']:.3f} | held-out loss {held['loss']:.3f} accuracy "
                f"{held['accuracy']:.3f}")


def pretrain(model, encoder, texts, *, epochs=2, batch_size=64, lr=2e-3, weight_decay=0.01, seed=0,
             device="cpu", held_out_fraction=0.05, progress=True, log=print, span=1, options=None,
             save=None, resume=None, step_hook=None, parallel=None) -> dict:
    """Masked-token pre-training of ``model`` on ``texts`` with the shared loop; returns the history.

    ``options`` (a ``TrainOptions``) overrides the keyword settings; the model ends with the weights
    of the epoch with the best held-out accuracy."""
    if options is None:
        options = TrainOptions(epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay, seed=seed,
                               device=device, progress=progress, unk_dropout=0.0)
    task = MaskedTokenTask(encoder, texts, options.seed, options.device, held_out_fraction, span)
    return train_loop(model, task, options, save=save, resume=resume, log=log, step_hook=step_hook,
                      parallel=parallel)


def _held_out_score(model, encoder, id_lists, device, seed, span=1):
    from .train import batches

    was_training = model.training
    model.eval()
    rng = np.random.default_rng(seed + 99)  # the same corruption every epoch: comparable numbers
    loss_sum = correct = count = 0
    with mg.no_grad():
        for ids, mask, _ in batches(id_lists, [0] * len(id_lists), encoder, 256, False):
            inputs, targets = mask_tokens(ids, mask, len(encoder.vocab), encoder.vocab.mask_id, rng, span=span)
            if not (targets != IGNORE).any():
                continue
            loss, _, batch_correct, batch_count = mlm_loss(model, inputs, mask, targets, device)
            loss_sum += loss.item() * batch_count
            correct += batch_correct
            count += batch_count
    model.train(was_training)
    return {"loss": loss_sum / max(count, 1), "accuracy": correct / max(count, 1)}
