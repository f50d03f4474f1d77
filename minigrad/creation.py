"""Making tensors: ``mg.tensor`` and the factories (zeros, ones, randn, ...)."""
import numpy as np

from minigrad import dtypes
from minigrad.backends import check_device, get_backend
from minigrad.random import generator
from minigrad.tensor import Tensor


def tensor(data, dtype=None, device="cpu", requires_grad=False):
    """Make a tensor from a number, a (nested) list, a NumPy array or another tensor (copied).

    The dtype is inferred as in PyTorch: Python floats -> float32, ints -> int64, bools -> bool;
    a NumPy array keeps its dtype (float64 stays float64).
    """
    device = check_device(device)
    if isinstance(data, Tensor):
        host = data.numpy()
        from_python = False
    elif hasattr(data, "__cuda_array_interface__") and hasattr(data, "get"):
        host = data.get()  # a CuPy array
        from_python = False
    else:
        from_python = not isinstance(data, np.ndarray) and not isinstance(data, np.generic)
        host = np.asarray(data)
    dtype = dtypes.as_dtype(dtype) if dtype is not None else dtypes.infer_dtype(host, from_python)
    array = get_backend(device).asarray(np.array(host, dtype=dtype, copy=True))
    return Tensor(array, device=device, requires_grad=requires_grad)


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(n) for n in size)


def _filled(size, value, dtype, device, requires_grad):
    device = check_device(device)
    dtype = dtypes.as_dtype(dtype) or dtypes.DEFAULT_FLOAT
    array = get_backend(device).xp.full(_shape(size), value, dtype=dtype)
    return Tensor(array, device=device, requires_grad=requires_grad)


def zeros(*size, dtype=None, device="cpu", requires_grad=False):
    return _filled(size, 0, dtype, device, requires_grad)


def ones(*size, dtype=None, device="cpu", requires_grad=False):
    return _filled(size, 1, dtype, device, requires_grad)


def empty(*size, dtype=None, device="cpu", requires_grad=False):
    """Like PyTorch's ``empty`` but filled with zeros, so results never depend on leftovers."""
    return _filled(size, 0, dtype, device, requires_grad)


def full(size, fill_value, dtype=None, device="cpu", requires_grad=False):
    if dtype is None and isinstance(fill_value, bool):
        dtype = dtypes.bool_
    elif dtype is None and isinstance(fill_value, int):
        dtype = dtypes.int64
    return _filled((size,) if isinstance(size, int) else tuple(size), fill_value, dtype, device, requires_grad)


def _like(t, dtype, device):
    return (dtype if dtype is not None else t.dtype), (device if device is not None else t.device)


def zeros_like(t, dtype=None, device=None, requires_grad=False):
    return zeros(t.shape, dtype=_like(t, dtype, device)[0], device=_like(t, dtype, device)[1], requires_grad=requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False):
    return ones(t.shape, dtype=_like(t, dtype, device)[0], device=_like(t, dtype, device)[1], requires_grad=requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False):
    return zeros_like(t, dtype, device, requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    dt, dev = _like(t, dtype, device)
    return full(t.shape, fill_value, dtype=dt, device=dev, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device="cpu", requires_grad=False):
    if end is None:
        start, end = 0, start
    if dtype is None:
        all_ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = dtypes.int64 if all_ints else dtypes.DEFAULT_FLOAT
    return tensor(np.arange(start, end, step), dtype=dtype, device=device, requires_grad=requires_grad)


def linspace(start, end, steps, dtype=None, device="cpu", requires_grad=False):
    return tensor(np.linspace(start, end, steps), dtype=dtype or dtypes.DEFAULT_FLOAT, device=device,
                  requires_grad=requires_grad)


def _random(values, dtype, device, requires_grad):
    dtype = dtypes.as_dtype(dtype) or dtypes.DEFAULT_FLOAT
    return tensor(values.astype(dtype), dtype=dtype, device=device, requires_grad=requires_grad)


def randn(*size, dtype=None, device="cpu", requires_grad=False):
    """Standard normal samples from minigrad's global generator (see ``mg.manual_seed``)."""
    return _random(generator().standard_normal(_shape(size)), dtype, device, requires_grad)


def rand(*size, dtype=None, device="cpu", requires_grad=False):
    """Uniform samples in [0, 1) from minigrad's global generator."""
    return _random(generator().random(_shape(size)), dtype, device, requires_grad)


def randint(low, high=None, size=(), dtype=None, device="cpu"):
    if high is None:
        low, high = 0, low
    return tensor(generator().integers(low, high, size=size), dtype=dtype or dtypes.int64, device=device)


def randperm(n, device="cpu"):
    return tensor(generator().permutation(n), dtype=dtypes.int64, device=device)


def randn_like(t, dtype=None, device=None, requires_grad=False):
    dt, dev = _like(t, dtype, device)
    return randn(t.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def rand_like(t, dtype=None, device=None, requires_grad=False):
    dt, dev = _like(t, dtype, device)
    return rand(t.shape, dtype=dt, device=dev, requires_grad=requires_grad)
