"""``Adagrad``: divide each gradient by the root of the sum of all its past squares."""
from minigrad.backends import get_backend
from minigrad.optim.optimizer import Optimizer, gradient_of, refuse_differentiable, state_zeros


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), PyTorch's formulation.

    For each parameter ``p`` with gradient ``g``, at step ``t = 1, 2, ...``::

        g = -g                                      (if maximize)
        g = g + weight_decay * p                    (L2 penalty, if weight_decay != 0)
        s = s + g**2                                sum of squared gradients (sum),
                                                    starting at initial_accumulator_value
        clr = lr / (1 + (t - 1) * lr_decay)
        p = p - clr * g / (sqrt(s) + eps)

    Since ``s`` only grows, every parameter's steps shrink over training; those with rarely
    non-zero gradients (e.g. embeddings of rare words) keep larger steps.  The update is written
    with the backend's array module (NumPy or CuPy), in place.  ``foreach`` and ``fused`` are
    accepted and ignored; ``differentiable=True`` is refused.  (PyTorch creates this state when the
    optimizer is built; here, as for the other optimizers, at a parameter's first update.)
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None):
        for name, value in [("learning rate", lr), ("lr_decay", lr_decay), ("weight_decay", weight_decay),
                            ("initial_accumulator_value", initial_accumulator_value), ("eps", eps)]:
            if value < 0.0:
                raise ValueError(f"invalid {name} {value}: it must be >= 0")
        refuse_differentiable(differentiable)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, fused=fused))

    def step(self):
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state.setdefault(param, {})
                if not state:
                    state["step"] = 0
                    state["sum"] = state_zeros(param, group["initial_accumulator_value"])
                state["step"] += 1
                p, grad = param._array, gradient_of(param, group["maximize"])
                if group["weight_decay"]:
                    grad = grad + group["weight_decay"] * p
                clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
                total = state["sum"]._array
                total += grad * grad
                denom = get_backend(param.device).xp.sqrt(total)
                denom += group["eps"]
                p -= clr * (grad / denom)
