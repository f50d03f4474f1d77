"""``RMSprop``: divide each gradient by a running root-mean-square of recent gradients."""
from minigrad.backends import get_backend
from minigrad.optim.optimizer import Optimizer, gradient_of, refuse_differentiable, state_zeros


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e, 2012), PyTorch's formulation.

    For each parameter ``p`` with gradient ``g``, every step::

        g = -g                                      (if maximize)
        g = g + weight_decay * p                    (L2 penalty, if weight_decay != 0)
        v = alpha * v + (1 - alpha) * g**2          running mean of squared gradients (square_avg)
        if centered:                                subtract the squared running mean of g (grad_avg):
            a = alpha * a + (1 - alpha) * g         so the denominator estimates the variance
            d = sqrt(v - a**2) + eps
        else:
            d = sqrt(v) + eps
        if momentum > 0:
            b = momentum * b + g / d                (momentum_buffer)
            p = p - lr * b
        else:
            p = p - lr * g / d

    Parameters with a large recent gradient take small steps and vice versa, so one ``lr``
    suits parameters whose gradients differ by orders of magnitude.  The update is written with
    the backend's array module (NumPy or CuPy), in place.  ``foreach`` and ``capturable`` are
    accepted and ignored; ``differentiable=True`` is refused.
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0,
                 momentum: float = 0.0, centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False):
        for name, value in [("learning rate", lr), ("eps", eps), ("momentum", momentum),
                            ("weight_decay", weight_decay), ("alpha", alpha)]:
            if value < 0.0:
                raise ValueError(f"invalid {name} {value}: it must be >= 0")
        refuse_differentiable(differentiable)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, capturable=capturable, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable))

    def step(self):
        for group in self.param_groups:
            lr, alpha, momentum = group["lr"], group["alpha"], group["momentum"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                xp = get_backend(param.device).xp
                state = self.state.setdefault(param, {})
                if not state:
                    state["step"] = 0
                    state["square_avg"] = state_zeros(param)
                state["step"] += 1
                p, grad = param._array, gradient_of(param, group["maximize"])
                if group["weight_decay"]:
                    grad = grad + group["weight_decay"] * p
                square_avg = state["square_avg"]._array
                square_avg *= alpha
                square_avg += (1 - alpha) * (grad * grad)
                if group["centered"]:
                    if "grad_avg" not in state:
                        state["grad_avg"] = state_zeros(param)
                    grad_avg = state["grad_avg"]._array
                    grad_avg += (1 - alpha) * (grad - grad_avg)
                    denom = xp.sqrt(square_avg - grad_avg * grad_avg)
                else:
                    denom = xp.sqrt(square_avg)
                denom += group["eps"]
                if momentum > 0:
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = state_zeros(param)
                    buffer = state["momentum_buffer"]._array
                    buffer *= momentum
                    buffer += grad / denom
                    p -= lr * buffer
                else:
                    p -= lr * (grad / denom)
