"""``Adam`` and ``AdamW``: per-parameter step sizes from running averages of the gradient."""
from minigrad.backends import get_backend
from minigrad.optim.optimizer import Optimizer
from minigrad.tensor import Tensor


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), PyTorch's formulation.

    For each parameter ``p`` with gradient ``g``, at step ``t = 1, 2, ...``::

        g = g + weight_decay * p              (Adam: L2 penalty folded into the gradient)
        p = p * (1 - lr * weight_decay)       (AdamW instead: decoupled weight decay)
        m = beta1 * m + (1 - beta1) * g       running mean of gradients     (exp_avg)
        v = beta2 * v + (1 - beta2) * g**2    running mean of squared grads (exp_avg_sq)
        m_hat = m / (1 - beta1**t)            bias corrections: m and v start at 0,
        v_hat = v / (1 - beta2**t)            which would shrink the early steps
        p = p - lr * m_hat / (sqrt(v_hat) + eps)

    The arithmetic runs in the backend as one fused, in-place update per parameter
    (``backend.adam_step``): NumPy on the CPU, a CUDA kernel on the GPU.
    Parameters whose ``grad`` is None are skipped (and their step count does not advance).
    """

    decoupled_weight_decay = False

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0):
        if lr < 0.0:
            raise ValueError(f"invalid learning rate {lr}: it must be >= 0")
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"invalid betas {betas}: both must be in [0, 1)")
        if eps < 0.0:
            raise ValueError(f"invalid eps {eps}: it must be >= 0")
        if weight_decay < 0.0:
            raise ValueError(f"invalid weight_decay {weight_decay}: it must be >= 0")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    def step(self):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state.setdefault(param, {})
                if not state:
                    xp = get_backend(param.device).xp
                    state["step"] = 0
                    state["exp_avg"] = Tensor._wrap(xp.zeros_like(param._array), param.device)
                    state["exp_avg_sq"] = Tensor._wrap(xp.zeros_like(param._array), param.device)
                state["step"] += 1
                get_backend(param.device).adam_step(
                    param._array, param.grad._array, state["exp_avg"]._array, state["exp_avg_sq"]._array,
                    step=state["step"], lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
                    weight_decay=group["weight_decay"], decoupled_weight_decay=self.decoupled_weight_decay)


class AdamW(Adam):
    r"""Adam with *decoupled* weight decay (Loshchilov & Hutter, 2019).

    Plain Adam adds ``weight_decay * p`` to the gradient, so the decay is then divided by
    ``sqrt(v_hat)`` and weakened for parameters with large gradients.  AdamW shrinks the
    parameter directly, ``p = p * (1 - lr * weight_decay)``, before the Adam update
    (see :class:`Adam` for the rest of the formulas).
    """

    decoupled_weight_decay = True

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
