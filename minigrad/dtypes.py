"""The four dtypes minigrad knows, and the rules for picking one.

minigrad's dtypes *are* NumPy dtypes (``mg.float32 == np.dtype("float32")``), so a
learner can hand them to NumPy directly.  The rules copy PyTorch's:

* Python floats (and lists of them) become float32, the default float type;
* Python ints become int64, Python bools become bool;
* a NumPy array keeps its dtype (float64 stays float64), except dtypes minigrad does
  not know, which are converted to the nearest one it does (float16 -> float32,
  int32 -> int64).
"""
import numpy as np

float32 = np.dtype("float32")
float64 = np.dtype("float64")
int64 = np.dtype("int64")
bool_ = np.dtype("bool")

SUPPORTED = (float32, float64, int64, bool_)
DEFAULT_FLOAT = float32

_ALIASES = {
    "float32": float32, "float": float32, "float64": float64, "double": float64,
    "int64": int64, "long": int64, "bool": bool_,
}


def as_dtype(dtype) -> np.dtype:
    """Turn ``mg.float32``, ``np.float32``, ``"float32"``, ``float`` ... into one of SUPPORTED."""
    if dtype is None:
        return None
    if isinstance(dtype, str) and dtype in _ALIASES:
        return _ALIASES[dtype]
    if dtype is float:
        return float32
    if dtype is int:
        return int64
    if dtype is bool:
        return bool_
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}; use one of mg.float32, mg.float64, mg.int64, mg.bool") from None
    if dt not in SUPPORTED:
        raise TypeError(f"dtype {dt} is not supported; use one of mg.float32, mg.float64, mg.int64, mg.bool")
    return dt


def infer_dtype(array: np.ndarray, from_python: bool) -> np.dtype:
    """The dtype ``mg.tensor`` gives to ``array`` when the user did not name one."""
    kind = array.dtype.kind
    if kind == "b":
        return bool_
    if kind in "iu":
        return int64
    if kind == "f":
        if from_python or array.dtype.itemsize < 4:
            return DEFAULT_FLOAT
        return float64 if array.dtype == float64 else float32
    raise TypeError(f"cannot make a tensor from data of dtype {array.dtype}; "
                    "give numbers (float, int or bool)")


def is_floating(dtype) -> bool:
    return np.dtype(dtype).kind == "f"
