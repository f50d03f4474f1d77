"""``mg.save`` / ``mg.load``: store state dicts (and other nested data) without pickle.

Why not pickle?  Loading a pickle runs whatever code the file asks for, so a
downloaded checkpoint could take over your machine.  minigrad files hold only
numbers, in a format that cannot carry code:

* the file is a zip written by ``numpy.savez``: one ``.npy`` member per array
  (``a0.npy``, ``a1.npy``, ...), read back with ``allow_pickle=False``;
* one more member, ``__minigrad_header__.npy``, is a uint8 array holding UTF-8 JSON
  that describes the saved object as a tree::

      {"format": "minigrad", "version": 1,
       "tree": {"kind": "dict", "items": [[{"kind": "str", "value": "weight"},
                                           {"kind": "tensor", "array": "a0", "dtype": "float32",
                                            "shape": [3, 4], "sha256": "...", "device": "cpu",
                                            "requires_grad": false}], ...]}}

What can be saved: Tensors (Parameters come back as Parameters), NumPy arrays of
bool, integer, float or complex dtype, dicts (keys: str, int, float, bool or None),
lists, tuples, and plain ``int``/``float``/``str``/``bool``/``None`` -- exactly what
``module.state_dict()`` and ``optimizer.state_dict()`` contain.

``load`` checks everything it reads: that the file is a minigrad file of a
version it knows, that each array has the dtype and shape the header promises,
and that its bytes still hash to the recorded sha256.  Any problem raises a
``ValueError`` that names the file and what is wrong.
"""
import hashlib
import json
import os
import zipfile

import numpy as np

from minigrad.backends import check_device

FORMAT_NAME = "minigrad"
FORMAT_VERSION = 1
HEADER_KEY = "__minigrad_header__"
_SAVEABLE_DTYPE_KINDS = "biufc"  # bool, signed int, unsigned int, float, complex


# ---------------------------------------------------------------------------- saving
def save(obj, path) -> None:
    """Save ``obj`` (a state dict, an optimizer state dict, or nested dicts/lists of
    Tensors, arrays and plain values) to ``path``.  The file is written atomically:
    a crash mid-save never leaves a half-written file under ``path``."""
    path = os.fspath(path)
    arrays = {}
    tree = _encode(obj, arrays, where="obj")
    header = json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION, "tree": tree})
    arrays[HEADER_KEY] = np.frombuffer(header.encode("utf-8"), dtype=np.uint8)
    temporary = path + ".tmp"
    try:
        with open(temporary, "wb") as file:  # a file object, so numpy does not append ".npz"
            np.savez(file, **arrays)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _encode(obj, arrays: dict, where: str) -> dict:
    """Describe ``obj`` as a JSON-able node; put its arrays into ``arrays``.
    ``where`` is the path to ``obj`` inside the saved object, for error messages."""
    from minigrad.nn.parameter import Parameter
    from minigrad.tensor import Tensor

    if obj is None:
        return {"kind": "none"}
    if isinstance(obj, bool):  # before int: bool is a subclass of int
        return {"kind": "bool", "value": obj}
    if isinstance(obj, int):
        return {"kind": "int", "value": obj}
    if isinstance(obj, float):
        return {"kind": "float", "value": repr(obj)}  # repr round-trips exactly, also nan and inf
    if isinstance(obj, str):
        return {"kind": "str", "value": obj}
    if isinstance(obj, Tensor):
        node = _store_array(obj.numpy(), arrays, where)
        node.update(kind="parameter" if isinstance(obj, Parameter) else "tensor",
                    device=obj.device, requires_grad=bool(obj.requires_grad))
        return node
    if isinstance(obj, np.ndarray):
        node = _store_array(obj, arrays, where)
        node["kind"] = "ndarray"
        return node
    if isinstance(obj, np.generic):  # a NumPy scalar such as np.float64(1.5)
        return _encode(obj.item(), arrays, where)
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if not (key is None or isinstance(key, (str, int, float, bool))):
                raise TypeError(f"cannot save {where}: dict key {key!r} is a {type(key).__name__}; "
                                "keys must be str, int, float, bool or None")
            items.append([_encode(key, arrays, where), _encode(value, arrays, f"{where}[{key!r}]")])
        return {"kind": "dict", "items": items}
    if isinstance(obj, (list, tuple)):
        kind = "list" if isinstance(obj, list) else "tuple"
        return {"kind": kind, "items": [_encode(value, arrays, f"{where}[{i}]") for i, value in enumerate(obj)]}
    raise TypeError(f"cannot save {where}: objects of type {type(obj).__name__} are not supported; "
                    "save Tensors, numpy arrays, dicts, lists, tuples, numbers, strings, bools or None")


def _store_array(array: np.ndarray, arrays: dict, where: str) -> dict:
    if array.dtype.kind not in _SAVEABLE_DTYPE_KINDS:
        raise TypeError(f"cannot save {where}: arrays of dtype {array.dtype} (kind {array.dtype.kind!r}) could "
                        "hold arbitrary Python objects or need pickle; only bool, integer, float and complex "
                        "arrays can be saved")
    array = _c_contiguous(array)
    key = f"a{len(arrays)}"
    arrays[key] = array
    return {"array": key, "dtype": array.dtype.str, "shape": list(array.shape), "sha256": _sha256(array)}


def _c_contiguous(array: np.ndarray) -> np.ndarray:
    # (np.ascontiguousarray would turn a 0-d array into shape (1,), so copy explicitly)
    return array if array.flags.c_contiguous else array.copy(order="C")


def _sha256(array: np.ndarray) -> str:
    return hashlib.sha256(_c_contiguous(array).tobytes()).hexdigest()


# ---------------------------------------------------------------------------- loading
def load(path, map_location="cpu"):
    """Load what :func:`save` wrote.  Tensors are placed on ``map_location``
    (``"cpu"`` by default; ``None`` puts each back on the device it was saved from).

    Never unpickles anything.  Raises ``ValueError`` naming ``path`` if the file is
    not a minigrad file, is truncated or corrupted, or its contents were altered.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file: {path!r}")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path!r} is not a minigrad file: it is not a zip archive "
                         "(it may be truncated, or written by something other than mg.save)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            header = _read_header(archive, path)
            return _decode(header["tree"], archive, path, map_location)
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise ValueError(f"{path!r} is damaged and cannot be read ({error}); it may be truncated") from error


def _read_header(archive, path: str) -> dict:
    if HEADER_KEY not in archive.files:
        raise ValueError(f"{path!r} is not a minigrad file: it has no {HEADER_KEY} entry "
                         "(was it written by numpy.savez rather than mg.save?)")
    raw = _read_member(archive, HEADER_KEY, path)
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ValueError(f"{path!r} has a malformed header (dtype {raw.dtype}, shape {raw.shape})")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path!r} has a header that is not valid JSON: {error}") from error
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise ValueError(f"{path!r} is not a minigrad file: its header names format "
                         f"{header.get('format') if isinstance(header, dict) else None!r}")
    if header.get("version") != FORMAT_VERSION:
        raise ValueError(f"{path!r} uses minigrad file format version {header.get('version')!r}; "
                         f"this minigrad reads version {FORMAT_VERSION}: upgrade minigrad to load it")
    if "tree" not in header:
        raise ValueError(f"{path!r} has a header without a 'tree' entry")
    return header


def _read_member(archive, key: str, path: str) -> np.ndarray:
    try:
        return archive[key]
    except ValueError as error:  # numpy refuses object arrays when allow_pickle=False
        raise ValueError(f"{path!r}: entry {key!r} holds pickled Python objects, which minigrad never "
                         f"loads (pickle can run arbitrary code): {error}") from error


def _decode(node, archive, path: str, map_location):
    if not isinstance(node, dict) or "kind" not in node:
        raise ValueError(f"{path!r} has a malformed header: expected a node with a 'kind', got {node!r}")
    kind = node["kind"]
    if kind == "none":
        return None
    if kind in ("bool", "int", "str"):
        return node["value"]
    if kind == "float":
        return float(node["value"])
    if kind == "dict":
        return {_decode(key, archive, path, map_location): _decode(value, archive, path, map_location)
                for key, value in node["items"]}
    if kind == "list":
        return [_decode(value, archive, path, map_location) for value in node["items"]]
    if kind == "tuple":
        return tuple(_decode(value, archive, path, map_location) for value in node["items"])
    if kind in ("tensor", "parameter", "ndarray"):
        array = _load_checked_array(node, archive, path)
        if kind == "ndarray":
            return array
        return _make_tensor(array, node, map_location)
    raise ValueError(f"{path!r} has a header node of unknown kind {kind!r}")


def _load_checked_array(node: dict, archive, path: str) -> np.ndarray:
    key = node["array"]
    if key not in archive.files:
        raise ValueError(f"{path!r} is missing the array {key!r} that its header lists")
    array = _read_member(archive, key, path)
    if array.dtype.str != node["dtype"] or list(array.shape) != node["shape"]:
        raise ValueError(f"{path!r}: array {key!r} has dtype {array.dtype.str} and shape {list(array.shape)}, "
                         f"but the header says dtype {node['dtype']} and shape {node['shape']}: "
                         "the file was altered")
    if _sha256(array) != node["sha256"]:
        raise ValueError(f"{path!r}: array {key!r} fails its sha256 checksum: the file was altered or corrupted")
    return array


def _make_tensor(array: np.ndarray, node: dict, map_location):
    from minigrad.nn.parameter import Parameter
    from minigrad.tensor import Tensor

    device = check_device(node.get("device", "cpu") if map_location is None else map_location)
    tensor = Tensor._wrap(array, check_device("cpu"))
    if device != "cpu":
        tensor = tensor.to(device)
    if node["kind"] == "parameter":
        return Parameter(tensor, requires_grad=node.get("requires_grad", True))
    if node.get("requires_grad"):
        tensor.requires_grad_(True)
    return tensor
