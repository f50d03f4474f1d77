"""Where the sentences come from: ``--data embedded | sst2 | FOLDER | FILE``.

Every source is split three ways, and each part has one job:

* ``train``  the model learns from it;
* ``val``    picks the best checkpoint and stops training early (never the reported data);
* ``test``   reported once at the end and used for nothing else.

``embedded``  the generated corpus of ``minigrad.data.make_sentiment_corpus`` (no download);
              its test sentences also carry a ``kind`` (plain / negation / contrast / long_range).
``sst2``      GLUE SST-2: the folder ``--sst2-dir``, else ``$MINIGRAD_SST2_DIR``, else ``../shared/data/sst2``.
``FOLDER``    ``train.tsv`` + ``dev.tsv`` (+ ``test.tsv``; also .csv/.jsonl), the GLUE layout
              (``minigrad.data.folders``); or one ``CLASS.txt`` file per class.
``FILE``      one labelled ``.tsv``/``.csv``/``.jsonl`` file.

How the three parts are made (``three_way``):

* a folder with a labelled test file: val = dev, test = test;
* a folder with a labelled dev file: val = a slice of train, test = dev (reported as "dev");
* a single file (or a folder with train only): test = 10% of it, val = a slice of the rest.

The validation slice is ``val_fraction`` (10%) of the training rows, at least 1 and at most 2,000,
so small data keeps 90% for training and large data loses little.  When most training rows are
phrases of other rows (a treebank: SST-2's train.tsv holds its 6,885 sentences *and* 60,000 of
their phrases), the slice is drawn among the full sentences and every phrase of a validation
sentence is removed from training: otherwise the model would have seen each validation sentence
in labelled pieces, and validation would measure memory (92% on SST-2's random rows, against 81%
on its dev sentences).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from minigrad.data import (class_ids, file_sha256, find_split_file, is_split_folder, load_folder_per_class,
                           load_labelled_file, load_split_folder, load_text_lines, longest_rows,
                           make_sentiment_corpus, read_labelled_rows, rows_inside)
from minigrad.data.sst2 import GLUE_SST2_MEMBER_SHA256

DEFAULT_SST2_DIR = Path("..") / "shared" / "data" / "sst2"
SENTIMENT_LABELS = ["negative", "positive"]
MIN_EXAMPLES = 10
MAX_VALIDATION = 2000


@dataclass
class Split:
    texts: list
    labels: list
    kinds: list | None = None

    def __len__(self):
        return len(self.texts)

    def take(self, indices) -> "Split":
        return Split([self.texts[i] for i in indices], [self.labels[i] for i in indices],
                     None if self.kinds is None else [self.kinds[i] for i in indices])


@dataclass
class SentimentData:
    name: str
    train: Split
    val: Split
    test: Split
    test_name: str
    label_names: list = field(default_factory=lambda: list(SENTIMENT_LABELS))
    notes: list = field(default_factory=list)   # one line each: where each part came from


class DataSourceError(ValueError):
    """``--data`` / ``--sst2-dir`` point at nothing usable; the message says how to fix it."""


_HOW_TO_GET_SST2 = ("To get GLUE SST-2: python -c \"from minigrad.data import download_sst2; "
                    "download_sst2('DIR')\" (needs internet), or unzip the GLUE SST-2.zip yourself so that "
                    "DIR/train.tsv and DIR/dev.tsv exist; then pass --data DIR (or --data sst2 --sst2-dir DIR).")


def resolve_sst2_dir(sst2_dir=None) -> Path:
    """The SST-2 folder: ``sst2_dir``, else ``$MINIGRAD_SST2_DIR``, else ``../shared/data/sst2``."""
    if sst2_dir is not None:
        folder, where = Path(sst2_dir), f"--sst2-dir {sst2_dir}"
    elif os.environ.get("MINIGRAD_SST2_DIR"):
        folder, where = Path(os.environ["MINIGRAD_SST2_DIR"]), f"MINIGRAD_SST2_DIR={os.environ['MINIGRAD_SST2_DIR']}"
    else:
        folder, where = DEFAULT_SST2_DIR, f"{DEFAULT_SST2_DIR} (relative to {Path.cwd()})"
    if not ((folder / "train.tsv").is_file() and (folder / "dev.tsv").is_file()):
        raise DataSourceError(f"--data sst2: no SST-2 train.tsv and dev.tsv in {where}. {_HOW_TO_GET_SST2}")
    return folder


def is_glue_sst2(folder) -> bool:
    """True when ``folder/train.tsv`` is GLUE's SST-2 file byte for byte (its 0/1 labels are then named
    negative/positive)."""
    path = Path(folder) / "train.tsv"
    return path.is_file() and path.stat().st_size < 10_000_000 and file_sha256(path) == GLUE_SST2_MEMBER_SHA256["train.tsv"]


# ------------------------------------------------------------------ splitting
def validation_size(n: int, fraction: float) -> int:
    """``fraction`` of ``n`` rows, at least 1 and at most ``MAX_VALIDATION``, never all of them."""
    return max(1, min(MAX_VALIDATION, int(round(n * fraction)), n - 1))


def treebank_sentences(texts):
    """The indices of the full sentences when most rows are phrases inside other rows (a treebank),
    else None.  Checked for up to 300,000 rows (SST-2's 67,349: half a second)."""
    if not 20 <= len(texts) <= 300_000:
        return None
    sentences = longest_rows(texts)
    return sentences if len(sentences) < 0.5 * len(texts) else None


def split_off_validation(train: Split, fraction: float, seed: int, sentences=None):
    """``(rest, validation)``: a seeded random slice of ``train`` for validation.

    ``sentences`` (indices of ``train``'s full sentences, for a treebank): draw the validation rows
    among them, and drop from the rest every row that is part of a validation sentence -- without
    this, a treebank's phrases would show the model its validation sentences piece by piece.
    """
    rng = np.random.default_rng(seed)
    if sentences is None:
        order = rng.permutation(len(train))
        n_val = validation_size(len(train), fraction)
        return train.take(order[n_val:]), train.take(order[:n_val])
    sentences = np.asarray(sentences)
    n_val = validation_size(len(sentences), fraction)
    chosen = np.sort(rng.permutation(sentences)[:n_val])
    val = train.take(chosen)
    inside = set(rows_inside(train.texts, val.texts))
    return train.take([i for i in range(len(train)) if i not in inside]), val


def _require_size(name, n, what="examples"):
    if n < MIN_EXAMPLES:
        raise DataSourceError(f"--data {name}: only {n} {what}; need at least {MIN_EXAMPLES} to split off "
                              "validation and test sentences")


def three_way(name, train: Split, dev: Split | None, test: Split | None, seed, val_fraction, notes=()):
    """``(train, val, test, test_name, notes)`` by the rules of the module docstring."""
    notes = list(notes)
    sentences = treebank_sentences(train.texts) if not (dev is not None and test is not None) else None
    sentences_only = sentences is not None
    if test is not None and dev is not None:
        notes.append(f"validation: the dev file ({len(dev)} sentences); reported: the test file")
        return train, dev, test, "test", notes
    if dev is not None:
        _require_size(name, len(train), "training examples")
        train, val = split_off_validation(train, val_fraction, seed, sentences)
        notes.append(f"validation: {len(val)} {'full sentences' if sentences_only else 'rows'} of the training "
                     f"file{' (their phrases left out of training)' if sentences_only else ''}; reported: the dev file")
        return train, val, dev, "dev", notes
    if test is not None:
        train, val = split_off_validation(train, val_fraction, seed, sentences)
        notes.append(f"validation: {len(val)} {'full sentences' if sentences_only else 'rows'} of the training "
                     "file; reported: the test file")
        return train, val, test, "test", notes
    _require_size(name, len(train))
    if sentences_only:  # the test sentences' phrases must not be trained on either
        rest, test_part = split_off_validation(train, 0.1, seed, sentences)
        rest_sentences = treebank_sentences(rest.texts)
    else:
        order = np.random.default_rng(seed).permutation(len(train))
        n_test = validation_size(len(train), 0.1)
        test_part, rest = train.take(order[:n_test]), train.take(order[n_test:])
        rest_sentences = None
    train, val = split_off_validation(rest, val_fraction, seed + 1, rest_sentences)
    notes.append(f"test: {len(test_part)} random rows (10%); validation: {len(val)} of the others")
    return train, val, test_part, "test", notes


def _cap(split: Split, max_train):
    if max_train is None or max_train >= len(split):
        return split
    return split.take(range(max_train))


# ------------------------------------------------------------------ sources
def load_sentiment_data(data="embedded", sst2_dir=None, max_train=None, seed=0, val_fraction=0.1,
                        embedded_sizes=(8000, 1000), text_column=None, label_column=None,
                        label_names=None) -> SentimentData:
    """The train / validation / test sentences of ``data`` (see the module docstring)."""
    if data == "embedded":
        train, test = make_sentiment_corpus(*embedded_sizes, seed=seed)
        whole = Split([e.text for e in train], [e.label for e in train], [e.kind for e in train])
        rest, val = split_off_validation(whole, val_fraction, seed)  # generated sentences: no phrases
        test_split = Split([e.text for e in test], [e.label for e in test], [e.kind for e in test])
        return SentimentData("embedded", _cap(rest, max_train), val, test_split, "test")
    if data == "sst2":
        folder = resolve_sst2_dir(sst2_dir)
        return _from_folder("sst2", folder, seed, val_fraction, max_train, text_column, label_column, label_names)
    path = Path(data)
    if not path.exists():
        raise DataSourceError(f"--data {data}: expected 'embedded', 'sst2', a folder with train.tsv (+ dev.tsv) or one "
                              f"CLASS.txt file per class, or a labelled .tsv/.csv/.jsonl file; {path} does not exist")
    if path.is_dir():
        if is_split_folder(path):
            return _from_folder(str(path), path, seed, val_fraction, max_train, text_column, label_column, label_names)
        if not any(path.glob("*.txt")):
            raise DataSourceError(f"--data {data}: this folder has no train.tsv/train.csv/train.jsonl (GLUE layout) and "
                                  "no CLASS.txt files (one per class); put the data in one of these shapes")
        texts, labels, names = load_folder_per_class(path)
    else:
        texts, labels, names = load_labelled_file(path, text_column, label_column, label_names=label_names)
    train, val, test, test_name, notes = three_way(str(path), Split(texts, labels), None, None, seed, val_fraction)
    return SentimentData(str(path), _cap(train, max_train), val, test, test_name, list(names), notes)


def _from_folder(name, folder, seed, val_fraction, max_train, text_column, label_column, label_names):
    if label_names is None and is_glue_sst2(folder):
        label_names = SENTIMENT_LABELS  # GLUE's 0/1 are negative/positive
    loaded = load_split_folder(folder, text_column, label_column, label_names)
    parts = {split: Split(*pair) for split, pair in loaded.splits.items()}
    train, val, test, test_name, notes = three_way(name, parts["train"], parts.get("dev"), parts.get("test"), seed,
                                                   val_fraction, notes=loaded.notes)
    return SentimentData(name, _cap(train, max_train), val, test, test_name, loaded.label_names, notes)


def load_eval_split(data, label_names, sst2_dir=None, seed=0, text_column=None, label_column=None):
    """``(split, name, note)`` that ``evaluate`` scores, with labels read as the run's classes
    ``label_names``: embedded test, a folder's reported part (SST-2 dev), or a whole labelled file.
    ``note`` tells how the file's labels were read, when they were ids rather than names."""
    if data == "embedded" or data == "sst2" or Path(data).is_dir():
        names = label_names if (data != "embedded" and not _per_class_folder(data)) else None
        loaded = load_sentiment_data(data, sst2_dir, seed=seed, text_column=text_column, label_column=label_column,
                                     label_names=names)
        if list(loaded.label_names) != list(label_names):
            raise DataSourceError(f"--data {data} has the classes {loaded.label_names}, but the run was trained on "
                                  f"{list(label_names)}")
        return loaded.test, loaded.test_name, None
    path = Path(data)
    if not path.exists():
        raise DataSourceError(f"--data {data}: no such file or folder")
    rows = read_labelled_rows(path, text_column, label_column)
    ids, reading = class_ids(path, [(number, label) for number, _, label in rows], label_names)
    note = None
    if reading == "ids" and [str(i) for i in range(len(label_names))] != list(label_names):
        note = (f"the labels of {path.name} are numbers: read as class ids, "
                + ", ".join(f"{i} = {name}" for i, name in enumerate(label_names))
                + " (the run's order); if your file means otherwise, write the class names as its labels")
    return Split([text for _, text, _ in rows], ids), path.name, note


def _per_class_folder(data) -> bool:
    path = Path(data)
    return path.is_dir() and not is_split_folder(path)


def load_pretraining_texts(data, sst2_dir=None, seed=0, text_column=None):
    """Unlabelled sentences for masked-token pre-training: the training text of ``sst2``, ``embedded`` or
    a folder / labelled file (its labels are ignored), or one sentence per line of a plain text file.
    Of a treebank (SST-2) only the full sentences are taken: its phrases would repeat their words."""
    texts = _pretraining_texts(data, sst2_dir, seed, text_column)
    sentences = treebank_sentences(texts)
    return texts if sentences is None else [texts[i] for i in sentences]


def _pretraining_texts(data, sst2_dir, seed, text_column):
    if data == "embedded":
        return [e.text for e in make_sentiment_corpus(8000, 1000, seed=seed)[0]]
    if data == "sst2":
        data = str(resolve_sst2_dir(sst2_dir))
    path = Path(data)
    if not path.exists():
        raise DataSourceError(f"pretrain --data {data}: expected 'sst2', 'embedded', a data folder, a labelled "
                              ".tsv/.csv/.jsonl file or a text file with one sentence per line; it does not exist")
    if path.is_dir():
        if is_split_folder(path):
            return [text for _, text, _ in read_labelled_rows(find_split_file(path, "train"), text_column,
                                                               need_labels=False)]
        return load_folder_per_class(path)[0]
    if path.suffix.lower() in (".tsv", ".csv", ".jsonl"):
        return [text for _, text, _ in read_labelled_rows(path, text_column, need_labels=False)]
    return load_text_lines(path)


__all__ = ["Split", "SentimentData", "DataSourceError", "load_sentiment_data", "load_eval_split",
           "load_pretraining_texts", "resolve_sst2_dir", "split_off_validation", "three_way", "treebank_sentences"]
