"""The one training loop, shared by ``train`` (sentiment labels) and ``pretrain`` (masked tokens).

A *task* says what one batch's loss is and how to score the model; the loop does everything else::

    optimizer = AdamW(decay for matrices, none for biases, gains, embeddings' pad row)
    scheduler = linear warm-up over the first steps, then a cosine to 0 at the last step
    for epoch in 1..epochs:
        for batch in task.batches(epoch):            (the same batches for the same seed and epoch)
            loss, outputs, examples, correct, count = task.loss(model, batch, rng, part)
                                             (rng: the task's own random draws, e.g. masking;
                                              part: this process's share of the batch, see below)
            loss = loss_hook(loss, outputs, batch, rows)  (optional: e.g. distillation mixes in a teacher's term)
            loss.backward(); clip_grad_norm_(params, clip_norm)
            optimizer.step(); scheduler.step(); weight_average.update()
            every checkpoint_minutes: checkpoint         (resumable, mid-epoch)
        score = task.validate(model)                 (with the averaged weights, if any)
        best so far?  keep these weights; else one more validation without progress
        checkpoint; stop early after `patience` validations without progress

Checkpoints go through ``save(snapshot)``, a callback given by the caller (``run_folder`` writes
the run folder atomically).  A snapshot holds the best weights so far and, for resuming, the
*complete* state: raw weights, optimizer moments, schedule, weight average, both random streams
(the task's NumPy generator and minigrad's global one, which draws dropout masks), epoch, step,
and the running sums of the epoch.  Resuming from it continues with exactly the same numbers,
so an interrupted-then-resumed run ends with the same weights, bit for bit, as one that never
stopped.

Ctrl-C (SIGINT) does not stop the loop mid-step, where the weights could be half-updated: it
sets a flag, the loop finishes the step, writes a checkpoint and raises ``TrainingInterrupted``.
A second Ctrl-C stops at once (the previous checkpoint stays).

On several processes (``train --distributed``) the same loop runs on every rank; the ``parallel``
hooks say which part of each batch a rank computes, add up the step's numbers and average the
gradients (``data_parallel.py``).  In one process, ``SingleProcess`` makes each hook a no-op.
"""
from __future__ import annotations

import math
import signal
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import numpy as np

import minigrad as mg
from minigrad.nn.utils import clip_grad_norm_
from minigrad.optim import AdamW
from minigrad.optim.lr_scheduler import warmup_cosine


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
    progress: bool | None = True  # None: a progress bar only when stderr is a terminal
    patience: int | None = None   # stop after this many validations without a better score (None: never)
    checkpoint_minutes: float | None = None  # also checkpoint inside an epoch after this long (None: never)


class TrainingInterrupted(Exception):
    """Ctrl-C (or a test's stop request) ended training after a checkpoint; ``snapshot`` is what was kept."""

    def __init__(self, snapshot: dict):
        super().__init__("training interrupted")
        self.snapshot = snapshot


class WeightAverage:
    """An exponential moving average of the weights (Polyak averaging):

        avg = decay * avg + (1 - decay) * w        after every optimizer step

    The average of the last ~1/(1 - decay) steps sits nearer the middle of the valley the noisy
    SGD steps bounce around in, so it usually generalises a little better than the last weights.
    ``swap()`` exchanges the average and the weights (for validation and checkpoints, and back).
    """

    def __init__(self, parameters, decay):
        self.decay = decay
        self.parameters = list(parameters)
        self.averages = [p.detach().clone() for p in self.parameters]

    def update(self):
        with mg.no_grad():
            for p, average in zip(self.parameters, self.averages):
                average.mul_(self.decay).add_(p.detach(), alpha=1 - self.decay)

    def swap(self):
        with mg.no_grad():
            for p, average in zip(self.parameters, self.averages):
                weights = p.detach().clone()
                p.copy_(average)
                average.copy_(weights)


def make_optimizer(params, lr, weight_decay):
    """AdamW; decay only the matrices (not biases, LayerNorm gains or 1-d vectors)."""
    return AdamW([{"params": [p for p in params if p.ndim >= 2], "weight_decay": weight_decay},
                  {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0}], lr=lr)


def show_progress(progress: bool | None) -> bool:
    """A progress bar redraws one line many times a second: right on a terminal, a flood in a log file."""
    return sys.stderr.isatty() if progress is None else bool(progress)


class _StopRequest:
    """Turns SIGINT into a flag checked between steps (see the module docstring)."""

    def __init__(self):
        self.requested = False

    def request(self, *_):
        if self.requested:  # the second Ctrl-C: stop now
            raise KeyboardInterrupt
        self.requested = True


@contextmanager
def _stop_on_interrupt():
    stop = _StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # signal handlers can only be set in the main thread
        return
    previous = signal.signal(signal.SIGINT, stop.request)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


class SingleProcess:
    """The loop's ``parallel`` hooks for one process: the whole batch, here (``data_parallel.py`` has the
    version for several processes)."""

    is_main = True

    def wrap(self, model, unused_parameters=()):
        return model

    def part(self, n):
        return slice(0, n)

    def totals(self, loss_value, examples, correct, count):
        return loss_value, examples, correct, count

    def backward(self, loss, count, total):
        loss.backward()

    def any_rank(self, flag):
        return flag

    def finish(self):
        pass


def _state_dict_copy(model) -> dict:
    return {name: tensor.detach().to("cpu").clone() for name, tensor in model.state_dict().items()}


def train_loop(model, task, options: TrainOptions, *, save=None, resume: dict | None = None, log=print,
               step_hook=None, parallel=None, loss_hook=None) -> dict:
    """Train ``model`` on ``task`` and return the history (for metrics.json); the model ends with
    the best weights.  ``save(snapshot)`` is called at every checkpoint; ``resume`` is a snapshot
    to continue from; ``step_hook(step)`` runs after every step (tests use it to stop on a step);
    ``parallel``: the hooks for training on several processes (default: ``SingleProcess()``).

    ``loss_hook(loss, outputs, batch, rows) -> loss`` replaces the loss of every training batch: ``outputs``
    are what the task computed its loss from (the classifier's logits), ``batch`` is the task's batch and
    ``rows`` the slice of it this process computed (all of it in one process).  Knowledge distillation uses
    it to add a teacher's term (``minigrad.sentiment.distill``)."""
    from tqdm.auto import tqdm

    parallel = SingleProcess() if parallel is None else parallel

    device = options.device
    model.to(device)
    params = list(model.parameters())
    optimizer = make_optimizer(params, options.lr, options.weight_decay)
    steps_per_epoch = task.steps_per_epoch(options.batch_size)
    total_steps = max(2, steps_per_epoch * options.epochs)
    warmup = min(max(1, int(options.warmup_fraction * total_steps)), total_steps - 1)
    scheduler = warmup_cosine(optimizer, warmup, total_steps)
    rng = np.random.default_rng(options.seed)
    average = WeightAverage(params, options.ema_decay) if options.ema_decay > 0 else None
    state = {"epoch": 1, "batch": 0, "step": 0, "loss_sum": 0.0, "correct": 0, "seen": 0, "count": 0,
             "best_score": None, "best_epoch": 0, "bad_validations": 0, "stopped_early": False, "seconds": 0.0}
    history = {"options": asdict(options), "loss_name": task.loss_name, "step_loss": [], "epochs": [],
               "steps_per_epoch": steps_per_epoch, "total_steps": total_steps}
    best = None
    if resume is not None:
        model.load_state_dict(resume["model"])
        optimizer.load_state_dict(resume["optimizer"])
        scheduler.load_state_dict(resume["scheduler"])
        if average is not None:
            with mg.no_grad():
                for target, saved in zip(average.averages, resume["average"]):
                    target.copy_(saved)
        rng.bit_generator.state = resume["rng"]
        mg.random.generator().bit_generator.state = resume["global_rng"]
        state.update(resume["loop"])
        history = resume["history"]
        best = resume["best"]
    # the model itself, or DistributedDataParallel(model), which leaves alone what the task never trains
    training_model = parallel.wrap(model, getattr(task, "unused_parameters", ()))

    def snapshot() -> dict:
        """What a checkpoint keeps: the weights to use (the best so far; before the first validation the
        current ones, averaged if averaging) and, under "resume", everything needed to continue."""
        if best is None and average is not None:
            average.swap()
        weights = best if best is not None else _state_dict_copy(model)
        if best is None and average is not None:
            average.swap()
        return {"weights": weights, "history": history, "epoch": state["epoch"], "step": state["step"],
                "total_steps": total_steps, "best_epoch": state["best_epoch"], "best_score": state["best_score"],
                "resume": {"model": _state_dict_copy(model), "optimizer": optimizer.state_dict(),
                           "scheduler": scheduler.state_dict(),
                           "average": [a.detach().to("cpu").clone() for a in average.averages] if average else [],
                           "rng": rng.bit_generator.state, "global_rng": mg.random.generator().bit_generator.state,
                           "loop": dict(state), "history": history, "best": best}}

    def checkpoint():
        if save is not None:
            save(snapshot())

    show = show_progress(options.progress) and parallel.is_main
    last_checkpoint = time.perf_counter()
    with _stop_on_interrupt() as stop:
        while state["epoch"] <= options.epochs and not state["stopped_early"]:
            epoch = state["epoch"]
            model.train()
            batch_list = task.batches(epoch, options.batch_size)
            began = time.perf_counter() - state["seconds"]
            bar = tqdm(total=len(batch_list), initial=state["batch"], desc=f"{task.name} {epoch}/{options.epochs}",
                       unit="batch", disable=not show, leave=False, dynamic_ncols=True)
            for batch in batch_list[state["batch"]:]:
                result = task.loss(training_model, batch, rng, parallel.part)
                state["batch"] += 1
                loss, outputs, examples, correct, count = (None, None, 0, 0, 0) if result is None else result
                if loss is not None and loss_hook is not None:
                    loss = loss_hook(loss, outputs, batch, parallel.part(len(batch[0])))
                # the whole batch's numbers (on several processes: added up over the ranks' parts)
                value, examples, correct, total = parallel.totals(0.0 if loss is None else loss.item(),
                                                                  examples, correct, count)
                if total:   # 0: nothing to learn from in this batch (skipped, as a step)
                    optimizer.zero_grad()
                    parallel.backward(loss, count, total)
                    if options.clip_norm:
                        clip_grad_norm_(params, options.clip_norm)
                    optimizer.step()
                    scheduler.step()
                    if average is not None:
                        average.update()
                    history["step_loss"].append(value)
                    state["step"] += 1
                    state["loss_sum"] += value * total
                    state["correct"] += correct
                    state["count"] += total
                    state["seen"] += examples
                bar.update(1)
                if state["count"]:
                    bar.set_postfix(loss=f"{state['loss_sum'] / state['count']:.4f}",
                                    acc=f"{state['correct'] / state['count']:.3f}")
                if step_hook is not None and total:
                    step_hook(state["step"])
                state["seconds"] = time.perf_counter() - began
                if parallel.any_rank(stop.requested):
                    bar.close()
                    parallel.finish()
                    kept = snapshot()
                    if save is not None:
                        save(kept)
                    raise TrainingInterrupted(kept)
                if options.checkpoint_minutes and time.perf_counter() - last_checkpoint > 60 * options.checkpoint_minutes:
                    checkpoint()
                    last_checkpoint = time.perf_counter()
            bar.close()

            if average is not None:
                average.swap()  # validate (and maybe keep) the averaged weights
            scores = task.validate(model)
            score = scores["accuracy"]
            improved = state["best_score"] is None or score > state["best_score"]
            if improved:
                state["best_score"], state["best_epoch"], state["bad_validations"] = score, epoch, 0
                best = _state_dict_copy(model)
            else:
                state["bad_validations"] += 1
            if average is not None:
                average.swap()  # back to the raw weights for the next epoch
            seconds = time.perf_counter() - began
            record = {"epoch": epoch, "train_loss": state["loss_sum"] / max(state["count"], 1),
                      "train_accuracy": state["correct"] / max(state["count"], 1), task.val_key: scores,
                      "seconds": seconds, "examples_per_second": state["seen"] / max(seconds, 1e-9)}
            history["epochs"].append(record)
            stopping = (options.patience is not None and state["bad_validations"] >= options.patience
                        and epoch < options.epochs)
            if parallel.is_main:
                log(task.describe(record, options.epochs) + f" | {seconds:.1f}s" + ("  (best)" if improved else "")
                    + (f"\nstopping early: no better validation score for {options.patience} epoch(s)"
                       if stopping else ""))
            state.update(epoch=epoch + 1, batch=0, loss_sum=0.0, correct=0, seen=0, count=0, seconds=0.0,
                         stopped_early=stopping)
            checkpoint()
            last_checkpoint = time.perf_counter()

    parallel.finish()
    model.load_state_dict(best)
    history["best_epoch"] = state["best_epoch"]
    history["best_val_accuracy"] = state["best_score"]
    history["stopped_early"] = state["stopped_early"]
    history["steps"] = state["step"]
    history["train_seconds"] = sum(record["seconds"] for record in history["epochs"])
    return history


def steps_for_epochs(n_examples: int, batch_size: int, epochs: int) -> int:
    return math.ceil(n_examples / batch_size) * epochs
