"""The saved object as a JSON *tree* plus a set of named arrays (shared by both file formats).

``encode(obj)`` walks a state dict, an optimizer state dict, or any nesting of dicts, lists and
tuples, and returns ``(tree, arrays)``: every Tensor or NumPy array becomes a named array, every
other value a JSON node::

    {"weight": Tensor(3, 4), "step": 7}
    -> tree   {"kind": "dict", "items": [[{"kind": "str", "value": "weight"},
                                          {"kind": "tensor", "array": "weight", "dtype": "<f4", "shape": [3, 4],
                                           "sha256": "...", "device": "cpu", "requires_grad": false}],
                                         [{"kind": "str", "value": "step"}, {"kind": "int", "value": 7}]]}
       arrays {"weight": array(3, 4)}

An array's name is the dotted path of keys that leads to it (``"state.0.exp_avg"`` in an
optimizer state dict, ``"encoder.layers.0.linear1.weight"`` in a model's), so a flat state dict
keeps its own keys: that is what ``safetensors.torch.load_file`` gives PyTorch.  The tree says
how to rebuild the nesting (the keys of a state dict contain dots themselves, so the names
alone could not).

``decode(tree, read_array, path, ...)`` rebuilds the object and trusts nothing: a node of an
unknown kind, a missing field, a field of the wrong type, a nesting deeper than ``MAX_DEPTH``,
an array whose dtype, shape or SHA-256 differ from what the tree promises -- each is a
``ValueError`` that names ``path``.  (A crafted header must never end in a ``KeyError``,
``RecursionError`` or ``TypeError``.)
"""
import hashlib
import math

import numpy as np

from minigrad.backends import check_device

#: dtype kinds an array may have: bool, signed int, unsigned int, float, complex (never objects).
SAVEABLE_DTYPE_KINDS = "biufc"
#: The deepest nesting ``decode`` follows (a state dict is 1-3 levels deep).
MAX_DEPTH = 64
KEY_KINDS = ("none", "bool", "int", "float", "str")
TENSOR_KINDS = ("tensor", "parameter", "ndarray")


# ---------------------------------------------------------------------------- encoding
def encode(obj, allowed_dtype=None):
    """``(tree, arrays)`` for ``obj`` (see the module docstring).

    ``allowed_dtype(array) -> str | None`` may refuse an array's dtype with a reason (a file format
    that cannot hold it); the refusal is a ``TypeError`` naming where the array sits in ``obj``."""
    arrays = {}
    tree = _encode(obj, arrays, path=(), allowed_dtype=allowed_dtype)
    return tree, arrays


def _encode(obj, arrays, path, allowed_dtype):
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
        node = _store(obj.numpy(), arrays, path, allowed_dtype)
        node.update(kind="parameter" if isinstance(obj, Parameter) else "tensor", device=str(obj.device),
                    requires_grad=bool(obj.requires_grad))
        return node
    if isinstance(obj, np.ndarray):
        return dict(_store(obj, arrays, path, allowed_dtype), kind="ndarray")
    if isinstance(obj, np.generic):  # a NumPy scalar such as np.float64(1.5)
        return _encode(obj.item(), arrays, path, allowed_dtype)
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if not (key is None or isinstance(key, (str, int, float, bool))):
                raise TypeError(f"cannot save {_where(path)}: dict key {key!r} is a {type(key).__name__}; "
                                "keys must be str, int, float, bool or None")
            items.append([_encode(key, arrays, path, allowed_dtype),
                          _encode(value, arrays, path + (key,), allowed_dtype)])
        return {"kind": "dict", "items": items}
    if isinstance(obj, (list, tuple)):
        return {"kind": "list" if isinstance(obj, list) else "tuple",
                "items": [_encode(value, arrays, path + (i,), allowed_dtype) for i, value in enumerate(obj)]}
    raise TypeError(f"cannot save {_where(path)}: objects of type {type(obj).__name__} are not supported; "
                    "save Tensors, numpy arrays, dicts, lists, tuples, numbers, strings, bools or None")


def _where(path):
    return "obj" + "".join(f"[{key!r}]" for key in path)


def _store(array, arrays, path, allowed_dtype):
    if array.dtype.kind not in SAVEABLE_DTYPE_KINDS:
        raise TypeError(f"cannot save {_where(path)}: arrays of dtype {array.dtype} (kind {array.dtype.kind!r}) "
                        "could hold arbitrary Python objects or need pickle; only bool, integer, float and "
                        "complex arrays can be saved")
    refusal = allowed_dtype(array) if allowed_dtype is not None else None
    if refusal:
        raise TypeError(f"cannot save {_where(path)}: {refusal}")
    array = c_contiguous(array)
    name = _unique_name(".".join(str(key) for key in path) or "tensor", arrays)
    arrays[name] = array
    return {"array": name, "dtype": array.dtype.str, "shape": list(array.shape), "sha256": sha256(array)}


def _unique_name(name, taken):
    """``name``, or ``name#2``, ``name#3``... when two paths flatten to the same dotted name
    (``{"a.b": x, "a": {"b": y}}``)."""
    if name not in taken:
        return name
    number = 2
    while f"{name}#{number}" in taken:
        number += 1
    return f"{name}#{number}"


def c_contiguous(array):
    # (np.ascontiguousarray would turn a 0-d array into shape (1,), so copy explicitly)
    return array if array.flags.c_contiguous else array.copy(order="C")


def sha256(array):
    return hashlib.sha256(c_contiguous(array).tobytes()).hexdigest()


# ---------------------------------------------------------------------------- decoding
def decode(tree, read_array, path, map_location="cpu"):
    """Rebuild the saved object from ``tree``; ``read_array(name)`` returns the array called ``name``
    (or raises ``ValueError``).  Every problem is a ``ValueError`` naming ``path``."""
    return _Decoder(read_array, path, map_location).node(tree, depth=0)


class _Decoder:
    def __init__(self, read_array, path, map_location):
        self.read_array = read_array
        self.path = path
        self.map_location = map_location

    def fail(self, problem):
        raise ValueError(f"{self.path!r} has a malformed header: {problem}")

    def field(self, node, name, types):
        """``node[name]``, which must exist and be one of ``types``."""
        if name not in node:
            self.fail(f"a {node.get('kind')!r} node without its {name!r} field")
        value = node[name]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in _as_tuple(types)):
            self.fail(f"the {name!r} field of a {node.get('kind')!r} node is {type(value).__name__} {value!r:.80}")
        return value

    def node(self, node, depth):
        if depth > MAX_DEPTH:
            self.fail(f"the tree is nested more than {MAX_DEPTH} levels deep")
        if not isinstance(node, dict) or not isinstance(node.get("kind"), str):
            self.fail(f"expected a node with a 'kind', got {node!r:.80}")
        kind = node["kind"]
        if kind == "none":
            return None
        if kind == "bool":
            return self.field(node, "value", bool)
        if kind == "int":
            return self.field(node, "value", int)
        if kind == "str":
            return self.field(node, "value", str)
        if kind == "float":
            text = self.field(node, "value", str)
            try:
                return float(text)
            except ValueError:
                self.fail(f"a float node holds {text!r:.80}, which is not a number")
        if kind in ("list", "tuple"):
            values = [self.node(item, depth + 1) for item in self.field(node, "items", list)]
            return values if kind == "list" else tuple(values)
        if kind == "dict":
            result = {}
            for item in self.field(node, "items", list):
                if not isinstance(item, list) or len(item) != 2:
                    self.fail(f"a dict item must be a [key, value] pair, got {item!r:.80}")
                if not isinstance(item[0], dict) or item[0].get("kind") not in KEY_KINDS:
                    self.fail(f"a dict key must be a str, int, float, bool or None node, got {item[0]!r:.80}")
                key = self.node(item[0], depth + 1)
                if isinstance(key, float) and math.isnan(key):
                    self.fail("a dict key is NaN")
                result[key] = self.node(item[1], depth + 1)
            return result
        if kind in TENSOR_KINDS:
            return self.tensor(node)
        self.fail(f"a node of unknown kind {kind!r:.80}")

    def tensor(self, node):
        name = self.field(node, "array", str)
        dtype = self.field(node, "dtype", str)
        shape = self.field(node, "shape", list)
        digest = self.field(node, "sha256", str)
        array = self.read_array(name)
        if array.dtype.str != dtype or list(array.shape) != shape:
            raise ValueError(f"{self.path!r}: array {name!r} has dtype {array.dtype.str} and shape "
                             f"{list(array.shape)}, but the header says dtype {dtype:.40} and shape {shape!r:.80}: "
                             "the file was altered")
        if sha256(array) != digest:
            raise ValueError(f"{self.path!r}: array {name!r} fails its sha256 checksum: the file was altered "
                             "or corrupted")
        if node["kind"] == "ndarray":
            return array
        saved_on = node.get("device", "cpu")
        if not isinstance(saved_on, str):
            self.fail(f"the 'device' of array {name!r} is {saved_on!r:.80}")
        requires_grad = node.get("requires_grad", node["kind"] == "parameter")
        if not isinstance(requires_grad, bool):
            self.fail(f"the 'requires_grad' of array {name!r} is {requires_grad!r:.80}")
        if self.map_location is None:
            try:
                check_device(saved_on)
            except ValueError:
                self.fail(f"array {name!r} names an unknown device {saved_on!r:.40}")
        return make_tensor(array, node["kind"], requires_grad,
                           saved_on if self.map_location is None else self.map_location)


def _as_tuple(types):
    return types if isinstance(types, tuple) else (types,)


def make_tensor(array, kind, requires_grad, device):
    """A Tensor (or Parameter, for ``kind == "parameter"``) holding ``array`` on ``device``."""
    from minigrad.nn.parameter import Parameter
    from minigrad.tensor import Tensor

    device = check_device(device)
    tensor = Tensor._wrap(array, check_device("cpu"))
    if device != "cpu":
        tensor = tensor.to(device)
    if kind == "parameter":
        return Parameter(tensor, requires_grad=requires_grad)
    if requires_grad:
        tensor.requires_grad_(True)
    return tensor
