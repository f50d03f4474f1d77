"""``train --teacher RUN [--teacher RUN ...] [--temperature T --alpha A]``: knowledge distillation.

The student is trained by the ordinary loop (``loop.train_loop``) with one addition, a *loss hook*
that mixes the teachers' softened probabilities into every batch's loss
(``minigrad.compression.distillation``)::

    loss = alpha * T^2 * KL(p_T(teachers) || p_T(student)) + (1 - alpha) * cross-entropy(labels)

The teachers never change, so their softened log-probabilities for every training sentence are
computed once, before training, in eval mode from the clean sentence (each teacher with its own
tokenizer: the teachers and the student need not share a vocabulary).  The hook looks up the rows
of its batch (``ClassificationTask`` batches carry them).  Several teachers are an ensemble: their
softened probabilities are averaged.  ``--resume`` rebuilds the same table from the same runs.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

import minigrad as mg
from minigrad.compression import distillation_loss, soften

from .recipe import DISTILLATION

DEFAULT_TEMPERATURE, DEFAULT_ALPHA = DISTILLATION["temperature"], DISTILLATION["alpha"]


class DistillationHook:
    """The loop's ``loss_hook``: the distillation loss of a batch from the precomputed teacher table."""

    def __init__(self, teacher_log_probs: np.ndarray, temperature: float, alpha: float, device="cpu"):
        self.teacher_log_probs = teacher_log_probs
        self.temperature = temperature
        self.alpha = alpha
        self.device = device

    def __call__(self, loss, logits, batch, part=slice(None)):
        rows = batch[-1][part]   # the rows of the training set that this process's logits are for
        target = mg.tensor(self.teacher_log_probs[rows], device=self.device)
        return distillation_loss(logits, target, loss, self.temperature, self.alpha)


def teacher_table(teacher_dirs, texts, label_names, temperature: float, device="cpu", log=print) -> np.ndarray:
    """log p_T of the teachers (averaged over an ensemble) for every sentence of ``texts``: ``(N, classes)``."""
    from .run_folder import RunFolderError, load_run
    from .train import predict_logits_ids

    logits = []
    for run_dir in teacher_dirs:
        model, encoder, config = load_run(run_dir, device)
        if config.get("kind") != "classifier":
            raise RunFolderError(f"--teacher {run_dir} is a {config.get('kind')} run; a teacher must be a classifier "
                                 "trained with `train`")
        if list(config["label_names"]) != list(label_names):
            raise RunFolderError(f"--teacher {run_dir} predicts the classes {', '.join(config['label_names'])}, the "
                                 f"student learns {', '.join(label_names)}: distil from a teacher of the same task")
        logits.append(predict_logits_ids(model, encoder, encoder.encode_all(texts), device=device))
        parameters = sum(p.numel() for p in model.parameters())
        log(f"teacher {Path(run_dir)}: {parameters:,} parameters, softened probabilities of {len(texts):,} "
            "training sentences computed")
    return soften(logits, temperature).astype(np.float32)
