"""``Adadelta``: steps sized by running averages of past squared gradients *and* past squared steps."""
from minigrad.backends import get_backend
from minigrad.optim.optimizer import Optimizer, gradient_of, refuse_differentiable, state_zeros


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), PyTorch's formulation.

    For each parameter ``p`` with gradient ``g``, every step::

        g = -g                                           (if maximize)
        g = g + weight_decay * p                         (L2 penalty, if weight_decay != 0)
        v = rho * v + (1 - rho) * g**2                   running mean of squared gradients (square_avg)
        delta = sqrt(u + eps) / sqrt(v + eps) * g        the step, in the units of p
        u = rho * u + (1 - rho) * delta**2               running mean of squared steps (acc_delta)
        p = p - lr * delta

    The ratio ``sqrt(u) / sqrt(v)`` carries the units of ``p``, so the method needs no learning
    rate of its own (``lr=1.0`` is the paper's method; ``lr`` scales it).  The update is written
    with the backend's array module (NumPy or CuPy), in place.  ``foreach`` and ``capturable`` are
    accepted and ignored; ``differentiable=True`` is refused.
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0.0,
                 foreach: bool | None = None, *, capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False):
        if lr < 0.0:
            raise ValueError(f"invalid learning rate {lr}: it must be >= 0")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"invalid rho {rho}: it must be in [0, 1]")
        if eps < 0.0:
            raise ValueError(f"invalid eps {eps}: it must be >= 0")
        if weight_decay < 0.0:
            raise ValueError(f"invalid weight_decay {weight_decay}: it must be >= 0")
        refuse_differentiable(differentiable)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, foreach=foreach,
                                      capturable=capturable, maximize=maximize, differentiable=differentiable))

    def step(self):
        for group in self.param_groups:
            rho, eps = group["rho"], group["eps"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                xp = get_backend(param.device).xp
                state = self.state.setdefault(param, {})
                if not state:
                    state["step"] = 0
                    state["square_avg"] = state_zeros(param)
                    state["acc_delta"] = state_zeros(param)
                state["step"] += 1
                p, grad = param._array, gradient_of(param, group["maximize"])
                if group["weight_decay"]:
                    grad = grad + group["weight_decay"] * p
                square_avg, acc_delta = state["square_avg"]._array, state["acc_delta"]._array
                square_avg *= rho
                square_avg += (1 - rho) * (grad * grad)
                delta = xp.sqrt(acc_delta + eps)
                delta /= xp.sqrt(square_avg + eps)
                delta *= grad
                acc_delta *= rho
                acc_delta += (1 - rho) * (delta * delta)
                p -= group["lr"] * delta
