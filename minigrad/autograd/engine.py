"""``backward()``: the chain rule, applied to the graph in reverse topological order.

1. Walk the graph from the output and list every tensor that needs a gradient so that each
   one comes *after* all the tensors it was computed from (a topological order).  The walk
   uses an explicit stack, not recursion, so a chain of 10,000 ops is fine.
2. Visit that list backwards.  The output's gradient is ``1`` (or the given ``gradient``).
   For each tensor: if it was made by an op, call the op's backward with the tensor's
   accumulated gradient; sum each input gradient back to the input's shape (undoing
   broadcasting) and *add* it to that input's gradient — a tensor used twice receives both
   contributions.  If it is a leaf (made by the user, ``requires_grad=True``), add the
   gradient to ``tensor.grad``.

Because every consumer of a tensor comes before it in the reversed list, a tensor's gradient
is complete by the time it is visited.
"""
from minigrad.autograd import grad_mode


def topological_order(root):
    """Tensors reachable from ``root`` that require grad, inputs before the ops that use them."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        node = tensor._node
        if node is not None:
            for parent in node.inputs:
                if parent is not None and parent.requires_grad and id(parent) not in visited:
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


def backward(root, gradient=None, retain_graph=False):
    from minigrad.tensor import Tensor

    if not root.requires_grad:
        raise RuntimeError(
            "backward() on a tensor that does not require grad: no input of it has requires_grad=True "
            "(or it was computed under mg.no_grad()). Create the inputs with requires_grad=True.")
    backend = root._backend
    if gradient is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward() needs a gradient argument for a non-scalar output (shape {root.shape}): "
                "reduce it first (e.g. loss.sum() or loss.mean()), or pass backward(gradient=...) of the "
                "same shape.")
        seed = backend.xp.ones(root.shape, dtype=root.dtype)
    else:
        seed = gradient.data if isinstance(gradient, Tensor) else backend.asarray(gradient, root.dtype)
        if tuple(seed.shape) != root.shape:
            raise RuntimeError(f"backward(): gradient has shape {tuple(seed.shape)} but the output has shape "
                               f"{root.shape}; they must match.")

    grads = {id(root): seed}
    with grad_mode.no_grad():
        for tensor in reversed(topological_order(root)):
            grad = grads.pop(id(tensor), None)
            if grad is None:
                continue
            node = tensor._node
            if node is None or tensor._retains_grad:
                _accumulate_into_leaf(tensor, grad)
            if node is None:
                continue
            node.ctx.check_not_freed()  # a first backward() without retain_graph=True freed it
            input_grads = node.fn.backward(node.ctx, grad)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            for parent, parent_grad in zip(node.inputs, input_grads):
                if parent is None or parent_grad is None or not parent.requires_grad:
                    continue
                parent_data = parent.data
                parent_grad = sum_to_shape(backend, parent_grad, parent_data.shape)
                if parent_grad.dtype != parent_data.dtype:
                    parent_grad = parent_grad.astype(parent_data.dtype)
                previous = grads.get(id(parent))
                grads[id(parent)] = parent_grad if previous is None else previous + parent_grad
            if not retain_graph:
                node.ctx.free()


def _accumulate_into_leaf(tensor, grad):
    from minigrad.tensor import Tensor

    if tensor.grad is None:
        # copy: the array may be shared with another tensor's gradient or a saved value
        tensor.grad = Tensor(grad.copy(), device=tensor.device, _check=False)
    else:
        tensor.grad.data = tensor.grad.data + grad
