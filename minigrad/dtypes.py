"""The dtypes minigrad knows, and PyTorch's rules for picking one.

minigrad's dtypes *are* NumPy dtypes (``mg.float32 == np.dtype("float32")``), so a learner can
hand them to NumPy directly:

    floating   float16 (half)   float32 (float)   float64 (double)
    integer    uint8  int8  int16 (short)  int32 (int)  int64 (long)
    boolean    bool

``bfloat16`` exists in PyTorch but not in NumPy, so ``mg.bfloat16`` is a name that explains this
when it is used.

Which dtype a new tensor gets (as in PyTorch):

* Python floats (and lists of them) become the *default float dtype*, float32 unless changed
  with ``mg.set_default_dtype``; Python ints become int64, Python bools become bool;
* a NumPy array keeps its dtype (float64 stays float64, int32 stays int32).

Which dtype an operation returns, ``result_type`` (PyTorch's type promotion):

1. Rank the operands by *category*: bool < integer < floating.
2. Operands come in three priorities: tensors with at least one dimension, 0-d tensors, and
   plain numbers (Python or NumPy scalars).  The result's category is the highest category of
   all operands; its dtype is taken from the highest-priority operands of that category:
   * if a dimensioned tensor has that category, promote among the dimensioned tensors
     (float32 tensor + float64 0-d tensor -> float32);
   * else if a 0-d tensor has it, promote among the 0-d tensors of that category;
   * else it came from a number: the default dtype of that category (int64 tensor * 2.5 ->
     float32; float32 tensor + np.float64(2.0) -> float32).
3. Promotion within a category takes the larger type (float16 + float32 -> float32,
   uint8 + int8 -> int16).
"""
import numpy as np

float16 = np.dtype("float16")
float32 = np.dtype("float32")
float64 = np.dtype("float64")
uint8 = np.dtype("uint8")
int8 = np.dtype("int8")
int16 = np.dtype("int16")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
bool_ = np.dtype("bool")

SUPPORTED = (float16, float32, float64, uint8, int8, int16, int32, int64, bool_)
FLOATING = (float16, float32, float64)

_default_float = float32


class UnavailableDtype:
    """A PyTorch dtype name that NumPy cannot hold (``mg.bfloat16``): using it raises an error that
    says why and what to use instead."""

    def __init__(self, name, advice):
        self.name, self.advice = name, advice

    def __repr__(self):
        return f"mg.{self.name} (not available)"


bfloat16 = UnavailableDtype(
    "bfloat16", "NumPy has no bfloat16 type, so minigrad cannot store it; use mg.float16 (half precision, "
                "narrower range) or mg.float32")

_ALIASES = {
    "float16": float16, "half": float16, "float32": float32, "float": float32, "float64": float64,
    "double": float64, "uint8": uint8, "int8": int8, "int16": int16, "short": int16, "int32": int32,
    "int": int32, "int64": int64, "long": int64, "bool": bool_,
}
_NAMES = ", ".join(f"mg.{name}" for name in ("float16", "float32", "float64", "uint8", "int8", "int16",
                                            "int32", "int64", "bool"))


def get_default_dtype() -> np.dtype:
    """The dtype Python floats become (float32 unless changed)."""
    return _default_float


def set_default_dtype(dtype):
    """Make Python floats (and the float factories: zeros, randn, ...) produce ``dtype``."""
    global _default_float
    dtype = as_dtype(dtype)
    if dtype not in FLOATING:
        raise TypeError(f"set_default_dtype: only floating dtypes can be the default, got {dtype}")
    _default_float = dtype


def as_dtype(dtype) -> np.dtype:
    """Turn ``mg.float32``, ``np.float32``, ``"float32"``, ``float`` ... into one of SUPPORTED."""
    if dtype is None:
        return None
    if isinstance(dtype, UnavailableDtype):
        raise TypeError(f"dtype {dtype.name}: {dtype.advice}")
    if isinstance(dtype, str):
        name = dtype[len("torch."):] if dtype.startswith("torch.") else dtype
        if name in _ALIASES:
            return _ALIASES[name]
        if name == "bfloat16":
            raise TypeError(f"dtype bfloat16: {bfloat16.advice}")
    if dtype is float:
        return _default_float
    if dtype is int:
        return int64
    if dtype is bool:
        return bool_
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}; use one of {_NAMES}") from None
    if dt not in SUPPORTED:
        raise TypeError(f"dtype {dt} is not supported; use one of {_NAMES}")
    return dt


def infer_dtype(array: np.ndarray, from_python: bool) -> np.dtype:
    """The dtype ``mg.tensor`` gives to ``array`` when the user did not name one."""
    kind = array.dtype.kind
    if kind == "b":
        return bool_
    if kind in "iu":
        if from_python:
            return int64
        if array.dtype in SUPPORTED:
            return array.dtype
        raise TypeError(f"cannot make a tensor of dtype {array.dtype} (PyTorch has no such integer type); "
                        f"convert the array first, e.g. array.astype(np.int64)")
    if kind == "f":
        if from_python:
            return _default_float
        if array.dtype in SUPPORTED:
            return array.dtype
        raise TypeError(f"cannot make a tensor of dtype {array.dtype}; convert it first, e.g. array.astype(np.float64)")
    raise TypeError(f"cannot make a tensor from data of dtype {array.dtype}; give numbers (float, int or bool)")


def is_floating(dtype) -> bool:
    return np.dtype(dtype).kind == "f"


def _category(dtype) -> int:
    """bool 0 < integer 1 < floating 2."""
    kind = dtype.kind
    return 2 if kind == "f" else 0 if kind == "b" else 1


def _scalar_dtype(value) -> np.dtype:
    """The dtype a plain number stands for: bool, int64, or the default float."""
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, (int, np.integer)):
        return int64
    return _default_float


def result_type(*operands) -> np.dtype:
    """The dtype of ``op(*operands)`` under PyTorch's type promotion (see the module docstring).

    Each operand is a Tensor (anything with ``.dtype`` and ``.ndim``) or a plain number."""
    groups = ([], [], [])  # dimensioned tensors, 0-d tensors, numbers
    for x in operands:
        if hasattr(x, "dtype") and hasattr(x, "ndim") and not isinstance(x, np.generic):
            groups[0 if x.ndim > 0 else 1].append(x.dtype)
        elif x is not None:
            groups[2].append(_scalar_dtype(x))
    everything = [dt for group in groups for dt in group]
    category = max(_category(dt) for dt in everything)
    for number, group in enumerate(groups):
        same = [dt for dt in group if _category(dt) == category]
        if same:
            if number == 2:  # only a number has the top category: its category's default
                return (bool_, int64, _default_float)[category]
            result = same[0]
            for dt in same[1:]:
                result = np.promote_types(result, dt)
            return result
    raise ValueError("result_type needs at least one operand")
