"""Top-level functions of ``mg`` that take several tensors: where, maximum, cat, stack, ..."""
from minigrad import dtypes
from minigrad.ops import elementwise as ew, matmul as mm, shape
from minigrad.tensor import Tensor, check_broadcastable


def _as_tensor(value, like):
    return value if isinstance(value, Tensor) else like._operand(value)


def promote(*values):
    """``values`` (tensors and numbers) with every tensor cast to their common dtype (``dtypes.result_type``)."""
    dtype = dtypes.result_type(*values)
    return [v._cast(dtype) if isinstance(v, Tensor) else v for v in values]


def where(condition, x, y):
    """Elementwise ``x if condition else y`` (all three broadcast; x and y promote to a common dtype)."""
    like = next(v for v in (x, y, condition) if isinstance(v, Tensor))
    cond = condition if isinstance(condition, Tensor) else _as_tensor(condition, like)
    x, y = promote(_as_tensor(x, like), _as_tensor(y, like))
    check_broadcastable("where", *(v.shape for v in (cond, x, y) if isinstance(v, Tensor)))
    if not isinstance(x, Tensor) or not isinstance(y, Tensor):  # numbers on both sides
        dtype = dtypes.result_type(x, y)
        x, y = (v if isinstance(v, Tensor) else Tensor._wrap(like._backend.asarray(v, dtype=dtype), like.device)
                for v in (x, y))
    return ew.Where.apply(cond._array.astype(bool) if cond.dtype != dtypes.bool_ else cond, x, y)


def maximum(x, y):
    x, y = promote(x, _as_tensor(y, x))
    if isinstance(y, Tensor):
        check_broadcastable("maximum", x.shape, y.shape)
    return ew.Maximum.apply(x, y)


def minimum(x, y):
    x, y = promote(x, _as_tensor(y, x))
    if isinstance(y, Tensor):
        check_broadcastable("minimum", x.shape, y.shape)
    return ew.Minimum.apply(x, y)


def matmul(a, b):
    return a @ b


def dot(a, b):
    """Dot product of two 1-D tensors:  sum_i a_i b_i."""
    return mm.Dot.apply(a, b)


def cross(a, b, dim=-1):
    """Cross product of 3-vectors along ``dim`` (batched and broadcast)."""
    return mm.Cross.apply(a, b, dim)


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: needs at least one tensor")
    ndim = tensors[0].ndim
    for t in tensors[1:]:
        if t.ndim != ndim or any(a != b for i, (a, b) in enumerate(zip(t.shape, tensors[0].shape)) if i != dim % ndim):
            raise RuntimeError(f"cat: shapes {tensors[0].shape} and {t.shape} must match except in dimension {dim}")
    return shape.Cat.apply(dim % ndim, *promote(*tensors))


concat = cat


def stack(tensors, dim=0):
    tensors = list(tensors)
    dim = dim % (tensors[0].ndim + 1)
    return cat([t.unsqueeze(dim) for t in tensors], dim)


def exp(x):
    return x.exp()


def log(x):
    return x.log()


def sqrt(x):
    return x.sqrt()


def abs(x):
    return x.abs()


def clamp(x, min=None, max=None):
    return x.clamp(min, max)


def sum(x, dim=None, keepdim=False):
    return x.sum(dim, keepdim)


def mean(x, dim=None, keepdim=False):
    return x.mean(dim, keepdim)


def argmax(x, dim=None, keepdim=False):
    return x.argmax(dim, keepdim)


def relu(x):
    return x.relu()


def sigmoid(x):
    return x.sigmoid()


def tanh(x):
    return x.tanh()


def softmax(x, dim):
    return x.softmax(dim)


def transpose(x, dim0, dim1):
    return x.transpose(dim0, dim1)


def reshape(x, shape):
    return x.reshape(shape)


def flatten(x, start_dim=0, end_dim=-1):
    return x.flatten(start_dim, end_dim)


def allclose(a, b, rtol=1e-5, atol=1e-8):
    import numpy as np
    return bool(np.allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol))
