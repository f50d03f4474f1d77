"""``Tensor``: an n-dimensional array that remembers how it was computed.

A tensor holds
  * ``_array``        the numbers: a NumPy array (devices "cpu", "cudasim") or a CuPy array ("cuda").
                      This is the one home of the raw array; ``.numpy()`` is the public way out,
                      and ``.data`` is (as in PyTorch) a *Tensor* sharing this array, detached
                      from the graph;
  * ``requires_grad`` whether gradients should flow to it;
  * ``grad``          after ``backward()``, dL/d(this tensor), itself a Tensor;
  * ``_node``         for a tensor made by an op: the graph Node (which ``Function`` made it, and
                      where its inputs' gradients go);
  * ``_version_counter``  how many times its storage was changed in place, shared with the views
                      of the same storage, so that a value saved for backward and changed later is
                      caught instead of giving a wrong gradient.

Every math method below is a one-liner that calls an op's ``Function.apply`` (``minigrad/ops``);
the op's file holds the formula and its derivative.  In-place methods (``add_``, ``+=``,
``x[i] = v``) compute the same op and write its result into this tensor's own storage
(``autograd/inplace.py`` explains the rules).
"""
import operator
import weakref
from collections import namedtuple

import numpy as np

from minigrad import dtypes
from minigrad.backends import _backends, check_device, get_backend

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


class VersionCounter:
    """A number that goes up at each in-place change of a storage (shared by its views)."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class Tensor:
    __slots__ = ("_array", "device", "requires_grad", "grad", "_node", "_counter", "_retains_grad",
                 "_view", "_hooks", "__weakref__", "__dict__")
    __array_priority__ = 1000  # so that ndarray + Tensor calls Tensor.__radd__

    def __init__(self, *data, device=None, dtype=None):
        """``mg.Tensor(values)`` or ``mg.Tensor(2, 3)``, as ``torch.Tensor``: a tensor of the default
        float dtype made from a list/array, or of the given shape (filled with zeros here, so results
        never depend on leftovers).  Most code uses ``mg.tensor(values)`` instead."""
        dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
        device = check_device(device)
        if not data:
            data = (0,)  # mg.Tensor() is an empty 1-d tensor, as in PyTorch
        if len(data) == 1 and not isinstance(data[0], (int, np.integer)):
            array = np.asarray(data[0].numpy() if isinstance(data[0], Tensor) else data[0], dtype=dtype)
            array = array.copy() if isinstance(data[0], np.ndarray) else array
        else:
            shape = data[0] if len(data) == 1 and isinstance(data[0], (tuple, list)) else data
            array = np.zeros(tuple(int(n) for n in shape), dtype=dtype)
        self._init(get_backend(device).asarray(array), device, False)

    def _init(self, array, device, requires_grad):
        self._array = array
        self.device = device
        self.requires_grad = requires_grad
        self.grad = None
        self._node = None
        self._counter = None  # made on first use: most tensors are never changed in place or saved
        self._retains_grad = False
        self._view = None
        self._hooks = None

    @classmethod
    def _wrap(cls, array, device, requires_grad=False):
        """A Tensor around a raw ``array`` already on ``device`` (no copy, no checks): how minigrad
        makes tensors internally.  (The same fields as ``_init``, set here directly: this runs for
        every op's result, so it is kept to the bare assignments.)"""
        tensor = object.__new__(cls)
        tensor._array = array
        tensor.device = device
        tensor.requires_grad = requires_grad
        tensor.grad = None
        tensor._node = None
        tensor._counter = None
        tensor._retains_grad = False
        tensor._view = None
        tensor._hooks = None
        return tensor

    # ------------------------------------------------------------------ basic facts
    @property
    def shape(self):
        return tuple(self._array.shape)

    @property
    def ndim(self):
        return self._array.ndim

    @property
    def dtype(self):
        return self._array.dtype

    @property
    def is_leaf(self):
        return self._node is None

    @property
    def grad_fn(self):
        return None if self._node is None else self._node.fn

    @property
    def is_cuda(self):
        return self.device == "cuda"

    @property
    def _version_counter(self):
        """The VersionCounter of this tensor's storage (shared with its views and ``detach()``)."""
        if self._counter is None:
            self._counter = VersionCounter()
        return self._counter

    @_version_counter.setter
    def _version_counter(self, counter):
        self._counter = counter

    @property
    def _version(self):
        return 0 if self._counter is None else self._counter.value

    @property
    def _backend(self):
        return _backends.get(self.device) or get_backend(self.device)

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def numel(self):
        return int(self._array.size)

    nelement = numel

    def dim(self):
        return self.ndim

    def element_size(self):
        return self.dtype.itemsize

    def is_floating_point(self):
        return dtypes.is_floating(self.dtype)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    __hash__ = object.__hash__

    # ------------------------------------------------------------------ .data: the storage as a detached Tensor
    @property
    def data(self):
        """A Tensor sharing this tensor's storage, cut off from the graph (as in PyTorch).

        Changes made through it (``p.data -= lr * p.grad``) change this tensor but are *not* seen by
        autograd: unlike ``detach()``, ``.data`` does not share the version counter.  Prefer
        ``with mg.no_grad():`` and ``detach()`` in new code."""
        return Tensor._wrap(self._array, self.device, False)

    @data.setter
    def data(self, value):
        """``p.data = t`` makes ``p`` use ``t``'s storage (shape and dtype may change)."""
        if not isinstance(value, Tensor):
            raise TypeError(f"Tensor.data must be set to a Tensor, got {type(value).__name__}")
        if value.device != self.device:
            raise RuntimeError(f"Tensor.data: the new value is on {value.device!r} but the tensor is on "
                               f"{self.device!r}; move it first with .to({str(self.device)!r})")
        self._array = value._array

    # ------------------------------------------------------------------ leaving minigrad
    def numpy(self):
        """The values as a NumPy array (copied to the host for "cuda").  Needs no grad to flow:
        call ``.detach()`` first if you want to make that explicit."""
        return self._backend.to_numpy(self._array)

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array.astype(dtype) if dtype is not None else array

    def item(self):
        if self._array.size != 1:
            raise RuntimeError(f"item(): only a tensor with one element can become a Python number, "
                               f"this one has shape {self.shape}")
        return self.numpy().reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.kind not in "iub" or self._array.size != 1:
            raise TypeError(f"only integer tensors of a single element can be used as an index, "
                            f"this one has dtype {self.dtype} and shape {self.shape}")
        return int(self.item())

    def __bool__(self):
        if self._array.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self._array.size} elements is ambiguous; "
                               "use .any() or .all()")
        return bool(self.item())

    def __format__(self, spec):
        if self.ndim == 0 or self._array.size == 1 and spec:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __repr__(self):
        values = np.array2string(self.numpy(), separator=", ", prefix="tensor(",
                                 precision=4, suppress_small=False, threshold=200)
        extras = []
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self.dtype not in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool_) or (
                self.dtype == dtypes.int64 and self._array.size == 0):
            extras.append(f"dtype=mg.{self.dtype}")
        if self._node is not None:
            extras.append(f"grad_fn=<{self._node.name()}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + values + "".join(", " + e for e in extras) + ")"

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=False, inputs=None):
        """Compute d(self)/d(leaf) for every leaf with requires_grad=True and add it to leaf.grad."""
        engine.backward(self, gradient, retain_graph, inputs)

    def detach(self):
        """The same numbers, cut off from the graph (shares storage and the version counter)."""
        detached = Tensor._wrap(self._array, self.device, False)
        detached._version_counter = self._version_counter
        return detached

    def detach_(self):
        """Cut this tensor off from the graph, in place: it becomes a leaf that requires no grad."""
        self._node = None
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad=True):
        if requires_grad and not dtypes.is_floating(self.dtype):
            raise RuntimeError(f"only floating-point tensors can require gradients (this one is {self.dtype}); "
                               "convert it with .float() first")
        if not requires_grad and self._node is not None:
            raise RuntimeError("requires_grad_(False) only works on leaf tensors; use .detach() instead")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self):
        """Ask backward() to store .grad on this non-leaf tensor too."""
        self._retains_grad = True
        if self._node is not None:
            self._node.retained = weakref.ref(self)
        return self

    @property
    def retains_grad(self):
        return self._retains_grad and self._node is not None

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; if it returns a Tensor, that
        replaces the gradient.  Returns a handle whose ``.remove()`` unregisters the hook."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: this tensor does not require grad, so no gradient will reach it")
        if self._node is None:
            self._hooks = self._hooks if self._hooks is not None else {}
            return _HookHandle(self._hooks, hook)
        self._node.hooks = self._node.hooks if self._node.hooks is not None else {}
        return _HookHandle(self._node.hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` each time ``backward()`` has finished adding this leaf's gradient into
        ``tensor.grad`` (so the hook sees the complete, accumulated ``.grad``); its return value is
        ignored.  Only for leaves.  ``DistributedDataParallel`` uses it to average gradients across
        processes as soon as they are complete.  Returns a handle whose ``.remove()`` unregisters it."""
        if not self.requires_grad or self._node is not None:
            raise RuntimeError("register_post_accumulate_grad_hook only works on leaf tensors that require grad "
                               "(parameters); for other tensors use register_hook")
        hooks = self.__dict__.setdefault("_post_accumulate_grad_hooks", {})
        return _HookHandle(hooks, hook)

    def _share_storage_with(self, view, index):
        """``view`` (made by an op from this tensor) uses this tensor's memory: let it share the
        version counter, and remember whose view it is (``autograd/inplace.py`` needs it)."""
        view._version_counter = self._version_counter
        view._view = (weakref.ref(self), index)

    # ------------------------------------------------------------------ dtype and device
    def to(self, *args, **kwargs):
        """``.to("cuda")``, ``.to(mg.float64)``, ``.to("cpu", mg.float64)``, ``.to(other_tensor)``,
        ``.to(device=..., dtype=...)``.  Returns ``self`` when nothing changes."""
        device, dtype = _parse_to(args, kwargs)
        result = self
        if device is not None and device != self.device:
            result = self._to_device(device)
        if dtype is not None:
            result = result._cast(dtype)
        if kwargs.get("copy") and result is self:
            result = self.clone()
        return result

    def _to_device(self, device):
        array = get_backend(device).asarray(self._backend.to_numpy(self._array))
        return Tensor._wrap(array, device, self.requires_grad and self.is_leaf)

    def _move_(self, device):
        """Move this tensor's storage (and its grad) to ``device`` in place (used by Module.to)."""
        device = check_device(device)
        if device != self.device:
            self._array = get_backend(device).asarray(self._backend.to_numpy(self._array))
            self.device = device
            if self.grad is not None:
                self.grad._move_(device)
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda")

    def _cast(self, dtype):
        if dtype == self.dtype:
            return self
        if self.requires_grad and dtypes.is_floating(dtype) and grad_mode._enabled:
            return shape.Cast.apply(self, dtype)
        return self._derived(lambda a: a.astype(dtype))

    def _derived(self, compute, *others):
        """A tensor that carries no gradient, computed from this tensor's array (and ``others``,
        tensors or values) by ``compute``: comparisons, ``~``, ``any``/``all``, argmax, casts.
        These are made here and nowhere else, so that a captured step (autograd/capture.py) can
        record them as it records ops."""
        raw = [o._array if isinstance(o, Tensor) else o for o in others]
        result = Tensor._wrap(compute(self._array, *raw), self.device)
        if capture.recording is not None:
            capture.recording.add_computation(compute, (self, *others), result)
        return result

    def float(self):
        return self._cast(dtypes.float32)

    def double(self):
        return self._cast(dtypes.float64)

    def half(self):
        return self._cast(dtypes.float16)

    def long(self):
        return self._cast(dtypes.int64)

    def int(self):
        return self._cast(dtypes.int32)

    def short(self):
        return self._cast(dtypes.int16)

    def byte(self):
        return self._cast(dtypes.uint8)

    def bool(self):
        return self._cast(dtypes.bool_)

    def type(self, dtype=None):
        """``x.type(mg.float64)`` converts; ``x.type()`` names the type as PyTorch does ('torch.FloatTensor')."""
        if dtype is None:
            return _LEGACY_TYPE_NAMES.get(self.dtype, f"minigrad.{self.dtype}")
        return self._cast(dtypes.as_dtype(dtype))

    def type_as(self, other):
        return self._cast(other.dtype)

    # ------------------------------------------------------------------ arithmetic, with PyTorch's type promotion
    def _operand(self, other):
        """Make the other side of a binary op usable: a Tensor on our device, or a Python number."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, np.generic):  # np.float64(2.0) counts as a plain number, as in PyTorch
            return other.item()
        if isinstance(other, (bool, int, float)):
            return other
        array = np.asarray(other)
        if array.dtype.kind == "f" and not isinstance(other, np.ndarray):
            array = array.astype(dtypes.get_default_dtype())
        return Tensor._wrap(self._backend.asarray(array), self.device)

    def _binary(self, fn, other, reverse=False, floating=False):
        """Apply a two-input op after promoting both sides to the result dtype (``dtypes.result_type``);
        ``floating``: the result is at least the default float dtype (true division)."""
        kind = self._array.dtype.kind
        other_type = type(other)
        if other_type is float and kind == "f" or other_type is int and kind in "fiu":
            pass  # the common cases need no promotion: a number that fits the tensor's kind
        else:
            other = self._operand(other)
            if isinstance(other, Tensor) and other._array.shape != self._array.shape:
                check_broadcastable(fn.__name__.lower(), self.shape, other.shape)
            if not (isinstance(other, Tensor) and other._array.dtype == self._array.dtype and kind != "b"):
                dtype = dtypes.result_type(self, other)
                if floating and not dtypes.is_floating(dtype):
                    dtype = dtypes.get_default_dtype()
                a = self._cast(dtype)
                other = other._cast(dtype) if isinstance(other, Tensor) else other
                return fn.apply(other, a) if reverse else fn.apply(a, other)
        if floating and kind != "f":
            return self._cast(dtypes.get_default_dtype())._binary(fn, other, reverse, floating)
        return fn.apply(other, self) if reverse else fn.apply(self, other)

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
        return self._binary(ew.Div, other, floating=True)

    def __rtruediv__(self, other):
        return self._binary(ew.Div, other, reverse=True, floating=True)

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

    def add(self, other, alpha=1):
        """self + alpha * other."""
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, alpha=1):
        """self - alpha * other."""
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other):
        return self * other

    def div(self, other, rounding_mode=None):
        if rounding_mode is not None:
            raise NotImplementedError("div(rounding_mode=...) is not supported yet; use floor() or trunc() "
                                      "on the quotient")
        return self / other

    def pow(self, exponent):
        return self ** exponent

    def matmul(self, other):
        return self @ other

    multiply, divide, subtract, true_divide = mul, div, sub, div
    neg = negative = __neg__

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

    def clamp_min(self, min):
        return self.clamp(min=min)

    def clamp_max(self, max):
        return self.clamp(max=max)

    def masked_fill(self, mask, value):
        """Put ``value`` where ``mask`` is True (mask broadcasts against self)."""
        mask = mask._array if isinstance(mask, Tensor) else self._backend.asarray(mask)
        return ew.MaskedFill.apply(self, mask, value.item() if isinstance(value, Tensor) else value)

    def dot(self, other):
        return matmul.Dot.apply(self, other)

    # ------------------------------------------------------------------ comparisons (no gradient)
    def _compare(self, other, op):
        return self._derived(op, other)

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
        return self._derived(operator.invert)

    def __and__(self, other):
        return self._compare(other, lambda a, b: a & b)

    def __or__(self, other):
        return self._compare(other, lambda a, b: a | b)

    def __xor__(self, other):
        return self._compare(other, lambda a, b: a ^ b)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__
    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
    logical_not = __invert__

    def any(self, dim=None, keepdim=False):
        xp = self._backend.xp
        return self._derived(lambda a: xp.asarray(a.any(axis=dim, keepdims=keepdim)))

    def all(self, dim=None, keepdim=False):
        xp = self._backend.xp
        return self._derived(lambda a: xp.asarray(a.all(axis=dim, keepdims=keepdim)))

    # ------------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False, dtype=None):
        x = self if dtype is None else self._cast(dtypes.as_dtype(dtype))
        if dtype is None and x.dtype.kind in "biu" and x.dtype != dtypes.int64:
            x = x._cast(dtypes.int64)  # PyTorch sums bools and small integers as int64
        return reductions.Sum.apply(x, normalize_dims(dim, self.ndim), keepdim)

    def mean(self, dim=None, keepdim=False, dtype=None):
        if dtype is not None:
            return self._cast(dtypes.as_dtype(dtype)).mean(dim, keepdim)
        if not dtypes.is_floating(self.dtype):
            raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating "
                               f"point or complex dtype. Got: {self.dtype}. Use .float().mean() (as in PyTorch)")
        return reductions.Mean.apply(self, normalize_dims(dim, self.ndim), keepdim)

    def var(self, dim=None, unbiased=True, keepdim=False, correction=None):
        """Variance; ``correction=1`` (unbiased, the default as in PyTorch) divides by n - 1."""
        if correction is None:
            correction = 1 if unbiased else 0
        return reductions.Var.apply(self, normalize_dims(dim, self.ndim), keepdim, correction)

    def std(self, dim=None, unbiased=True, keepdim=False, correction=None):
        return self.var(dim, unbiased, keepdim, correction).sqrt()

    def amax(self, dim=None, keepdim=False):
        return reductions.Max.apply(self, normalize_dims(dim, self.ndim), keepdim)

    def amin(self, dim=None, keepdim=False):
        return reductions.Min.apply(self, normalize_dims(dim, self.ndim), keepdim)

    def max(self, dim=None, keepdim=False):
        """``x.max()`` -> the largest value; ``x.max(dim)`` -> (values, indices) as in PyTorch;
        ``x.max(other_tensor)`` -> the elementwise maximum."""
        if isinstance(dim, Tensor):
            return functions.maximum(self, dim)
        if isinstance(dim, int):
            return functions.extreme_along(self, dim, keepdim, largest=True)
        return self.amax(dim, keepdim)

    def min(self, dim=None, keepdim=False):
        if isinstance(dim, Tensor):
            return functions.minimum(self, dim)
        if isinstance(dim, int):
            return functions.extreme_along(self, dim, keepdim, largest=False)
        return self.amin(dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        """Index of the largest value (over everything, or along ``dim``), as int64."""
        return self._arg_reduce("argmax", dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return self._arg_reduce("argmin", dim, keepdim)

    def _arg_reduce(self, name, dim, keepdim):
        xp, ndim = self._backend.xp, self.ndim

        def compute(a):
            if dim is None:
                index = xp.asarray(getattr(a, name)()).astype(np.int64)
                return index.reshape((1,) * ndim) if keepdim else index
            idx = getattr(a, name)(axis=dim)
            return xp.asarray(xp.expand_dims(idx, dim) if keepdim else idx).astype(np.int64)
        return self._derived(compute)

    # ------------------------------------------------------------------ activations (also in nn.functional)
    def relu(self):
        return activations.ReLU.apply(self)

    def sigmoid(self):
        return activations.Sigmoid.apply(_floating(self))

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

    def view_as(self, other):
        return self.reshape(other.shape)

    reshape_as = view_as

    def contiguous(self):
        return self

    def transpose(self, dim0, dim1):
        dims = list(range(self.ndim))
        dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
        return shape.Permute.apply(self, tuple(dims))

    swapaxes = transpose

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but this one has {self.ndim}; "
                               "use .transpose(dim0, dim1) or .mT")
        return self.transpose(0, 1) if self.ndim == 2 else self

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
        if not -self.ndim - 1 <= dim <= self.ndim:
            raise IndexError(f"unsqueeze: Dimension out of range (expected to be in range of [{-self.ndim - 1}, "
                             f"{self.ndim}], but got {dim})")
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

    # ------------------------------------------------------------------ more math (issue 9): elementwise
    # Integer and bool tensors become the default float dtype first, as in PyTorch (``_floating``).
    def sin(self):
        return trig.Sin.apply(_floating(self))

    def cos(self):
        return trig.Cos.apply(_floating(self))

    def tan(self):
        return trig.Tan.apply(_floating(self))

    def asin(self):
        return trig.Asin.apply(_floating(self))

    def acos(self):
        return trig.Acos.apply(_floating(self))

    def atan(self):
        return trig.Atan.apply(_floating(self))

    def sinh(self):
        return trig.Sinh.apply(_floating(self))

    def cosh(self):
        return trig.Cosh.apply(_floating(self))

    def atan2(self, other):
        """The angle of the point (other, self), elementwise: atan2(y=self, x=other)."""
        return self._binary(trig.Atan2, other, floating=True)

    arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2

    def exp2(self):
        return exponential.Exp2.apply(_floating(self))

    def expm1(self):
        return exponential.Expm1.apply(_floating(self))

    def log1p(self):
        return exponential.Log1p.apply(_floating(self))

    def log2(self):
        return exponential.Log2.apply(_floating(self))

    def log10(self):
        return exponential.Log10.apply(_floating(self))

    def erf(self):
        return special.Erf.apply(_floating(self))

    def reciprocal(self):
        return powers.Reciprocal.apply(_floating(self))

    def rsqrt(self):
        return powers.Rsqrt.apply(_floating(self))

    def square(self):
        """x * x (integers stay integers; bool becomes int64, as in PyTorch)."""
        return powers.Square.apply(self._cast(dtypes.int64) if self.dtype == dtypes.bool_ else self)

    def sign(self):
        return rounding.Sign.apply(self) if self.dtype != dtypes.bool_ else self.clone()

    def floor(self):
        return rounding.Floor.apply(self) if _rounds(self, "floor") else self.clone()

    def ceil(self):
        return rounding.Ceil.apply(self) if _rounds(self, "ceil") else self.clone()

    def trunc(self):
        return rounding.Trunc.apply(self) if _rounds(self, "trunc") else self.clone()

    fix = trunc

    def round(self, decimals=0):
        return rounding.Round.apply(self, decimals) if _rounds(self, "round") else self.clone()

    def frac(self):
        if not self.is_floating_point():
            raise RuntimeError(f"frac is not implemented for {self.dtype} tensors (as in PyTorch): an integer has "
                               "no fractional part; convert with .float() first")
        return rounding.Frac.apply(self)

    def lerp(self, end, weight):
        return functions.lerp(self, end, weight)

    def addcmul(self, tensor1, tensor2, value=1):
        return functions.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1, tensor2, value=1):
        return functions.addcdiv(self, tensor1, tensor2, value=value)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return functions.nan_to_num(self, nan, posinf, neginf)

    def isnan(self):
        return functions.isnan(self)

    def isinf(self):
        return functions.isinf(self)

    def isposinf(self):
        return functions.isposinf(self)

    def isneginf(self):
        return functions.isneginf(self)

    def isfinite(self):
        return functions.isfinite(self)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return functions.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return functions.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other):
        return functions.equal(self, other)

    def logical_and(self, other):
        return functions.logical_and(self, other)

    def logical_or(self, other):
        return functions.logical_or(self, other)

    def logical_xor(self, other):
        return functions.logical_xor(self, other)

    # ------------------------------------------------------------------ more math (issue 9): reductions and scans
    def prod(self, dim=None, keepdim=False, dtype=None):
        return functions.prod(self, dim, keepdim, dtype=dtype)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        return functions.norm(self, p, dim, keepdim, dtype)

    def logsumexp(self, dim, keepdim=False):
        return functions.logsumexp(self, dim, keepdim)

    def cumsum(self, dim, dtype=None):
        return functions.cumsum(self, dim, dtype=dtype)

    def cumprod(self, dim, dtype=None):
        return functions.cumprod(self, dim, dtype=dtype)

    def count_nonzero(self, dim=None):
        return functions.count_nonzero(self, dim)

    def nonzero(self, as_tuple=False):
        return functions.nonzero(self, as_tuple=as_tuple)

    def argwhere(self):
        return functions.argwhere(self)

    # ------------------------------------------------------------------ more math (issue 9): sorting and selecting
    def sort(self, dim=-1, descending=False, stable=False):
        return functions.sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        return functions.argsort(self, dim, descending, stable)

    def msort(self):
        return functions.msort(self)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return functions.topk(self, k, dim, largest, sorted)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return functions.unique(self, sorted, return_inverse, return_counts, dim)

    def gather(self, dim, index):
        return functions.gather(self, dim, index)

    def scatter(self, dim, index, src=None, value=None, reduce=None):
        return functions.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self, dim, index, src):
        return functions.scatter_add(self, dim, index, src)

    def index_select(self, dim, index):
        return functions.index_select(self, dim, index)

    def masked_select(self, mask):
        return functions.masked_select(self, mask)

    def index_add(self, dim, index, source, alpha=1):
        return functions.index_add(self, dim, index, source, alpha=alpha)

    def index_fill(self, dim, index, value):
        return functions.index_fill(self, dim, index, value)

    def index_copy(self, dim, index, source):
        return functions.index_copy(self, dim, index, source)

    # ------------------------------------------------------------------ more math (issue 9): shapes and pieces
    def tril(self, diagonal=0):
        return functions.tril(self, diagonal)

    def triu(self, diagonal=0):
        return functions.triu(self, diagonal)

    def diag(self, diagonal=0):
        return functions.diag(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return functions.diagonal(self, offset, dim1, dim2)

    def trace(self):
        return functions.trace(self)

    def split(self, split_size, dim=0):
        return functions.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        return functions.chunk(self, chunks, dim)

    def unbind(self, dim=0):
        return functions.unbind(self, dim)

    def narrow(self, dim, start, length):
        return functions.narrow(self, dim, start, length)

    def select(self, dim, index):
        return functions.select(self, dim, index)

    def roll(self, shifts, dims=None):
        return functions.roll(self, shifts, dims)

    def flip(self, *dims):
        return functions.flip(self, dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims)

    def fliplr(self):
        return functions.fliplr(self)

    def flipud(self):
        return functions.flipud(self)

    def repeat(self, *sizes):
        return functions.repeat(self, sizes[0] if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes)

    def tile(self, *dims):
        return functions.tile(self, dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims)

    def repeat_interleave(self, repeats, dim=None, output_size=None):
        return functions.repeat_interleave(self, repeats, dim)

    def broadcast_to(self, size):
        return self.expand(size)

    def outer(self, vec2):
        return functions.outer(self, vec2)

    ger = outer

    def mm(self, mat2):
        return functions.mm(self, mat2)

    def bmm(self, mat2):
        return functions.bmm(self, mat2)

    def mv(self, vec):
        return functions.mv(self, vec)

    # ------------------------------------------------------------------ new tensors like this one (dtype and device)
    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return creation.zeros(*size, **_like_self(self, dtype, device), requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return creation.ones(*size, **_like_self(self, dtype, device), requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return creation.empty(*size, **_like_self(self, dtype, device), requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return creation.full(size, fill_value, **_like_self(self, dtype, device), requires_grad=requires_grad)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        return creation.tensor(data, **_like_self(self, dtype, device), requires_grad=requires_grad)

    # ------------------------------------------------------------------ in place (autograd/inplace.py)
    def add_(self, other, alpha=1):
        return inplace.apply(self, "add_", lambda x: x.add(other, alpha=alpha))

    def sub_(self, other, alpha=1):
        return inplace.apply(self, "sub_", lambda x: x.sub(other, alpha=alpha))

    def mul_(self, other):
        return inplace.apply(self, "mul_", lambda x: x * other)

    def div_(self, other):
        return inplace.apply(self, "div_", lambda x: x / other)

    def pow_(self, exponent):
        return inplace.apply(self, "pow_", lambda x: x ** exponent)

    def neg_(self):
        return inplace.apply(self, "neg_", lambda x: -x)

    def exp_(self):
        return inplace.apply(self, "exp_", lambda x: x.exp())

    def log_(self):
        return inplace.apply(self, "log_", lambda x: x.log())

    def sqrt_(self):
        return inplace.apply(self, "sqrt_", lambda x: x.sqrt())

    def abs_(self):
        return inplace.apply(self, "abs_", lambda x: x.abs())

    def relu_(self):
        return inplace.apply(self, "relu_", lambda x: x.relu())

    def sigmoid_(self):
        return inplace.apply(self, "sigmoid_", lambda x: x.sigmoid())

    def tanh_(self):
        return inplace.apply(self, "tanh_", lambda x: x.tanh())

    def clamp_(self, min=None, max=None):
        return inplace.apply(self, "clamp_", lambda x: x.clamp(min, max))

    clip_ = clamp_

    def clamp_min_(self, min):
        return self.clamp_(min=min)

    def clamp_max_(self, max):
        return self.clamp_(max=max)

    def masked_fill_(self, mask, value):
        return inplace.apply(self, "masked_fill_", lambda x: x.masked_fill(mask, value))

    def addcmul_(self, tensor1, tensor2, value=1):
        """self += value * tensor1 * tensor2."""
        return inplace.apply(self, "addcmul_", lambda x: x + value * tensor1 * tensor2)

    def addcdiv_(self, tensor1, tensor2, value=1):
        """self += value * tensor1 / tensor2."""
        return inplace.apply(self, "addcdiv_", lambda x: x + value * tensor1 / tensor2)

    def lerp_(self, end, weight):
        """self += weight * (end - self)."""
        return inplace.apply(self, "lerp_", lambda x: x + weight * (end - x))

    def fill_(self, value):
        value = value.item() if isinstance(value, Tensor) else value
        return inplace.apply(self, "fill_", lambda x: shape.Fill.apply(x, value))

    def zero_(self):
        return self.fill_(0)

    def copy_(self, source, non_blocking=False):
        """Copy ``source``'s values into this tensor (``source`` broadcasts; dtype and device are converted)."""
        if not isinstance(source, Tensor):
            source = Tensor._wrap(self._backend.asarray(np.asarray(source, dtype=self.dtype)), self.device)
        if source.device != self.device:
            source = source._to_device(self.device)
        return inplace.apply(self, "copy_", lambda x: shape.CopyFrom.apply(x, source._cast(x.dtype)))

    def uniform_(self, a=0.0, b=1.0, generator=None):
        """Fill with samples of U(a, b) from minigrad's generator (or the given one)."""
        return self._fill_random_("uniform_", random.generator_of(generator).uniform(a, b, size=self.shape))

    def normal_(self, mean=0.0, std=1.0, generator=None):
        """Fill with samples of N(mean, std^2)."""
        return self._fill_random_("normal_", random.generator_of(generator).normal(mean, std, size=self.shape))

    def bernoulli_(self, p=0.5, generator=None):
        """Fill with 1 (probability p) or 0."""
        return self._fill_random_("bernoulli_", random.generator_of(generator).random(self.shape) < p)

    def exponential_(self, lambd=1.0, generator=None):
        return self._fill_random_("exponential_", random.generator_of(generator).exponential(1 / lambd, size=self.shape))

    def random_(self, low=0, high=None, generator=None):
        """Fill with integers drawn uniformly from [low, high)."""
        if high is None:
            low, high = 0, low
        return self._fill_random_("random_", random.generator_of(generator).integers(low, high, size=self.shape))

    def _fill_random_(self, name, host_values):
        values = self._backend.asarray(np.asarray(host_values).astype(self.dtype))
        return inplace.apply(self, name, lambda x: shape.Fill.apply(x, values))

    def __setitem__(self, index, value):
        inplace.set_item(self, _raw_index(index, self._backend), value)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __ipow__(self, other):
        return self.pow_(other)

    # ------------------------------------------------------------------ in place twins of the math above (issue 9)
    def sin_(self):
        return inplace.apply(self, "sin_", lambda x: x.sin())

    def cos_(self):
        return inplace.apply(self, "cos_", lambda x: x.cos())

    def tan_(self):
        return inplace.apply(self, "tan_", lambda x: x.tan())

    def asin_(self):
        return inplace.apply(self, "asin_", lambda x: x.asin())

    def acos_(self):
        return inplace.apply(self, "acos_", lambda x: x.acos())

    def atan_(self):
        return inplace.apply(self, "atan_", lambda x: x.atan())

    def sinh_(self):
        return inplace.apply(self, "sinh_", lambda x: x.sinh())

    def cosh_(self):
        return inplace.apply(self, "cosh_", lambda x: x.cosh())

    def atan2_(self, other):
        return inplace.apply(self, "atan2_", lambda x: x.atan2(other))

    def exp2_(self):
        return inplace.apply(self, "exp2_", lambda x: x.exp2())

    def expm1_(self):
        return inplace.apply(self, "expm1_", lambda x: x.expm1())

    def log1p_(self):
        return inplace.apply(self, "log1p_", lambda x: x.log1p())

    def log2_(self):
        return inplace.apply(self, "log2_", lambda x: x.log2())

    def log10_(self):
        return inplace.apply(self, "log10_", lambda x: x.log10())

    def erf_(self):
        return inplace.apply(self, "erf_", lambda x: x.erf())

    def reciprocal_(self):
        return inplace.apply(self, "reciprocal_", lambda x: x.reciprocal())

    def rsqrt_(self):
        return inplace.apply(self, "rsqrt_", lambda x: x.rsqrt())

    def square_(self):
        return inplace.apply(self, "square_", lambda x: x.square())

    def sign_(self):
        return inplace.apply(self, "sign_", lambda x: x.sign())

    def floor_(self):
        return inplace.apply(self, "floor_", lambda x: x.floor())

    def ceil_(self):
        return inplace.apply(self, "ceil_", lambda x: x.ceil())

    def trunc_(self):
        return inplace.apply(self, "trunc_", lambda x: x.trunc())

    fix_ = trunc_

    def round_(self, decimals=0):
        return inplace.apply(self, "round_", lambda x: x.round(decimals=decimals))

    def frac_(self):
        return inplace.apply(self, "frac_", lambda x: x.frac())

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return inplace.apply(self, "nan_to_num_", lambda x: x.nan_to_num(nan, posinf, neginf))

    def cumsum_(self, dim, dtype=None):
        return inplace.apply(self, "cumsum_", lambda x: x.cumsum(dim, dtype=dtype))

    def cumprod_(self, dim, dtype=None):
        return inplace.apply(self, "cumprod_", lambda x: x.cumprod(dim, dtype=dtype))

    def tril_(self, diagonal=0):
        return inplace.apply(self, "tril_", lambda x: x.tril(diagonal))

    def triu_(self, diagonal=0):
        return inplace.apply(self, "triu_", lambda x: x.triu(diagonal))

    def scatter_(self, dim, index, src=None, value=None, reduce=None):
        return inplace.apply(self, "scatter_", lambda x: x.scatter(dim, index, src, value=value, reduce=reduce))

    def scatter_add_(self, dim, index, src):
        return inplace.apply(self, "scatter_add_", lambda x: x.scatter_add(dim, index, src))

    def index_add_(self, dim, index, source, alpha=1):
        return inplace.apply(self, "index_add_", lambda x: x.index_add(dim, index, source, alpha=alpha))

    def index_fill_(self, dim, index, value):
        """x[..., index, ...] = value along ``dim``, in place."""
        self[functions._slices_at(self, dim, index, "index_fill_")] = value
        return self

    def index_copy_(self, dim, index, source):
        """x[..., index, ...] = source along ``dim``, in place."""
        self[functions._slices_at(self, dim, index, "index_copy_")] = source
        return self


class _HookHandle:
    """What ``register_hook`` returns: ``handle.remove()`` takes the hook off again."""

    _next_id = 0

    def __init__(self, hooks, hook):
        _HookHandle._next_id += 1
        self.id, self.hooks = _HookHandle._next_id, hooks
        hooks[self.id] = hook

    def remove(self):
        self.hooks.pop(self.id, None)


_LEGACY_TYPE_NAMES = {dtypes.float32: "torch.FloatTensor", dtypes.float64: "torch.DoubleTensor",
                      dtypes.float16: "torch.HalfTensor", dtypes.int64: "torch.LongTensor",
                      dtypes.int32: "torch.IntTensor", dtypes.int16: "torch.ShortTensor",
                      dtypes.int8: "torch.CharTensor", dtypes.uint8: "torch.ByteTensor",
                      dtypes.bool_: "torch.BoolTensor"}


def _parse_to(args, kwargs):
    """(device, dtype) from the arguments of ``Tensor.to`` / ``Module.to``."""
    device, dtype = kwargs.get("device"), kwargs.get("dtype")
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, str) or hasattr(arg, "type") and not isinstance(arg, (np.dtype, type)):
            device = arg
        elif arg is not None:
            dtype = arg
    return (None if device is None else check_device(device)), dtypes.as_dtype(dtype)


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
        return index._array
    if isinstance(index, list):
        return backend.asarray(np.asarray([i.item() if isinstance(i, Tensor) else i for i in index]))
    if isinstance(index, np.ndarray):
        return backend.asarray(index)
    return index


# The autograd engine and the ops are imported after Tensor is defined, because they import Tensor
# themselves (``from minigrad.tensor import Tensor``): this is the one import loop, in plain sight.
from minigrad import functions, random  # noqa: E402
from minigrad.autograd import capture, engine, grad_mode, inplace  # noqa: E402
from minigrad.ops import activations, elementwise as ew, indexing, matmul, reductions, shape, softmax  # noqa: E402
from minigrad.ops.reductions import normalize_dims  # noqa: E402
from minigrad import creation  # noqa: E402
from minigrad.ops import exponential, powers, rounding, special, trigonometry as trig  # noqa: E402


def _floating(tensor):
    """``tensor`` itself if it is floating, else converted to the default float dtype (PyTorch's
    rule for sin, exp2, log1p, ...: ``mg.tensor([1, 2]).sin()`` is float32)."""
    return tensor if dtypes.is_floating(tensor.dtype) else tensor._cast(dtypes.get_default_dtype())


def _rounds(tensor, name):
    """Whether floor/ceil/round/trunc have work to do: floats yes, integers are already whole
    (a copy is returned), bool is refused as PyTorch does."""
    if tensor.dtype == dtypes.bool_:
        raise RuntimeError(f"{name} is not implemented for bool tensors (as in PyTorch); convert with .float() first")
    return tensor.is_floating_point()


def _like_self(tensor, dtype, device):
    """dtype and device for ``tensor.new_*``: the given ones, else the tensor's own."""
    return {"dtype": tensor.dtype if dtype is None else dtype, "device": tensor.device if device is None else device}
