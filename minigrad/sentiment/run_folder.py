"""A *run folder* holds everything needed to use a trained model again, with no pickle anywhere::

    RUN_DIR/
      config.json    what was built and how it was trained (model sizes, training options, data, label names,
                     which tokenizer ("word" or "bpe") and its size and SHA-256), and the run's status:
                     "complete", or "incomplete" with how far it got
      vocab.json     the word vocabulary (minigrad.text.Vocab.save)            -- word runs
      tokenizer.json the byte-pair-encoding tokenizer (BPETokenizer.save)      -- bpe runs
      weights.safetensors  the weights to use: those of the best validation so far (runs written before
                     minigrad used safetensors have weights.mg instead; they still load)
      metrics.json   per-epoch training and validation numbers (and, once complete, the test numbers)
      curves.png     loss and accuracy curves
      resume/        only while incomplete: everything ``train --resume`` needs to continue exactly
                     (state.json: counters, random streams, history; tensors.safetensors: raw
                     weights, optimizer moments, weight average)

**Never half-old, half-new.**  ``save_run`` writes all the files into a fresh hidden folder beside
``RUN_DIR`` and then swaps it in with two renames (``RUN_DIR`` -> ``.RUN_DIR.old-PID``, new ->
``RUN_DIR``), with Ctrl-C held back for those two instants; the old folder is deleted after.  So at
any moment ``RUN_DIR`` is one whole checkpoint.  (If the process is killed between the two renames,
``RUN_DIR`` is missing and ``.RUN_DIR.old-PID`` holds the previous checkpoint: ``read_config`` says so.)

**Never overwritten by accident.**  ``check_out_folder`` refuses an ``--out`` that holds a run unless
``force`` (and even then the old run stays until the new one's first checkpoint replaces it), and
refuses any other non-empty folder always.  ``new_run_dir`` picks a fresh ``runs/NAME-N``.

``load_run`` rebuilds the model from ``config.json`` (for a compressed run, which ``compress`` writes,
with the structure its ``"compression"`` steps give: int8 layers, factorized layers) and checks that
the files belong together: a ``vocab.json``/``tokenizer.json`` or weights from another run, or a
damaged file, raises ``RunFolderError`` naming the file and the problem, instead of silently
predicting nonsense.

The tensor files are written and read by ``write_tensors``/``read_tensors`` only, the one place
that knows their format (``mg.save``: safetensors), and found by ``tensor_file``, the one place
that knows their names, old and new.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import threading
from contextlib import contextmanager
from pathlib import Path

import minigrad as mg
from minigrad.compression.structure import rebuild
from minigrad.text import Vocab
from minigrad.text.bpe import BPETokenizer

from .encoding import SentenceEncoder, tokenizer_kind
from .model import TransformerClassifier

RUN_FORMAT = "minigrad-sentiment-run"
RUN_VERSION = 2             # 2: "status" and "progress"; version 1 folders (always complete) still load
COMPRESSED_VERSION = 3      # 3: a compressed model ("compression": its steps), which older minigrads cannot rebuild
READABLE_VERSIONS = (1, 2, 3)
CONFIG_FILE, VOCAB_FILE, TOKENIZER_FILE, WEIGHTS_FILE, METRICS_FILE, CURVES_FILE = (
    "config.json", "vocab.json", "tokenizer.json", "weights.safetensors", "metrics.json", "curves.png")
RESUME_DIR, RESUME_STATE_FILE, RESUME_TENSORS_FILE = "resume", "state.json", "tensors.safetensors"
# What runs written before minigrad used safetensors call their tensor files (mg.load still reads them).
LEGACY_NAMES = {WEIGHTS_FILE: "weights.mg", RESUME_TENSORS_FILE: "tensors.mg"}
# Which file holds the tokenizer, and how to read it, for each value of config["tokenizer"].
TOKENIZER_FILES = {"word": (VOCAB_FILE, Vocab.load), "bpe": (TOKENIZER_FILE, BPETokenizer.load)}


class RunFolderError(ValueError):
    """A run folder that is missing files, holds damaged ones, or whose files do not belong together."""


def vocab_fingerprint(vocab: Vocab | BPETokenizer) -> str:
    """SHA-256 of what fixes the ids: a Vocab's token list, or a BPETokenizer's pieces and ordered merges."""
    if isinstance(vocab, BPETokenizer):
        content = {"pieces": vocab.pieces, "merges": [list(pair) for pair in vocab.merges]}
    else:
        content = vocab.tokens()
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode("utf-8")).hexdigest()


# ------------------------------------------------------------------ the tensor file format (one owner)
def tensor_file(folder, name=WEIGHTS_FILE) -> Path:
    """The file to read for ``name`` in ``folder``: ``name`` itself, or in a run written before minigrad used
    safetensors, its old name (``weights.mg``, ``tensors.mg``).  Always ``name`` when neither exists."""
    path = Path(folder) / name
    legacy = Path(folder) / LEGACY_NAMES.get(name, name)
    return legacy if not path.exists() and legacy.exists() else path


def write_tensors(path, tensors: dict) -> None:
    """Write a flat ``{name: Tensor}`` dict (on the CPU) to ``path``."""
    mg.save({name: tensor.to("cpu") for name, tensor in tensors.items()}, path)


def read_tensors(path) -> dict:
    """The ``{name: Tensor}`` dict of ``path``; a missing or damaged file is a ``RunFolderError``."""
    path = Path(path)
    if not path.is_file():
        raise RunFolderError(f"{path} is missing")
    try:
        tensors = mg.load(path)
    except (ValueError, OSError) as error:   # damaged or crafted (ValueError), unreadable (e.g. permissions)
        raise RunFolderError(f"{path} is damaged and cannot be read ({_one_line(error)}); train again, or put "
                             "back an intact copy") from None
    if not isinstance(tensors, dict):
        raise RunFolderError(f"{path} does not hold a dict of tensors")
    return tensors


def _one_line(error) -> str:
    return " ".join(str(error).split())


# ------------------------------------------------------------------ where runs go
def is_run_folder(path) -> bool:
    path = Path(path) / CONFIG_FILE
    try:
        return path.is_file() and json.loads(path.read_text(encoding="utf-8")).get("format") == RUN_FORMAT
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError, OSError):
        return False


def new_run_dir(name: str, base="runs") -> Path:
    """The first ``base/NAME-1``, ``base/NAME-2``, ... that does not exist yet."""
    number = 1
    while (Path(base) / f"{name}-{number}").exists():
        number += 1
    return Path(base) / f"{name}-{number}"


def check_out_folder(run_dir, force: bool) -> None:
    """Refuse to train into ``run_dir`` if that would overwrite work (see the module docstring)."""
    run_dir = Path(run_dir)
    if not run_dir.exists():
        return
    if not run_dir.is_dir():
        raise RunFolderError(f"--out {run_dir} is a file, not a folder; choose another --out")
    if not any(run_dir.iterdir()):
        return
    if not is_run_folder(run_dir):
        raise RunFolderError(f"--out {run_dir} is a folder that is not empty and holds no run; minigrad never "
                             "replaces it (not even with --force): choose another --out")
    if force:
        return
    config = json.loads((run_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    status = config.get("status", "complete")
    resume = f", --resume {run_dir} to continue it" if status == "incomplete" else ""
    raise RunFolderError(f"--out {run_dir} already holds a{'n' if status == 'incomplete' else ''} {status} "
                         f"{config.get('kind', '')} run; pass --force to replace it{resume}, or choose another --out "
                         "(without --out each run gets a new folder)")


# ------------------------------------------------------------------ writing, all at once
@contextmanager
def _ctrl_c_held_back():
    """Delay a Ctrl-C (SIGINT) that arrives inside the block until the block is done."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: arrived.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if arrived:
            if callable(previous):
                previous(signal.SIGINT, arrived[0])
            else:
                raise KeyboardInterrupt


def _swap_in(staging: Path, run_dir: Path) -> None:
    old = run_dir.with_name(f".{run_dir.name}.old-{os.getpid()}")
    with _ctrl_c_held_back():
        if run_dir.exists():
            os.replace(run_dir, old)
        os.replace(staging, run_dir)
    shutil.rmtree(old, ignore_errors=True)


def save_run(run_dir, model: TransformerClassifier, vocab: Vocab | BPETokenizer, *, kind: str, training: dict,
             label_names, metrics: dict | None = None, weights: dict | None = None, status: str = "complete",
             progress: dict | None = None, resume: dict | None = None, curves: bool = True,
             compression: list | None = None) -> Path:
    """Write a whole run folder at once (see the module docstring) and return its path.

    ``weights`` (a state dict) is saved instead of the model's own; ``resume`` (a ``loop`` snapshot's
    "resume" part) makes the folder resumable; ``curves`` draws curves.png from ``metrics["history"]``;
    ``compression`` (the steps of ``minigrad.compression.structure``) marks a compressed model."""
    run_dir = Path(run_dir)
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = run_dir.with_name(f".{run_dir.name}.writing-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        config = {
            "format": RUN_FORMAT, "version": COMPRESSED_VERSION if compression else RUN_VERSION, "kind": kind,
            "status": status,
            "model": dict(model.config),
            "training": training,
            "label_names": list(label_names),
            "tokenizer": tokenizer_kind(vocab),
            "vocab": {"size": len(vocab), "sha256": vocab_fingerprint(vocab)},
        }
        if progress is not None:
            config["progress"] = progress
        if compression:
            config["compression"] = compression
        (staging / CONFIG_FILE).write_text(json.dumps(config, indent=2), encoding="utf-8")
        vocab.save(staging / TOKENIZER_FILES[tokenizer_kind(vocab)][0])
        write_tensors(staging / WEIGHTS_FILE, weights if weights is not None else model.state_dict())
        if metrics is not None:
            (staging / METRICS_FILE).write_text(json.dumps(metrics, indent=2), encoding="utf-8")
            if curves and metrics.get("history", {}).get("step_loss"):
                from .train import plot_curves
                plot_curves(metrics["history"], staging / CURVES_FILE)
        if resume is not None:
            _write_resume_state(staging / RESUME_DIR, resume, best_is_weights=resume.get("best") is not None)
        _swap_in(staging, run_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return run_dir


def _write_resume_state(folder: Path, resume: dict, best_is_weights: bool) -> None:
    """Tensors (raw weights, optimizer moments, weight average) to tensors.safetensors, the rest to state.json."""
    folder.mkdir()
    tensors = {f"model.{name}": value for name, value in resume["model"].items()}
    tensors.update({f"average.{i}": value for i, value in enumerate(resume["average"])})
    optimizer_numbers = {}
    for index, values in resume["optimizer"]["state"].items():
        for name, value in values.items():
            if isinstance(value, mg.Tensor):
                tensors[f"optimizer.{index}.{name}"] = value
            else:
                optimizer_numbers.setdefault(str(index), {})[name] = value
    write_tensors(folder / RESUME_TENSORS_FILE, tensors)
    state = {"optimizer_groups": resume["optimizer"]["param_groups"], "optimizer_numbers": optimizer_numbers,
             "scheduler": resume["scheduler"], "rng": resume["rng"], "global_rng": resume["global_rng"],
             "loop": resume["loop"], "history": resume["history"], "best_is_weights": best_is_weights,
             "averages": len(resume["average"])}
    (folder / RESUME_STATE_FILE).write_text(json.dumps(state), encoding="utf-8")


def read_resume_state(run_dir) -> dict:
    """The ``resume`` snapshot that ``save_run`` wrote into an incomplete run folder (for ``loop.train_loop``)."""
    run_dir = Path(run_dir)
    folder = run_dir / RESUME_DIR
    path = folder / RESUME_STATE_FILE
    if not path.is_file():
        raise RunFolderError(f"{run_dir} has no {RESUME_DIR}/{RESUME_STATE_FILE}, so it cannot be resumed")
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RunFolderError(f"{path} is damaged ({_one_line(error)}); the run cannot be resumed") from None
    tensors = read_tensors(tensor_file(folder, RESUME_TENSORS_FILE))
    optimizer_state = {}
    for name, value in tensors.items():
        if name.startswith("optimizer."):
            _, index, key = name.split(".", 2)
            optimizer_state.setdefault(int(index), {})[key] = value
    for index, values in state["optimizer_numbers"].items():
        optimizer_state.setdefault(int(index), {}).update(values)
    model_state = {name[len("model."):]: value for name, value in tensors.items() if name.startswith("model.")}
    best = read_tensors(tensor_file(run_dir)) if state["best_is_weights"] else None
    return {"model": model_state, "optimizer": {"state": optimizer_state, "param_groups": state["optimizer_groups"]},
            "scheduler": state["scheduler"], "average": [tensors[f"average.{i}"] for i in range(state["averages"])],
            "rng": state["rng"], "global_rng": state["global_rng"], "loop": state["loop"],
            "history": state["history"], "best": best}


# ------------------------------------------------------------------ reading
def read_config(run_dir) -> dict:
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        leftovers = sorted(run_dir.parent.glob(f".{run_dir.name}.old-*")) if run_dir.parent.is_dir() else []
        if leftovers:
            raise RunFolderError(f"run folder {run_dir} is missing, but {leftovers[-1]} holds its previous checkpoint "
                                 f"(the process was killed while saving): rename it to {run_dir}")
        raise RunFolderError(f"run folder {run_dir} does not exist; train one with "
                             f"`python -m minigrad.sentiment train --out {run_dir}`")
    path = run_dir / CONFIG_FILE
    if not path.is_file():
        raise RunFolderError(f"{path} is missing: {run_dir} is not a minigrad sentiment run folder")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RunFolderError(f"{path} is not valid JSON ({_one_line(error)})") from None
    if not isinstance(config, dict) or config.get("format") != RUN_FORMAT:
        raise RunFolderError(f"{path} is not a minigrad sentiment config (expected \"format\": \"{RUN_FORMAT}\")")
    if config.get("version") not in READABLE_VERSIONS:
        raise RunFolderError(f"{path} has version {config.get('version')!r}; this minigrad reads versions "
                             f"{', '.join(map(str, READABLE_VERSIONS))}")
    for key in ("model", "vocab", "label_names"):
        if key not in config:
            raise RunFolderError(f"{path} has no {key!r} entry")
    config.setdefault("status", "complete")
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
        raise RunFolderError(f"{path} cannot be read as the run's {kind} tokenizer: {_one_line(error)}") from None
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
    """``(model in eval mode, SentenceEncoder, config)`` from a run folder, after checking it.
    ``config["status"]`` says whether the run is complete (an incomplete one has its best weights so far)."""
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
    except (TypeError, ValueError) as error:
        raise RunFolderError(f"{run_dir / CONFIG_FILE}: the \"model\" entry does not describe a "
                             f"TransformerClassifier ({_one_line(error)})") from None
    if config.get("compression"):
        try:
            rebuild(model, config["compression"])
        except (TypeError, ValueError, KeyError, AttributeError) as error:
            raise RunFolderError(f"{run_dir / CONFIG_FILE}: its \"compression\" entry does not describe this model "
                                 f"({_one_line(error)})") from None
    weights_path = tensor_file(run_dir)
    state = read_tensors(weights_path)
    try:
        model.load_state_dict(state)
    except (RuntimeError, KeyError, ValueError) as error:
        raise RunFolderError(
            f"{weights_path} does not fit the model described by {run_dir / CONFIG_FILE} "
            f"(were these files copied from different runs?): {_one_line(error)}") from None
    model.to(device)
    model.eval()
    return model, SentenceEncoder(vocab, model_config["max_len"]), config
