"""``minigrad.nn.utils``: helpers used around a training step (as ``torch.nn.utils``)."""
import math

import numpy as np

from minigrad.backends import get_backend


def clip_grad_norm_(parameters, max_norm: float) -> float:
    """Scale all gradients by ``min(1, max_norm / ||g||)`` where ``||g||`` is the norm of all of them
    together; returns ``||g||`` before clipping (as ``torch.nn.utils.clip_grad_norm_``)."""
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return 0.0
    xp = get_backend(grads[0].device).xp
    total = math.sqrt(sum(float(xp.sum(g._array.astype(np.float64) ** 2)) for g in grads))
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:
        for g in grads:
            g._array *= g.dtype.type(scale)
    return total
