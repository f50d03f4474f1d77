"""``SGD``: stochastic gradient descent, with optional momentum, Nesterov and weight decay."""
from minigrad.optim.optimizer import Optimizer, gradient_of, refuse_differentiable, state_zeros


class SGD(Optimizer):
    r"""Stochastic gradient descent (PyTorch's formulation).

    For each parameter ``p`` with gradient ``g`` (one step, ``t`` counts from 1)::

        g = -g                                        (if maximize: climb the objective instead)
        g = g + weight_decay * p                      (L2 penalty, if weight_decay != 0)
        if momentum != 0:
            b = g                                     if t == 1
            b = momentum * b + (1 - dampening) * g    otherwise
            g = g + momentum * b   if nesterov  else  b
        p = p - lr * g

    The arithmetic runs in the backend as one fused, in-place update per parameter
    (``backend.sgd_step``): NumPy on the CPU, a CUDA kernel on the GPU.
    Parameters whose ``grad`` is None are skipped.  ``foreach`` and ``fused`` (PyTorch's choice of
    kernels) are accepted and ignored; ``differentiable=True`` is refused.
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False, fused: bool | None = None):
        if lr < 0.0:
            raise ValueError(f"invalid learning rate {lr}: it must be >= 0")
        if momentum < 0.0:
            raise ValueError(f"invalid momentum {momentum}: it must be >= 0")
        if weight_decay < 0.0:
            raise ValueError(f"invalid weight_decay {weight_decay}: it must be >= 0")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0")
        refuse_differentiable(differentiable)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def step(self):
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                buffer, first_step = None, True      # plain SGD keeps no state
                if momentum != 0:
                    state = self.state.setdefault(param, {})
                    buffer = state.get("momentum_buffer")
                    first_step = buffer is None
                    if first_step:
                        buffer = state["momentum_buffer"] = state_zeros(param)
                    buffer = buffer._array
                param._backend.sgd_step(param._array, gradient_of(param, maximize), buffer, lr=lr, momentum=momentum,
                                        dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                                        first_step=first_step)
