"""In-place ops — ``x.add_(y)``, ``x += y``, ``x[i] = v``, ``x.zero_()`` — change ``x``'s own storage.

The rules are PyTorch's:

1. The new values are computed by the out-of-place op (``x.add_(y)`` computes ``x.add(y)``) and
   written into ``x``'s array, so every name bound to ``x`` — and every view sharing its memory,
   such as ``x.data`` — sees them.  The result must fit: the other operand may broadcast to ``x``'s
   shape (never ``x`` to a bigger one), and its dtype must be one ``x`` can hold (an integer tensor
   cannot receive floats).
2. ``x``'s version counter goes up by one.  An op that saved ``x`` (or a view of it) for its
   backward compares the counter when backward runs, so a gradient that would be computed from
   overwritten values is refused instead of being silently wrong.
3. While autograd records (grad mode on, and ``x`` or an operand requires grad):
   * if the op needs ``x``'s old values for its backward (``y.mul_(w)``: dL/dw = g * old y), a copy
     of them is kept before the write, as PyTorch does;
   * a *leaf* that requires grad (a parameter) cannot change in place: its ``.grad`` is meant to be
     the gradient of the value the user created.  Updates belong inside ``with mg.no_grad():``
     (the manual SGD step ``w -= lr * w.grad``), which is what optimizers do;
   * otherwise the change is recorded: ``x`` takes the Node of the out-of-place result, whose
     parents point at ``x``'s *old* Node.  The gradient flows through the change, and results
     computed from ``x`` before it keep their own, older Nodes;
   * if ``x`` is a view made by basic indexing of a tensor that is still alive (``x = base[0]``),
     the change is also written into the base as ``base[index] = new``, so that the base's graph
     knows; in-place changes of other views (reshape, permute, expand) of a living tensor are
     refused with a message, because minigrad cannot rewire the base's gradient for them.
"""
import threading

from minigrad import dtypes
from minigrad.autograd import grad_mode


def apply(x, name, compute):
    """Change ``x`` in place to ``compute(x)``, where ``compute`` is the out-of-place op."""
    _refuse_while_capturing(name)
    result = compute(x)
    if not result.requires_grad:  # nothing is recorded: just write
        _write(x, result, name)
        return x
    if x.requires_grad and x._node is None:
        raise RuntimeError(
            f"{name}: a leaf tensor that requires grad (a parameter, or a tensor made with requires_grad=True) "
            "cannot be changed in place while autograd is recording. For an update such as "
            "`w -= lr * w.grad`, wrap it in `with mg.no_grad():` (as optimizers do); otherwise use the "
            "out-of-place op (`y = x + 1`).")
    _keep_original_if_saved(x, result._node.ctx)
    base = _living_base(x)
    if base is not None:
        base_tensor, index = base
        if index is None:
            raise RuntimeError(
                f"{name}: this tensor is a view (made by reshape, view, permute, transpose or expand) of another "
                "tensor, and changing a view in place while autograd records is not supported: the other "
                "tensor's gradient could not follow. Use the out-of-place op (`y = y + 1`), or `.clone()` "
                "the view first.")
        set_item(base_tensor, index, result)  # writes the values into the shared memory, recorded
    else:
        _write(x, result, name)
    x._node = result._node
    x.requires_grad = True
    if x._retains_grad:
        x.retain_grad()
    return x


def _keep_original_if_saved(x, ctx):
    """If the op just computed saved ``x`` itself for its backward (``y.mul_(w)`` needs the old ``y``
    for dL/dw), keep a copy of the old values there, as PyTorch does: the write that follows
    would otherwise overwrite them."""
    counter = x._version_counter
    if not any(record[0] is counter for record in ctx._saved_versions):
        return
    from minigrad.tensor import Tensor

    def original(value):
        if value is x._array:
            return value.copy()
        if isinstance(value, Tensor) and value._version_counter is counter:
            return Tensor._wrap(value._array.copy(), value.device, False)
        return value

    ctx._saved = tuple(original(value) for value in ctx._saved)
    ctx._saved_versions = tuple(record for record in ctx._saved_versions if record[0] is not counter)


def _refuse_while_capturing(name):
    from minigrad.autograd import capture
    if capture.recording is not None and capture.recording.thread == threading.get_ident():
        raise RuntimeError(f"capture_step: {name} changes a tensor in place, which a captured step cannot replay; use "
                           "the out-of-place op (y = x + 1, F.relu(x) without inplace=True) inside the step")


def set_item(x, index, value):
    """``x[index] = value``, in place: recorded as the op SetItem while autograd records."""
    from minigrad.ops.indexing import SetItem
    from minigrad.tensor import Tensor

    _refuse_while_capturing("x[index] = value")
    value_requires_grad = isinstance(value, Tensor) and value.requires_grad
    if grad_mode._enabled and (x.requires_grad or value_requires_grad):
        if isinstance(value, Tensor) and value.device != x.device:
            value = value.to(x.device)
        apply(x, "__setitem__", lambda old: SetItem.apply(old, _as_operand(value, old), index))
        return
    raw = value._array if isinstance(value, Tensor) else value
    if isinstance(value, Tensor) and value.device != x.device:
        raw = value.to(x.device)._array
    if isinstance(value, Tensor) and dtypes._category(value.dtype) > dtypes._category(x.dtype):
        raise RuntimeError(f"x[...] = value: value has dtype {value.dtype}, which a {x.dtype} tensor cannot hold; "
                           f"convert it with .to({x.dtype})")
    try:
        x._array[index] = raw
    except ValueError as error:
        raise RuntimeError(f"x[{_show(index)}] = value: {error} (x has shape {x.shape})") from None
    x._version_counter.value += 1


def _as_operand(value, like):
    from minigrad.tensor import Tensor

    if isinstance(value, Tensor):
        return value._cast(like.dtype)
    return Tensor._wrap(like._backend.asarray(value, dtype=like.dtype), like.device)


def _write(x, result, name):
    """Copy ``result``'s values into ``x``'s storage, checking shape and dtype as PyTorch does."""
    if result.shape != x.shape:
        raise RuntimeError(
            f"{name}: the result has shape {result.shape} but this tensor has shape {x.shape}; an in-place op "
            "cannot change a tensor's shape (the other operand must broadcast to it). Use the out-of-place "
            "op instead (`y = x + other`).")
    if dtypes._category(result.dtype) > dtypes._category(x.dtype):
        raise RuntimeError(
            f"{name}: result type {result.dtype} can't be cast to this tensor's dtype {x.dtype} (as in PyTorch, "
            f"an in-place op keeps the dtype). Convert first: `x = x.to({result.dtype})`, then change it.")
    try:
        x._array[...] = result._array
    except ValueError:
        raise RuntimeError(
            f"{name}: this tensor is an expanded view (made by expand or broadcasting), in which several "
            "elements share one memory location, so it cannot be written in place. Use .clone() first.") from None
    x._version_counter.value += 1


def _living_base(x):
    """(base tensor, index or None) if ``x`` is a view of a tensor that still exists, else None."""
    if x._view is None:
        return None
    base_ref, index = x._view
    base = base_ref()
    return None if base is None else (base, index)


def _show(index):
    return ", ".join(map(repr, index)) if isinstance(index, tuple) else repr(index)
