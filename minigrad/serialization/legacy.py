"""Reading minigrad's first file format (``.mg``/``.mgz``, written until safetensors replaced it).

That format is a zip written by ``numpy.savez``: one ``.npy`` member per array (``a0.npy``,
``a1.npy``, ...) and ``__minigrad_header__.npy``, a uint8 array holding UTF-8 JSON with the same
tree as today's files (``tree.py``)::

    {"format": "minigrad", "version": 1, "tree": {...}}

Old run folders and checkpoints still load.  The reader is written for files that may have been
crafted to hurt, and keeps every cost bounded by the file's own size:

* ``numpy.savez`` *stores* its members, never compresses them, so a compressed member is refused
  before it is inflated (a 1 MB member can inflate to gigabytes: a "zip bomb");
* each member's ``.npy`` header is read first, and the array's byte count (shape times dtype size)
  must be exactly what the member holds before a single array byte is allocated;
* the JSON header may be at most ``MAX_HEADER_BYTES``, and a ``.npy`` header at most 10,000 bytes;
* an array of Python objects (which ``numpy`` would unpickle) is refused unread.

Any problem -- not a zip, truncated, a CRC or SHA-256 mismatch, a malformed tree -- is a
``ValueError`` that names the file.
"""
import json
import math
import zipfile

import numpy as np

from minigrad.serialization.safetensors_file import MAX_HEADER_BYTES
from minigrad.serialization.tree import SAVEABLE_DTYPE_KINDS, decode

FORMAT_NAME = "minigrad"
FORMAT_VERSION = 1
HEADER_KEY = "__minigrad_header__"
NPY_HEADER_LIMIT = 10_000  # numpy's own default limit for a .npy header


def looks_like_legacy(prefix: bytes) -> bool:
    return prefix[:4] == b"PK\x03\x04"


def read(path: str, map_location="cpu"):
    """The object saved in the old-format file ``path``; ``ValueError`` naming it for any damage."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = {info.filename: info for info in archive.infolist()}
            for info in members.values():
                _check_member(info, path)
            header = _read_header(archive, members, path)

            def read_array(name):
                member = f"{name}.npy"
                if member not in members:
                    raise ValueError(f"{path!r} is missing the array {name!r} that its header lists")
                return _read_npy(archive, members[member], path)

            return decode(header["tree"], read_array, path, map_location)
    except ValueError:
        raise
    except Exception as error:  # zipfile.BadZipFile (also CRC errors), EOFError, OSError, struct errors, ...
        raise ValueError(f"{path!r} is damaged and cannot be read ({type(error).__name__}: {error}); it may be "
                         "truncated") from None


def _check_member(info, path):
    if info.compress_type != zipfile.ZIP_STORED:
        raise ValueError(f"{path!r}: member {info.filename!r} is compressed, which mg.save never did; a compressed "
                         "member can inflate to far more than the file's size, so it is not read")
    if info.file_size != info.compress_size:
        raise ValueError(f"{path!r}: member {info.filename!r} claims {info.file_size:,} bytes but stores "
                         f"{info.compress_size:,}: the file is damaged or crafted")


def _read_header(archive, members, path):
    member = f"{HEADER_KEY}.npy"
    if member not in members:
        raise ValueError(f"{path!r} is not a minigrad file: it has no {HEADER_KEY} entry "
                         "(was it written by numpy.savez rather than mg.save?)")
    if members[member].file_size > MAX_HEADER_BYTES + NPY_HEADER_LIMIT:
        raise ValueError(f"{path!r} has a header of {members[member].file_size:,} bytes; minigrad reads headers of "
                         f"at most {MAX_HEADER_BYTES:,} bytes")
    raw = _read_npy(archive, members[member], path)
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ValueError(f"{path!r} has a malformed header (dtype {raw.dtype}, shape {raw.shape})")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise ValueError(f"{path!r} has a header that is not valid JSON ({type(error).__name__}: "
                         f"{str(error)[:200]})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        named = header.get("format") if isinstance(header, dict) else None
        raise ValueError(f"{path!r} is not a minigrad file: its header names format {named!r:.40}")
    if header.get("version") != FORMAT_VERSION:
        raise ValueError(f"{path!r} uses minigrad file format version {header.get('version')!r:.40}; this reader "
                         f"reads version {FORMAT_VERSION}: upgrade minigrad to load it")
    if "tree" not in header:
        raise ValueError(f"{path!r} has a header without a 'tree' entry")
    return header


def _read_npy(archive, info, path):
    """One ``.npy`` member, checked before its data is read (see the module docstring)."""
    with archive.open(info) as file:
        try:
            version = np.lib.format.read_magic(file)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(f".npy version {version}, which numpy.savez never wrote")
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, fortran_order, dtype = read_header(file, max_header_size=NPY_HEADER_LIMIT)
        except ValueError as error:  # numpy's own message does not say which file
            raise ValueError(f"{path!r}: member {info.filename!r} has a malformed .npy header ({error})") from None
        if dtype.hasobject:
            raise ValueError(f"{path!r}: entry {info.filename!r} holds pickled Python objects, which minigrad "
                             "never loads (pickle can run arbitrary code)")
        if dtype.kind not in SAVEABLE_DTYPE_KINDS:
            raise ValueError(f"{path!r}: entry {info.filename!r} holds {dtype} values, not numbers")
        expected = math.prod(shape) * dtype.itemsize
        if file.tell() + expected != info.file_size:
            raise ValueError(f"{path!r}: member {info.filename!r} declares an array of shape {shape} ({expected:,} "
                             f"bytes) but holds {info.file_size - file.tell():,}: the file was altered")
        data = file.read(expected)
    array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")
    return array.copy(order="C")  # writeable, and C-ordered as the checksum expects
