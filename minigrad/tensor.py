"""``Tensor``: an n-dimensional array that remembers how it was computed.

A tensor holds
  * ``data``          the numbers: a NumPy array (devices "cpu", "cudasim") or a CuPy array ("cuda");
  * ``requires_grad`` whether gradients should flow to it;
  * ``grad``          after ``backward()``, dL/d(this tensor), itself a Tensor;
  * ``_node``         for a tensor made by an op: which ``Function`` made it and from what.

Every math method below is a one-liner that calls an op's ``Function.apply`` (``minigrad/ops``);
the op's file holds the formula and its derivative.
"""
from collections import namedtuple

import numpy as np

from minigrad import dtypes
from minigrad.autograd import engine, grad_mode
from minigrad.backends import _backends, check_device, get_backend
from minigrad.ops import activations, elementwise as ew, indexing, matmul, reductions, shape, softmax
from minigrad.ops.reductions import normalize_dims

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


class Tensor:
    __slots__ = ("data", "device", "requires_grad", "grad", "_node", "_version", "_retains_grad",
                 "__weakref__", "__dict__")
    __array_priority__ = 1000  # so that ndarray + Tensor calls Tensor.__radd__

    def __init__(self, data, *, device="cpu", requires_grad=False, _check=True):
        if _check:
            device = check_device(device)
            if data.dtype not in dtypes.SUPPORTED:
                raise TypeError(f"Tensor: unsupported dtype {data.dtype}; make tensors with mg.tensor(...)")
            if requires_grad and not dtypes.is_floating(data.dtype):
                raise RuntimeError(f"only floating-point tensors can require gradients (this one is {data.dtype}); "
                                   "convert it with .float() first")
        self.data = data
        self.device = device
        self.requires_grad = requires_grad
        self.grad = None
        self._node = None
        self._version = 0
        self._retains_grad = False

    # ------------------------------------------------------------------ basic facts
    @property
    def shape(self):
        return tuple(self.data.shape)

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def is_leaf(self):
        return self._node is None

    @property
    def grad_fn(self):
        return None if self._node is None else self._node.fn

    @property
    def _backend(self):
        return _backends.get(self.device) or get_backend(self.device)

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def numel(self):
        return int(self.data.size)

    def dim(self):
        return self.ndim

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    __hash__ = object.__hash__

    # ------------------------------------------------------------------ leaving minigrad
    def numpy(self):
        """The values as a NumPy array (copied to the host for "cuda").  Needs no grad to flow:
        call ``.detach()`` first if you want to make that explicit."""
        return self._backend.to_numpy(self.data)

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array.astype(dtype) if dtype is not None else array

    def item(self):
        if self.data.size != 1:
            raise RuntimeError(f"item(): only a tensor with one element can become a Python number, "
                               f"this one has shape {self.shape}")
        return self.numpy().reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.data.size} elements is ambiguous; "
                               "use .any() or .all()")
        return bool(self.item())

    def __repr__(self):
        values = np.array2string(self.numpy(), separator=", ", prefix="tensor(",
                                 precision=4, suppress_small=False, threshold=200)
        extras = []
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self.dtype not in (dtypes.float32, dtypes.int64, dtypes.bool_) or (
                self.dtype == dtypes.int64 and self.data.size == 0):
            extras.append(f"dtype=mg.{self.dtype}")
        if self._node is not None:
            extras.append(f"grad_fn=<{self._node.fn.__name__}Backward>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + values + "".join(", " + e for e in extras) + ")"

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=False):
        """Compute d(self)/d(leaf) for every leaf with requires_grad=True and add it to leaf.grad."""
        engine.backward(self, gradient, retain_graph)

    def detach(self):
        """The same numbers, cut off from the graph (shares storage)."""
        return Tensor(self.data, device=self.device, _check=False)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and not dtypes.is_floating(self.dtype):
            raise RuntimeError(f"only floating-point tensors can require gradients (this one is {self.dtype})")
        if not requires_grad and self._node is not None:
            raise RuntimeError("requires_grad_(False) only works on leaf tensors; use .detach() instead")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self):
        """Ask backward() to store .grad on this non-leaf tensor too."""
        self._retains_grad = True
        return self

    # ------------------------------------------------------------------ dtype and device
    def to(self, target, dtype=None):
        """``.to("cuda")``, ``.to(mg.float64)`` or ``.to("cpu", mg.float64)``."""
        result = self
        if isinstance(target, str) and target.split(":")[0] in ("cpu", "cuda", "cudasim", "gpu"):
            result = self._to_device(check_device(target))
        elif target is not None:
            dtype = target
        if dtype is not None:
            result = result._cast(dtypes.as_dtype(dtype))
        return result

    def _to_device(self, device):
        if device == self.device:
            return self
        data = get_backend(device).asarray(self._backend.to_numpy(self.data))
        return Tensor(data, device=device, requires_grad=self.requires_grad and self.is_leaf, _check=False)

    def _move_(self, device):
        """Move this tensor's storage (and its grad) to ``device`` in place (used by Module.to)."""
        device = check_device(device)
        if device != self.device:
            self.data = get_backend(device).asarray(self._backend.to_numpy(self.data))
            self.device = device
            if self.grad is not None:
                self.grad._move_(device)
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def _cast(self, dtype):
        if dtype == self.dtype:
            return self
        if self.requires_grad and dtypes.is_floating(dtype):
            return shape.Cast.apply(self, dtype)
        return Tensor(self.data.astype(dtype), device=self.device, _check=False)

    def float(self):
        return self._cast(dtypes.float32)

    def double(self):
        return self._cast(dtypes.float64)

    def long(self):
        return self._cast(dtypes.int64)

    def bool(self):
        return self._cast(dtypes.bool_)

    def type(self, dtype):
        return self._cast(dtypes.as_dtype(dtype))

    # ------------------------------------------------------------------ arithmetic
    def _operand(self, other):
        """Make the other side of a binary op usable: a Tensor on our device, or a Python number."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (bool, int, float)):
            return other
        return Tensor(self._backend.asarray(np.asarray(other, dtype=self.dtype)), device=self.device, _check=False)

    def _binary(self, fn, other, reverse=False):
        other = self._operand(other)
        a = self
        if isinstance(other, Tensor) and other.shape != a.shape:
            check_broadcastable(fn.__name__.lower(), a.shape, other.shape)
        if isinstance(other, float) and not dtypes.is_floating(self.dtype):
            a = self.float()  # int tensor with a float number: the result is float32, as in PyTorch
        return fn.apply(other, a) if reverse else fn.apply(a, other)

    def __add__(self, other):
        return self._binary(ew.Add, other)

    def __radd__(self, other):
        return self._binary(ew.Add, other, reverse=True)

    def __sub__(self, other):
        return self._binary(ew.Sub, other)

    def __rsub__(self, other):
        return self._binary(ew.Sub, other, reverse=True)

    def __mul__(self, other):
        return self._binary(ew.Mul, other)

    def __rmul__(self, other):
        return self._binary(ew.Mul, other, reverse=True)

    def __truediv__(self, other):
        a = self if dtypes.is_floating(self.dtype) else self.float()
        return a._binary(ew.Div, other)

    def __rtruediv__(self, other):
        a = self if dtypes.is_floating(self.dtype) else self.float()
        return a._binary(ew.Div, other, reverse=True)

    def __pow__(self, other):
        return self._binary(ew.Pow, other)

    def __rpow__(self, other):
        return self._binary(ew.Pow, other, reverse=True)

    def __neg__(self):
        return ew.Neg.apply(self)

    def __matmul__(self, other):
        return matmul.MatMul.apply(self, self._operand(other))

    def __rmatmul__(self, other):
        return matmul.MatMul.apply(self._operand(other), self)

    add, sub, mul, div, pow, matmul = __add__, __sub__, __mul__, __truediv__, __pow__, __matmul__
    neg = __neg__

    def exp(self):
        return ew.Exp.apply(self)

    def log(self):
        return ew.Log.apply(self)

    def sqrt(self):
        return ew.Sqrt.apply(self)

    def abs(self):
        return ew.Abs.apply(self)

    def clamp(self, min=None, max=None):
        return ew.Clamp.apply(self, min, max)

    clip = clamp

    def masked_fill(self, mask, value):
        """Put ``value`` where ``mask`` is True (mask broadcasts against self)."""
        mask = mask.data if isinstance(mask, Tensor) else self._backend.asarray(mask)
        return ew.MaskedFill.apply(self, mask, value)

    def dot(self, other):
        return matmul.Dot.apply(self, other)

    # ------------------------------------------------------------------ comparisons (no gradient)
    def _compare(self, other, op):
        other = other.data if isinstance(other, Tensor) else other
        return Tensor(op(self.data, other), device=self.device, _check=False)

    def __eq__(self, other):
        return self._compare(other, lambda a, b: a == b)

    def __ne__(self, other):
        return self._compare(other, lambda a, b: a != b)

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b)

    def __invert__(self):
        return Tensor(~self.data, device=self.device, _check=False)

    def __and__(self, other):
        return self._compare(other, lambda a, b: a & b)

    def __or__(self, other):
        return self._compare(other, lambda a, b: a | b)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def any(self):
        return Tensor(self._backend.xp.asarray(self.data.any()), device=self.device, _check=False)

    def all(self):
        return Tensor(self._backend.xp.asarray(self.data.all()), device=self.device, _check=False)

    # ------------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False):
        return reductions.Sum.apply(self, normalize_dims(dim, self.ndim), keepdim)

    def mean(self, dim=None, keepdim=False):
        a = self if dtypes.is_floating(self.dtype) else self.float()
        return reductions.Mean.apply(a, normalize_dims(dim, self.ndim), keepdim)

    def var(self, dim=None, unbiased=True, keepdim=False, correction=None):
        """Variance; ``correction=1`` (unbiased, the default as in PyTorch) divides by n - 1."""
        if correction is None:
            correction = 1 if unbiased else 0
        return reductions.Var.apply(self, normalize_dims(dim, self.ndim), keepdim, correction)

    def std(self, dim=None, unbiased=True, keepdim=False):
        return self.var(dim, unbiased, keepdim).sqrt()

    def amax(self, dim=None, keepdim=False):
        return reductions.Max.apply(self, normalize_dims(dim, self.ndim), keepdim)

    def amin(self, dim=None, keepdim=False):
        return reductions.Min.apply(self, normalize_dims(dim, self.ndim), keepdim)

    def max(self, dim=None, keepdim=False):
        """``x.max()`` -> the largest value; ``x.max(dim)`` -> (values, indices) as in PyTorch;
        ``x.max((d0, d1))`` -> the values over several axes (like ``amax``)."""
        if isinstance(dim, int):
            return ValuesIndices(self.amax(dim, keepdim), self.argmax(dim, keepdim))
        return self.amax(dim, keepdim)

    def min(self, dim=None, keepdim=False):
        if isinstance(dim, int):
            return ValuesIndices(self.amin(dim, keepdim), self.argmin(dim, keepdim))
        return self.amin(dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        """Index of the largest value (over everything, or along ``dim``), as int64."""
        return self._arg_reduce(self.data.argmax, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return self._arg_reduce(self.data.argmin, dim, keepdim)

    def _arg_reduce(self, method, dim, keepdim):
        xp = self._backend.xp
        if dim is None:
            return Tensor(xp.asarray(method()).astype(np.int64), device=self.device, _check=False)
        idx = method(axis=dim)
        if keepdim:
            idx = xp.expand_dims(idx, dim)
        return Tensor(xp.asarray(idx).astype(np.int64), device=self.device, _check=False)

    # ------------------------------------------------------------------ activations (also in nn.functional)
    def relu(self):
        return activations.ReLU.apply(self)

    def sigmoid(self):
        return activations.Sigmoid.apply(self)

    def tanh(self):
        return activations.Tanh.apply(self)

    def softmax(self, dim):
        return softmax.Softmax.apply(self, dim)

    def log_softmax(self, dim):
        return softmax.LogSoftmax.apply(self, dim)

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return shape_op(self, tuple(int(s) for s in shape))

    view = reshape

    def contiguous(self):
        return self

    def transpose(self, dim0, dim1):
        dims = list(range(self.ndim))
        dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
        return shape.Permute.apply(self, tuple(dims))

    def permute(self, *dims):
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        if sorted(d % max(self.ndim, 1) for d in dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute: {tuple(dims)} is not a reordering of the {self.ndim} axes of shape {self.shape}")
        return shape.Permute.apply(self, tuple(d % self.ndim for d in dims))

    @property
    def T(self):
        return shape.Permute.apply(self, tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def unsqueeze(self, dim):
        dim = dim % (self.ndim + 1)
        return shape_op(self, self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim=None):
        if dim is None:
            new = tuple(n for n in self.shape if n != 1)
        else:
            dims = normalize_dims(dim, self.ndim)
            new = tuple(n for i, n in enumerate(self.shape) if not (i in dims and n == 1))
        return shape_op(self, new)

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        start, end = start_dim % self.ndim, end_dim % self.ndim
        middle = 1
        for n in self.shape[start:end + 1]:
            middle *= n
        return shape_op(self, self.shape[:start] + (middle,) + self.shape[end + 1:])

    def expand(self, *sizes):
        sizes = sizes[0] if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        offset = len(sizes) - self.ndim
        target = tuple(self.shape[i - offset] if n == -1 else n for i, n in enumerate(sizes))
        return shape.Expand.apply(self, target)

    def expand_as(self, other):
        return self.expand(other.shape)

    def clone(self):
        return shape.Clone.apply(self)

    def __getitem__(self, index):
        return indexing.Index.apply(self, _raw_index(index, self._backend))

    # ------------------------------------------------------------------ in-place (no graph)
    def _check_inplace(self, name):
        if grad_mode.is_grad_enabled() and self.requires_grad:
            raise RuntimeError(
                f"{name}: in-place change of a tensor that requires grad while the graph is being recorded "
                "would corrupt its gradient. Use the out-of-place op (e.g. x = x + 1), or wrap the update in "
                "`with mg.no_grad():` (as optimizers do).")
        self._version += 1

    def _value(self, other):
        return other.data if isinstance(other, Tensor) else other

    def add_(self, other, alpha=1):
        self._check_inplace("add_")
        value = self._value(other)
        self.data += value if alpha == 1 else alpha * value
        return self

    def sub_(self, other, alpha=1):
        return self.add_(other, alpha=-alpha)

    def mul_(self, other):
        self._check_inplace("mul_")
        self.data *= self._value(other)
        return self

    def div_(self, other):
        self._check_inplace("div_")
        self.data /= self._value(other)
        return self

    def zero_(self):
        return self.fill_(0)

    def fill_(self, value):
        self._check_inplace("fill_")
        self.data[...] = self._value(value)
        return self

    def copy_(self, source):
        self._check_inplace("copy_")
        if isinstance(source, Tensor):
            source = get_backend(self.device).asarray(source._backend.to_numpy(source.data))
        self.data[...] = source
        return self

    def clamp_(self, min=None, max=None):
        self._check_inplace("clamp_")
        self._backend.xp.clip(self.data, min, max, out=self.data)
        return self

    def masked_fill_(self, mask, value):
        self._check_inplace("masked_fill_")
        mask = self._value(mask)
        self.data[...] = self._backend.xp.where(mask, self.data.dtype.type(value), self.data)
        return self

    def uniform_(self, a=0.0, b=1.0):
        from minigrad.random import generator
        return self.copy_(generator().uniform(a, b, size=self.shape).astype(self.dtype))

    def normal_(self, mean=0.0, std=1.0):
        from minigrad.random import generator
        return self.copy_(generator().normal(mean, std, size=self.shape).astype(self.dtype))

    def __setitem__(self, index, value):
        self._check_inplace("__setitem__")
        self.data[_raw_index(index, self._backend)] = self._value(value)


def check_broadcastable(op_name, *shapes):
    """Raise an error a learner can act on when shapes cannot broadcast together."""
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        listed = " and ".join(str(tuple(s)) for s in shapes)
        raise RuntimeError(
            f"{op_name}: shapes {listed} cannot be broadcast together: compared from the right, each pair of "
            "sizes must be equal or one of them 1. Line them up with .reshape(...) or .unsqueeze(dim).") from None


def shape_op(tensor, new_shape):
    return shape.Reshape.apply(tensor, new_shape)


def _raw_index(index, backend):
    """Replace Tensors (and lists) inside an index by arrays of the backend."""
    if isinstance(index, tuple):
        return tuple(_raw_index(i, backend) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return backend.asarray(np.asarray(index))
    if isinstance(index, np.ndarray):
        return backend.asarray(index)
    return index
