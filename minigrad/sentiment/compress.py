"""``python -m minigrad.sentiment compress RUN``: a cheaper copy of a trained classifier, in a NEW run folder.

One method per call (they can be chained: compress the output again; int8 comes last)::

    --quantize int8         post-training dynamic quantization (minigrad.quantization.quantize_dynamic):
                            every weight matrix to int8 with a scale per row, activations per batch
    --prune FRACTION        magnitude pruning (minigrad.nn.utils.prune.l1_unstructured) of every weight
                            matrix, in --prune-steps rounds, each followed by fine-tuning; then made permanent
    --low-rank FRACTION     every Linear and Embedding whose factors are smaller replaced by two through a
    --low-rank-energy E     truncated SVD (minigrad.compression.low_rank), keeping that fraction of each
                            layer's rank (or that share of its singular values' energy); then fine-tuned

Fine-tuning is the run's own training (the shared loop, the run's data, settings and seed) for
--fine-tune-epochs epochs at --fine-tune-lr (default: a quarter of the run's learning rate).  The new
folder records the steps (config.json "compression"), so ``evaluate``, ``predict`` and ``explain`` rebuild
the compressed model; metrics.json holds the test accuracy before and after, the bytes of the weights
(the state dict's tensors), and the seconds one pass over the test sentences took before and after (on
this machine, at this moment: ``benchmarks/compression.py`` times it properly).
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from .cli import CliError, Stopped

SUFFIXES = {"int8": "int8", "prune": "pruned", "low-rank": "lowrank"}


def cmd_compress(args, out=print, step_hook=None) -> dict:
    from minigrad.compression.structure import is_quantized

    from minigrad.compression import state_bytes

    from .commands import _load, check_device
    from .run_folder import save_run, tensor_file

    device = check_device(args.device)
    source = Path(args.run_dir)
    model, encoder, config = _load(source, device)
    steps = list(config.get("compression", []))
    if config.get("kind") != "classifier":
        raise CliError(f"{source} is a {config.get('kind')} run; compress works on classifiers trained with `train`")
    if is_quantized(steps):
        raise CliError(f"{source} is already int8; compress its source run {config['training'].get('compressed_from')} "
                       "instead (quantize last)")
    out_dir = _out_dir(args, source)
    data = _run_data(args, config)
    options = _fine_tune_options(args, config, device)
    out(f"compressing {source} ({_describe(model)}); data {data.name}: {len(data.train):,} train / "
        f"{len(data.val):,} validation / {len(data.test):,} {data.test_name} sentences")
    before, before_seconds = _score(model, encoder, data, device)
    bytes_before = state_bytes(model.state_dict())
    out(f"before: {data.test_name} accuracy {before['accuracy']:.4f} ({before_seconds:.2f} s for the "
        f"{len(data.test):,} sentences)")

    try:
        step, history = _compress(args, model, encoder, data, options, out, step_hook)
    except _Interrupted:
        raise Stopped(f"interrupted while fine-tuning; nothing was written ({out_dir} does not exist)") from None
    after, after_seconds = _score(model, encoder, data, device)
    weights_bytes = {"before": bytes_before, "after": state_bytes(model.state_dict())}
    metrics = {"test": after, "test_before": before, "test_name": data.test_name, "compressed_from": str(source),
               "step": step, "weights_bytes": weights_bytes,
               "seconds_per_test_pass": {"before": before_seconds, "after": after_seconds}, "history": history}
    training = dict(config["training"], compressed_from=str(source), compression_options=_options_of(args))
    save_run(out_dir, model, encoder.vocab, kind="classifier", training=training, label_names=config["label_names"],
             metrics=metrics, compression=steps + [step], curves=False)
    files = tensor_file(source).stat().st_size, tensor_file(out_dir).stat().st_size
    out(f"after:  {data.test_name} accuracy {after['accuracy']:.4f} ({after['accuracy'] - before['accuracy']:+.4f}; "
        f"{after_seconds:.2f} s for the {len(data.test):,} sentences); {_describe(model)}")
    out(f"weights: {weights_bytes['before']:,} -> {weights_bytes['after']:,} bytes "
        f"({weights_bytes['after'] / weights_bytes['before']:.1%}); file {files[0]:,} -> {files[1]:,} bytes")
    out(f"wrote {out_dir}")
    return metrics


class _Interrupted(Exception):
    pass


def _compress(args, model, encoder, data, options, out, step_hook):
    """Apply the one method asked for; returns (the step to record, the fine-tuning histories)."""
    from minigrad.compression import factorize
    from minigrad.quantization import quantize_dynamic

    if args.quantize:
        quantize_dynamic(model, inplace=True)
        return {"method": "int8", "weights": "symmetric per row", "activations": "per batch"}, []
    if args.prune is not None:
        return _prune_and_fine_tune(args, model, encoder, data, options, out, step_hook)
    ranks = factorize(model, rank=args.low_rank, energy=args.low_rank_energy, exclude=("head",))
    if not ranks:
        raise CliError("no layer gets smaller at that rank (a factorization of an m x n matrix at rank r is smaller "
                       "only when r (m + n) < m n); ask for a smaller --low-rank or --low-rank-energy")
    out("factorized " + ", ".join(f"{name} (rank {r})" for name, r in ranks.items()))
    history = [_fine_tune(model, encoder, data, options, out, step_hook)] if options.epochs else []
    return {"method": "low-rank", "rank": args.low_rank, "energy": args.low_rank_energy, "ranks": ranks}, history


def _prune_and_fine_tune(args, model, encoder, data, options, out, step_hook):
    """``--prune-steps`` rounds of: prune a share of what is left of every weight matrix, fine-tune.

    Pruning again prunes among the remaining weights (PyTorch's semantics), so rounds of
    1 - (1 - FRACTION)^(1 / steps) leave 1 - FRACTION of the weights after the last."""
    from minigrad.compression import nonzero_count, parameter_count
    from minigrad.nn.utils import prune

    targets = weight_matrices(model)
    share = 1 - (1 - args.prune) ** (1 / args.prune_steps)
    histories = []
    for round_number in range(1, args.prune_steps + 1):
        for module, name in targets:
            prune.l1_unstructured(module, name, amount=share)
        pruned = sum(int((getattr(m, n + "_mask").numpy() == 0).sum()) for m, n in targets)
        total = sum(getattr(m, n).numel() for m, n in targets)
        out(f"pruning round {round_number}/{args.prune_steps}: {pruned / total:.1%} of the weight matrices are 0")
        if options.epochs:
            histories.append(_fine_tune(model, encoder, data, options, out, step_hook))
    for module, name in targets:
        prune.remove(module, name)
    sparsity = 1 - nonzero_count(model) / parameter_count(model)
    return {"method": "prune", "amount": args.prune, "steps": args.prune_steps, "sparsity": sparsity}, histories


def weight_matrices(model):
    """``(module, name)`` of every weight matrix: Linear, Embedding and convolution weights (the n-gram
    detectors' filters), attention in-projections."""
    from minigrad import nn

    found = []
    for module in model.modules():
        if type(module) in (nn.Linear, nn.Embedding, nn.Conv1d, nn.Conv2d):
            found.append((module, "weight"))
        elif type(module) is nn.MultiheadAttention:
            found.append((module, "in_proj_weight"))
    return found


def _fine_tune(model, encoder, data, options, out, step_hook):
    from .train import TrainingInterrupted, fit

    try:
        return fit(model, encoder, data.train, data.val, options, log=out, step_hook=step_hook)
    except TrainingInterrupted:
        raise _Interrupted() from None


def _score(model, encoder, data, device):
    from .train import evaluate

    began = time.perf_counter()
    metrics = evaluate(model, encoder, data.test, device, model.config["num_classes"])
    return metrics, time.perf_counter() - began


def _describe(model) -> str:
    from minigrad.compression import nonzero_count, parameter_count, state_bytes

    numbers, nonzero = parameter_count(model), nonzero_count(model)
    return (f"{numbers:,} numbers, {nonzero / numbers:.1%} of them nonzero, "
            f"{state_bytes(model.state_dict()) / 2**20:.2f} MiB")


def _out_dir(args, source: Path) -> Path:
    from .run_folder import check_out_folder, new_run_dir

    if args.out is not None:
        check_out_folder(args.out, args.force)
        return Path(args.out)
    method = "int8" if args.quantize else "prune" if args.prune is not None else "low-rank"
    return new_run_dir(f"{source.name}-{SUFFIXES[method]}", base=source.parent)


def _run_data(args, config):
    """The data the run was trained on (its spec; runs of format version 1 kept the data name only)."""
    from .datasets import load_sentiment_data

    training = config.get("training", {})
    spec = training.get("spec") or {"data": training.get("data", "embedded"), "seed": training.get("seed", 0)}
    return load_sentiment_data(spec["data"], args.sst2_dir or spec.get("sst2_dir"), spec.get("max_train"),
                               spec.get("seed", 0), spec.get("val_fraction", 0.1),
                               text_column=spec.get("text_column"), label_column=spec.get("label_column"),
                               label_names=spec.get("labels"))


def _fine_tune_options(args, config, device):
    """The run's own training options, for ``--fine-tune-epochs`` epochs at ``--fine-tune-lr``."""
    from .train import TrainOptions

    training = config.get("training", {})
    saved = training.get("options") or training      # runs of format version 1 kept the options at the top
    names = {field.name for field in dataclasses.fields(TrainOptions)}
    options = TrainOptions(**{name: value for name, value in saved.items() if name in names})
    return dataclasses.replace(options, epochs=args.fine_tune_epochs, lr=args.fine_tune_lr or options.lr / 4,
                               device=device, progress=False if args.no_progress else None, patience=None,
                               checkpoint_minutes=None)


def _options_of(args) -> dict:
    return {name: getattr(args, name) for name in ("quantize", "prune", "prune_steps", "low_rank", "low_rank_energy",
                                                    "fine_tune_epochs", "fine_tune_lr")}

