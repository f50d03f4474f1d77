"""Tokenizer files: one small JSON format with a name and a version, shared by ``Vocab`` and ``BPETokenizer``.

Both tokenizers save themselves as one JSON object whose first two entries say what it is::

    {"format": "minigrad-vocab", "version": 1, ...the tokenizer's own fields...}
    {"format": "minigrad-bpe",   "version": 1, ...}

``write_tokenizer_json`` writes such a file atomically (a temporary file, then ``os.replace``),
so an interrupted save never leaves half a tokenizer behind.  ``read_tokenizer_json`` reads it
back and checks the format and version; every problem is a ``ValueError`` naming the file and
what to do (a missing file is a ``FileNotFoundError``).  The tokenizer then checks its own fields.
"""
from __future__ import annotations

import json
import os
from pathlib import Path


def write_tokenizer_json(path: str | Path, format_name: str, version: int, fields: dict, indent=None) -> None:
    """Write ``{"format": format_name, "version": version, **fields}`` as UTF-8 JSON, atomically."""
    path = Path(path)
    payload = {"format": format_name, "version": version, **fields}
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(payload, ensure_ascii=False, indent=indent), encoding="utf-8")
    os.replace(temporary, path)


def read_tokenizer_json(path: str | Path, format_name: str, version: int, what: str) -> dict:
    """The JSON object in ``path`` after checking its ``"format"`` and ``"version"``.

    ``what`` names the caller in messages, e.g. ``"Vocab.load"`` or ``"BPETokenizer.load"``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what}: no tokenizer file at {path}")
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{what}: {path} is not valid JSON ({error})") from None
    if not isinstance(payload, dict) or payload.get("format") != format_name:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise ValueError(f"{what}: {path} is not a {format_name} file (expected \"format\": \"{format_name}\", "
                         f"found {found!r}); was it written by the matching save()?")
    if payload.get("version") != version:
        raise ValueError(f"{what}: {path} has format version {payload.get('version')!r}; "
                         f"this minigrad reads version {version}")
    return payload
