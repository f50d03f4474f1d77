"""Load your own text data: labelled TSV/CSV/JSON-lines files, one-file-per-class folders, plain text.

Every loader returns plain Python lists, and every problem in a file raises
:class:`~minigrad.data.errors.DataError` naming the file, the line and the fix.

* ``load_labelled_file("reviews.csv")`` -> ``(texts, labels, label_names)`` (also ``.tsv``, ``.jsonl``)
* ``load_folder_per_class("reviews/")`` with ``reviews/neg.txt`` and ``reviews/pos.txt``
  -> the same triple, one example per line, class names from the file names
* ``load_text_lines("unlabelled.txt")`` -> ``texts`` (for pre-training)
"""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Sequence

from .errors import DataError
from .labels import class_ids, learn_classes

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


def _pick_column(path: Path, header: list[str], wanted: str | None, defaults: Sequence[str], role: str,
                 required: bool = True, line: int = 1) -> int | None:
    names = [wanted] if wanted is not None else list(defaults)
    for name in names:
        if name in header:
            return header.index(name)
    if not required:
        return None
    option = "text_column" if role == "text" else "label_column"
    raise DataError(
        path, f"the header {header} has no {role} column named {' or '.join(repr(n) for n in names)}.",
        line=line, fix=f"rename the column or pass {option}= (--{option.replace('_', '-')}) with one of {header}.",
    )


def _jsonl_rows(path: Path, lines: list[str], text_column, label_column, need_labels: bool):
    """(line, text, label or None) for every object of a JSON-lines file."""
    rows, has_labels = [], None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(path, f"is not a JSON object ({error.msg}).", line=number,
                            fix="write one JSON object per line, e.g. {\"text\": \"a fine film\", \"label\": 1}.") from None
        if not isinstance(record, dict):
            raise DataError(path, f"holds a JSON {type(record).__name__}, not an object.", line=number,
                            fix="write one JSON object per line, e.g. {\"text\": \"a fine film\", \"label\": 1}.")
        keys = list(record)
        text_key = keys[_pick_column(path, keys, text_column, DEFAULT_TEXT_COLUMNS, "text", line=number)]
        if has_labels is None:  # the first object decides whether the file is labelled
            has_labels = (label_column or DEFAULT_LABEL_COLUMN) in record or need_labels
        label = None
        if has_labels:
            key = keys[_pick_column(path, keys, label_column, (DEFAULT_LABEL_COLUMN,), "label", line=number)]
            value = record[key]
            label = value if isinstance(value, str) else json.dumps(value)
        text = record[text_key]
        if not isinstance(text, str):
            raise DataError(path, f"the text entry {text_key!r} is a {type(text).__name__}, not a string.",
                            line=number)
        rows.append((number, text, label))
    return rows


def _delimited_rows(path: Path, lines: list[str], text_column, label_column, delimiter, need_labels: bool):
    """(line, text, label or None) for every row of a TSV/CSV file with a header."""
    first = next(line for line in lines if line.strip())
    delimiter = _choose_delimiter(path, first, delimiter)
    rows = _split_rows(lines, delimiter)
    header_line, header = rows[0]
    header = [name.strip() for name in header]
    text_index = _pick_column(path, header, text_column, DEFAULT_TEXT_COLUMNS, "text")
    label_index = _pick_column(path, header, label_column, (DEFAULT_LABEL_COLUMN,), "label", required=need_labels)
    delimiter_name = _DELIMITER_NAMES.get(delimiter, repr(delimiter))
    columns = f"{len(header)} {delimiter_name}-separated columns ({', '.join(header)})"
    out = []
    for number, fields in rows[1:]:
        if len(fields) > len(header):
            raise DataError(
                path, f"expected {columns} but found {len(fields)}.", line=number,
                fix=f"remove stray {delimiter_name} characters inside the text"
                + (" or put the text in double quotes." if delimiter != "\t" else "."),
            )
        if len(fields) < len(header):
            missing = [header[i] for i in range(len(fields), len(header))]
            raise DataError(
                path, f"expected {columns} but found {len(fields)}: the {' and '.join(missing)} "
                f"column{'s are' if len(missing) > 1 else ' is'} missing.", line=number,
                fix=f"give this row all {len(header)} columns, separated by {delimiter_name}s.",
            )
        label = fields[label_index].strip() if label_index is not None else None
        out.append((number, fields[text_index], label))
    return out


def read_labelled_rows(
    path: str | Path,
    text_column: str | None = None,
    label_column: str | None = None,
    delimiter: str | None = None,
    need_labels: bool = True,
) -> list[tuple[int, str, str | None]]:
    """``(line number, text, label)`` for every example of a ``.tsv``/``.csv`` file with a header row,
    or of a ``.jsonl`` file (one JSON object per line).

    Texts are stripped of surrounding whitespace (GLUE sentences end in a space); labels are strings
    (a JSON number ``1`` becomes ``"1"``).  With ``need_labels=False`` a file without a label column
    (GLUE's test.tsv) is fine and every label is ``None``.
    """
    path = Path(path)
    lines = read_lines(path, "labelled data file")
    if not any(line.strip() for line in lines):
        raise DataError(path, "is empty.", fix="a header line (e.g. 'sentence<TAB>label') and one example per line.")
    if path.suffix.lower() == ".jsonl":
        rows = _jsonl_rows(path, lines, text_column, label_column, need_labels)
    else:
        rows = _delimited_rows(path, lines, text_column, label_column, delimiter, need_labels)
        if not rows:
            header_line = next(n for n, line in enumerate(lines, start=1) if line.strip())
            raise DataError(path, "has a header but no examples.", line=header_line)
    out = []
    for number, text, label in rows:
        text = text.strip()
        if not text:
            raise DataError(path, "the text column is empty.", line=number, fix="remove the row or give it a text.")
        if label is not None and not label.strip():
            raise DataError(path, "the label column is empty.", line=number, fix="give the row its label.")
        out.append((number, text, None if label is None else label.strip()))
    return out


def load_labelled_file(
    path: str | Path,
    text_column: str | None = None,
    label_column: str | None = None,
    delimiter: str | None = None,
    label_names: Sequence[str] | None = None,
) -> tuple[list[str], list[int], list[str]]:
    """Read a labelled ``.tsv``/``.csv``/``.jsonl`` file into ``(texts, labels, label_names)``.

    * delimiter: given, else from the extension (``.tsv`` tab, ``.csv`` comma), else
      guessed from the header line;
    * columns: ``text_column`` (default ``"sentence"`` or ``"text"``) and
      ``label_column`` (default ``"label"``); other columns are ignored;
    * labels (``minigrad.data.labels``): without ``label_names`` the classes are learned
      from the file (integers in numeric order, words alphabetically) and a single class,
      numbers mixed with words, or a label so rare it looks like a typo are refused; with
      ``label_names`` each label must be one of them (its id is its position) or every label
      an integer id ``0..len(label_names)-1``.
    """
    rows = read_labelled_rows(path, text_column, label_column, delimiter)
    labels = [(number, label) for number, _, label in rows]
    names = list(label_names) if label_names is not None else learn_classes(path, labels)
    ids, _ = class_ids(path, labels, names)
    return [text for _, text, _ in rows], ids, [str(name) for name in names]


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
