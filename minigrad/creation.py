"""Making tensors: ``mg.tensor`` and the factories (zeros, ones, randn, ...), with PyTorch's arguments."""
import numpy as np

from minigrad import dtypes
from minigrad.backends import check_device, get_backend
from minigrad.random import generator_of
from minigrad.tensor import Tensor


def tensor(data, dtype=None, device=None, requires_grad=False):
    """Make a tensor from a number, a (nested) list, a NumPy array or another tensor (copied).

    The dtype is inferred as in PyTorch: Python floats -> the default float dtype (float32),
    ints -> int64, bools -> bool; a NumPy array keeps its dtype (float64 stays float64).
    """
    device = check_device(device)
    host, from_python = _host_array(data)
    dtype = dtypes.as_dtype(dtype) if dtype is not None else dtypes.infer_dtype(host, from_python)
    array = get_backend(device).asarray(np.array(host, dtype=dtype, copy=True))
    result = Tensor._wrap(array, device, False)
    return result.requires_grad_() if requires_grad else result


def _host_array(data):
    """(NumPy array, whether it came from Python numbers) for anything ``mg.tensor`` accepts."""
    if isinstance(data, Tensor):
        return data.numpy(), False
    if hasattr(data, "__cuda_array_interface__") and hasattr(data, "get"):
        return data.get(), False  # a CuPy array
    if isinstance(data, (np.ndarray, np.generic)):
        return np.asarray(data), False
    if isinstance(data, (list, tuple)) and _holds_tensors(data):
        data = _to_python(data)
    return np.asarray(data), True


def _holds_tensors(data):
    return any(isinstance(x, Tensor) or isinstance(x, (list, tuple)) and _holds_tensors(x) for x in data)


def _to_python(data):
    if isinstance(data, Tensor):
        return data.tolist()
    if isinstance(data, (list, tuple)):
        return [_to_python(x) for x in data]
    return data


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor, sharing memory with a NumPy array or tensor when dtype and device allow."""
    device = check_device(device)
    if isinstance(data, Tensor):
        return data.to(device, dtypes.as_dtype(dtype))
    if isinstance(data, np.ndarray) and device == "cpu" and (dtype is None or dtypes.as_dtype(dtype) == data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array):
    """A tensor sharing memory with the NumPy array ``array`` (changes show in both)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    dtypes.infer_dtype(array, from_python=False)  # refuses dtypes minigrad cannot hold
    return Tensor._wrap(array, check_device("cpu"), False)


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(n) for n in size)


def _filled(shape, value, dtype, device, requires_grad):
    device = check_device(device)
    dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
    array = get_backend(device).xp.full(shape, value, dtype=dtype)
    result = Tensor._wrap(array, device, False)
    return result.requires_grad_() if requires_grad else result


def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _filled(_shape(size), 0, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _filled(_shape(size), 1, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    """Like PyTorch's ``empty`` but filled with zeros, so results never depend on leftovers."""
    return _filled(_shape(size), 0, dtype, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None and isinstance(fill_value, bool):
        dtype = dtypes.bool_
    elif dtype is None and isinstance(fill_value, int):
        dtype = dtypes.int64
    return _filled(_shape((size,)), fill_value, dtype, device, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    """The identity matrix (n x m, ones on the diagonal)."""
    dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
    result = tensor(np.eye(n, n if m is None else m, dtype=dtype), device=device)
    return result.requires_grad_() if requires_grad else result


def _like(t, dtype, device):
    return (dtype if dtype is not None else t.dtype), (device if device is not None else t.device)


def zeros_like(t, dtype=None, device=None, requires_grad=False):
    dt, dev = _like(t, dtype, device)
    return zeros(t.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False):
    dt, dev = _like(t, dtype, device)
    return ones(t.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False):
    return zeros_like(t, dtype, device, requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    dt, dev = _like(t, dtype, device)
    return full(t.shape, fill_value, dtype=dt, device=dev, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    if dtype is None:
        all_ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = dtypes.int64 if all_ints else dtypes.get_default_dtype()
    return tensor(np.arange(start, end, step), dtype=dtype, device=device, requires_grad=requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    return tensor(np.linspace(start, end, steps), dtype=dtype or dtypes.get_default_dtype(), device=device,
                  requires_grad=requires_grad)


def _random(values, dtype, device, requires_grad):
    dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
    return tensor(values.astype(dtype), dtype=dtype, device=device, requires_grad=requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Standard normal samples from minigrad's global generator (see ``mg.manual_seed``)."""
    return _random(generator_of(generator).standard_normal(_shape(size)), dtype, device, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Uniform samples in [0, 1) from minigrad's global generator."""
    return _random(generator_of(generator).random(_shape(size)), dtype, device, requires_grad)


def randint(*args, size=None, dtype=None, device=None, generator=None, **kwargs):
    """Integers drawn uniformly from [low, high), parsed as PyTorch does:
    ``randint(high, size)``, ``randint(low, high, size)``, or with ``size=`` as a keyword."""
    args = list(args)
    if size is None and args and isinstance(args[-1], (tuple, list)):
        size = args.pop()
    low, high = (0, args[0]) if len(args) == 1 else (args[0], args[1]) if len(args) == 2 else (None, None)
    low, high = kwargs.get("low", low), kwargs.get("high", high)
    if high is None or size is None:
        raise TypeError("randint: give randint(high, size), randint(low, high, size) or size=... "
                        "(size is a tuple, e.g. (3,))")
    values = generator_of(generator).integers(int(low), int(high), size=tuple(size))
    return tensor(values, dtype=dtype or dtypes.int64, device=device)


def randperm(n, dtype=None, device=None, generator=None):
    return tensor(generator_of(generator).permutation(n), dtype=dtype or dtypes.int64, device=device)


def randn_like(t, dtype=None, device=None, requires_grad=False):
    dt, dev = _like(t, dtype, device)
    return randn(t.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def rand_like(t, dtype=None, device=None, requires_grad=False):
    dt, dev = _like(t, dtype, device)
    return rand(t.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def randint_like(t, low=0, high=None, dtype=None, device=None):
    if high is None:
        low, high = 0, low
    dt, dev = _like(t, dtype, device)
    return randint(low, high, t.shape, dtype=dt, device=dev)


# ---------------------------------------------------------------------------------- sampling (issue 9)
def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Samples of N(mean, std^2), with ``torch.normal``'s overloads:

        normal(mean_tensor, std_tensor)   one sample per element (the two broadcast together)
        normal(mean_tensor, std=1.0)      normal(mean_number, std_tensor)
        normal(mean_number, std_number, size)

    Drawn on the host from minigrad's generator (or ``generator``), then moved to the device.
    No gradient flows to mean or std (PyTorch gives them zeros)."""
    tensors = [v for v in (mean, std) if isinstance(v, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal(mean, std) with two numbers needs a size, e.g. mg.normal(0.0, 1.0, size=(2, 3)); "
                            "or give mean or std as a tensor")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        values = generator_of(generator).normal(mean, std, size=_shape((size,)))
        return _random(values, dtype, device, requires_grad)
    if size is not None:
        raise TypeError("normal(): size is only for normal(mean_number, std_number, size); with a tensor mean or "
                        "std the result has their (broadcast) shape")
    like = tensors[0]
    std_host = std.numpy() if isinstance(std, Tensor) else np.asarray(std)
    if (std_host < 0).any():
        raise RuntimeError(f"normal expects all elements of std >= 0.0, but found {std_host.min()}")
    mean_host = mean.numpy() if isinstance(mean, Tensor) else np.asarray(mean)
    shape = np.broadcast_shapes(mean_host.shape, std_host.shape)
    out_dtype = dtypes.result_type(*[v if isinstance(v, Tensor) else float(v) for v in (mean, std)])
    if not dtypes.is_floating(out_dtype):
        out_dtype = dtypes.get_default_dtype()
    values = mean_host + std_host * generator_of(generator).standard_normal(shape)
    return tensor(values.astype(out_dtype), device=like.device)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Draw ``num_samples`` category indices from each row of non-negative weights ``input``
    (1-D: one distribution; 2-D: one per row; the weights need not sum to 1), as int64.

    With replacement: inverse transform sampling — u ~ U(0, 1), pick the first category whose
    cumulative share exceeds u.  Without: each category gets the key E / w (E ~ Exp(1)); the
    smallest keys win, which picks categories one by one with probability proportional to their
    weights among those left (zero weights are picked only once everything else is taken)."""
    if not isinstance(input, Tensor) or not input.is_floating_point():
        got = input.dtype if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {got}; use .float()")
    if input.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {input.shape}")
    weights = input.numpy().astype(np.float64).reshape(-1, input.shape[-1])
    categories = weights.shape[1]
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples (got {num_samples})")
    if not replacement and num_samples > categories:
        raise RuntimeError(f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement "
                           f"({num_samples} > {categories}); pass replacement=True")
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or element < 0")
    totals = weights.sum(axis=1)
    if (totals <= 0).any():
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
    rng = generator_of(generator)
    if replacement:
        cdf = np.cumsum(weights, axis=1)
        cdf /= cdf[:, -1:]
        u = rng.random((weights.shape[0], num_samples))
        picks = np.stack([np.searchsorted(row_cdf, row_u, side="right") for row_cdf, row_u in zip(cdf, u)])
        picks = np.minimum(picks, categories - 1)
    else:
        with np.errstate(divide="ignore"):
            keys = rng.exponential(size=weights.shape) / weights
        picks = np.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    picks = picks.reshape(num_samples) if input.ndim == 1 else picks
    return tensor(picks, dtype=dtypes.int64, device=input.device)


# ---------------------------------------------------------------------- PyTorch's legacy constructors
def _legacy_constructor(dtype, name):
    def make(*data, device=None):
        return Tensor(*data, device=device, dtype=dtype)
    make.__name__ = make.__qualname__ = name
    make.__doc__ = (f"``mg.{name}(values)`` or ``mg.{name}(2, 3)``: a {dtype} tensor, as ``torch.{name}`` "
                    "(a function here: ``isinstance(t, mg.{name})`` is not supported; check ``t.dtype``).")
    return make


FloatTensor = _legacy_constructor(dtypes.float32, "FloatTensor")
DoubleTensor = _legacy_constructor(dtypes.float64, "DoubleTensor")
HalfTensor = _legacy_constructor(dtypes.float16, "HalfTensor")
LongTensor = _legacy_constructor(dtypes.int64, "LongTensor")
IntTensor = _legacy_constructor(dtypes.int32, "IntTensor")
ShortTensor = _legacy_constructor(dtypes.int16, "ShortTensor")
ByteTensor = _legacy_constructor(dtypes.uint8, "ByteTensor")
BoolTensor = _legacy_constructor(dtypes.bool_, "BoolTensor")
