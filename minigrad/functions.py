"""Top-level functions of ``mg``: where, maximum, cat, stack, ... and torch's math names (sin, sort, gather, ...).

Careful: this module defines ``sum``, ``abs``, ``max``, ``min``, ``all``, ``any``, ``round`` and ``pow``
(as torch does), which hide Python's builtins of those names in here: write ``builtins.max(...)``
for Python's own.
"""
import builtins

import numpy as np

from minigrad import dtypes
from minigrad.ops import elementwise as ew, matmul as matmul_ops, shape
from minigrad.ops import (diagonal as diagonals, einsum as einsum_op, gather as gather_scatter, indexing, norms,
                          reductions, reorder, scan)
from minigrad.ops.reductions import normalize_dims
from minigrad.tensor import Tensor, ValuesIndices, check_broadcastable


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
    return matmul_ops.Dot.apply(a, b)


def cross(a, b, dim=-1):
    """Cross product of 3-vectors along ``dim`` (batched and broadcast)."""
    return matmul_ops.Cross.apply(a, b, dim)


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: needs at least one tensor")
    ndim = tensors[0].ndim
    for t in tensors[1:]:
        if t.ndim != ndim or builtins.any(a != b for i, (a, b) in enumerate(zip(t.shape, tensors[0].shape)) if i != dim % ndim):
            raise RuntimeError(f"cat: shapes {tensors[0].shape} and {t.shape} must match except in dimension {dim}")
    return shape.Cat.apply(dim % ndim, *promote(*tensors))


concat = cat


def stack(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors[1:], 1):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} at "
                               f"entry 0 and {list(t.shape)} at entry {i}")
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


def sum(x, dim=None, keepdim=False, *, dtype=None):
    return x.sum(dim, keepdim, dtype=dtype)


def mean(x, dim=None, keepdim=False, *, dtype=None):
    return x.mean(dim, keepdim, dtype=dtype)


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



# ====================================================================================================
# More of PyTorch's math (issue 9).  Each function has torch's name and arguments; the Tensor methods
# of the same name are one-liners calling these (or the op directly).  Names such as ``max``, ``min``,
# ``round``, ``all`` shadow Python's builtins inside this module, so Python's own are ``builtins.max``.
# ====================================================================================================


def normalize_dim(dim, ndim, op_name="dim"):
    """One axis (negative counts from the end) -> 0..ndim-1; IndexError with PyTorch's wording when out of range."""
    size = builtins.max(ndim, 1)
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op_name}: dim must be an int, got {type(dim).__name__}")
    if not -size <= dim < size:
        raise IndexError(f"{op_name}: Dimension out of range (expected to be in range of [{-size}, {size - 1}], "
                         f"but got {dim})")
    return int(dim) % size


def _int64(array, like):
    return Tensor._wrap(like._backend.xp.asarray(array).astype(np.int64), like.device)


def _bools(array, like):
    return Tensor._wrap(like._backend.xp.asarray(array), like.device)


# ---------------------------------------------------------------------------------- elementwise
def sin(input):
    return input.sin()


def cos(input):
    return input.cos()


def tan(input):
    return input.tan()


def asin(input):
    return input.asin()


def acos(input):
    return input.acos()


def atan(input):
    return input.atan()


def sinh(input):
    return input.sinh()


def cosh(input):
    return input.cosh()


def atan2(input, other):
    return input.atan2(other)


arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2


def exp2(input):
    return input.exp2()


def expm1(input):
    return input.expm1()


def log1p(input):
    return input.log1p()


def log2(input):
    return input.log2()


def log10(input):
    return input.log10()


def erf(input):
    return input.erf()


def sign(input):
    return input.sign()


def floor(input):
    return input.floor()


def ceil(input):
    return input.ceil()


def round(input, *, decimals=0):
    return input.round(decimals=decimals)


def trunc(input):
    return input.trunc()


fix = trunc


def frac(input):
    return input.frac()


def reciprocal(input):
    return input.reciprocal()


def rsqrt(input):
    return input.rsqrt()


def square(input):
    return input.square()


def neg(input):
    return -input


negative = neg


def add(input, other, *, alpha=1):
    return input.add(other, alpha=alpha)


def sub(input, other, *, alpha=1):
    return input.sub(other, alpha=alpha)


def mul(input, other):
    return input * other


def div(input, other, *, rounding_mode=None):
    return input.div(other, rounding_mode=rounding_mode)


def pow(input, exponent):
    return input ** exponent if isinstance(input, Tensor) else exponent.__rpow__(input)


multiply, divide, subtract, true_divide = mul, div, sub, div
clip = clamp


def log_softmax(input, dim):
    return input.log_softmax(dim)


def masked_fill(input, mask, value):
    return input.masked_fill(mask, value)


def lerp(input, end, weight):
    """input + weight * (end - input)   (weight a number or a tensor; gradients flow to all three)."""
    return input + weight * (end - input)


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2."""
    return input + value * tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2."""
    return input + value * tensor1 / tensor2


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN -> ``nan``, +inf -> ``posinf`` (default: the dtype's largest number), -inf -> ``neginf``
    (default: its most negative).  The replaced places get gradient 0, the others pass it through."""
    if not input.is_floating_point():
        return input.clone()
    finfo = np.finfo(input.dtype)
    a = input._array
    xp = input._backend.xp
    out = input.masked_fill(xp.isnan(a), nan)
    out = out.masked_fill(xp.isposinf(a), finfo.max if posinf is None else posinf)
    return out.masked_fill(xp.isneginf(a), finfo.min if neginf is None else neginf)


def isnan(input):
    return _bools(input._backend.xp.isnan(input._array), input)


def isinf(input):
    return _bools(input._backend.xp.isinf(input._array), input)


def isposinf(input):
    return _bools(input._backend.xp.isposinf(input._array), input)


def isneginf(input):
    return _bools(input._backend.xp.isneginf(input._array), input)


def isfinite(input):
    return _bools(input._backend.xp.isfinite(input._array), input)


def eq(input, other):
    return input == other


def ne(input, other):
    return input != other


def lt(input, other):
    return input < other


def le(input, other):
    return input <= other


def gt(input, other):
    return input > other


def ge(input, other):
    return input >= other


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def logical_not(input):
    return _bools(input._backend.xp.logical_not(input._array), input)


def logical_and(input, other):
    return _bools(input._backend.xp.logical_and(input._array, other._array), input)


def logical_or(input, other):
    return _bools(input._backend.xp.logical_or(input._array, other._array), input)


def logical_xor(input, other):
    return _bools(input._backend.xp.logical_xor(input._array, other._array), input)


# ---------------------------------------------------------------------------------- comparing tensors
def equal(input, other):
    """True when both have the same shape and the same values (dtypes may differ)."""
    if input.shape != other.shape:
        return False
    return builtins.bool(input._backend.xp.all(input._array == other._array))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol * |other|, elementwise (infinities are close only to themselves;
    NaNs only with ``equal_nan``).  Both must have the same dtype, as in PyTorch."""
    if not isinstance(other, Tensor):
        raise TypeError(f"isclose(): other must be a Tensor, got {type(other).__name__}; wrap it with mg.tensor(...)")
    if input.dtype != other.dtype:
        raise RuntimeError(f"isclose(): {input.dtype} did not match {other.dtype}: both tensors must have the same "
                           f"dtype; convert one, e.g. other.to({input.dtype})")
    check_broadcastable("isclose", input.shape, other.shape)
    xp = input._backend.xp
    a, b = input._array, other._array
    if input.dtype.kind == "b":
        return _bools(a == b, input)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    with np.errstate(invalid="ignore"):
        close = (a == b) | (xp.abs(a64 - b64) <= atol + rtol * xp.abs(b64))
    if equal_nan and input.dtype.kind == "f":
        close = close | (xp.isnan(a) & xp.isnan(b))
    return _bools(close, input)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when ``isclose`` holds everywhere (a Python bool)."""
    return builtins.bool(isclose(input, other, rtol, atol, equal_nan)._array.all())


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def numel(input):
    return input.numel()


# ---------------------------------------------------------------------------------- reductions
def max(input, dim=None, keepdim=False):
    """``max(x)``: the largest value;  ``max(x, dim, keepdim=False)``: (values, indices);
    ``max(x, other)``: the elementwise maximum."""
    return input.max(dim, keepdim)


def min(input, dim=None, keepdim=False):
    return input.min(dim, keepdim)


def amax(input, dim=(), keepdim=False):
    return input.amax(None if dim == () else dim, keepdim)


def amin(input, dim=(), keepdim=False):
    return input.amin(None if dim == () else dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    return input.argmin(dim, keepdim)


def all(input, dim=None, keepdim=False):
    return input.all(dim, keepdim)


def any(input, dim=None, keepdim=False):
    return input.any(dim, keepdim)


def extreme_along(input, dim, keepdim, largest):
    """``x.max(dim)`` / ``x.min(dim)``: (values, indices).  The first of several tied elements is
    the one returned, and (unlike ``amax``, which shares ties) it alone gets the gradient, as in PyTorch."""
    name = "max" if largest else "min"
    x = input.reshape(1) if input.ndim == 0 else input
    d = normalize_dim(dim, x.ndim, name)
    if x.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")
    indices = x.argmax(d, keepdim=True) if largest else x.argmin(d, keepdim=True)
    values = gather(x, d, indices)
    if not keepdim or input.ndim == 0:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return ValuesIndices(values, indices)


def _integer_accumulator(input, dtype):
    """PyTorch's dtype for sum-like reductions: the requested one, else int64 for bool and integers."""
    if dtype is not None:
        return input._cast(dtypes.as_dtype(dtype))
    if input.dtype.kind in "biu":
        return input._cast(dtypes.int64)
    return input


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """The product of all elements, or along one ``dim``.  Exact gradients with zeros (ops/reductions.Prod)."""
    x = _integer_accumulator(input, dtype)
    if dim is None:
        result = reductions.Prod.apply(x.reshape(-1), 0, False)
        return result.reshape((1,) * input.ndim) if keepdim else result
    if x.ndim == 0:
        normalize_dim(dim, 0, "prod")
        return x.clone()
    return reductions.Prod.apply(x, normalize_dim(dim, x.ndim, "prod"), keepdim)


def _var_arguments(dim, unbiased, keepdim, correction, name):
    """Sort out the overloads var(x, unbiased), var(x, dim, unbiased, keepdim), var(x, dim, correction=, keepdim=)."""
    if isinstance(dim, bool):  # var(x, False): the legacy (input, unbiased) form
        dim, unbiased = None, dim
    if correction is not None and unbiased is not None:
        raise TypeError(f"{name}(): give either unbiased or correction, not both")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, keepdim, correction


def _check_floating(input, name):
    if not input.is_floating_point():
        raise RuntimeError(f"{name}(): only supports floating point dtypes, got {input.dtype}; "
                           "convert with .float() first (as in PyTorch)")


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance  sum (x - mean)^2 / (n - correction);  correction=1 (the default) is the unbiased estimate."""
    _check_floating(input, "var")
    dim, keepdim, correction = _var_arguments(dim, unbiased, keepdim, correction, "var")
    return input.var(dim, keepdim=keepdim, correction=correction)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation: the square root of ``var`` (same arguments)."""
    _check_floating(input, "std")
    dim, keepdim, correction = _var_arguments(dim, unbiased, keepdim, correction, "std")
    return input.std(dim, keepdim=keepdim, correction=correction)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) with ``var``'s arguments."""
    _check_floating(input, "var_mean")
    dim, keepdim, correction = _var_arguments(dim, unbiased, keepdim, correction, "var_mean")
    return input.var(dim, keepdim=keepdim, correction=correction), input.mean(dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) with ``std``'s arguments."""
    _check_floating(input, "std_mean")
    dim, keepdim, correction = _var_arguments(dim, unbiased, keepdim, correction, "std_mean")
    return input.std(dim, keepdim=keepdim, correction=correction), input.mean(dim, keepdim)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The vector p-norm (sum |x|^p)^(1/p) over ``dim`` (all elements when None), as ``torch.norm``:
    p = 'fro' or 2 (Euclidean), 1, inf, -inf, 0 (count of non-zeros) or any other number.  A 2-tuple
    ``dim`` gives the same vector norm over both axes (torch.norm's 'fro' matrix norm)."""
    if not input.is_floating_point():
        raise RuntimeError(f"norm(): Expected a floating point tensor as input. Got {input.dtype}; "
                           "convert with .float() first")
    if dtype is not None:
        input = input._cast(dtypes.as_dtype(dtype))
    if p == "nuc":
        raise NotImplementedError("norm(p='nuc'): the nuclear norm (sum of singular values) is not supported in "
                                  "minigrad; use p='fro' or a vector norm")
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str) or not isinstance(p, (int, float)):
        raise ValueError(f"norm(): p must be a number, 'fro' or 'nuc', got {p!r}")
    axes = normalize_dims(dim, input.ndim)
    return norms.Norm.apply(input, float(p), axes, keepdim)


def logsumexp(input, dim, keepdim=False):
    """log sum exp(x) over ``dim``, without overflow (ops/reductions.LogSumExp)."""
    x = input if input.is_floating_point() else input._cast(dtypes.get_default_dtype())
    return reductions.LogSumExp.apply(x, normalize_dims(dim, x.ndim), keepdim)


def _scan(op, input, dim, dtype, name):
    x = _integer_accumulator(input, dtype)
    if x.ndim == 0:
        normalize_dim(dim, 0, name)
        return op.apply(x.reshape(1), 0).reshape(())
    return op.apply(x, normalize_dim(dim, x.ndim, name))


def cumsum(input, dim, *, dtype=None):
    """z_k = x_0 + ... + x_k along ``dim`` (integers accumulate as int64, as in PyTorch)."""
    return _scan(scan.CumSum, input, dim, dtype, "cumsum")


def cumprod(input, dim, *, dtype=None):
    """z_k = x_0 * ... * x_k along ``dim``; exact gradients also where x has zeros."""
    return _scan(scan.CumProd, input, dim, dtype, "cumprod")


def count_nonzero(input, dim=None):
    return (input != 0).sum(dim)


# ---------------------------------------------------------------------------------- triangles, diagonals
def _triangle(input, diagonal, lower, name):
    if input.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions (got shape {input.shape})")
    xp = input._backend.xp
    n, m = input.shape[-2:]
    keep = xp.tri(n, m, diagonal, dtype=bool) if lower else ~xp.tri(n, m, diagonal - 1, dtype=bool)
    return input.masked_fill(~keep, 0)


def tril(input, diagonal=0):
    """The lower triangle (j <= i + diagonal) of the last two axes; the rest set to 0."""
    return _triangle(input, diagonal, True, "tril")


def triu(input, diagonal=0):
    """The upper triangle (j >= i + diagonal) of the last two axes; the rest set to 0."""
    return _triangle(input, diagonal, False, "triu")


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal over (dim1, dim2), a view, as the last axis."""
    d1, d2 = normalize_dim(dim1, input.ndim, "diagonal"), normalize_dim(dim2, input.ndim, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal(): dim1 and dim2 cannot be the same dimension, both are {dim1}")
    return diagonals.Diagonal.apply(input, int(offset), d1, d2)


def diag(input, diagonal=0):
    """1-D input: the square matrix with ``input`` on its ``diagonal``;  2-D input: that diagonal (a copy)."""
    if input.ndim == 2:
        return diagonals.Diagonal.apply(input, int(diagonal), 0, 1).clone()
    if input.ndim != 1:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    from minigrad.creation import zeros

    xp, n = input._backend.xp, input.shape[0]
    size = n + builtins.abs(diagonal)
    rows, cols = xp.arange(n) + builtins.max(-diagonal, 0), xp.arange(n) + builtins.max(diagonal, 0)
    return indexing.SetItem.apply(zeros(size, size, dtype=input.dtype, device=input.device), input, (rows, cols))


def trace(input):
    """The sum of the main diagonal of a matrix."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return diagonal(input).sum()


# ---------------------------------------------------------------------------------- pieces of tensors
def narrow(input, dim, start, length):
    """input[..., start:start + length, ...] along ``dim`` (a view)."""
    d = normalize_dim(dim, input.ndim, "narrow")
    start = start + input.shape[d] if start < 0 else start
    if start < 0 or length < 0 or start + length > input.shape[d]:
        raise IndexError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({input.shape[d]})")
    return input[(slice(None),) * d + (slice(start, start + length),)]


def select(input, dim, index):
    """input[..., index, ...] along ``dim`` (that axis removed; a view)."""
    d = normalize_dim(dim, input.ndim, "select")
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
                         f"dimension {dim}")
    return input[(slice(None),) * d + (int(index),)]


def split(tensor, split_size_or_sections, dim=0):
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the listed sizes (views)."""
    d = normalize_dim(dim, tensor.ndim, "split")
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size < 0 or size == 0 and n:
            raise RuntimeError(f"split(): split_size can only be 0 if dimension size is 0, but got {size} "
                               f"for a dimension of size {n}")
        sizes = [builtins.min(size, n - start) for start in range(0, n, size)] if n else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if builtins.sum(sizes) != n or builtins.any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                               f"at dimension {dim}), but got split_sizes={sizes}")
    pieces, start = [], 0
    for size in sizes:
        pieces.append(narrow(tensor, d, start, size))
        start += size
    return tuple(pieces)


def chunk(input, chunks, dim=0):
    """``chunks`` pieces of ceil(n / chunks) along ``dim`` (fewer when n is too small), as in PyTorch."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = normalize_dim(dim, input.ndim, "chunk")
    n = input.shape[d]
    if n == 0:
        return tuple(narrow(input, d, 0, 0) for _ in range(chunks))
    return split(input, -(-n // chunks), d)


def unbind(input, dim=0):
    """The slices along ``dim``, that axis removed (views)."""
    d = normalize_dim(dim, input.ndim, "unbind")
    return tuple(select(input, d, i) for i in range(input.shape[d]))


def squeeze(input, dim=None):
    return input.squeeze(dim)


def unsqueeze(input, dim):
    return input.unsqueeze(dim)


def permute(input, dims):
    return input.permute(dims)


def hstack(tensors):
    """Join along the first axis for 1-D tensors, else along the second."""
    tensors = list(tensors)
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    """Join along the first axis, 1-D tensors becoming rows."""
    return cat([t.reshape(1, -1) if t.ndim < 2 else t for t in tensors], 0)


row_stack = vstack


def dstack(tensors):
    """Join along the third axis (1-D (n,) -> (1, n, 1), 2-D (r, c) -> (r, c, 1) first)."""
    def at_least_3d(t):
        return t.reshape(1, -1, 1) if t.ndim < 2 else t.unsqueeze(-1) if t.ndim == 2 else t
    return cat([at_least_3d(t) for t in tensors], 2)


def broadcast_shapes(*shapes):
    check_broadcastable("broadcast_shapes", *shapes)
    return tuple(np.broadcast_shapes(*shapes))


def broadcast_to(input, size):
    return input.expand(size)


def broadcast_tensors(*tensors):
    """Every tensor expanded to their common broadcast shape (views)."""
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t.expand(shape) for t in tensors)


# ---------------------------------------------------------------------------------- reordering
def roll(input, shifts, dims=None):
    """Shift elements along ``dims`` by ``shifts``, wrapping around (dims None: over the flattened tensor)."""
    if dims is None:
        if not isinstance(shifts, (int, np.integer)):
            if len(shifts) != 1:
                raise RuntimeError(f"roll(): shifts and dimensions must align. shifts: {len(shifts)}, dims: 0")
            shifts = shifts[0]
        return reorder.Roll.apply(input, int(shifts), None)
    shifts = (int(shifts),) if isinstance(shifts, (int, np.integer)) else tuple(int(s) for s in shifts)
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll(): shifts and dimensions must align. shifts: {len(shifts)}, dims: {len(dims)}")
    return reorder.Roll.apply(input, shifts, tuple(normalize_dim(d, input.ndim, "roll") for d in dims))


def flip(input, dims):
    """Reverse the order of elements along ``dims`` (a copy, as in PyTorch)."""
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    axes = tuple(normalize_dim(d, input.ndim, "flip") for d in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"flip(): dims has a dimension more than once: {dims}")
    return reorder.Flip.apply(input, axes) if input.ndim else input.clone()


def fliplr(input):
    return flip(input, 1)


def flipud(input):
    return flip(input, 0)


def repeat(input, sizes):
    """``x.repeat(*sizes)``: x tiled sizes[i] times along axis i (new leading axes when sizes is longer).
    Built from reshape and expand, whose backward sums the copies' gradients."""
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError(f"repeat(): Number of dimensions of repeat dims ({len(sizes)}) can not be smaller than "
                           f"number of dimensions of tensor ({input.ndim})")
    shape = (1,) * (len(sizes) - input.ndim) + input.shape
    interleaved = builtins.sum(((1, n) for n in shape), ())
    expanded = builtins.sum(((r, n) for r, n in zip(sizes, shape)), ())
    return input.reshape(interleaved).expand(expanded).reshape(tuple(r * n for r, n in zip(sizes, shape)))


def tile(input, dims):
    """Like ``repeat``, but a shorter ``dims`` is padded with 1s in front."""
    dims = tuple(dims)
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element ``repeats`` times (a number, or one count per element along ``dim``);
    dim None flattens first.  ``repeat_interleave(counts)`` alone repeats 0, 1, 2, ... counts[i] times."""
    if repeats is None:  # torch.repeat_interleave(repeats)
        counts = input
        return _int64(counts._backend.xp.repeat(counts._backend.xp.arange(counts.numel()), counts._array.reshape(-1)),
                      counts)
    x, d = (input.reshape(-1), 0) if dim is None else (input, normalize_dim(dim, input.ndim, "repeat_interleave"))
    if isinstance(repeats, Tensor) and repeats.numel() == 1:
        repeats = repeats.item()
    if isinstance(repeats, (int, np.integer)):
        if repeats < 0:
            raise RuntimeError(f"repeat_interleave(): repeats can not be negative, got {repeats}")
        expanded = x.unsqueeze(d + 1).expand(x.shape[:d + 1] + (int(repeats),) + x.shape[d + 1:])
        return expanded.flatten(d, d + 1)
    counts = repeats._array.reshape(-1)
    if counts.shape[0] != x.shape[d]:
        raise RuntimeError(f"repeat_interleave(): repeats must have the same size as input along dim: "
                           f"{counts.shape[0]} repeats for size {x.shape[d]}")
    xp = x._backend.xp
    return index_select(x, d, _int64(xp.repeat(xp.arange(x.shape[d]), counts), x))


# ---------------------------------------------------------------------------------- gather and scatter
def _check_same_dtype(name, input, other, what="src"):
    if isinstance(other, Tensor) and other.dtype != input.dtype:
        raise RuntimeError(f"{name}(): Expected self.dtype to be equal to {what}.dtype, got {input.dtype} and "
                           f"{other.dtype}; convert with {what}.to({input.dtype})")


def gather(input, dim, index, *, sparse_grad=False):
    """out[p] = input[p with p[dim] replaced by index[p]]  (out has index's shape)."""
    if input.ndim == 0:
        return gather(input.reshape(1), 0, index.reshape(1)).reshape(())
    return gather_scatter.Gather.apply(input, normalize_dim(dim, input.ndim, "gather"), index)


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """A copy of input with out[p with p[dim] replaced by index[p]] = src[p] (or = ``value``)."""
    if reduce is not None:
        raise NotImplementedError(f"scatter(reduce={reduce!r}) is not supported (minigrad has no scatter_reduce); "
                                  "for reduce='add' use scatter_add(input, dim, index, src)")
    src = value if src is None else src
    if src is None:
        raise TypeError("scatter(): give src (a tensor) or value (a number)")
    _check_same_dtype("scatter", input, src)
    if isinstance(src, Tensor) and src.device != input.device:
        src = src.to(input.device)
    src = src.item() if isinstance(src, Tensor) and src.ndim == 0 else src
    return gather_scatter.Scatter.apply(input, normalize_dim(dim, input.ndim, "scatter"), index, src)


def scatter_add(input, dim, index, src):
    """A copy of input with out[p with p[dim] replaced by index[p]] += src[p] (repeats add up)."""
    _check_same_dtype("scatter_add", input, src)
    return gather_scatter.ScatterAdd.apply(input, normalize_dim(dim, input.ndim, "scatter_add"), index, src)


def _vector_index(name, index, size):
    """A 1-D integer index (a 0-d one counts as 1-D) whose entries are in [0, size)."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): index must be a Tensor of int64, got {type(index).__name__}")
    if index.dtype not in (dtypes.int64, dtypes.int32):
        raise RuntimeError(f"{name}(): Expected dtype int32 or int64 for index, got {index.dtype}; "
                           "convert with .long()")
    if index.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector, got shape {index.shape}")
    raw = index._array.reshape(-1)
    if raw.size and (int(raw.min()) < 0 or int(raw.max()) >= size):
        raise IndexError(f"{name}(): index out of range in self: indices must be in [0, {size}), got "
                         f"{int(raw.min())}..{int(raw.max())}")
    return raw


def index_select(input, dim, index):
    """input[..., index, ...] along ``dim`` (a copy; repeated indices repeat rows, and their gradients add up)."""
    d = normalize_dim(dim, input.ndim, "index_select")
    if input.ndim == 0:
        _vector_index("index_select", index, 1)
        return input.reshape(1)[index._array.reshape(-1)].reshape(index.shape)
    raw = _vector_index("index_select", index, input.shape[d])
    return indexing.Index.apply(input, (slice(None),) * d + (raw,))


def masked_select(input, mask):
    """The elements of input where ``mask`` (a bool tensor, broadcast with input) is True, as a 1-D tensor."""
    if not isinstance(mask, Tensor) or mask.dtype != dtypes.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask; make one with a comparison, e.g. x > 0")
    shape = broadcast_shapes(input.shape, mask.shape)
    x = input if input.shape == shape else input.expand(shape)
    m = mask._array if mask.shape == shape else mask._backend.xp.broadcast_to(mask._array, shape)
    return indexing.Index.apply(x, m)


def index_add(input, dim, index, source, *, alpha=1):
    """A copy of input with out[..., index[k], ...] += alpha * source[..., k, ...] along ``dim``."""
    d = normalize_dim(dim, input.ndim, "index_add")
    _check_same_dtype("index_add", input, source, "source")
    raw = _vector_index("index_add", index, input.shape[d])
    return gather_scatter.IndexAdd.apply(input, d, raw, source, alpha)


def index_fill(input, dim, index, value):
    """A copy of input with the slices at ``index`` along ``dim`` set to ``value``."""
    return input.clone().index_fill_(dim, index, value)


def index_copy(input, dim, index, source):
    """A copy of input with the slices at ``index`` along ``dim`` replaced by those of ``source``."""
    return input.clone().index_copy_(dim, index, source)


def _slices_at(tensor, dim, index, name):
    d = normalize_dim(dim, tensor.ndim, name)
    return (slice(None),) * d + (Tensor._wrap(_vector_index(name, index, tensor.shape[d]), tensor.device),)


def nonzero(input, *, as_tuple=False):
    """The indices of the non-zero elements: an (n, ndim) int64 tensor, or one 1-D tensor per axis."""
    xp = input._backend.xp
    if input.ndim == 0:  # PyTorch: a (1, 0) result for a non-zero scalar, (0, 0) for zero
        found = xp.nonzero(input._array.reshape(1))
        if as_tuple:
            return (_int64(found[0], input),)
        return _int64(xp.zeros((int(found[0].size), 0)), input)
    found = xp.nonzero(input._array)
    if as_tuple:
        return tuple(_int64(i, input) for i in found)
    return _int64(xp.stack(found, axis=1), input)


def argwhere(input):
    return nonzero(input)


# ---------------------------------------------------------------------------------- sorting
def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort ``input`` along ``dim`` (int64).  The sort is always stable: equal
    elements keep their order (so ``stable=True`` and PyTorch's ``stable=False`` agree on CPU)."""
    if input.ndim == 0:
        normalize_dim(dim, 0, "argsort")
        return _int64(input._backend.xp.zeros(()), input)
    xp, d = input._backend.xp, normalize_dim(dim, input.ndim, "argsort")
    a = input._array
    if descending:  # stable descending = the stable ascending order of the reversed axis, read backwards
        n = a.shape[d]
        order = n - 1 - xp.flip(xp.argsort(xp.flip(a, d), axis=d, kind="stable"), d)
    else:
        order = xp.argsort(a, axis=d, kind="stable")
    return _int64(order, input)


def sort(input, dim=-1, descending=False, stable=False):
    """(values, indices) sorted along ``dim``; NaN counts as the largest value, as in PyTorch.
    The values are differentiable (their gradient goes back to where each came from)."""
    indices = argsort(input, dim, descending, stable)
    if input.ndim == 0:
        return ValuesIndices(input.clone(), indices)
    return ValuesIndices(gather(input, dim, indices), indices)


def msort(input):
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True):
    """(values, indices) of the k largest (or smallest) elements along ``dim``, in sorted order;
    among equal elements the first ones win."""
    x = input.reshape(1) if input.ndim == 0 else input
    d = normalize_dim(dim, x.ndim, "topk")
    if not 0 <= k <= x.shape[d]:
        raise RuntimeError(f"topk(): selected index k out of range: k = {k} for a dimension of size {x.shape[d]}")
    indices = narrow(argsort(x, d, descending=largest), d, 0, k).clone()
    values = gather(x, d, indices)
    if input.ndim == 0:
        return ValuesIndices(values.reshape(()), indices.reshape(()))
    return ValuesIndices(values, indices)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (sorted), and optionally where each input element went (``inverse``,
    input[i] == output[inverse[i]]) and how often each appears (``counts``).  With ``dim``, the
    distinct slices along that axis.  Not differentiable."""
    xp = input._backend.xp
    if dim is None:
        values, inverse, counts = xp.unique(input._array.reshape(-1), return_inverse=True, return_counts=True)
        inverse = inverse.reshape(input.shape)
    else:
        d = normalize_dim(dim, input.ndim, "unique")
        values, inverse, counts = xp.unique(input._array, return_inverse=True, return_counts=True, axis=d)
        inverse = inverse.reshape(-1)
    result = [Tensor._wrap(values, input.device)]
    if return_inverse:
        result.append(_int64(inverse, input))
    if return_counts:
        result.append(_int64(counts, input))
    return result[0] if len(result) == 1 else tuple(result)


# ---------------------------------------------------------------------------------- products
def outer(input, vec2):
    """out[i, j] = input[i] * vec2[j]  (two 1-D tensors)."""
    if input.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"outer: expected two 1-D tensors, got shapes {input.shape} and {vec2.shape}")
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


ger = outer


def mm(input, mat2):
    """The matrix product of two 2-D tensors (no broadcasting: use matmul for that)."""
    if input.ndim != 2 or mat2.ndim != 2:
        which = "self" if input.ndim != 2 else "mat2"
        raise RuntimeError(f"mm: {which} must be a matrix (2-D), got shapes {input.shape} and {mat2.shape}")
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({input.shape[0]}x{input.shape[1]} and "
                           f"{mat2.shape[0]}x{mat2.shape[1]})")
    return input @ mat2


def bmm(input, mat2):
    """Batched matrix product of (b, n, m) and (b, m, p) tensors (no broadcasting)."""
    if input.ndim != 3 or mat2.ndim != 3:
        which = "batch1" if input.ndim != 3 else "batch2"
        raise RuntimeError(f"bmm: {which} must be a 3D tensor, got shapes {input.shape} and {mat2.shape}")
    expected = (input.shape[0], input.shape[2])
    if mat2.shape[:2] != expected:
        raise RuntimeError(f"bmm: Expected size for first two dimensions of batch2 tensor to be: {list(expected)} "
                           f"but got: {list(mat2.shape[:2])} (shapes {input.shape} and {mat2.shape})")
    return input @ mat2


def mv(input, vec):
    """Matrix (n, m) times vector (m,)."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"mv: expected a matrix and a vector, got shapes {input.shape} and {vec.shape}")
    return input @ vec


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2)."""
    product = mm(mat1, mat2)
    return (input if beta == 1 else beta * input) + (product if alpha == 1 else alpha * product)


def einsum(equation, *operands):
    """Einstein summation, e.g. einsum("bij,bjk->bik", a, b) (ops/einsum.py): letters name axes,
    shared letters multiply, letters missing from the output are summed; "..." and the implicit
    output (no "->") work as in PyTorch, and size-1 axes broadcast."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands or not builtins.all(isinstance(t, Tensor) for t in operands):
        raise TypeError("einsum(): the operands must be Tensors, e.g. einsum('ij,jk->ik', a, b)")
    for t in operands[1:]:
        if t.dtype != operands[0].dtype:
            raise RuntimeError(f"einsum(): all operands must have the same dtype, got {operands[0].dtype} and "
                               f"{t.dtype}; convert with .to(...)")
    terms, output = einsum_op.parse(equation, [t.shape for t in operands])
    sizes = einsum_op.letter_sizes(terms, [t.shape for t in operands])
    expanded = []
    for term, t in zip(terms, operands):
        wanted = tuple(sizes[c] for c in term)
        expanded.append(t if t.shape == wanted else t.expand(wanted))
    return einsum_op.Einsum.apply(terms, output, *expanded)
