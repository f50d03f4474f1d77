"""Weight initialisation, the way PyTorch does it.

Every function here fills a tensor *in place* (hence the trailing underscore),
under ``no_grad`` so the fill is not recorded in the autograd graph, and draws
its random numbers from minigrad's global generator, so ``mg.manual_seed(s)``
makes it reproducible (or from the ``generator=`` given, an ``mg.Generator``).

Why the scale matters: a layer ``y = W x`` with ``fan_in`` inputs sums
``fan_in`` products, so ``Var(y) = fan_in * Var(W) * Var(x)``.  Picking
``Var(W) = gain**2 / fan_in`` keeps the signal's variance roughly constant from
layer to layer (He/Kaiming init); Glorot/Xavier init averages over the forward
and backward directions: ``Var(W) = gain**2 * 2 / (fan_in + fan_out)``.
A uniform distribution on ``[-b, b]`` has variance ``b**2 / 3``, which is where
the ``sqrt(3)`` below comes from.
"""
import math

import numpy as np

from minigrad import random
from minigrad.autograd import no_grad


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The factor that keeps the variance of activations stable through ``nonlinearity``.

    =================  ==========================
    linear, conv*, sigmoid   1
    tanh               5/3
    relu               sqrt(2)
    leaky_relu         sqrt(2 / (1 + slope**2))   (slope defaults to 0.01)
    selu               3/4
    =================  ==========================
    """
    linear_like = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                   "conv_transpose2d", "conv_transpose3d", "sigmoid"]
    if nonlinearity in linear_like:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}; use one of "
                     f"{linear_like + ['tanh', 'relu', 'leaky_relu', 'selu']}")


def _calculate_fan_in_and_fan_out(tensor):
    """``(fan_in, fan_out)`` of a weight of shape ``(out, in, *kernel)``.

    For a Linear weight ``(out_features, in_features)``: fan_in = in_features,
    fan_out = out_features.  Extra trailing dims (a conv kernel) multiply both.
    """
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out need a tensor with at least 2 dims, got shape {tuple(tensor.shape)}")
    receptive_field = 1
    for size in tensor.shape[2:]:
        receptive_field *= size
    fan_in = tensor.shape[1] * receptive_field
    fan_out = tensor.shape[0] * receptive_field
    return fan_in, fan_out


def _fan(tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None):
    """Fill with draws from U(a, b)."""
    with no_grad():
        tensor.uniform_(a, b, generator=generator)
    return tensor


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None):
    """Fill with draws from N(mean, std**2)."""
    with no_grad():
        tensor.normal_(mean, std, generator=generator)
    return tensor


def trunc_normal_(tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0, generator=None):
    """Fill with draws from N(mean, std**2) truncated to [a, b] (``a`` and ``b`` are values, not numbers
    of std: the common ``trunc_normal_(w, std=0.02)`` never truncates).

    Drawn exactly by rejection: draw normals, keep those inside [a, b], redraw the rest.  With
    acceptance probability P = Phi((b - mean) / std) - Phi((a - mean) / std), each round draws n / P
    values; a window far in the tail (P < 1e-4) is refused rather than looping for a long time.
    """
    if not a < b:
        raise ValueError(f"trunc_normal_: need a < b, got a={a}, b={b}")
    if std <= 0:
        raise ValueError(f"trunc_normal_: std must be positive, got {std}")
    accepted = _normal_cdf((b - mean) / std) - _normal_cdf((a - mean) / std)
    if accepted < 1e-4:
        raise ValueError(f"trunc_normal_: [a, b] = [{a}, {b}] holds only {accepted:.2g} of N({mean}, {std}^2); "
                         "choose a window closer to the mean")
    rng = random.generator_of(generator)
    n = tensor.numel()
    values = np.empty(0)
    while values.size < n:
        draws = rng.normal(mean, std, size=int((n - values.size) / accepted * 1.1) + 16)
        values = np.concatenate([values, draws[(draws >= a) & (draws <= b)]])
    with no_grad():
        tensor.copy_(_host_tensor(values[:n].reshape(tensor.shape)))
    return tensor


def _normal_cdf(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def _host_tensor(values):
    from minigrad.tensor import Tensor
    from minigrad.backends import CPU

    return Tensor._wrap(np.asarray(values), CPU)


def constant_(tensor, val: float):
    """Fill with the value ``val``."""
    with no_grad():
        tensor.fill_(val)
    return tensor


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def eye_(tensor):
    """Fill a 2-D tensor with the identity matrix (ones on the diagonal, also when not square)."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only 2-D tensors are supported, got shape {tuple(tensor.shape)}")
    with no_grad():
        tensor.copy_(_host_tensor(np.eye(*tensor.shape)))
    return tensor


def xavier_uniform_(tensor, gain: float = 1.0, generator=None):
    """Glorot uniform: U(-b, b) with ``b = gain * sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain: float = 1.0, generator=None):
    """Glorot normal: N(0, std**2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None):
    """He uniform: U(-b, b) with ``b = sqrt(3) * gain / sqrt(fan)``.

    ``a`` is the negative slope of the leaky ReLU that follows.  nn.Linear calls this
    with ``a=sqrt(5)``, which makes ``b = 1 / sqrt(fan_in)``.
    """
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None):
    """He normal: N(0, std**2) with ``std = gain / sqrt(fan)``."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor, gain: float = 1.0, generator=None):
    """Fill with a (semi-)orthogonal matrix times ``gain``: the rows (or the columns, whichever are fewer)
    are orthonormal.  Dims after the first are flattened, as in PyTorch.

    The QR decomposition of a Gaussian matrix, Q R = A, with Q's columns multiplied by the signs of
    R's diagonal, gives a Q distributed uniformly over the orthogonal matrices."""
    if tensor.ndim < 2:
        raise ValueError("orthogonal_: only tensors with 2 or more dims are supported, "
                         f"got shape {tuple(tensor.shape)}")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows if rows else 0
    if tensor.numel() == 0:
        return tensor
    flat = random.generator_of(generator).normal(0.0, 1.0, size=(rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    with no_grad():
        tensor.copy_(_host_tensor((gain * q).reshape(tensor.shape)))
    return tensor
