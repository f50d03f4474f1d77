"""Where the sentences come from: ``--data embedded | sst2 | PATH``.

Every source is split three ways, and each part has one job:

* ``train``  the model learns from it;
* ``val``    picks the best epoch (a slice of the *training* data, never the test data);
* ``test``   reported once at the end and used for nothing else (SST-2: the GLUE dev set).

``embedded``  the generated corpus of ``minigrad.data.make_sentiment_corpus`` (no download);
              its test sentences also carry a ``kind`` (plain / negation / contrast / long_range).
``sst2``      GLUE SST-2 from a folder with train.tsv and dev.tsv (default ``../shared/data/sst2``).
``PATH``      your own labelled .tsv/.csv file, or a folder with one ``CLASS.txt`` file per class.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from minigrad.data import (load_folder_per_class, load_glue_sst2, load_labelled_file, load_text_lines,
                           make_sentiment_corpus)

DEFAULT_SST2_DIR = Path("..") / "shared" / "data" / "sst2"
SENTIMENT_LABELS = ["negative", "positive"]


@dataclass
class Split:
    texts: list
    labels: list
    kinds: list | None = None

    def __len__(self):
        return len(self.texts)


@dataclass
class SentimentData:
    name: str
    train: Split
    val: Split
    test: Split
    test_name: str
    label_names: list = field(default_factory=lambda: list(SENTIMENT_LABELS))


class DataSourceError(ValueError):
    """``--data`` / ``--sst2-dir`` point at nothing usable; the message says how to fix it."""


def resolve_sst2_dir(sst2_dir=None) -> Path:
    if sst2_dir is not None:
        folder = Path(sst2_dir)
        if not (folder / "train.tsv").is_file():
            raise DataSourceError(f"--sst2-dir {folder} has no train.tsv. {_HOW_TO_GET_SST2}")
        return folder
    if (DEFAULT_SST2_DIR / "train.tsv").is_file():
        return DEFAULT_SST2_DIR
    raise DataSourceError(f"--data sst2: no SST-2 at {DEFAULT_SST2_DIR} (relative to {Path.cwd()}); "
                          f"pass --sst2-dir DIR. {_HOW_TO_GET_SST2}")


_HOW_TO_GET_SST2 = ("To get GLUE SST-2: python -c \"from minigrad.data import download_sst2; "
                    "download_sst2('DIR')\" (needs internet), or unzip the GLUE SST-2.zip yourself so that "
                    "DIR/train.tsv and DIR/dev.tsv exist.")


def _split_off(texts, labels, fraction, seed, kinds=None):
    """Shuffle (seeded) and cut ``fraction`` of the examples off: ``(rest, part)``."""
    order = np.random.default_rng(seed).permutation(len(texts))
    n_part = max(1, int(round(len(texts) * fraction)))
    part, rest = order[:n_part], order[n_part:]

    def take(indices):
        return Split([texts[i] for i in indices], [labels[i] for i in indices],
                     None if kinds is None else [kinds[i] for i in indices])
    return take(rest), take(part)


def _cap(split: Split, max_train):
    if max_train is None or max_train >= len(split):
        return split
    return Split(split.texts[:max_train], split.labels[:max_train],
                 None if split.kinds is None else split.kinds[:max_train])


def load_sentiment_data(data="embedded", sst2_dir=None, max_train=None, seed=0, val_fraction=0.1,
                        embedded_sizes=(8000, 1000)) -> SentimentData:
    if data == "embedded":
        train, test = make_sentiment_corpus(*embedded_sizes, seed=seed)
        rest, val = _split_off([e.text for e in train], [e.label for e in train], val_fraction, seed,
                               [e.kind for e in train])
        test_split = Split([e.text for e in test], [e.label for e in test], [e.kind for e in test])
        return SentimentData("embedded", _cap(rest, max_train), val, test_split, "test")
    if data == "sst2":
        folder = resolve_sst2_dir(sst2_dir)
        train = load_glue_sst2(folder, "train")
        dev = load_glue_sst2(folder, "dev")
        # 2000 training sentences (not dev!) choose the best epoch.
        rest, val = _split_off([t for t, _ in train], [y for _, y in train], 2000 / len(train), seed)
        test_split = Split([t for t, _ in dev], [y for _, y in dev])
        return SentimentData("sst2", _cap(rest, max_train), val, test_split, "dev")
    path = Path(data)
    if not path.exists():
        raise DataSourceError(f"--data {data}: expected 'embedded', 'sst2' or the path of a labelled "
                              f".tsv/.csv file or a folder with one CLASS.txt file per class; {path} does not exist")
    texts, labels, names = load_folder_per_class(path) if path.is_dir() else load_labelled_file(path)
    if len(texts) < 10:
        raise DataSourceError(f"--data {data}: only {len(texts)} examples; need at least 10 to split off "
                              "validation and test sentences")
    rest, test = _split_off(texts, labels, 0.1, seed)
    train, val = _split_off(rest.texts, rest.labels, val_fraction, seed + 1)
    return SentimentData(str(path), _cap(train, max_train), val, test, "test", list(names))


def load_eval_split(data="embedded", sst2_dir=None, seed=0):
    """The split that ``evaluate`` reports on: embedded test, SST-2 dev, or a whole file."""
    if data in ("embedded", "sst2"):
        loaded = load_sentiment_data(data, sst2_dir, seed=seed)
        return loaded.test, loaded.test_name, loaded.label_names
    path = Path(data)
    if not path.exists():
        raise DataSourceError(f"--data {data}: no such file or folder")
    texts, labels, names = load_folder_per_class(path) if path.is_dir() else load_labelled_file(path)
    return Split(texts, labels), path.name, list(names)


def load_pretraining_texts(data, sst2_dir=None, seed=0):
    """Unlabelled sentences for masked-token pre-training: SST-2 train sentences, the embedded
    corpus' training sentences, or one sentence per line of a text file."""
    if data == "sst2":
        return [t for t, _ in load_glue_sst2(resolve_sst2_dir(sst2_dir), "train")]
    if data == "embedded":
        return [e.text for e in make_sentiment_corpus(8000, 1000, seed=seed)[0]]
    path = Path(data)
    if not path.is_file():
        raise DataSourceError(f"pretrain --data {data}: expected 'sst2', 'embedded' or a text file with one "
                              "sentence per line")
    return load_text_lines(path)
