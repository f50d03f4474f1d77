"""Load your own text data: labelled TSV/CSV files, one-file-per-class folders, plain text.

Every loader returns plain Python lists, and every problem in a file raises
:class:`~minigrad.data.errors.DataError` naming the file, the line and the fix.

* ``load_labelled_file("reviews.csv")`` -> ``(texts, labels, label_names)``
* ``load_folder_per_class("reviews/")`` with ``reviews/neg.txt`` and ``reviews/pos.txt``
  -> the same triple, one example per line, class names from the file names
* ``load_text_lines("unlabelled.txt")`` -> ``texts`` (for pre-training)
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Sequence

from .errors import DataError

DEFAULT_TEXT_COLUMNS = ("sentence", "text")
DEFAULT_LABEL_COLUMN = "label"
_DELIMITER_BY_SUFFIX = {".tsv": "\t", ".csv": ","}
_DELIMITER_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}


def read_lines(path: str | Path, what: str = "data file") -> list[str]:
    """All lines of a UTF-8 text file (a byte-order mark is dropped), without line endings.

    A missing file raises ``FileNotFoundError``; bytes that are not UTF-8 raise
    ``DataError`` with the line where they are.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what} {path} does not exist (check the path; relative paths start at {Path.cwd()})")
    if not path.is_file():
        raise DataError(path, f"expected a {what} but this is a folder.")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataError(path, "is not valid UTF-8 text.", line=line, fix="save the file as UTF-8.") from None
    return text.splitlines()


def _choose_delimiter(path: Path, header: str, delimiter: str | None) -> str:
    if delimiter is not None:
        return delimiter
    if path.suffix.lower() in _DELIMITER_BY_SUFFIX:
        return _DELIMITER_BY_SUFFIX[path.suffix.lower()]
    # Unknown extension: the header's most common candidate character is the delimiter.
    counts = {d: header.count(d) for d in _DELIMITER_NAMES}
    best = max(counts, key=counts.get)
    if counts[best] == 0:
        raise DataError(
            path, "cannot tell the column delimiter: the header line has no tab, comma, semicolon or pipe.",
            line=1, fix="name the file .tsv or .csv, or pass delimiter=.",
        )
    return best


def _split_rows(lines: list[str], delimiter: str) -> list[tuple[int, list[str]]]:
    """(line number, fields) for every non-blank line.  Commas etc. honour CSV quoting; tabs split plainly."""
    numbered = [(number, line) for number, line in enumerate(lines, start=1) if line.strip()]
    if delimiter == "\t":
        # GLUE-style TSV: no quoting, a quote character is just part of the text.
        return [(number, line.split("\t")) for number, line in numbered]
    rows = []
    for number, line in numbered:
        rows.append((number, next(csv.reader([line], delimiter=delimiter))))
    return rows


def _pick_column(path: Path, header: list[str], wanted: str | None, defaults: Sequence[str], role: str) -> int:
    names = [wanted] if wanted is not None else list(defaults)
    for name in names:
        if name in header:
            return header.index(name)
    option = "text_column" if role == "text" else "label_column"
    raise DataError(
        path, f"the header {header} has no {role} column named {' or '.join(repr(n) for n in names)}.",
        line=1, fix=f"rename the column or pass {option}= with one of {header}.",
    )


def load_labelled_file(
    path: str | Path,
    text_column: str | None = None,
    label_column: str | None = None,
    delimiter: str | None = None,
    label_names: Sequence[str] | None = None,
) -> tuple[list[str], list[int], list[str]]:
    """Read a TSV/CSV file with a header row into ``(texts, labels, label_names)``.

    * delimiter: given, else from the extension (``.tsv`` tab, ``.csv`` comma), else
      guessed from the header line;
    * columns: ``text_column`` (default ``"sentence"`` or ``"text"``) and
      ``label_column`` (default ``"label"``); other columns are ignored;
    * labels: if ``label_names`` is given, each label must be one of them and its
      id is its position in that list.  Otherwise integer labels (``0``, ``1``, ``4``)
      are their own ids, with names ``["0", "1", ..., str(max)]``, and text labels
      (``pos``, ``neg``) get ids in alphabetical order of the names.
    Texts are stripped of surrounding whitespace (GLUE sentences end in a space).
    """
    path = Path(path)
    lines = read_lines(path, "labelled data file")
    if not any(line.strip() for line in lines):
        raise DataError(path, "is empty.", fix="a header line (e.g. 'sentence<TAB>label') and one example per line.")
    first = next(line for line in lines if line.strip())
    delimiter = _choose_delimiter(path, first, delimiter)
    rows = _split_rows(lines, delimiter)
    header_line, header = rows[0]
    header = [name.strip() for name in header]
    if len(rows) == 1:
        raise DataError(path, "has a header but no examples.", line=header_line)
    text_index = _pick_column(path, header, text_column, DEFAULT_TEXT_COLUMNS, "text")
    label_index = _pick_column(path, header, label_column, (DEFAULT_LABEL_COLUMN,), "label")

    texts, raw_labels = [], []
    delimiter_name = _DELIMITER_NAMES.get(delimiter, repr(delimiter))
    for number, fields in rows[1:]:
        if len(fields) != len(header):
            raise DataError(
                path,
                f"expected {len(header)} {delimiter_name}-separated columns ({', '.join(header)}) "
                f"but found {len(fields)}.",
                line=number,
                fix=f"remove stray {delimiter_name} characters inside the text"
                + (" or put the text in double quotes." if delimiter != "\t" else "."),
            )
        text, label = fields[text_index].strip(), fields[label_index].strip()
        if not text:
            raise DataError(path, "the text column is empty.", line=number)
        if not label:
            raise DataError(path, "the label column is empty.", line=number)
        texts.append(text)
        raw_labels.append((number, label))

    if label_names is not None:
        names = [str(name) for name in label_names]
        for number, label in raw_labels:
            if label not in names:
                raise DataError(
                    path, f"unknown label {label!r}; the allowed labels are {names}.", line=number,
                    fix="correct the label or add it to label_names=.",
                )
        return texts, [names.index(label) for _, label in raw_labels], names

    if all(label.lstrip("-").isdigit() for _, label in raw_labels):
        ids = [int(label) for _, label in raw_labels]
        for (number, _), value in zip(raw_labels, ids):
            if value < 0:
                raise DataError(path, f"label {value} is negative; integer labels must be 0, 1, 2, ...", line=number)
        return texts, ids, [str(i) for i in range(max(ids) + 1)]
    names = sorted({label for _, label in raw_labels})
    return texts, [names.index(label) for _, label in raw_labels], names


def load_folder_per_class(folder: str | Path, suffix: str = ".txt") -> tuple[list[str], list[int], list[str]]:
    """Read ``folder/<class name>.txt`` files (one example per line) into ``(texts, labels, label_names)``.

    Class ids follow the alphabetical order of the file names (``neg.txt`` -> 0,
    ``pos.txt`` -> 1).  Blank lines are skipped.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"class folder {folder} does not exist or is not a folder; "
            f"it should hold one {suffix} file per class, e.g. neg{suffix} and pos{suffix}"
        )
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == suffix)
    if len(files) < 2:
        raise DataError(
            folder, f"found {len(files)} class file(s) ending in {suffix}; a classifier needs at least two classes.",
            fix=f"put one file per class in the folder, e.g. neg{suffix} and pos{suffix}.",
        )
    texts, labels, names = [], [], []
    for class_id, file in enumerate(files):
        examples = [line.strip() for line in read_lines(file, "class file") if line.strip()]
        if not examples:
            raise DataError(file, "is empty: every class file needs at least one example line.")
        names.append(file.stem)
        texts.extend(examples)
        labels.extend([class_id] * len(examples))
    return texts, labels, names


def load_text_lines(path: str | Path) -> list[str]:
    """Read unlabelled text, one example per non-blank line (stripped), e.g. for pre-training."""
    path = Path(path)
    texts = [line.strip() for line in read_lines(path, "text file") if line.strip()]
    if not texts:
        raise DataError(path, "is empty: it has no non-blank lines.", fix="put one sentence per line.")
    return texts
