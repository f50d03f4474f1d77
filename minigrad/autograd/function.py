"""``Function``: one step of the computation graph — a forward and its hand-derived backward.

There is one mechanism, ``Function.apply``, in two flavours:

* **Your own Function**, exactly as in PyTorch: ``forward`` and ``backward`` receive and return
  Tensors::

      class Cube(mg.autograd.Function):
          @staticmethod
          def forward(ctx, x):                  # runs without recording a graph
              ctx.save_for_backward(x)
              return x ** 3

          @staticmethod
          def backward(ctx, g):                 # g = dL/d(output), a Tensor
              (x,) = ctx.saved_tensors
              return g * 3 * x ** 2             # dL/dx

      y = Cube.apply(x)

* **minigrad's built-in ops** (``minigrad/ops``) subclass ``Op``, the same thing one level lower:
  their ``forward`` and ``backward`` work on the *raw arrays* (NumPy or CuPy) inside the tensors,
  and call the backend's formulas (``ctx.backend``), so that one op definition serves the CPU
  and the GPU::

      class Mul(Op):
          '''z = x * y;   dL/dx = g * y,   dL/dy = g * x'''
          @staticmethod
          def forward(ctx, x, y):
              ctx.save_for_backward(x, y)
              return x * y

          @staticmethod
          def backward(ctx, g):
              x, y = ctx.saved_tensors
              return g * y, g * x

``apply`` runs ``forward``, wraps the result in a new Tensor and — when a gradient is wanted —
attaches a ``Node`` to it: which Function made it, its ``ctx``, and for each input where its
gradient must go (the input's own Node, or the input itself if it is a leaf).  ``backward()``
(``engine.py``) walks these Nodes.  Because a Node points at the *Node* of each input, not at
the input tensor, an in-place change of a tensor later (which gives it a new Node) never
rewires the graph of results computed before the change.

A backward may return a gradient *in the broadcast shape of the output*; the engine sums it
back to each input's shape (``sum_to_shape``) — the one place broadcasting meets backprop.
"""
import numpy as np

from minigrad.autograd import grad_mode
from minigrad.backends import _backends, get_backend
from minigrad.tensor import Tensor  # tensor.py imports the autograd package only after defining Tensor


class Context:
    """What a forward leaves for its backward: saved values, flags, and the backend."""

    __slots__ = ("backend", "needs_input_grad", "_saved", "_saved_versions", "_freed", "__dict__")

    def __init__(self, backend):
        self.backend = backend
        self.needs_input_grad = ()
        self._saved = ()
        self._saved_versions = ()
        self._freed = False

    def save_for_backward(self, *values):
        """Keep values for the backward pass: arrays in a built-in ``Op``, Tensors in your own
        ``Function`` (inputs, the output, or intermediates)."""
        self._saved = values

    def check_not_freed(self):
        if self._freed:
            raise RuntimeError(
                "backward through the same graph a second time: its saved values were freed by the "
                "first backward(). Call the first one as backward(retain_graph=True) if you need "
                "to go through the graph twice.")

    @property
    def saved_tensors(self):
        self.check_not_freed()
        for counter, version, shape, fn_name in self._saved_versions:
            if counter.value != version:
                raise RuntimeError(
                    f"a tensor of shape {shape} that {fn_name} saved for its backward was changed in place "
                    f"afterwards (version {version} -> {counter.value}), so its gradient would be wrong. Use "
                    "the out-of-place op (e.g. x = x + 1 instead of x += 1 or x.add_(1)), or .clone() the "
                    "tensor before changing it.")
        return self._saved

    def free(self):
        self._saved = ()
        self.__dict__.clear()
        self._freed = True


class Node:
    """The record an op leaves on its output: which Function made it, and where the gradient of
    each input goes (``parents``: the input's Node, the input tensor itself if it is a leaf that
    requires grad, or None)."""

    __slots__ = ("fn", "ctx", "parents", "shape", "dtype", "retained", "hooks")

    def __init__(self, fn, ctx, parents, shape, dtype):
        self.fn = fn
        self.ctx = ctx
        self.parents = parents
        self.shape = shape          # of the output: the engine sums gradients to it
        self.dtype = dtype
        self.retained = None        # weak reference to a tensor that asked for .retain_grad()
        self.hooks = None           # functions registered with Tensor.register_hook

    def name(self):
        return f"{self.fn.__name__}Backward"


class Function:
    """Base class of a differentiable step whose ``forward``/``backward`` take and return Tensors
    (PyTorch's ``torch.autograd.Function``).  Call it with ``YourFunction.apply(*inputs)``."""

    on_arrays = False  # True for minigrad's built-in ops (``Op``): forward/backward see raw arrays

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx, grad_output):
        raise NotImplementedError("a Function subclass must define backward(ctx, grad_output)")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` and wrap its result in a Tensor that remembers (this Function, ctx,
        where each input's gradient goes) when a gradient will be needed."""
        # one pass over the arguments: unwrap tensors, find the device, note which want a gradient
        raw, needs = [], []
        device = None
        for a in args:
            if isinstance(a, Tensor):
                if device is None:
                    device = a.device
                elif a.device != device:
                    raise RuntimeError(
                        f"{cls.__name__}: expected all tensors on one device, but found {str(device)!r} and "
                        f"{str(a.device)!r}; move one with .to({str(device)!r}) or .to({str(a.device)!r}).")
                raw.append(a._array)
                needs.append(a.requires_grad)
            else:
                raw.append(a)
                needs.append(False)
        if device is None:
            raise TypeError(f"{cls.__name__}.apply needs at least one Tensor argument")
        ctx = Context(_backends.get(device) or get_backend(device))
        requires_grad = grad_mode._enabled and True in needs
        if requires_grad:
            ctx.needs_input_grad = tuple(needs)
        if cls.on_arrays:
            out = cls.forward(ctx, *raw, **kwargs)
            if isinstance(out, np.generic):  # NumPy answers 0-d arithmetic with a scalar: keep an array
                out = np.asarray(out)
        else:
            with grad_mode.no_grad():
                out_tensor = cls.forward(ctx, *args, **kwargs)
            if isinstance(out_tensor, Tensor):
                out = out_tensor._array
            elif hasattr(out_tensor, "shape") and hasattr(out_tensor, "dtype"):  # an array computed with NumPy
                out = ctx.backend.asarray(out_tensor)
            else:
                raise TypeError(f"{cls.__name__}.forward must return one Tensor, got {type(out_tensor).__name__} "
                                "(minigrad's Function supports a single output)")
        result = Tensor._wrap(out, device, requires_grad)
        if requires_grad:
            # where each input's gradient goes: its Node, the input itself if it is a leaf, or nowhere
            parents = tuple([(a if a._node is None else a._node) if need else None for a, need in zip(args, needs)])
            result._node = Node(cls, ctx, parents, out.shape, out.dtype)
            if ctx._saved:
                ctx._saved_versions = _versions_of_saved(ctx._saved, args, result, cls)
        else:
            ctx._saved = ()
        if cls.is_view and result._array is not raw[0] and _shares_memory(ctx.backend, result._array, raw[0]):
            args[0]._share_storage_with(result, cls.view_index(args))
        if capture.recording is not None:  # a step being captured (mg.capture_step) writes every op down
            capture.recording.add_op(cls, args, kwargs, result)
        return result

    # A Function whose output can be a *view* of its first input (the same memory, as NumPy's
    # reshape and basic indexing give): the output then shares the input's version counter, so an
    # in-place change through either is seen by the values saved for backward.
    is_view = False

    @staticmethod
    def view_index(args):
        """For an indexing view, the index (so an in-place change of the view can be written into
        the base as ``base[index] = ...``); None for other views."""
        return None


class Op(Function):
    """A built-in op: a Function whose ``forward`` and ``backward`` work on raw arrays (NumPy or
    CuPy) and on the backend's formulas (``ctx.backend``), never on Tensors."""

    on_arrays = True


def _shares_memory(backend, a, b):
    return hasattr(b, "shape") and backend.xp.may_share_memory(a, b)


def _versions_of_saved(saved, args, output, fn):
    """For each saved value that belongs to an input or to the output, remember its version
    counter and version now, so that an in-place change before backward is caught."""
    records = []
    for value in saved:
        if value is None:
            continue
        owner = value if isinstance(value, Tensor) else None
        if owner is None:
            if value is output._array:
                owner = output
            else:
                for a in args:
                    if isinstance(a, Tensor) and a._array is value:
                        owner = a
                        break
        if owner is not None:
            counter = owner._version_counter
            records.append((counter, counter.value, value.shape, fn.__name__))
    return tuple(records)


from minigrad.autograd import capture  # noqa: E402  (capture.py uses Context and Node, defined above)
