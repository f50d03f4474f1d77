"""From the label strings of a data file to class ids 0..K-1, refusing the mistakes that would silently
train the wrong model.

Learning the classes from a training file (``learn_classes``):

* the classes are the distinct labels: in numeric order when every label is an integer
  (``1``/``2`` -> ids 0/1, so no empty class 0 appears), else in alphabetical order
  (``neg``/``pos`` -> 0/1);
* refused, naming the line and the fix: one class only (nothing to learn, and accuracy would be
  1.0); numbers mixed with words (one ``positive`` among 0/1 labels); a label seen at most
  ``RARE`` times while another is seen at least ``COMMON`` times (``postive`` among 5,000
  ``positive``: a typo).  A user whose rare class is real lists the classes explicitly.

Reading labels against known classes (``class_ids``; e.g. the classes a run was trained on):

* every label is one of the class names; or, when *no* label is a class name, every label is an
  integer id 0..K-1 (a 0/1 file scored by a negative/positive run reads 0 as "negative"): the
  result says which of the two readings was used, so the caller can tell the user.
"""
from __future__ import annotations

import difflib
from collections import Counter
from pathlib import Path
from typing import Sequence

from .errors import DataError

RARE = 2      # a label seen at most this often ...
COMMON = 10   # ... next to one seen at least this often is taken for a typo
LIST_CLASSES = "list every class with label_names= (--labels A,B,... on the command line)"


def _is_integer(label: str) -> bool:
    return label.lstrip("-").isdigit()


def learn_classes(path: str | Path, labels: Sequence[tuple[int, str]]) -> list[str]:
    """The class names of ``labels`` (``(line number, label)`` pairs) in id order, after the checks above."""
    counts = Counter(label for _, label in labels)
    first_line = {}
    for line, label in labels:
        first_line.setdefault(label, line)
    if len(counts) < 2:
        only = next(iter(counts), None)
        raise DataError(path, f"every example has the label {only!r}: a classifier needs at least two classes.",
                        fix="check the label column (--label-column), or add examples of the other classes.")
    numbers = [label for label in counts if _is_integer(label)]
    if numbers and len(numbers) < len(counts):
        words = [label for label in counts if not _is_integer(label)]
        odd_ones, usual = (words, numbers) if sum(counts[w] for w in words) <= sum(counts[n] for n in numbers) \
            else (numbers, words)
        odd = min(odd_ones, key=lambda label: first_line[label])
        raise DataError(path, f"the label {odd!r} does not look like the others ({', '.join(sorted(usual)[:5])}): "
                              "numbers and words are mixed.", line=first_line[odd],
                        fix=f"correct the label; if both kinds are real classes, {LIST_CLASSES}.")
    most_common, most = counts.most_common(1)[0]
    if most >= COMMON:
        for label, count in sorted(counts.items(), key=lambda item: first_line[item[0]]):
            if count <= RARE:
                close = difflib.get_close_matches(label, [c for c in counts if counts[c] >= COMMON], n=1)
                guess = f" (did you mean {close[0]!r}?)" if close else ""
                raise DataError(path, f"the label {label!r} occurs only {count} time(s) while {most_common!r} occurs "
                                      f"{most} times: a typo{guess}", line=first_line[label],
                                fix=f"correct the label; if {label!r} is a real class, {LIST_CLASSES}.")
    if numbers:
        return sorted(counts, key=int)
    return sorted(counts)


def class_ids(path: str | Path, labels: Sequence[tuple[int, str]], names: Sequence[str]) -> tuple[list[int], str]:
    """``(ids, reading)``: the class id of each label given the class ``names``; ``reading`` is ``"names"``
    (labels are the names) or ``"ids"`` (integer labels 0..K-1 taken as positions in ``names``)."""
    names = [str(name) for name in names]
    position = {name: i for i, name in enumerate(names)}
    if any(label in position for _, label in labels):
        for line, label in labels:
            if label not in position:
                raise DataError(path, f"unknown label {label!r}; the classes are {names}.", line=line,
                                fix="correct the label (labels must be the class names, or all be their ids "
                                    f"0..{len(names) - 1}).")
        return [position[label] for _, label in labels], "names"
    for line, label in labels:
        if not (_is_integer(label) and 0 <= int(label) < len(names)):
            raise DataError(path, f"unknown label {label!r}; the classes are {names} (ids 0..{len(names) - 1}).",
                            line=line, fix="write the labels as the class names, or as their ids.")
    return [int(label) for _, label in labels], "ids"
