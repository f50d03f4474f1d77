"""Reading and writing ``.safetensors`` files, the field's pickle-free weight format.

The layout (https://github.com/huggingface/safetensors)::

    8 bytes    N, the header's length (little-endian unsigned 64-bit)
    N bytes    JSON: {"__metadata__": {str: str, ...},
                      "name": {"dtype": "F32", "shape": [3, 4], "data_offsets": [begin, end]}, ...}
    the rest   every tensor's bytes, back to back, at its offsets

The file holds numbers only: nothing in it is ever executed.  The ``safetensors`` library checks
what it reads (header size, valid JSON, known dtypes, offsets that tile the data exactly, each
tensor's byte count = its shape times its dtype's size) and memory-maps the data.

minigrad adds three things, in the metadata (which other tools simply ignore):

* ``"format": "minigrad"`` and ``"version"``;
* ``"tree"``: the JSON tree of ``tree.py``, which rebuilds nested dicts, lists, tuples, int keys,
  numbers and strings, Parameters and ``requires_grad`` -- everything that is not a tensor;
* a SHA-256 per tensor (inside the tree) and one of the tree itself (``"tree_sha256"``), because
  the format has no checksum of its own: a flipped bit in the data, or in a number of the tree,
  would otherwise load as a silently different value.

Bounded cost: before the library sees the file, ``read`` checks the 8-byte length against
``MAX_HEADER_BYTES`` and against the file's size, so a header claiming a gigabyte is refused
without reading it; everything else costs at most the file's own size.

A ``.safetensors`` file written by another tool (no minigrad metadata) loads as a flat
``{name: Tensor}`` dict, in name order.
"""
import hashlib
import json
import os
import struct

import numpy as np

from minigrad.serialization.tree import decode, make_tensor

FORMAT_NAME = "minigrad"
FORMAT_VERSION = 2           # 1 was the .mg zip (legacy.py); the tree's vocabulary is the same
#: The largest header minigrad reads: 16 MiB is ~50,000 tensors' worth of names and tree nodes.
MAX_HEADER_BYTES = 16 * 2**20


def looks_like_safetensors(prefix: bytes) -> bool:
    """The first 9 bytes of a safetensors file: a length, then the JSON header's opening brace."""
    return len(prefix) >= 9 and prefix[8:9] == b"{"


def refuse_dtype(array):
    """Why safetensors cannot hold ``array`` (None when it can)."""
    if array.dtype.kind == "c" and array.dtype != np.complex64:
        return (f"safetensors holds complex64 but not {array.dtype}; convert it with .astype(np.complex64) "
                "or save its .real and .imag parts")
    if array.dtype.kind == "f" and array.dtype.itemsize > 8:
        return f"safetensors has no {array.dtype}; convert it to float64 first"
    return None


def write(path: str, tree: dict, arrays: dict) -> None:
    """Write ``arrays`` (name -> C-contiguous ndarray) and ``tree`` to ``path`` (not atomic: see save)."""
    from safetensors.numpy import save_file

    text = json.dumps(tree, separators=(",", ":"))
    metadata = {"format": FORMAT_NAME, "version": str(FORMAT_VERSION), "tree": text, "tree_sha256": _digest(text)}
    save_file({name: _little_endian(array) for name, array in arrays.items()}, path, metadata=metadata)


def _little_endian(array):
    return array.astype(array.dtype.newbyteorder("<")) if array.dtype.byteorder == ">" else array


def read(path: str, map_location="cpu"):
    """The object saved in the safetensors file ``path``; ``ValueError`` naming it for any damage."""
    import safetensors

    header_bytes = _checked_header_length(path)
    try:
        with safetensors.safe_open(path, framework="np") as file:
            metadata = file.metadata() or {}
            names = list(file.keys())
            if not _is_minigrads(metadata):  # a plain safetensors file from another tool
                return {name: make_tensor(file.get_tensor(name), "tensor", False, map_location or "cpu")
                        for name in sorted(names)}
            tree = _tree(metadata, path)
            present = set(names)

            def read_array(name):
                if name not in present:
                    raise ValueError(f"{path!r} is missing the tensor {name!r} that its header lists")
                return file.get_tensor(name)

            return decode(tree, read_array, path, map_location)
    except ValueError:
        raise
    except Exception as error:  # the library's SafetensorError, and anything a crafted header provokes
        raise ValueError(f"{path!r} is not a readable safetensors file ({type(error).__name__}: "
                         f"{_first_line(error)}); it may be truncated or damaged "
                         f"(header of {header_bytes:,} bytes)") from None


def _checked_header_length(path):
    size = os.path.getsize(path)
    with open(path, "rb") as file:
        prefix = file.read(8)
    if len(prefix) < 8:
        raise ValueError(f"{path!r} is too short ({size} bytes) to be a safetensors file")
    (length,) = struct.unpack("<Q", prefix)
    if length > MAX_HEADER_BYTES:
        raise ValueError(f"{path!r} claims a header of {length:,} bytes; minigrad reads headers of at most "
                         f"{MAX_HEADER_BYTES:,} bytes (the file is damaged or crafted)")
    if 8 + length > size:
        raise ValueError(f"{path!r} is truncated: its header alone needs {8 + length:,} bytes, the file has "
                         f"{size:,}")
    return length


def _is_minigrads(metadata):
    """Written by minigrad: its format name, or a tree (so that a damaged name cannot pass as a foreign file;
    other tools write e.g. {"format": "pt"})."""
    return metadata.get("format") == FORMAT_NAME or "tree" in metadata or "tree_sha256" in metadata


def _tree(metadata, path):
    if metadata.get("format") != FORMAT_NAME:
        raise ValueError(f"{path!r} has minigrad metadata but names format {metadata.get('format')!r:.40}: the "
                         "header is damaged")
    if metadata.get("version") != str(FORMAT_VERSION):
        raise ValueError(f"{path!r} uses minigrad file format version {metadata.get('version')!r:.40}; this "
                         f"minigrad reads version {FORMAT_VERSION}: upgrade minigrad to load it")
    text = metadata.get("tree", "")
    if _digest(text) != metadata.get("tree_sha256"):
        raise ValueError(f"{path!r}: the tree in its header fails its sha256 checksum: the file was altered or "
                         "corrupted")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise ValueError(f"{path!r} has a header whose tree is not valid JSON "
                         f"({type(error).__name__}: {_first_line(error)})") from None


def _digest(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _first_line(error):
    text = str(error).strip().splitlines()
    return text[0][:200] if text else ""
