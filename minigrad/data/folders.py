"""A data set as a folder of split files, the layout of GLUE and of many downloads::

    my-data/
      train.tsv     (or train.csv / train.jsonl)        required
      dev.tsv       (or validation.tsv, dev.csv, ...)   optional: labelled sentences to score on
      test.tsv      (or test.csv, ...)                  optional; GLUE's has no labels and is then skipped

``load_split_folder`` reads each file with ``read_labelled_rows`` and gives all of them the class
names of ``train`` (learned from it, or given as ``label_names``), so a label means the same class
in every split and a dev label that train never had is an error on its line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .errors import DataError
from .files import read_labelled_rows
from .labels import class_ids, learn_classes

SPLIT_FILE_NAMES = {"train": ("train",), "dev": ("dev", "validation", "valid"), "test": ("test",)}
SPLIT_SUFFIXES = (".tsv", ".csv", ".jsonl")


@dataclass
class SplitFolder:
    """The labelled splits of a folder: ``splits["train"]`` is ``(texts, labels)``, as are "dev" and
    "test" when present and labelled; ``files`` says which file each split came from; ``notes`` what
    was skipped and why."""
    splits: dict
    label_names: list
    files: dict
    notes: list = field(default_factory=list)


def find_split_file(folder: str | Path, split: str) -> Path | None:
    """``folder/train.tsv`` (or .csv/.jsonl; for "dev" also validation.* and valid.*), or None."""
    for stem in SPLIT_FILE_NAMES[split]:
        for suffix in SPLIT_SUFFIXES:
            path = Path(folder) / f"{stem}{suffix}"
            if path.is_file():
                return path
    return None


def is_split_folder(folder: str | Path) -> bool:
    return Path(folder).is_dir() and find_split_file(folder, "train") is not None


def load_split_folder(folder: str | Path, text_column: str | None = None, label_column: str | None = None,
                      label_names: Sequence[str] | None = None) -> SplitFolder:
    """Read the train/dev/test files of ``folder`` (see the module docstring)."""
    folder = Path(folder)
    train_file = find_split_file(folder, "train")
    if train_file is None:
        raise DataError(folder, "has no train.tsv, train.csv or train.jsonl.",
                        fix="name the training file train.tsv (GLUE layout), or pass the file itself.")
    rows = read_labelled_rows(train_file, text_column, label_column)
    labels = [(number, label) for number, _, label in rows]
    names = [str(n) for n in label_names] if label_names is not None else learn_classes(train_file, labels)
    result = SplitFolder({}, names, {})
    result.splits["train"] = ([text for _, text, _ in rows], class_ids(train_file, labels, names)[0])
    result.files["train"] = train_file
    for split in ("dev", "test"):
        path = find_split_file(folder, split)
        if path is None:
            continue
        rows = read_labelled_rows(path, text_column, label_column, need_labels=False)
        if rows[0][2] is None:
            result.notes.append(f"{path.name} has no label column: not used")
            continue
        ids, _ = class_ids(path, [(number, label) for number, _, label in rows], names)
        result.splits[split] = ([text for _, text, _ in rows], ids)
        result.files[split] = path
    return result
