"""A *run folder* holds everything needed to use a trained model again, with no pickle anywhere::

    RUN_DIR/
      config.json    what was built and how it was trained (model sizes, training options, label names,
                     which tokenizer ("word" or "bpe"), and the size and SHA-256 of that tokenizer)
      vocab.json     the word vocabulary (minigrad.text.Vocab.save)            -- word runs
      tokenizer.json the byte-pair-encoding tokenizer (BPETokenizer.save)      -- bpe runs
      weights.mg     the model's state dict (mg.save: NumPy arrays + a JSON header)
      metrics.json   per-epoch training and validation numbers, and the final test numbers
      curves.png     loss and accuracy curves

``load_run`` rebuilds the model from ``config.json`` and checks that the three files belong
together: a ``vocab.json``/``tokenizer.json`` or ``weights.mg`` from another run raises
``RunFolderError`` naming the file and the mismatch, instead of silently predicting nonsense.
A config without a "tokenizer" entry (written before BPE existed) is a word run.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import minigrad as mg
from minigrad.text import Vocab
from minigrad.text.bpe import BPETokenizer

from .encoding import SentenceEncoder, tokenizer_kind
from .model import TransformerClassifier

RUN_FORMAT = "minigrad-sentiment-run"
RUN_VERSION = 1
CONFIG_FILE, VOCAB_FILE, TOKENIZER_FILE, WEIGHTS_FILE, METRICS_FILE, CURVES_FILE = (
    "config.json", "vocab.json", "tokenizer.json", "weights.mg", "metrics.json", "curves.png")
# Which file holds the tokenizer, and how to read it, for each value of config["tokenizer"].
TOKENIZER_FILES = {"word": (VOCAB_FILE, Vocab.load), "bpe": (TOKENIZER_FILE, BPETokenizer.load)}


class RunFolderError(ValueError):
    """A run folder that is missing files or whose files do not belong together."""


def vocab_fingerprint(vocab: Vocab | BPETokenizer) -> str:
    """SHA-256 of what fixes the ids: a Vocab's token list, or a BPETokenizer's pieces and ordered merges."""
    if isinstance(vocab, BPETokenizer):
        content = {"pieces": vocab.pieces, "merges": [list(pair) for pair in vocab.merges]}
    else:
        content = vocab.tokens()
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode("utf-8")).hexdigest()


def save_run(run_dir, model: TransformerClassifier, vocab: Vocab | BPETokenizer, *, kind: str, training: dict,
             label_names, metrics: dict | None = None) -> Path:
    """Write config, tokenizer (vocab.json or tokenizer.json) and weights (and metrics if given) into ``run_dir``."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    config = {
        "format": RUN_FORMAT, "version": RUN_VERSION, "kind": kind,
        "model": dict(model.config),
        "training": training,
        "label_names": list(label_names),
        "tokenizer": tokenizer_kind(vocab),
        "vocab": {"size": len(vocab), "sha256": vocab_fingerprint(vocab)},
    }
    (run_dir / CONFIG_FILE).write_text(json.dumps(config, indent=2), encoding="utf-8")
    file_name, _ = TOKENIZER_FILES[tokenizer_kind(vocab)]
    vocab.save(run_dir / file_name)
    save_weights(run_dir, model)
    if metrics is not None:
        save_metrics(run_dir, metrics)
    return run_dir


def save_weights(run_dir, model) -> None:
    state = {name: tensor.to("cpu") for name, tensor in model.state_dict().items()}
    mg.save(state, Path(run_dir) / WEIGHTS_FILE)


def save_metrics(run_dir, metrics: dict) -> None:
    (Path(run_dir) / METRICS_FILE).write_text(json.dumps(metrics, indent=2), encoding="utf-8")


def read_config(run_dir) -> dict:
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunFolderError(f"run folder {run_dir} does not exist; train one with "
                             f"`python -m minigrad.sentiment train --out {run_dir}`")
    path = run_dir / CONFIG_FILE
    if not path.is_file():
        raise RunFolderError(f"{path} is missing: {run_dir} is not a minigrad sentiment run folder")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise RunFolderError(f"{path} is not valid JSON ({error})") from None
    if not isinstance(config, dict) or config.get("format") != RUN_FORMAT:
        raise RunFolderError(f"{path} is not a minigrad sentiment config (expected \"format\": \"{RUN_FORMAT}\")")
    if config.get("version") != RUN_VERSION:
        raise RunFolderError(f"{path} has version {config.get('version')!r}; this minigrad reads version {RUN_VERSION}")
    for key in ("model", "vocab", "label_names"):
        if key not in config:
            raise RunFolderError(f"{path} has no {key!r} entry")
    return config


def load_tokenizer(run_dir, config: dict) -> Vocab | BPETokenizer:
    """The run's word Vocab (vocab.json) or BPETokenizer (tokenizer.json), checked against config.json."""
    run_dir = Path(run_dir)
    kind = config.get("tokenizer", "word")
    if kind not in TOKENIZER_FILES:
        raise RunFolderError(f"{run_dir / CONFIG_FILE}: unknown \"tokenizer\": {kind!r} (expected \"word\" or \"bpe\")")
    file_name, load = TOKENIZER_FILES[kind]
    path = run_dir / file_name
    if not path.is_file():
        raise RunFolderError(f"{path} is missing; the model ({kind} tokenizer) cannot read text without it")
    try:
        vocab = load(path)
    except ValueError as error:
        raise RunFolderError(f"{path} cannot be read as the run's {kind} tokenizer: {error}") from None
    unit = "pieces" if kind == "bpe" else "tokens"
    expected = config["vocab"]
    if len(vocab) != expected["size"] or vocab_fingerprint(vocab) != expected["sha256"]:
        raise RunFolderError(
            f"{path} does not belong to this run: it has {len(vocab)} {unit} (sha256 "
            f"{vocab_fingerprint(vocab)[:12]}...), but {run_dir / CONFIG_FILE} says the model was trained with "
            f"{expected['size']} {unit} (sha256 {expected['sha256'][:12]}...). Put back the {file_name} written "
            "with these weights, or train again.")
    return vocab


def load_run(run_dir, device: str = "cpu"):
    """``(model in eval mode, SentenceEncoder, config)`` from a run folder, after checking it."""
    run_dir = Path(run_dir)
    config = read_config(run_dir)
    vocab = load_tokenizer(run_dir, config)
    vocab_path = run_dir / TOKENIZER_FILES[tokenizer_kind(vocab)][0]
    model_config = config["model"]
    if model_config.get("vocab_size") != len(vocab):
        raise RunFolderError(f"{run_dir / CONFIG_FILE}: model vocab_size {model_config.get('vocab_size')} "
                             f"differs from the {len(vocab)} tokens of {vocab_path}")
    try:
        model = TransformerClassifier(**model_config)
    except TypeError as error:
        raise RunFolderError(f"{run_dir / CONFIG_FILE}: the \"model\" entry does not describe a "
                             f"TransformerClassifier ({error})") from None
    weights_path = run_dir / WEIGHTS_FILE
    if not weights_path.is_file():
        raise RunFolderError(f"{weights_path} is missing")
    state = mg.load(weights_path)
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        raise RunFolderError(
            f"{weights_path} does not fit the model described by {run_dir / CONFIG_FILE} "
            f"(were these files copied from different runs?):\n{error}") from None
    model.to(device)
    model.eval()
    return model, SentenceEncoder(vocab, model_config["max_len"]), config
