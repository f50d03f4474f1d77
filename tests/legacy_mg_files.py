"""Writing files in minigrad's first format (the ``.mg`` zip), which minigrad now only reads.

The library no longer writes this format; the tests still need such files, intact and damaged.
This is that writer, as ``mg.save`` was: ``numpy.savez`` of one member per array plus
``__minigrad_header__.npy`` holding the JSON tree (the same tree vocabulary as today's files).
A real old file is also shipped: ``lessons/trained/sentiment_embedded/weights.mg``.
"""
import io
import json
import zipfile

import numpy as np

from minigrad.serialization.legacy import FORMAT_NAME, FORMAT_VERSION, HEADER_KEY
from minigrad.serialization.tree import encode


def write_legacy(obj, path, header=None):
    """Write ``obj`` in the old format (``header`` replaces the JSON header's dict, to craft files)."""
    tree, arrays = encode(obj)
    header = header if header is not None else {"format": FORMAT_NAME, "version": FORMAT_VERSION, "tree": tree}
    arrays[HEADER_KEY] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    with open(path, "wb") as file:
        np.savez(file, **arrays)


def rewrite_member(path, member, new_bytes, compression=zipfile.ZIP_STORED):
    """Replace one member of the zip (zip's own CRC is recomputed, so only minigrad's checks can notice)."""
    with zipfile.ZipFile(path) as source:
        contents = {name: source.read(name) for name in source.namelist()}
    contents[member] = new_bytes
    with zipfile.ZipFile(path, "w") as target:
        for name, data in contents.items():
            target.writestr(name, data, compress_type=compression if name == member else zipfile.ZIP_STORED)


def npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()
