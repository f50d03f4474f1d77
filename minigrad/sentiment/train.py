"""Training the classifier: the sentiment task for the shared loop (``loop.py``), evaluation, prediction, curves.

One optimisation step of the classification task::

    ids, mask, labels = next batch          (similar lengths together: less padding to compute)
    ids = replace_with_unk(ids, unk_dropout) (word dropout: the model learns to read unknown words)
    loss = cross_entropy(model(ids, mask), labels, label_smoothing)

The loop around it (AdamW, warm-up + cosine schedule, clipping, weight average, validation after
every epoch, the best weights kept, early stopping, checkpoints, resume) is ``loop.train_loop``,
the same one that ``pretrain`` uses.
"""
from __future__ import annotations

import numpy as np

import minigrad as mg
from minigrad.data import BucketBatchSampler
from minigrad.nn import functional as F

from .loop import TrainingInterrupted, TrainOptions, WeightAverage, train_loop
from .metrics import classification_metrics, format_metrics

__all__ = ["TrainOptions", "TrainingInterrupted", "WeightAverage", "fit", "evaluate", "predict_proba",
           "predict_proba_ids", "predict_logits_ids", "batches", "replace_with_unk", "plot_curves",
           "ClassificationTask"]


def replace_with_unk(ids: np.ndarray, mask: np.ndarray, probability: float, unk_id: int, rng) -> np.ndarray:
    """Word dropout: each real word (not the <cls> at position 0) becomes <unk> with ``probability``."""
    if probability <= 0:
        return ids
    hit = (rng.random(ids.shape) < probability) & mask
    hit[:, 0] = False
    return np.where(hit, unk_id, ids)


def batches(id_lists, labels, encoder, batch_size, shuffle, seed=0, with_rows=False):
    """Yield ``(ids, mask, labels)`` NumPy batches (``with_rows``: and the rows of ``id_lists`` they hold,
    ``(ids, mask, labels, rows)``); with ``shuffle`` the batches group similar lengths."""
    sampler = BucketBatchSampler([len(x) for x in id_lists], batch_size, shuffle=shuffle, seed=seed)
    for indices in sampler:
        ids, mask = encoder.batch([id_lists[i] for i in indices])
        batch = ids, mask, np.asarray([labels[i] for i in indices], dtype=np.int64)
        yield batch + (np.asarray(indices, dtype=np.int64),) if with_rows else batch


def predict_proba(model, encoder, texts, batch_size=256, device="cpu") -> np.ndarray:
    """Class probabilities ``(len(texts), num_classes)`` in the order of ``texts``."""
    id_lists = encoder.encode_all(texts)
    return predict_proba_ids(model, encoder, id_lists, batch_size, device)


def predict_proba_ids(model, encoder, id_lists, batch_size=256, device="cpu") -> np.ndarray:
    logits = predict_logits_ids(model, encoder, id_lists, batch_size, device)
    return F.softmax(mg.tensor(logits), dim=-1).numpy()


def predict_logits_ids(model, encoder, id_lists, batch_size=256, device="cpu") -> np.ndarray:
    """Logits ``(len(id_lists), num_classes)`` (float64) in eval mode, in the order of ``id_lists``."""
    was_training = model.training
    model.eval()
    order = np.argsort([len(x) for x in id_lists], kind="stable")  # similar lengths together
    out = np.zeros((len(id_lists), model.config["num_classes"]), dtype=np.float64)
    with mg.no_grad():
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            ids, mask = encoder.batch([id_lists[i] for i in chunk])
            out[chunk] = model(mg.tensor(ids, device=device), mg.tensor(mask, device=device)).double().numpy()
    model.train(was_training)
    return out


def evaluate(model, encoder, split, device="cpu", num_classes=2) -> dict:
    """Metrics of ``model`` on a ``datasets.Split`` (plus per-kind accuracy when the split has kinds)."""
    probabilities = predict_proba(model, encoder, split.texts, device=device)
    predictions = probabilities.argmax(axis=1)
    metrics = classification_metrics(split.labels, predictions, num_classes)
    if split.kinds is not None:
        kinds = np.asarray(split.kinds)
        correct = predictions == np.asarray(split.labels)
        metrics["per_kind"] = {kind: float(correct[kinds == kind].mean()) for kind in sorted(set(split.kinds))}
    return metrics


class ClassificationTask:
    """The sentiment labels as a task for ``train_loop``: batches, loss, validation."""

    name = "epoch"
    loss_name = "cross-entropy"
    val_key = "val"
    unused_parameters = ("mlm_bias",)   # the masked-token head's bias: pre-training only

    def __init__(self, encoder, train, val, options: TrainOptions):
        self.encoder = encoder
        self.train_ids = encoder.encode_all(train.texts)
        self.labels = train.labels
        self.val = val
        self.options = options

    def steps_per_epoch(self, batch_size):
        return -(-len(self.train_ids) // batch_size)

    def batches(self, epoch, batch_size):
        """``(ids, mask, labels, rows)``: ``rows`` are the batch's rows of ``train`` (for a loss hook)."""
        return list(batches(self.train_ids, self.labels, self.encoder, batch_size, True,
                            seed=self.options.seed * 1000 + epoch, with_rows=True))

    def loss(self, model, batch, rng, part=None):
        """(mean loss, logits, examples, correct, count) of the batch, or of its rows ``part(len(labels))`` (one
        process's share: the word dropout is drawn for the whole batch first, so every share of it is the
        same as in one process); None for an empty share."""
        ids, mask, labels, _ = batch   # the last item, the batch's rows of ``train``, is for a loss hook
        ids = replace_with_unk(ids, mask, self.options.unk_dropout, self.encoder.vocab.unk_id, rng)
        if part is not None:
            rows = part(len(labels))
            ids, mask, labels = ids[rows], mask[rows], labels[rows]
            if not len(labels):
                return None
        device = self.options.device
        logits = model(mg.tensor(ids, device=device), mg.tensor(mask, device=device))
        loss = F.cross_entropy(logits, mg.tensor(labels, device=device), label_smoothing=self.options.label_smoothing)
        correct = int((logits.numpy().argmax(axis=1) == labels).sum())
        return loss, logits, len(labels), correct, len(labels)

    def validate(self, model):
        return evaluate(model, self.encoder, self.val, self.options.device, model.config["num_classes"])

    def describe(self, record, epochs):
        return (f"epoch {record['epoch']}/{epochs}: train loss {record['train_loss']:.4f} acc "
                f"{record['train_accuracy']:.4f} | val {format_metrics(record['val'])}")


def fit(model, encoder, train, val, options: TrainOptions, *, save=None, resume=None, log=print,
        step_hook=None, parallel=None, loss_hook=None) -> dict:
    """Train ``model`` on ``train`` (a Split), validate on ``val`` after each epoch, end with the best
    weights; returns the history for metrics.json.  ``save``/``resume``/``step_hook``/``parallel``/``loss_hook``:
    see ``train_loop`` (a loss hook gets the logits and the batch, whose last item holds the rows of ``train``)."""
    return train_loop(model, ClassificationTask(encoder, train, val, options), options, save=save, resume=resume,
                      log=log, step_hook=step_hook, parallel=parallel, loss_hook=loss_hook)


def plot_curves(history: dict, path) -> None:
    """Loss per step (and its running mean) on the left, train/val accuracy per epoch on the right."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    losses = np.asarray(history["step_loss"])
    left.plot(losses, alpha=0.3, label="batch loss")
    if len(losses) >= 10:
        window = max(1, len(losses) // 50)
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
        left.plot(np.arange(window - 1, len(losses)), smooth, label=f"mean of {window}")
    left.set_xlabel("step")
    left.set_ylabel(history.get("loss_name", "cross-entropy"))
    left.legend()
    epochs = [r["epoch"] for r in history["epochs"]]
    right.plot(epochs, [r["train_accuracy"] for r in history["epochs"]], "o-", label="train")
    if history["epochs"] and "val" in history["epochs"][0]:
        right.plot(epochs, [r["val"]["accuracy"] for r in history["epochs"]], "o-", label="validation")
    right.set_xlabel("epoch")
    right.set_ylabel("accuracy")
    right.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
