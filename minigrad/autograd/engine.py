"""``backward()``: the chain rule, applied to the graph in reverse topological order.

The graph is made of ``Node`` s (``function.py``): each op's output carries one, and it points at
where each input's gradient goes — the input's own Node, or the input tensor itself when that is
a *leaf* (made by the user, ``requires_grad=True``).

1. Walk the graph from the output's Node and list every Node and leaf so that each one comes
   *after* everything it was computed from (a topological order).  The walk uses an explicit
   stack, not recursion, so a chain of 10,000 ops is fine.
2. Visit that list backwards.  The output's gradient is ``1`` (or the given ``gradient``).
   For a Node: call its op's backward with the Node's accumulated gradient; sum each input
   gradient back to the input's shape (undoing broadcasting) and *add* it to what that input has
   received so far — a tensor used twice receives both contributions.  For a leaf: add the
   gradient to ``leaf.grad``, then call the leaf's post-accumulate hooks
   (``register_post_accumulate_grad_hook``: how ``DistributedDataParallel`` learns that a
   parameter's gradient is complete).

Because every consumer of a value comes before it in the reversed list, a value's gradient is
complete by the time it is visited.
"""
import numpy as np

from minigrad.autograd import grad_mode
from minigrad.autograd.function import Node
from minigrad.tensor import Tensor


def topological_order(roots):
    """Nodes and leaves reachable from ``roots`` (a Tensor, or a list of Nodes and leaves), inputs
    before the ops that use them."""
    if isinstance(roots, Tensor):
        roots = [roots if roots._node is None else roots._node]
    order, visited = [], set()
    stack = [(root, False) for root in roots]
    while stack:
        item, expanded = stack.pop()
        if expanded:
            order.append(item)
            continue
        if id(item) in visited:
            continue
        visited.add(id(item))
        stack.append((item, True))
        if item.__class__ is Node:
            for parent in item.parents:
                if parent is not None and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def sum_to_shape(backend, grad, shape):
    """Undo broadcasting: sum ``grad`` down to ``shape``.

    Broadcasting y = f(x) copies x along (a) new leading axes and (b) axes where x has size 1.
    Each copy received its own gradient, and the chain rule adds them up, so:
    sum over the leading axes, then over the size-1 axes (keeping them).
    """
    if grad.shape == shape:
        return grad
    shape = tuple(shape)
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = backend.sum(grad, axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = backend.sum(grad, axis=stretched, keepdims=True)
    return grad


def seed_gradient(root, gradient):
    """d(root)/d(root): ones for a one-element root, else the ``gradient`` the caller gave."""
    backend = root._backend
    if gradient is None:
        if root._array.size != 1:
            raise RuntimeError(
                f"backward() needs a gradient argument for a non-scalar output (shape {root.shape}): "
                "reduce it first (e.g. loss.sum() or loss.mean()), or pass backward(gradient=...) of the "
                "same shape.")
        return backend.xp.ones(root.shape, dtype=root.dtype)
    seed = gradient._array if isinstance(gradient, Tensor) else backend.asarray(gradient, root.dtype)
    if tuple(seed.shape) != root.shape:
        raise RuntimeError(f"backward(): gradient has shape {tuple(seed.shape)} but the output has shape "
                           f"{root.shape}; they must match.")
    return seed


def backward(roots, gradients=None, retain_graph=False, inputs=None):
    """Add d(sum of roots)/d(leaf) to ``leaf.grad`` for every leaf the roots depend on (or only
    for ``inputs``, when given).  ``roots`` is a Tensor or a list of Tensors."""
    if isinstance(roots, Tensor):
        roots, gradients = [roots], [gradients]
    else:
        roots = list(roots)
        gradients = [None] * len(roots) if gradients is None else list(gradients)
    if len(gradients) != len(roots):
        raise RuntimeError(f"backward(): got {len(roots)} tensors but {len(gradients)} gradients")
    seeds = []
    for root, gradient in zip(roots, gradients):
        if not root.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no input of it has requires_grad=True "
                "(or it was computed under mg.no_grad()). Create the inputs with requires_grad=True.")
        seeds.append((root._node if root._node is not None else root, seed_gradient(root, gradient)))
    only = None if inputs is None else {id(t._node if t._node is not None else t): t for t in inputs}
    found = run_backward(seeds, retain_graph, capture=only)
    if only is not None:
        for key, tensor in only.items():
            if key in found:
                _accumulate(tensor, found[key])
                if tensor._node is None:
                    _run_post_accumulate_hooks(tensor)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """d(sum of outputs)/d(input) for each of ``inputs``, returned as a tuple — nothing is added to
    any ``.grad`` (``torch.autograd.grad``).  An input the outputs do not depend on raises, unless
    ``allow_unused=True`` (then its gradient is None)."""
    if create_graph:
        raise NotImplementedError(
            "autograd.grad(create_graph=True): minigrad's backward formulas run on raw arrays, so they record "
            "no graph and second derivatives are not available. Use finite differences of first derivatives "
            "(see mg.autograd.gradcheck) instead.")
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs)
    seeds = []
    for output, gradient in zip(outputs, grad_outputs):
        if not output.requires_grad:
            raise RuntimeError("autograd.grad: an output does not require grad (none of its inputs has "
                               "requires_grad=True, or it was computed under mg.no_grad())")
        seeds.append((output._node if output._node is not None else output, seed_gradient(output, gradient)))
    keys = [id(t._node if t._node is not None else t) for t in inputs]
    found = run_backward(seeds, bool(retain_graph), capture=set(keys))
    results = []
    for tensor, key in zip(inputs, keys):
        if key not in found:
            if not allow_unused:
                raise RuntimeError(f"autograd.grad: one of the inputs (shape {tensor.shape}) was not used to compute "
                                   "the outputs; pass allow_unused=True to get None for it")
            results.append(None)
        else:
            results.append(Tensor._wrap(found[key].copy(), tensor.device, False))
    return tuple(results)


def run_backward(seeds, retain_graph, capture=None):
    """The backward pass itself.  ``seeds``: [(Node or leaf, gradient array)].

    Without ``capture`` every leaf's gradient is added to its ``.grad``; with ``capture`` (a dict
    keyed by ``id`` of Nodes and leaves) nothing is accumulated and the gradients of those items
    are returned instead (what ``autograd.grad`` needs)."""
    grads = {}
    for item, seed in seeds:
        previous = grads.get(id(item))
        grads[id(item)] = seed if previous is None else previous + seed
    found = {}
    with grad_mode.no_grad():
        for item in reversed(topological_order([item for item, _ in seeds])):
            grad = grads.pop(id(item), None)
            if grad is None:
                continue
            if item.__class__ is not Node:  # a leaf
                grad = _run_hooks(item._hooks, grad, item.device)
                if capture is None:
                    _accumulate(item, grad)
                    _run_post_accumulate_hooks(item)
                elif id(item) in capture:
                    found[id(item)] = grad
                continue
            node = item
            if node.hooks:
                grad = _run_hooks(node.hooks, grad, node.ctx.backend.device)
            if node.retained is not None:
                kept = node.retained()
                if kept is not None and kept._node is node:
                    _accumulate(kept, grad)
            if capture is not None and id(node) in capture:
                found[id(node)] = grad
            ctx = node.ctx
            if ctx._freed:  # a first backward() without retain_graph=True freed it
                ctx.check_not_freed()
            input_grads = _call_backward(node, grad)
            for parent, parent_grad in zip(node.parents, input_grads):
                if parent is None or parent_grad is None:
                    continue
                if parent.__class__ is Node:
                    shape, dtype = parent.shape, parent.dtype
                else:
                    shape, dtype = parent._array.shape, parent._array.dtype
                if parent_grad.shape != shape:
                    parent_grad = sum_to_shape(ctx.backend, parent_grad, shape)
                if parent_grad.dtype != dtype:
                    parent_grad = parent_grad.astype(dtype)
                previous = grads.get(id(parent))
                grads[id(parent)] = parent_grad if previous is None else previous + parent_grad
            if not retain_graph:
                ctx.free()
    return found


def _call_backward(node, grad):
    """The op's backward as a tuple of input gradients (raw arrays or None)."""
    if node.fn.on_arrays:
        input_grads = node.fn.backward(node.ctx, grad)
        return input_grads if isinstance(input_grads, tuple) else (input_grads,)
    # your own Function: its backward sees and returns Tensors
    device = node.ctx.backend.device
    returned = node.fn.backward(node.ctx, Tensor._wrap(grad, device, False))
    returned = returned if isinstance(returned, tuple) else (returned,)
    if len(returned) < len(node.parents):
        raise RuntimeError(f"{node.fn.__name__}.backward returned {len(returned)} gradient(s) but forward "
                           f"took {len(node.parents)} input(s); return None for inputs that need none")
    return tuple(g._array if isinstance(g, Tensor) else g for g in returned)


def _run_hooks(hooks, grad, device):
    """Call each hook with the gradient (as a Tensor); a hook may return a replacement."""
    if not hooks:
        return grad
    for hook in list(hooks.values()):
        replaced = hook(Tensor._wrap(grad, device, False))
        if replaced is not None:
            grad = replaced._array if isinstance(replaced, Tensor) else replaced
    return grad


def _run_post_accumulate_hooks(leaf):
    """After a leaf's ``.grad`` is complete for this backward: ``hook(leaf)`` for each hook it has."""
    hooks = leaf.__dict__.get("_post_accumulate_grad_hooks")
    if hooks:
        for hook in list(hooks.values()):
            hook(leaf)


def _accumulate(tensor, grad, copy=True):
    """tensor.grad += grad (creating it on first use)."""
    if tensor.grad is None:
        # copy: the array may be shared with another tensor's gradient or a saved value (and NumPy
        # answers 0-d arithmetic with an immutable scalar: np.array makes it a 0-d array again).
        # Only a caller that knows the array is its own passes copy=False (autograd/capture.py).
        if isinstance(grad, np.generic):
            grad = np.array(grad)
        elif copy:
            grad = grad.copy()
        tensor.grad = Tensor._wrap(grad, tensor.device, False)
    else:
        tensor.grad._array += grad  # in place, as PyTorch: names bound to .grad see the sum
        tensor.grad._version_counter.value += 1
