"""The training loop: mini-batches, AdamW, warm-up + cosine learning rate, validation, checkpoints.

One optimisation step::

    ids, mask, labels = next batch          (similar lengths together: less padding to compute)
    loss = cross_entropy(model(ids, mask), labels, label_smoothing)
    loss.backward()
    clip_grad_norm_(params, clip_norm)      (one rare huge gradient cannot throw the weights away)
    optimizer.step()                        (AdamW: Adam + decoupled weight decay)
    scheduler.step()                        (lr: linear warm-up over the first steps, then a cosine to 0)

After every epoch the model is scored on the validation sentences; the weights of the best
epoch so far are written to the run folder, and reloaded at the end.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np

import minigrad as mg
from minigrad.data import BucketBatchSampler
from minigrad.nn import functional as F
from minigrad.optim import AdamW
from minigrad.nn.utils import clip_grad_norm_
from minigrad.optim.lr_scheduler import warmup_cosine

from . import run_folder
from .metrics import classification_metrics, format_metrics


@dataclass
class TrainOptions:
    epochs: int = 6
    batch_size: int = 32
    lr: float = 3e-3
    weight_decay: float = 0.01
    warmup_fraction: float = 0.1
    label_smoothing: float = 0.0
    clip_norm: float = 1.0
    ema_decay: float = 0.0      # > 0: validate and keep an exponential moving average of the weights
    unk_dropout: float = 0.1    # fraction of training words replaced by <unk> (teaches the model unseen words)
    seed: int = 0
    device: str = "cpu"
    progress: bool = True


class WeightAverage:
    """An exponential moving average of the weights (Polyak averaging):

        avg = decay * avg + (1 - decay) * w        after every optimizer step

    The average of the last ~1/(1 - decay) steps sits nearer the middle of the valley the noisy
    SGD steps bounce around in, so it usually generalises a little better than the last weights.
    ``swapped_in()`` puts the average into the model (for validation and checkpoints) and back.
    """

    def __init__(self, parameters, decay):
        self.decay = decay
        self.pairs = [(p, p._array.copy()) for p in parameters]

    def update(self):
        for p, average in self.pairs:
            average *= self.decay
            average += (1 - self.decay) * p._array

    def swap(self):
        for i, (p, average) in enumerate(self.pairs):
            p._array, self.pairs[i] = average, (p, p._array)


def replace_with_unk(ids: np.ndarray, mask: np.ndarray, probability: float, unk_id: int, rng) -> np.ndarray:
    """Word dropout: each real word (not the <cls> at position 0) becomes <unk> with ``probability``."""
    if probability <= 0:
        return ids
    hit = (rng.random(ids.shape) < probability) & mask
    hit[:, 0] = False
    return np.where(hit, unk_id, ids)


def batches(id_lists, labels, encoder, batch_size, shuffle, seed=0):
    """Yield ``(ids, mask, labels)`` NumPy batches; with ``shuffle`` the batches group similar lengths."""
    sampler = BucketBatchSampler([len(x) for x in id_lists], batch_size, shuffle=shuffle, seed=seed)
    for indices in sampler:
        ids, mask = encoder.batch([id_lists[i] for i in indices])
        yield ids, mask, np.asarray([labels[i] for i in indices], dtype=np.int64)


def predict_proba(model, encoder, texts, batch_size=256, device="cpu") -> np.ndarray:
    """Class probabilities ``(len(texts), num_classes)`` in the order of ``texts``."""
    id_lists = encoder.encode_all(texts)
    return predict_proba_ids(model, encoder, id_lists, batch_size, device)


def predict_proba_ids(model, encoder, id_lists, batch_size=256, device="cpu") -> np.ndarray:
    was_training = model.training
    model.eval()
    order = np.argsort([len(x) for x in id_lists], kind="stable")  # similar lengths together
    out = np.zeros((len(id_lists), model.config["num_classes"]), dtype=np.float64)
    with mg.no_grad():
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            ids, mask = encoder.batch([id_lists[i] for i in chunk])
            logits = model(mg.tensor(ids, device=device), mg.tensor(mask, device=device))
            out[chunk] = F.softmax(logits.double(), dim=-1).numpy()
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


def fit(model, encoder, train, val, options: TrainOptions, run_dir=None, save_kwargs=None, log=print) -> dict:
    """Train ``model`` on ``train`` (a Split), validate on ``val`` each epoch, keep the best weights.

    With ``run_dir`` the best weights (and config/vocab via ``save_kwargs`` for ``run_folder.save_run``)
    are written there.  Returns the history dict that goes into metrics.json.
    """
    from tqdm.auto import tqdm

    device = options.device
    model.to(device)
    params = list(model.parameters())
    # No weight decay on biases, LayerNorm gains and embeddings' pad row: decay only matrices.
    decay = [p for p in params if p.ndim >= 2]
    no_decay = [p for p in params if p.ndim < 2]
    optimizer = AdamW([{"params": decay, "weight_decay": options.weight_decay},
                       {"params": no_decay, "weight_decay": 0.0}], lr=options.lr)
    train_ids = encoder.encode_all(train.texts)
    steps_per_epoch = math.ceil(len(train_ids) / options.batch_size)
    total_steps = max(2, steps_per_epoch * options.epochs)
    warmup = min(max(1, int(options.warmup_fraction * total_steps)), total_steps - 1)
    scheduler = warmup_cosine(optimizer, warmup, total_steps)
    rng = np.random.default_rng(options.seed)
    unk_id = encoder.vocab.unk_id
    average = WeightAverage(params, options.ema_decay) if options.ema_decay > 0 else None

    history = {"options": asdict(options), "step_loss": [], "epochs": []}
    best_accuracy, best_epoch = -1.0, 0
    started = time.perf_counter()
    for epoch in range(1, options.epochs + 1):
        model.train()
        seen = correct = 0
        loss_sum = 0.0
        epoch_start = time.perf_counter()
        bar = tqdm(total=len(train_ids), desc=f"epoch {epoch}/{options.epochs}", unit="sent",
                   disable=not options.progress, leave=False, dynamic_ncols=True)
        for ids, mask, labels in batches(train_ids, train.labels, encoder, options.batch_size, True,
                                         seed=options.seed * 1000 + epoch):
            ids = replace_with_unk(ids, mask, options.unk_dropout, unk_id, rng)
            logits = model(mg.tensor(ids, device=device), mg.tensor(mask, device=device))
            loss = F.cross_entropy(logits, mg.tensor(labels, device=device),
                                   label_smoothing=options.label_smoothing)
            optimizer.zero_grad()
            loss.backward()
            if options.clip_norm:
                clip_grad_norm_(params, options.clip_norm)
            optimizer.step()
            scheduler.step()
            if average is not None:
                average.update()

            batch_loss = loss.item()
            history["step_loss"].append(batch_loss)
            loss_sum += batch_loss * len(labels)
            correct += int((logits.numpy().argmax(axis=1) == labels).sum())
            seen += len(labels)
            bar.update(len(labels))
            bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.3f}",
                            sent_per_s=f"{seen / (time.perf_counter() - epoch_start):.0f}")
        bar.close()
        if average is not None:
            average.swap()  # validate (and maybe save) the averaged weights
        val_metrics = evaluate(model, encoder, val, device, model.config["num_classes"])
        record = {"epoch": epoch, "train_loss": loss_sum / max(seen, 1), "train_accuracy": correct / max(seen, 1),
                  "val": val_metrics, "seconds": time.perf_counter() - epoch_start,
                  "sentences_per_second": seen / (time.perf_counter() - epoch_start)}
        history["epochs"].append(record)
        improved = val_metrics["accuracy"] > best_accuracy
        if improved:
            best_accuracy, best_epoch = val_metrics["accuracy"], epoch
            best_state = {k: v.to("cpu").clone() for k, v in model.state_dict().items()}
            if run_dir is not None:
                run_folder.save_run(run_dir, model, **(save_kwargs or {}))
        if average is not None:
            average.swap()  # back to the raw weights for the next epoch
        log(f"epoch {epoch}: train loss {record['train_loss']:.4f} acc {record['train_accuracy']:.4f} | "
            f"val {format_metrics(val_metrics)} | {record['seconds']:.1f}s"
            + ("  (best, saved)" if improved and run_dir is not None else ""))
    model.load_state_dict(best_state)
    history["best_epoch"] = best_epoch
    history["best_val_accuracy"] = best_accuracy
    history["train_seconds"] = time.perf_counter() - started
    return history


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
