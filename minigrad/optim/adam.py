"""``Adam`` and ``AdamW``: per-parameter step sizes from running averages of the gradient."""
import math

from minigrad.optim.optimizer import Optimizer, gradient_of, refuse_differentiable, state_zeros


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), PyTorch's formulation.

    For each parameter ``p`` with gradient ``g``, at step ``t = 1, 2, ...``::

        g = -g                                (if maximize)
        g = g + weight_decay * p              (Adam: L2 penalty folded into the gradient)
        p = p * (1 - lr * weight_decay)       (AdamW instead: decoupled weight decay)
        m = beta1 * m + (1 - beta1) * g       running mean of gradients     (exp_avg)
        v = beta2 * v + (1 - beta2) * g**2    running mean of squared grads (exp_avg_sq)
        v_max = max(v_max, v)                 (amsgrad only: max_exp_avg_sq; v_max replaces v below)
        m_hat = m / (1 - beta1**t)            bias corrections: m and v start at 0,
        v_hat = v / (1 - beta2**t)            which would shrink the early steps
        p = p - lr * m_hat / (sqrt(v_hat) + eps)

    The arithmetic runs in the backend as one fused, in-place update per parameter
    (``backend.adam_step``): NumPy on the CPU, a CUDA kernel on the GPU.  AMSGrad (Reddi et al.,
    2018: the denominator never shrinks) is written with the backend's array module instead.
    Parameters whose ``grad`` is None are skipped (and their step count does not advance).
    ``foreach``, ``capturable`` and ``fused`` (PyTorch's choice of kernels) are accepted and
    ignored; ``differentiable=True`` is refused.  ``decoupled_weight_decay=True`` makes this AdamW.
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 amsgrad: bool = False, *, foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False):
        if lr < 0.0:
            raise ValueError(f"invalid learning rate {lr}: it must be >= 0")
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"invalid betas {betas}: both must be in [0, 1)")
        if eps < 0.0:
            raise ValueError(f"invalid eps {eps}: it must be >= 0")
        if weight_decay < 0.0:
            raise ValueError(f"invalid weight_decay {weight_decay}: it must be >= 0")
        refuse_differentiable(differentiable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable, fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def step(self):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            hyper = dict(lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"], weight_decay=group["weight_decay"],
                         decoupled_weight_decay=group["decoupled_weight_decay"])
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state.setdefault(param, {})
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = state_zeros(param)
                    state["exp_avg_sq"] = state_zeros(param)
                state["step"] += 1
                grad = gradient_of(param, group["maximize"])
                if group["amsgrad"]:
                    if "max_exp_avg_sq" not in state:
                        state["max_exp_avg_sq"] = state_zeros(param)
                    _amsgrad_step(param._backend.xp, param._array, grad, state["exp_avg"]._array,
                                  state["exp_avg_sq"]._array, state["max_exp_avg_sq"]._array, step=state["step"], **hyper)
                else:
                    param._backend.adam_step(param._array, grad, state["exp_avg"]._array, state["exp_avg_sq"]._array,
                                             step=state["step"], **hyper)


def _amsgrad_step(xp, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, *, step, lr, beta1, beta2, eps,
                  weight_decay, decoupled_weight_decay):
    """Adam's update with ``v_max = max(v_max, v)`` in the denominator, in place, on raw arrays."""
    if weight_decay and decoupled_weight_decay:
        param *= 1 - lr * weight_decay
    elif weight_decay:
        grad = grad + weight_decay * param
    exp_avg *= beta1
    exp_avg += (1 - beta1) * grad
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * (grad * grad)
    xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
    denom = xp.sqrt(max_exp_avg_sq) / math.sqrt(1 - beta2 ** step) + eps
    param -= (lr / (1 - beta1 ** step)) * (exp_avg / denom)


class AdamW(Adam):
    r"""Adam with *decoupled* weight decay (Loshchilov & Hutter, 2019).

    Plain Adam adds ``weight_decay * p`` to the gradient, so the decay is then divided by
    ``sqrt(v_hat)`` and weakened for parameters with large gradients.  AdamW shrinks the
    parameter directly, ``p = p * (1 - lr * weight_decay)``, before the Adam update
    (see :class:`Adam` for the rest of the formulas).
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 amsgrad: bool = False, *, maximize: bool = False, foreach: bool | None = None,
                 capturable: bool = False, differentiable: bool = False, fused: bool | None = None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         foreach=foreach, maximize=maximize, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)
