"""``Function``: one node of the computation graph — a forward and its hand-derived backward.

Every differentiable op is a subclass with two static methods working on *raw arrays*
(NumPy or CuPy), never on Tensors::

    class Mul(Function):
        '''z = x * y;   dL/dx = g * y,   dL/dy = g * x'''
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y, g * x

``Mul.apply(a, b)`` unwraps the tensors, runs ``forward``, wraps the result in a new Tensor
and — when a gradient is wanted — remembers ``(Mul, ctx, inputs)`` on it, so that
``backward()`` (see ``engine.py``) can later call ``Mul.backward``.

A backward may return a gradient *in the broadcast shape of the output*; the engine sums it
back to each input's shape (``sum_to_shape``) — the one place broadcasting meets backprop.
"""
import weakref

import numpy as np

from minigrad.autograd import grad_mode
from minigrad.backends import _backends, get_backend

Tensor = None  # minigrad.tensor.Tensor, imported on first use (tensor.py imports this module)


class Context:
    """What a forward leaves for its backward: saved arrays, flags, and the backend."""

    __slots__ = ("backend", "needs_input_grad", "_saved", "_saved_versions", "_freed", "__dict__")

    def __init__(self, backend):
        self.backend = backend
        self.needs_input_grad = ()
        self._saved = ()
        self._saved_versions = ()
        self._freed = False

    def save_for_backward(self, *arrays):
        """Keep arrays for the backward pass (inputs, the output, or intermediates)."""
        self._saved = arrays

    def check_not_freed(self):
        if self._freed:
            raise RuntimeError(
                "backward through the same graph a second time: its saved values were freed by the "
                "first backward(). Call the first one as backward(retain_graph=True) if you need "
                "to go through the graph twice.")

    @property
    def saved_tensors(self):
        self.check_not_freed()
        for owner_ref, version, fn_name in self._saved_versions:
            owner = owner_ref()
            if owner is not None and owner._version != version:
                raise RuntimeError(
                    f"a tensor of shape {owner.shape} that {fn_name} saved for its backward was changed "
                    f"in place afterwards (version {version} -> {owner._version}), so its gradient would "
                    "be wrong. Use the out-of-place op (e.g. x = x + 1 instead of x.add_(1)), or .clone() "
                    "the tensor before changing it.")
        return self._saved

    def free(self):
        self._saved = ()
        self.__dict__.clear()
        self._freed = True


class Node:
    """The record left on an op's output: which Function made it, from which inputs."""

    __slots__ = ("fn", "ctx", "inputs")

    def __init__(self, fn, ctx, inputs):
        self.fn = fn
        self.ctx = ctx
        self.inputs = inputs  # tuple of Tensor (or None for non-tensor arguments)


class Function:
    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad_output):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` on the raw arrays of ``args`` and wrap the result in a Tensor that
        remembers (this Function, ctx, inputs) when a gradient will be needed."""
        global Tensor
        if Tensor is None:
            from minigrad.tensor import Tensor
        # one pass over the arguments: unwrap tensors, find the device, see if a gradient is needed
        raw, inputs, needs = [], [], []
        device = None
        for a in args:
            if isinstance(a, Tensor):
                if device is None:
                    device = a.device
                elif a.device != device:
                    raise RuntimeError(
                        f"{cls.__name__}: expected all tensors on one device, but found {device!r} and "
                        f"{a.device!r}; move one with .to({device!r}) or .to({a.device!r}).")
                raw.append(a.data)
                inputs.append(a)
                needs.append(a.requires_grad)
            else:
                raw.append(a)
                inputs.append(None)
                needs.append(False)
        ctx = Context(_backends.get(device) or get_backend(device))
        requires_grad = grad_mode._enabled and True in needs
        if requires_grad:
            ctx.needs_input_grad = tuple(needs)
        out = cls.forward(ctx, *raw, **kwargs)
        if isinstance(out, np.generic):  # NumPy answers 0-d arithmetic with a scalar: keep an array
            out = np.asarray(out)
        result = Tensor(out, device=device, requires_grad=requires_grad, _check=False)
        if requires_grad:
            inputs = tuple(inputs)
            result._node = Node(cls, ctx, inputs)
            if ctx._saved:
                ctx._saved_versions = _owners_of(ctx._saved, inputs, result, cls.__name__)
        else:
            ctx._saved = ()
        return result


def _owners_of(saved, inputs, output, fn_name):
    """For each saved array that *is* an input's or the output's storage, remember that
    tensor and its version now, so an in-place change before backward is caught."""
    records = []
    for array in saved:
        for t in (*inputs, output):
            if t is not None and t.data is array:
                records.append((weakref.ref(t), t._version, fn_name))
                break
    return tuple(records)
