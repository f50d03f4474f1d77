"""``minigrad.nn.utils``: helpers used around a training step (as ``torch.nn.utils``).

* ``clip_grad_norm_``: rescale all gradients together so that their joint norm is at most ``max_norm``;
* ``clip_grad_value_``: clamp every gradient element to ``[-clip_value, clip_value]``;
* ``parameters_to_vector`` / ``vector_to_parameters``: all parameters as one flat vector, and back;
* ``prune`` (``minigrad.nn.utils.prune``): magnitude, random and structured pruning with a mask that is
  re-applied before every forward, as ``torch.nn.utils.prune``.
"""
import math

from minigrad import functions
from minigrad.autograd import no_grad
from minigrad.tensor import Tensor


def _as_list(parameters):
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _vector_norm(xp, values, norm_type):
    """||values||_p of a flat array: (sum |v|^p)^(1/p); p = inf: max |v|; p = -inf: min |v|; p = 0: count of v != 0."""
    return xp.linalg.norm(values, ord=norm_type)


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Scale every gradient by ``min(1, max_norm / (total + 1e-6))``, where ``total`` is the ``norm_type``-norm of
    all gradients together (the norm of the per-parameter norms; ``norm_type=math.inf``: the largest |g|).

    Returns ``total`` (before clipping) as a 0-d Tensor, as ``torch.nn.utils.clip_grad_norm_``.  A non-finite
    total (a NaN or inf gradient) is an error with ``error_if_nonfinite=True``; otherwise the gradients are
    scaled by it, as in PyTorch.  ``foreach`` is accepted and ignored.
    """
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    norm_type = float(norm_type)
    max_norm = float(max_norm)
    if not grads:
        from minigrad.creation import tensor
        return tensor(0.0)
    first = grads[0]
    norms = [_vector_norm(g._backend.xp, g._array.reshape(-1), norm_type) for g in grads]
    norms = [Tensor._wrap(g._backend.xp.asarray(n, dtype=first.dtype), g.device).to(first.device)
             for n, g in zip(norms, grads)]
    stacked = functions.stack(norms)
    total = Tensor._wrap(first._backend.xp.asarray(_vector_norm(first._backend.xp, stacked._array, norm_type),
                                                   dtype=first.dtype), first.device)
    if error_if_nonfinite and not math.isfinite(total.item()):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`")
    scale = (max_norm / (total + 1e-6)).clamp(max=1.0)
    with no_grad():
        for g in grads:
            g.mul_(scale.to(g.device, g.dtype))
    return total


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element to ``[-clip_value, clip_value]``, in place.  ``foreach`` is ignored."""
    clip_value = float(clip_value)
    with no_grad():
        for p in _as_list(parameters):
            if p.grad is not None:
                p.grad.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor (in the order given)."""
    parameters = _as_list(parameters)
    _check_one_device(parameters)
    return functions.cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters) -> None:
    """Make each parameter's ``.data`` the next slice of the 1-D ``vec`` (as PyTorch: the parameters then
    share ``vec``'s memory; the change is not recorded by autograd)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor, but got {type(vec).__name__}")
    parameters = _as_list(parameters)
    _check_one_device(parameters + [vec])
    needed = sum(p.numel() for p in parameters)
    if vec.ndim != 1 or vec.numel() != needed:
        raise RuntimeError(f"vector_to_parameters: vec must be 1-D with {needed} elements (the parameters' total), "
                           f"got shape {vec.shape}")
    start = 0
    for p in parameters:
        n = p.numel()
        p.data = vec[start:start + n].view_as(p).data
        start += n


def _check_one_device(tensors):
    devices = {str(t.device) for t in tensors}
    if len(devices) > 1:
        raise TypeError(f"found tensors on different devices {sorted(devices)}; move them to one device first")


from minigrad.nn.utils import prune  # noqa: E402  (torch.nn.utils.prune; it uses parameters_to_vector above)
