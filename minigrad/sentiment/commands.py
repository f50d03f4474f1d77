"""What each command of ``python -m minigrad.sentiment`` does (the options are in ``cli.py``).

``train`` and ``pretrain`` share one shape: pick the data and the settings (``recipe.py``), choose
the run folder (a new one unless ``--out``; never an existing run unless ``--force``), build the
model, then run the shared loop with a ``save`` callback that writes the whole folder atomically
at every checkpoint, marked incomplete; the last write, after the test score, marks it complete.
``--resume RUN`` rebuilds the same data, model and loop state from RUN and continues.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

from .cli import CliError, Stopped

MAX_LEN = 64
RESUMABLE_WITH = {"device", "threads", "no_progress", "checkpoint_minutes", "resume", "command", "distributed"}


def _err(line):
    print(line, file=sys.stderr)


def _silent(*_):
    """``out`` on the ranks other than 0 of a ``--distributed`` run: rank 0 alone reports."""


def _start_data_parallel(args, device):
    """``--distributed``: join the other processes of this launch (None without the option)."""
    if not getattr(args, "distributed", False):
        return None
    from . import data_parallel

    return data_parallel.start(device)


# ------------------------------------------------------------------ helpers
def check_device(device: str) -> str:
    """Fail early, with the options, when a GPU was asked for but there is none."""
    import minigrad as mg

    if device == "cuda" and not mg.cuda.is_available():
        raise CliError(
            "--device cuda: no usable NVIDIA GPU here (CuPy is missing or sees no GPU). Options: "
            "--device cpu (NumPy, the default and fastest without a GPU); "
            "--device cudasim (runs minigrad's own CUDA kernels in Numba's CPU simulator: same code path, "
            "very slow, meant for learning and tests); or, on a machine with an NVIDIA GPU, "
            "pip install 'minigrad[gpu]' (cupy-cuda12x and numba-cuda) and use --device cuda.")
    try:
        mg.zeros(1, device=device)  # loads the backend: a broken GPU set-up fails here, not mid-training
    except (ImportError, RuntimeError, OSError) as error:
        raise CliError(f"--device {device}: the backend could not start ({error}); use --device cpu") from None
    return device


def _pick(value, default):
    return default if value is None else value


def _check_model_shape(d_model, heads):
    if d_model % heads:
        divisors = [h for h in range(1, d_model + 1) if d_model % h == 0 and h <= 16]
        raise CliError(f"--heads {heads} does not divide --d-model {d_model} (each head reads d_model / heads "
                       f"numbers): use --heads {' or '.join(map(str, divisors))}, or another --d-model")


def _build_tokenizer(kind, texts, min_freq, bpe_vocab_size):
    from .encoding import build_tokenizer

    try:
        return build_tokenizer(kind or "word", texts, min_freq=min_freq, bpe_vocab_size=bpe_vocab_size)
    except ValueError as error:  # e.g. a --bpe-vocab-size too small for the alphabet
        raise CliError(f"--bpe-vocab-size {bpe_vocab_size}: {error}") from None


def _run_name(data: str) -> str:
    if data in ("embedded", "sst2"):
        return data
    path = Path(data)
    return (path.stem if path.is_file() else path.name) or "data"


def _choose_out(args, prefix: str) -> Path:
    from .run_folder import check_out_folder, new_run_dir

    if args.out is None:
        return new_run_dir(prefix + _run_name(args.data))
    check_out_folder(args.out, args.force)
    return Path(args.out)


def _fingerprint(texts, labels=None) -> str:
    """SHA-256 of the training rows: a resumed run refuses data that changed under it."""
    return hashlib.sha256(json.dumps([list(texts), list(labels or [])], ensure_ascii=False).encode()).hexdigest()


def _progress_of(snapshot) -> dict:
    return {"epoch": snapshot["epoch"], "step": snapshot["step"], "total_steps": snapshot["total_steps"],
            "best_epoch": snapshot["best_epoch"], "best_val_accuracy": snapshot["best_score"]}


def _stopped_message(out_dir, snapshot, command) -> str:
    kept = (f"the weights of epoch {snapshot['best_epoch']} (validation accuracy {snapshot['best_score']:.4f})"
            if snapshot["best_epoch"] else f"the weights at step {snapshot['step']} (not validated yet)")
    return (f"interrupted at step {snapshot['step']:,} of {snapshot['total_steps']:,} (epoch {snapshot['epoch']}): "
            f"kept {out_dir} with {kept}, marked incomplete; it can be used as it is, or continued exactly with: "
            f"python -m minigrad.sentiment {command} --resume {out_dir}")


def _resumable_run(args, kind):
    """The config of ``--resume RUN`` after checking that it can be resumed with these options."""
    from .run_folder import read_config

    given = sorted(name for name, value in vars(args).items()
                   if name not in RESUMABLE_WITH and value not in (None, False) and not _is_default(args, name))
    if given:
        raise CliError(f"--resume continues {args.resume} with its own settings: drop "
                       + ", ".join("--" + name.replace("_", "-") for name in given))
    config = read_config(args.resume)
    if config.get("kind") != kind:
        command = "pretrain" if config.get("kind") == "pretrain" else "train"
        raise CliError(f"{args.resume} is a {config.get('kind')} run: continue it with "
                       f"python -m minigrad.sentiment {command} --resume {args.resume}")
    if config["status"] == "complete":
        raise CliError(f"{args.resume} is complete: there is nothing to resume (train a new run, or use it)")
    if "spec" not in config.get("training", {}):
        raise CliError(f"{args.resume} was written by an older minigrad and cannot be resumed")
    return config


_DEFAULTS = {"data": ("embedded", "sst2"), "bpe_vocab_size": (4000,), "seed": (0,), "val_fraction": (0.1,)}


def _is_default(args, name):
    return name in _DEFAULTS and getattr(args, name) in _DEFAULTS[name]


# ------------------------------------------------------------------ train
def cmd_train(args, out=print, step_hook=None) -> dict:
    import minigrad as mg

    from . import run_folder
    from .datasets import load_sentiment_data
    from .encoding import SentenceEncoder, tokenizer_kind
    from .model import TransformerClassifier
    from .recipe import train_defaults
    from .train import TrainOptions

    device = check_device(args.device)
    parallel = _start_data_parallel(args, device)
    out = out if parallel is None or parallel.is_main else _silent
    began = time.perf_counter()
    if args.resume:
        config = _resumable_run(args, "classifier")
        spec = config["training"]["spec"]
        out_dir = Path(args.resume)
    else:
        spec = {"data": args.data, "sst2_dir": args.sst2_dir, "text_column": args.text_column,
                "label_column": args.label_column, "labels": args.labels, "max_train": args.max_train,
                "seed": args.seed, "val_fraction": args.val_fraction, "init": args.init}
        spec.update(_distillation_spec(args))
    data = load_sentiment_data(spec["data"], spec["sst2_dir"], spec["max_train"], spec["seed"], spec["val_fraction"],
                               text_column=spec["text_column"], label_column=spec["label_column"],
                               label_names=spec["labels"])
    if args.resume:
        if _fingerprint(data.train.texts, data.train.labels) != spec["data_sha256"]:
            raise CliError(f"the training data of {args.resume} ({spec['data']}) changed since the run started; "
                           "it cannot be resumed exactly: put the original data back, or train a new run")
        settings = config["training"]["settings"]
        options = TrainOptions(**config["training"]["options"])
        options.device, options.progress = device, (False if args.no_progress else None)
        options.checkpoint_minutes = args.checkpoint_minutes
        vocab = run_folder.load_tokenizer(out_dir, config)
        mg.manual_seed(spec["seed"])
        model = TransformerClassifier(**config["model"])
        resume = run_folder.read_resume_state(out_dir)
        out(f"resuming {out_dir} at step {resume['loop']['step']:,} (epoch {resume['loop']['epoch']}); "
            f"data {data.name}: {len(data.train)} train / {len(data.val)} validation sentences")
    else:
        defaults = train_defaults(args.data, len(data.train))
        names = ("epochs", "batch_size", "lr", "d_model", "layers", "heads", "d_ff", "dropout", "pooling",
                 "label_smoothing", "ema", "min_freq", "patience", "ngram_widths", "ngram_channels")
        settings = {name: _pick(getattr(args, name), defaults[name]) for name in names}
        settings["unk_dropout"] = _pick(args.word_dropout, defaults["unk_dropout"])
        if args.d_model is not None and args.d_ff is None:
            settings["d_ff"] = 2 * settings["d_model"]
        _complete_ngram_settings(args, settings)
        _check_model_shape(settings["d_model"], settings["heads"])
        out_dir = _choose_out(args, "") if parallel is None or parallel.is_main else None   # rank 0 writes
        mg.manual_seed(args.seed)
        num_classes = len(data.label_names)
        if args.init:
            model, vocab, note = _initial_model(args, settings, num_classes)
            out(note)
        else:
            vocab = _build_tokenizer(args.tokenizer, data.train.texts, settings["min_freq"], args.bpe_vocab_size)
            model = TransformerClassifier(len(vocab), d_model=settings["d_model"], n_heads=settings["heads"],
                                          n_layers=settings["layers"], d_ff=settings["d_ff"], max_len=MAX_LEN,
                                          dropout=settings["dropout"], pooling=settings["pooling"],
                                          num_classes=num_classes, pad_id=vocab.pad_id,
                                          ngram_widths=settings["ngram_widths"],
                                          ngram_channels=settings["ngram_channels"])
        options = TrainOptions(epochs=settings["epochs"], batch_size=settings["batch_size"], lr=settings["lr"],
                               label_smoothing=settings["label_smoothing"], ema_decay=settings["ema"],
                               unk_dropout=settings["unk_dropout"], seed=args.seed, device=device,
                               progress=False if args.no_progress else None, patience=settings["patience"],
                               checkpoint_minutes=args.checkpoint_minutes)
        spec["data_sha256"] = _fingerprint(data.train.texts, data.train.labels)
        if args.tokenizer == "bpe" and not args.init:
            spec["bpe_vocab_size"] = args.bpe_vocab_size
        n_params = sum(p.numel() for p in model.parameters())
        out(f"data {data.name}: {len(data.train):,} train / {len(data.val):,} validation / {len(data.test):,} "
            f"{data.test_name} sentences; classes {', '.join(data.label_names)}; {tokenizer_kind(vocab)} "
            f"vocabulary {len(vocab):,}; model {n_params:,} parameters on {device}")
        for note in data.notes:
            out(f"  {note}")
        out(f"settings: {settings['epochs']} epochs of {-(-len(data.train) // settings['batch_size']):,} steps "
            f"(batch {settings['batch_size']}, lr {settings['lr']}), "
            + (f"early stopping after {settings['patience']} epochs without progress, " if settings["patience"] else "")
            + f"pooling {settings['pooling']}, weight average {settings['ema'] or 'off'}")
        out(f"writing the run to {out_dir}" + ("" if args.out else " (a new folder; choose one with --out)"))
        resume = None

    if parallel is not None:
        parallel.check_batch_size(options.batch_size)
        parallel.agree(None, spec["data_sha256"])   # every rank got here, with the same data
        out(parallel.describe())
    encoder = SentenceEncoder(vocab, MAX_LEN)
    training = {"spec": spec, "settings": settings, "options": {**asdict(options), "progress": None},
                "tokenizer": encoder.kind}

    def save(snapshot, status="incomplete", metrics=None):
        run_folder.save_run(out_dir, model, vocab, kind="classifier", training=training, label_names=data.label_names,
                            metrics=metrics or {"history": snapshot["history"]}, weights=snapshot["weights"],
                            status=status, progress=_progress_of(snapshot), resume=snapshot.get("resume"))

    loss_hook = _distillation_hook(spec, data, device, out)
    return _finish_training(args, out, out_dir, model, encoder, data, options, save, resume, step_hook, began,
                            parallel, loss_hook)


def _distillation_spec(args) -> dict:
    """``--teacher``/``--temperature``/``--alpha`` as recorded in the run's spec (empty without a teacher)."""
    from .distill import DEFAULT_ALPHA, DEFAULT_TEMPERATURE

    if not args.teacher:
        given = [name for name in ("temperature", "alpha") if getattr(args, name) is not None]
        if given:
            raise CliError(f"--{given[0]} is a setting of knowledge distillation: give a trained run with --teacher "
                           f"RUN, or drop --{given[0]}")
        return {}
    return {"teachers": list(args.teacher), "temperature": _pick(args.temperature, DEFAULT_TEMPERATURE),
            "alpha": _pick(args.alpha, DEFAULT_ALPHA)}


def _distillation_hook(spec, data, device, out):
    """The loop's loss hook for a run with teachers (None without): their table over the training sentences."""
    from .distill import DistillationHook, teacher_table

    if not spec.get("teachers"):
        return None
    out(f"distilling from {len(spec['teachers'])} teacher(s) at temperature {spec['temperature']}, "
        f"alpha {spec['alpha']} (the labels weigh {1 - spec['alpha']:g})")
    table = teacher_table(spec["teachers"], data.train.texts, data.label_names, spec["temperature"], device, log=out)
    return DistillationHook(table, spec["temperature"], spec["alpha"], device)


def _complete_ngram_settings(args, settings) -> None:
    """Giving one of --ngram-widths / --ngram-channels turns the n-gram detectors on, with the other
    at the big-data recipe's value (the embedded and small-data recipes have none: () and 0)."""
    from .recipe import NGRAMS

    if args.ngram_widths and not settings["ngram_channels"]:
        settings["ngram_channels"] = NGRAMS["ngram_channels"]
    if args.ngram_channels and not settings["ngram_widths"]:
        settings["ngram_widths"] = NGRAMS["ngram_widths"]


def _initial_model(args, settings, num_classes):
    """The model and tokenizer of ``--init RUN``; the head and the n-gram detectors start fresh when their
    shapes differ (another number of classes, a pretrain run without detectors)."""
    from . import run_folder
    from .model import TransformerClassifier

    model_state, encoder, init_config = run_folder.load_run(args.init)
    if init_config.get("compression"):
        raise CliError(f"--init {args.init} is a compressed run ({init_config['compression'][-1]['method']}); start "
                       f"from the run it was made from, {init_config['training'].get('compressed_from')}")
    if args.tokenizer not in (None, encoder.kind):
        raise CliError(f"--tokenizer {args.tokenizer} differs from the {encoder.kind} tokenizer of --init "
                       f"{args.init}; drop --tokenizer (the initial run's tokenizer is reused) or pretrain "
                       f"again with --tokenizer {args.tokenizer}")
    model_settings = dict(init_config["model"], dropout=settings["dropout"], pooling=settings["pooling"],
                          ngram_widths=settings["ngram_widths"], ngram_channels=settings["ngram_channels"],
                          num_classes=num_classes)
    model = TransformerClassifier(**model_settings)
    # A new task or other n-gram detectors: those parts start fresh (a pretrain run has neither), the rest is kept.
    shapes = {name: tuple(value.shape) for name, value in model.state_dict().items()}
    state = {k: v for k, v in model_state.state_dict().items() if shapes.get(k) == tuple(v.shape)}
    model.load_state_dict(state, strict=False)
    note = (f"initialised from {args.init} ({init_config['kind']} run, {encoder.kind} tokenizer of {len(encoder.vocab):,} "
            "tokens; its model sizes override --d-model/--layers/--heads/--d-ff)")
    settings.update(d_model=model_settings["d_model"], layers=model_settings["n_layers"],
                    heads=model_settings["n_heads"], d_ff=model_settings["d_ff"])
    return model, encoder.vocab, note


def _finish_training(args, out, out_dir, model, encoder, data, options, save, resume, step_hook, began,
                     parallel=None, loss_hook=None):
    from minigrad.data import bag_of_words_baseline

    from .metrics import format_metrics
    from .train import TrainingInterrupted, evaluate, fit

    main = parallel is None or parallel.is_main
    try:
        history = fit(model, encoder, data.train, data.val, options, save=save if main else None, resume=resume,
                      log=out, step_hook=step_hook, parallel=parallel, loss_hook=loss_hook)
    except TrainingInterrupted as stop:
        raise Stopped(_stopped_message(out_dir, stop.snapshot, "train")) from None
    if not main:   # the other ranks are done: rank 0 tests, writes and reports
        return {}
    test = evaluate(model, encoder, data.test, options.device, len(data.label_names))
    seconds = time.perf_counter() - began
    out(f"{data.test_name}: {format_metrics(test)}")
    if "per_kind" in test:
        out("  per kind: " + ", ".join(f"{k} {v:.3f}" for k, v in test["per_kind"].items()))
    metrics = {"history": history, "test": test, "test_name": data.test_name, "wall_seconds": seconds}
    if data.name == "embedded":
        train_examples = list(zip(data.train.texts, data.train.labels))
        test_examples = list(zip(data.test.texts, data.test.labels, data.test.kinds))
        baseline = bag_of_words_baseline(train_examples, test_examples)
        metrics["bag_of_words"] = baseline
        out(f"bag-of-words baseline: {data.test_name} acc {baseline['overall']:.3f}; per kind: "
            + ", ".join(f"{k} {v:.3f}" for k, v in baseline["per_kind"].items()))
        out(f"negation sentences: Transformer {test['per_kind']['negation']:.3f} vs bag-of-words "
            f"{baseline['per_kind']['negation']:.3f}")
    final = {"weights": model.state_dict(), "history": history, "epoch": len(history["epochs"]),
             "step": history["steps"], "total_steps": history["total_steps"], "best_epoch": history["best_epoch"],
             "best_score": history["best_val_accuracy"]}
    save(final, status="complete", metrics=metrics)
    out(f"wrote {out_dir} (best epoch {history['best_epoch']}"
        + (", stopped early" if history["stopped_early"] else "") + f"); total {seconds:.1f}s")
    return metrics


# ------------------------------------------------------------------ pretrain
def cmd_pretrain(args, out=print, step_hook=None) -> dict:
    import minigrad as mg

    from . import run_folder
    from .datasets import load_pretraining_texts
    from .encoding import SentenceEncoder, tokenizer_kind
    from .model import TransformerClassifier
    from .pretrain import pretrain
    from .recipe import pretrain_defaults
    from .train import TrainingInterrupted, TrainOptions

    device = check_device(args.device)
    began = time.perf_counter()
    if args.resume:
        config = _resumable_run(args, "pretrain")
        spec, settings = config["training"]["spec"], config["training"]["settings"]
        out_dir = Path(args.resume)
    else:
        spec = {"data": args.data, "sst2_dir": args.sst2_dir, "text_column": args.text_column,
                "max_train": args.max_train, "seed": args.seed}
    texts = load_pretraining_texts(spec["data"], spec["sst2_dir"], spec["seed"], spec["text_column"])
    if spec["max_train"] is not None:
        texts = texts[: spec["max_train"]]
    if not args.resume:
        defaults = pretrain_defaults(len(texts))
        settings = {name: _pick(getattr(args, name), defaults[name])
                    for name in ("epochs", "batch_size", "lr", "d_model", "layers", "heads", "dropout", "min_freq",
                                 "span")}
        settings["d_ff"] = args.d_ff or 2 * settings["d_model"]
        _check_model_shape(settings["d_model"], settings["heads"])
    if args.resume:
        if _fingerprint(texts) != spec["data_sha256"]:
            raise CliError(f"the text of {args.resume} ({spec['data']}) changed since the run started; it cannot be "
                           "resumed exactly: put the original data back, or pretrain a new run")
        vocab = run_folder.load_tokenizer(out_dir, config)
        options = TrainOptions(**config["training"]["options"])
        options.device, options.progress = device, (False if args.no_progress else None)
        options.checkpoint_minutes = args.checkpoint_minutes
        mg.manual_seed(spec["seed"])
        model = TransformerClassifier(**config["model"])
        resume = run_folder.read_resume_state(out_dir)
        out(f"resuming {out_dir} at step {resume['loop']['step']:,} (epoch {resume['loop']['epoch']})")
    else:
        out_dir = _choose_out(args, "pretrain-")
        mg.manual_seed(args.seed)
        vocab = _build_tokenizer(args.tokenizer, texts, settings["min_freq"], args.bpe_vocab_size)
        model = TransformerClassifier(len(vocab), d_model=settings["d_model"], n_heads=settings["heads"],
                                      n_layers=settings["layers"], d_ff=settings["d_ff"], max_len=MAX_LEN,
                                      dropout=settings["dropout"], pad_id=vocab.pad_id)
        options = TrainOptions(epochs=settings["epochs"], batch_size=settings["batch_size"], lr=settings["lr"],
                               seed=args.seed, device=device, unk_dropout=0.0,
                               progress=False if args.no_progress else None,
                               checkpoint_minutes=args.checkpoint_minutes)
        spec["data_sha256"] = _fingerprint(texts)
        if args.tokenizer == "bpe":
            spec["bpe_vocab_size"] = args.bpe_vocab_size
        out(f"pretraining on {len(texts):,} sentences from {args.data}; {tokenizer_kind(vocab)} vocabulary "
            f"{len(vocab):,}; {settings['epochs']} epochs, spans of {settings['span']} word(s)")
        out(f"writing the run to {out_dir}" + ("" if args.out else " (a new folder; choose one with --out)"))
        resume = None
    encoder = SentenceEncoder(vocab, MAX_LEN)
    training = {"spec": spec, "settings": settings, "options": {**asdict(options), "progress": None},
                "tokenizer": encoder.kind, "objective": f"masked-token prediction (15%, 80/10/10, spans of "
                                                       f"{settings['span']})"}

    def save(snapshot, status="incomplete", metrics=None):
        run_folder.save_run(out_dir, model, vocab, kind="pretrain", training=training,
                            label_names=["negative", "positive"], metrics=metrics or {"history": snapshot["history"]},
                            weights=snapshot["weights"], status=status, progress=_progress_of(snapshot),
                            resume=snapshot.get("resume"))

    try:
        history = pretrain(model, encoder, texts, options=options, span=settings["span"], save=save, resume=resume,
                           log=out, step_hook=step_hook)
    except TrainingInterrupted as stop:
        raise Stopped(_stopped_message(out_dir, stop.snapshot, "pretrain")) from None
    history["wall_seconds"] = time.perf_counter() - began
    final = {"weights": model.state_dict(), "history": history, "epoch": len(history["epochs"]),
             "step": history["steps"], "total_steps": history["total_steps"], "best_epoch": history["best_epoch"],
             "best_score": history["best_val_accuracy"]}
    save(final, status="complete", metrics={"history": history})
    out(f"wrote {out_dir}; fine-tune with: python -m minigrad.sentiment train --init {out_dir} --data ...")
    return history


# ------------------------------------------------------------------ evaluate, predict, explain
def _load(run_dir, device):
    from .run_folder import load_run

    model, encoder, config = load_run(run_dir, device)
    if config["status"] != "complete":
        progress = config.get("progress", {})
        _err(f"note: {run_dir} is an incomplete run (stopped at step {progress.get('step', '?')} of "
             f"{progress.get('total_steps', '?')}); using its best weights so far. Continue it with: "
             f"python -m minigrad.sentiment {'pretrain' if config.get('kind') == 'pretrain' else 'train'} "
             f"--resume {run_dir}")
    return model, encoder, config


def cmd_evaluate(args, out=print, step_hook=None) -> dict:
    from .datasets import load_eval_split
    from .metrics import format_metrics
    from .train import evaluate

    device = check_device(args.device)
    model, encoder, config = _load(args.run_dir, device)
    split, name, note = load_eval_split(args.data, config["label_names"], args.sst2_dir,
                                        text_column=args.text_column, label_column=args.label_column)
    if note:
        _err(f"note: {note}")
    metrics = evaluate(model, encoder, split, device, config["model"]["num_classes"])
    out(f"{args.data} {name} ({len(split)} sentences): {format_metrics(metrics)}")
    if "per_kind" in metrics:
        out("  per kind: " + ", ".join(f"{k} {v:.3f}" for k, v in metrics["per_kind"].items()))
    return metrics


def cmd_predict(args, out=print, stdin=None, step_hook=None) -> list:
    from .train import predict_proba

    device = check_device(args.device)
    if args.sentences:
        sentences = list(args.sentences)
        empty = [str(i + 1) for i, s in enumerate(sentences) if not s.strip()]
        if empty:
            raise CliError(f"predict: sentence {', '.join(empty)} is empty; give sentences with words in them")
    else:
        stream = stdin if stdin is not None else sys.stdin
        lines = [line.rstrip("\n") for line in stream]
        sentences = [line for line in lines if line.strip()]
        if len(sentences) < len(lines):
            _err(f"note: skipped {len(lines) - len(sentences)} empty line(s)")
        if not sentences:
            raise CliError("predict: no sentences given (pass them as arguments or one per line on stdin)")
    model, encoder, config = _load(args.run_dir, device)
    limit = encoder.max_len - 1
    long = [(i + 1, n) for i, n in enumerate(len(encoder.split(s)) for s in sentences) if n > limit]
    if long:
        _err(f"note: {len(long)} sentence(s) have more than {limit} tokens and were cut to their first {limit} "
             f"(the model has {encoder.max_len} positions, one for <cls>): "
             + ", ".join(f"sentence {i} ({n} tokens)" for i, n in long[:5]) + (", ..." if len(long) > 5 else ""))
    probabilities = predict_proba(model, encoder, sentences, device=device)
    results = []
    for sentence, row in zip(sentences, probabilities):
        label = int(row.argmax())
        name = config["label_names"][label]
        results.append((name, float(row[label])))
        out(f"{name}\t{row[label]:.3f}\t{sentence}")
    return results


def use_colour(choice: str, stream=None) -> bool:
    """``--color auto``: colours only on a terminal, and not when the NO_COLOR convention asks for none."""
    if choice != "auto":
        return choice == "always"
    stream = stream if stream is not None else sys.stdout
    return stream.isatty() and not os.environ.get("NO_COLOR")


def cmd_explain(args, out=print, step_hook=None) -> dict:
    from .explain import attention_heatmaps, colour_line, saliency

    device = check_device(args.device)
    if not args.sentence.strip():
        raise CliError("explain: the sentence is empty")
    model, encoder, config = _load(args.run_dir, device)
    tokens, scores, probabilities, predicted = saliency(model, encoder, args.sentence, device)
    folder = Path(args.out) if args.out else Path(args.run_dir) / "explain"
    paths = attention_heatmaps(model, encoder, args.sentence, folder, device)
    label = config["label_names"][predicted]
    out(f"prediction: {label} ({probabilities[predicted]:.3f})")
    out("saliency (gradient x input for the predicted class; green = for it, red = against it):")
    line = colour_line(tokens, scores, use_colour(args.color))
    out(line)
    out("  " + "  ".join(f"{t} {s:+.3f}" for t, s in zip(tokens, scores)))
    out(f"wrote {len(paths)} attention heatmaps to {folder}")
    return {"label": label, "tokens": tokens, "saliency": scores.tolist(), "line": line,
            "heatmaps": [str(p) for p in paths]}


def cmd_compress(args, out=print, step_hook=None) -> dict:
    from .compress import cmd_compress as compress

    return compress(args, out, step_hook)


COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict, "explain": cmd_explain,
            "pretrain": cmd_pretrain, "compress": cmd_compress}


def cmd_serve(args, out=print, step_hook=None) -> None:
    from .serve import serve_command  # the HTTP server is loaded only for this command

    serve_command(args, out)


COMMANDS["serve"] = cmd_serve
