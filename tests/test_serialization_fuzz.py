"""Damaged and crafted files: every one is a ValueError naming the file, in bounded time and memory.

For both formats mg.load reads (safetensors, and the old .mg zip): truncation at many lengths,
single-bit flips across the whole file, oversized and lying headers, a 1 GB zip bomb of a header,
wrong dtypes, malformed trees (the KeyError / RecursionError / unpacking errors of old), pickles.
Each load runs under tracemalloc (peak Python + NumPy allocations) and a clock; one subprocess
also loads the worst files and reports its peak resident memory.
"""
import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import time
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest
import safetensors.numpy
from legacy_mg_files import npy_bytes, rewrite_member, write_legacy

import minigrad as mg
from minigrad import nn, optim
from minigrad.serialization.legacy import HEADER_KEY

PEAK_BYTES = 4 * 2**20       # far above any of these small files, far below what a bomb would take
SECONDS = 5.0                # generous on a loaded 2-core machine; a vulnerable reader took 34 s
GIGABYTE = 2**30


def _checkpoint():
    """A small but realistic object: a model's state dict, an optimizer's, and numbers."""
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.Embedding(5, 4, padding_idx=0))
    optimizer = optim.AdamW(model.parameters(), lr=0.01)
    for p in model.parameters():
        p.grad = mg.ones_like(p)
    optimizer.step()
    return {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3, "note": "best"}


def _same(a, b):
    if isinstance(a, mg.Tensor) or isinstance(b, mg.Tensor):
        return (isinstance(a, mg.Tensor) and isinstance(b, mg.Tensor) and a.dtype == b.dtype
                and np.array_equal(a.numpy(), b.numpy()) and type(a) is type(b))
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _load_bounded(path):
    """mg.load(path) under tracemalloc and a clock: (result or the ValueError, peak bytes, seconds)."""
    tracemalloc.start()
    began = time.perf_counter()
    try:
        outcome = mg.load(path)
    except ValueError as error:
        outcome = error
    finally:
        seconds = time.perf_counter() - began
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < PEAK_BYTES, f"{path}: {peak:,} bytes at peak"
    assert seconds < SECONDS, f"{path}: {seconds:.1f} s"
    return outcome


def _refused(path, match=None):
    outcome = _load_bounded(path)
    assert isinstance(outcome, ValueError), f"{path} loaded: {outcome!r:.200}"
    assert str(path) in str(outcome), f"the error does not name the file: {outcome}"
    if match is not None:
        assert match in str(outcome), str(outcome)
    return outcome


@pytest.fixture(scope="module", params=["safetensors", "legacy"])
def original(request, tmp_path_factory):
    """(format, the file's bytes, the object it holds)."""
    obj = _checkpoint()
    path = tmp_path_factory.mktemp("fuzz") / f"original.{request.param}"
    (mg.save if request.param == "safetensors" else write_legacy)(obj, path)
    assert _same(mg.load(path), obj)
    return request.param, path.read_bytes(), obj


# ------------------------------------------------------------------ damage anywhere
def test_every_truncation_is_refused(original, tmp_path):
    kind, data, _ = original
    lengths = sorted({0, 1, 7, 8, 9, 20, len(data) - 1, len(data) - 2, *range(10, len(data), max(1, len(data) // 60))})
    for length in lengths:
        path = tmp_path / f"cut{length}.{kind}"
        path.write_bytes(data[:length])
        _refused(path)


def test_single_bit_flips_are_refused_or_harmless(original, tmp_path):
    """A flipped bit anywhere either is caught, or (in padding the formats ignore) changes nothing."""
    kind, data, obj = original
    rng = np.random.default_rng(14)
    positions = sorted(set(range(0, 16)) | set(rng.choice(len(data), size=min(len(data), 250), replace=False)))
    caught = 0
    for position in positions:
        damaged = bytearray(data)
        damaged[position] ^= 1 << int(rng.integers(8))
        path = tmp_path / f"flip{position}.{kind}"
        path.write_bytes(bytes(damaged))
        outcome = _load_bounded(path)
        if isinstance(outcome, ValueError):
            assert str(path) in str(outcome)
            caught += 1
        else:
            assert _same(outcome, obj), f"a flip at byte {position} changed what loads, silently"
    assert caught > len(positions) // 2  # (the harmless ones: zip timestamps, version fields, ...)


# ------------------------------------------------------------------ safetensors, crafted
def _safetensors_file(path, header: dict, data: bytes = b"", length=None):
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text) if length is None else length) + text + data)
    return path


def test_safetensors_headers_that_lie_about_their_size(tmp_path):
    for length in (GIGABYTE, 2**63, 16 * 2**20 + 1):
        _refused(_safetensors_file(tmp_path / f"huge{length}.safetensors", {}, length=length), "claims a header")
    _refused(_safetensors_file(tmp_path / "short.safetensors", {"__metadata__": {}}, length=4000), "truncated")
    (tmp_path / "tiny.safetensors").write_bytes(b"\x05\x00\x00")
    _refused(tmp_path / "tiny.safetensors")


def test_safetensors_wrong_dtypes_and_offsets(tmp_path):
    path = tmp_path / "good.safetensors"
    mg.save({"w": mg.ones(2, 2)}, path)
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header, body = json.loads(data[8:8 + length]), data[8 + length:]
    cases = {
        "same_size_other_dtype": {"dtype": "I32"},        # 16 bytes either way: only the tree's dtype catches it
        "bfloat16": {"dtype": "BF16", "shape": [2, 4]},    # NumPy has no bfloat16
        "unknown_dtype": {"dtype": "Q7"},
        "bigger_dtype": {"dtype": "F64"},                   # the offsets no longer fit the shape
        "offsets_past_the_end": {"data_offsets": [0, 10**9]},
        "negative_shape": {"shape": [-2, 2]},
    }
    for name, change in cases.items():
        crafted = json.loads(json.dumps(header))
        crafted["w"].update(change)
        _refused(_safetensors_file(tmp_path / f"{name}.safetensors", crafted, body))


def _with_tree(tmp_path, name, tree, tensors=None):
    """A safetensors file whose minigrad tree is ``tree`` (with a valid tree checksum: crafted, not damaged)."""
    text = json.dumps(tree) if not isinstance(tree, str) else tree
    metadata = {"format": "minigrad", "version": "2", "tree": text,
                "tree_sha256": hashlib.sha256(text.encode()).hexdigest()}
    path = tmp_path / f"{name}.safetensors"
    safetensors.numpy.save_file(tensors or {"w": np.zeros(2, np.float32)}, str(path), metadata=metadata)
    return path


ZEROS_SHA256 = hashlib.sha256(np.zeros(2, np.float32).tobytes()).hexdigest()   # the file's one tensor, "w"
CRAFTED_TREES = {
    "tree_is_a_list": [1, 2],
    "no_kind": {"items": []},
    "unknown_kind": {"kind": "function", "value": "os.system"},
    "dict_without_items": {"kind": "dict"},
    "dict_items_not_a_list": {"kind": "dict", "items": 5},
    "dict_item_of_three": {"kind": "dict", "items": [[{"kind": "str", "value": "a"}, {"kind": "none"}, {}]]},
    "dict_key_is_a_tensor": {"kind": "dict", "items": [[{"kind": "tensor", "array": "w"}, {"kind": "none"}]]},
    "int_holding_a_string": {"kind": "int", "value": "7"},
    "float_not_a_number": {"kind": "float", "value": "seven"},
    "tensor_without_sha256": {"kind": "tensor", "array": "w", "dtype": "<f4", "shape": [2]},
    "tensor_shape_is_text": {"kind": "tensor", "array": "w", "dtype": "<f4", "shape": "2", "sha256": "0"},
    "tensor_not_in_file": {"kind": "tensor", "array": "nope", "dtype": "<f4", "shape": [2], "sha256": "0"},
    "tensor_wrong_dtype": {"kind": "tensor", "array": "w", "dtype": "<i4", "shape": [2], "sha256": "0"},
    "tensor_bad_checksum": {"kind": "tensor", "array": "w", "dtype": "<f4", "shape": [2], "sha256": "0" * 64},
    "tensor_requires_grad_is_text": {"kind": "tensor", "array": "w", "dtype": "<f4", "shape": [2],
                                     "requires_grad": "yes", "sha256": ZEROS_SHA256},
    "parameter_on_no_device": {"kind": "parameter", "array": "w", "dtype": "<f4", "shape": [2], "device": 3,
                               "sha256": ZEROS_SHA256},
    "nested_100_deep": json.loads('{"kind": "list", "items": [' * 100 + "]}" * 100),
    "json_nested_100000_deep": "[" * 100_000 + "]" * 100_000,     # json.loads alone: RecursionError
    "not_json": "{kind: dict",
}


@pytest.mark.parametrize("name", sorted(CRAFTED_TREES))
def test_crafted_trees_are_value_errors(name, tmp_path):
    _refused(_with_tree(tmp_path, name, CRAFTED_TREES[name]))


def test_crafted_trees_in_old_files_are_value_errors_too(tmp_path):
    for name in ("no_kind", "dict_item_of_three", "dict_key_is_a_tensor", "tensor_without_sha256", "nested_100_deep"):
        path = tmp_path / f"{name}.mg"
        write_legacy({"w": mg.zeros(2)}, path, header={"format": "minigrad", "version": 1, "tree": CRAFTED_TREES[name]})
        _refused(path)
    path = tmp_path / "deep.mg"
    write_legacy({}, path)
    rewrite_member(path, HEADER_KEY + ".npy", npy_bytes(np.frombuffer(b"[" * 100_000 + b"]" * 100_000, np.uint8)))
    _refused(path, "not valid JSON")


# ------------------------------------------------------------------ old zips, crafted
def _npy_header(shape, descr):
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def _zip_bomb_header(path, inflated=GIGABYTE):
    """An old-format file whose header member is deflated: 1 MB on disk, ``inflated`` bytes of valid JSON.

    Built without compressing a gigabyte: after a full flush the compressor forgets its history, so
    every identical 16 MiB chunk of spaces compresses to the same bytes, repeated.  The CRC is left
    wrong on purpose: a reader that inflates notices it only after inflating everything."""
    start = _npy_header((inflated,), "|u1") + b'{"format": "minigrad", "version": 1, "tree": {"kind": "none"}'
    chunk = b" " * 2**24
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(start) + compressor.flush(zlib.Z_FULL_FLUSH)
    body = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH) == body
    spaces = inflated - len(start) - 1
    chunks = spaces // len(chunk) - 1          # (one chunk went into checking the repetition)
    tail = compressor.compress(b" " * (spaces - (chunks + 1) * len(chunk)) + b"}") + compressor.flush()
    stream = head + body * (chunks + 1) + tail
    _patch_single_member(path, stream, inflated)
    return stream


def _patch_single_member(path, compressed, inflated):
    """Rewrite a one-member zip so the member holds ``compressed`` and declares ``inflated`` bytes."""
    name = (HEADER_KEY + ".npy").encode()
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, 0, len(compressed), inflated, len(name), 0)
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, 0, len(compressed), inflated,
                          len(name), 0, 0, 0, 0, 0, 0)
    directory_at = len(local) + len(name) + len(compressed)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(name), directory_at, 0)
    path.write_bytes(local + name + compressed + central + name + end)


def test_a_header_that_inflates_to_a_gigabyte_is_never_inflated(tmp_path):
    path = tmp_path / "bomb.mg"
    stream = _zip_bomb_header(path)
    assert os.path.getsize(path) < 2 * 2**20
    with zipfile.ZipFile(path) as archive:
        assert archive.infolist()[0].file_size == GIGABYTE
    sample = zlib.decompressobj(-15).decompress(stream[:65536], 2**26)
    assert len(sample) == 2**26                       # a real bomb: 64 KiB already inflate past 64 MiB
    _refused(path, "compressed")


def test_old_members_that_lie_about_their_size(tmp_path):
    path = tmp_path / "lying_npy.mg"          # a .npy header claiming 10^12 floats, holding 8 bytes
    write_legacy({"w": mg.zeros(2)}, path)
    rewrite_member(path, "w.npy", _npy_header((10**12,), "<f4") + bytes(8))
    _refused(path, "declares an array of shape")

    path = tmp_path / "lying_zip.mg"          # a stored member whose directory claims a gigabyte
    write_legacy({"w": mg.zeros(2)}, path)
    data = bytearray(path.read_bytes())
    directory = data.rfind(b"PK\x01\x02")
    struct.pack_into("<L", data, directory + 24, GIGABYTE)
    path.write_bytes(bytes(data))
    _refused(path)

    path = tmp_path / "big_header.mg"        # a stored header above the limit (17 MiB of real bytes)
    write_legacy({}, path)
    rewrite_member(path, HEADER_KEY + ".npy", npy_bytes(np.full(17 * 2**20, ord(" "), np.uint8)))
    _refused(path, "at most")


def test_wrong_dtype_in_an_old_file(tmp_path):
    path = tmp_path / "dtype.mg"
    write_legacy({"w": mg.zeros(2)}, path)
    rewrite_member(path, "w.npy", npy_bytes(np.zeros(2, np.int32)))     # same bytes, other dtype
    _refused(path, "altered")
    rewrite_member(path, "w.npy", npy_bytes(np.array(["ab", "cd"])))   # text, not numbers
    _refused(path, "not numbers")


def test_pickles_in_every_disguise_run_no_code(tmp_path):
    import pickle

    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Payload(str(marker)))
    (tmp_path / "bare.pkl").write_bytes(payload)
    _refused(tmp_path / "bare.pkl", "not a minigrad file")
    with zipfile.ZipFile(tmp_path / "torch_style.pt", "w") as archive:   # torch.save's layout: a zip with a pickle
        archive.writestr("archive/data.pkl", payload)
    _refused(tmp_path / "torch_style.pt", "not a minigrad file")
    evil = np.empty(1, dtype=object)
    evil[0] = _Payload(str(marker))
    write_legacy({"w": mg.zeros(1)}, tmp_path / "object_array.mg")
    rewrite_member(tmp_path / "object_array.mg", "w.npy", npy_bytes(evil))
    _refused(tmp_path / "object_array.mg", "pickle")
    _safetensors_file(tmp_path / "pickle_after_header.safetensors", {"__metadata__": {}}, payload)
    _refused(tmp_path / "pickle_after_header.safetensors")
    assert not marker.exists()


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_peak_resident_memory_of_loading_the_worst_files(tmp_path):
    """tracemalloc sees Python and NumPy; the resident set also counts the Rust reader and zlib."""
    bomb = tmp_path / "bomb.mg"
    _zip_bomb_header(bomb)
    huge = _safetensors_file(tmp_path / "huge.safetensors", {}, length=GIGABYTE)
    script = ("import resource, sys, minigrad as mg\n"
              "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
              "for path in sys.argv[1:]:\n"
              "    try:\n        mg.load(path)\n    except ValueError:\n        pass\n"
              "print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n")
    done = subprocess.run([sys.executable, "-c", script, str(bomb), str(huge)], capture_output=True, text=True,
                          timeout=120, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    before, after = map(int, done.stdout.split())
    assert after - before < 50 * 1024, f"resident memory grew by {(after - before) / 1024:.0f} MB"   # KiB on Linux
