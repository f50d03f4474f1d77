r"""Optimizer steps: one elementwise kernel launch per parameter tensor, in place.

Every parameter element is updated independently of the others, so each
kernel is a grid-stride loop over the flattened parameter (see
activations.py).  Doing the whole update in one kernel reads param, grad and
the state once and writes param and the state once; composing it from array
operations (g = grad + wd*p; buf = m*buf + g; ...) would launch a kernel per
operation and move each array through memory several times.

SGD (PyTorch semantics), per element, with t = step index
---------------------------------------------------------
    g = grad + weight_decay * param                      (L2 penalty wd/2 * p^2 has gradient wd * p)
    if momentum != 0:
        buf = g                                 on the first step
        buf = momentum * buf + (1 - dampening) * g        afterwards
        g = g + momentum * buf   if nesterov  else  buf
    param = param - lr * g

Adam / AdamW (PyTorch semantics), per element, step = 1, 2, 3, ...
------------------------------------------------------------------
    Adam:   g = grad + weight_decay * param                 (L2 penalty folded into the gradient)
    AdamW:  g = grad;  param = param * (1 - lr * weight_decay)   (decoupled weight decay)
    m = beta1 * m + (1 - beta1) * g                         running mean of g
    v = beta2 * v + (1 - beta2) * g^2                       running mean of g^2
    m_hat = m / (1 - beta1^step)    v_hat = v / (1 - beta2^step)
            (m and v start at 0, so early averages are too small; dividing by
             1 - beta^step undoes exactly that bias: for constant g, m_hat = g)
    param = param - lr * m_hat / (sqrt(v_hat) + eps)

The two bias corrections are the same for every element, so the launcher
computes them once on the host and passes them in.  So are 1 - beta1, 1 - beta2,
1 - lr * weight_decay and 1 - dampening: every scalar reaches the kernel already
computed, as a number of the parameter's dtype.  A float32 parameter is updated
in float32 (Numba would type a Python float argument as float64 and run the
whole update in double precision), as NumPy does on the CPU.

In place: the launcher needs param and the state arrays to be C-contiguous,
because it updates them through a flat view (a copy would be updated instead
of the real parameter).  It raises an error otherwise.
"""
import math

from numba import cuda

from kernels._arrays import check_float_dtype, contiguous, elementwise_launch, scalar
from kernels._launch import KernelLaunch, launch, vector


# ---------------------------------------------------------------------------
# Kernels (all arrays flat, 1-D; every scalar of the parameter's dtype)
# ---------------------------------------------------------------------------
@cuda.jit
def sgd_kernel(param, grad, lr, weight_decay):
    """SGD without momentum: no state to keep."""
    for i in range(cuda.grid(1), param.size, cuda.gridsize(1)):
        g = grad[i] + weight_decay * param[i]
        param[i] -= lr * g


@cuda.jit
def sgd_momentum_kernel(param, grad, buf, lr, momentum, one_minus_dampening, weight_decay, nesterov, first_step):
    for i in range(cuda.grid(1), param.size, cuda.gridsize(1)):
        g = grad[i] + weight_decay * param[i]
        if first_step:
            b = g
        else:
            b = momentum * buf[i] + one_minus_dampening * g
        buf[i] = b
        if nesterov:
            g = g + momentum * b
        else:
            g = b
        param[i] -= lr * g


@cuda.jit
def adam_kernel(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, decoupled, decay_factor,
                one_minus_beta1, one_minus_beta2, bias_correction1, bias_correction2):
    for i in range(cuda.grid(1), param.size, cuda.gridsize(1)):
        p = param[i]
        g = grad[i]
        if decoupled:
            p = p * decay_factor  # 1 - lr * weight_decay
        else:
            g = g + weight_decay * p
        m = beta1 * exp_avg[i] + one_minus_beta1 * g
        v = beta2 * exp_avg_sq[i] + one_minus_beta2 * g * g
        exp_avg[i] = m
        exp_avg_sq[i] = v
        m_hat = m / bias_correction1
        v_hat = v / bias_correction2
        param[i] = p - lr * m_hat / (math.sqrt(v_hat) + eps)


# ---------------------------------------------------------------------------
# Launchers
# ---------------------------------------------------------------------------
def _flat_in_place(name, x, like):
    """A flat view of ``x`` that writes through to ``x`` (so x must be contiguous)."""
    if x.shape != like.shape or x.dtype != like.dtype:
        raise ValueError(f"{name} {tuple(x.shape)} {x.dtype} must match param {tuple(like.shape)} {like.dtype}.")
    if not x.flags.c_contiguous:
        raise ValueError(
            f"{name} is not C-contiguous, so it cannot be updated in place through a flat view; "
            f"store it as a contiguous array (e.g. ascontiguousarray) once, when the optimizer is built."
        )
    return x.reshape(-1)


def _flat_grad(grad, param):
    if grad.shape != param.shape:
        raise ValueError(f"grad {tuple(grad.shape)} must match param {tuple(param.shape)}.")
    return contiguous(grad, dtype=param.dtype).reshape(-1)


def sgd_step(param, grad, momentum_buffer, *, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
             nesterov=False, first_step=False):
    """One SGD step, in place on param (and momentum_buffer, which may be None when momentum == 0)."""
    check_float_dtype("param", param)
    p = _flat_in_place("param", param, param)
    g = _flat_grad(grad, param)
    if p.size == 0:
        return
    real = param.dtype
    grid = elementwise_launch(p.size)
    if momentum == 0:
        launch(sgd_kernel, *grid, p, g, scalar(real, lr), scalar(real, weight_decay))
        return
    if momentum_buffer is None:
        raise ValueError("momentum != 0 needs a momentum_buffer array shaped like param (zeros is fine).")
    buf = _flat_in_place("momentum_buffer", momentum_buffer, param)
    launch(sgd_momentum_kernel, *grid, p, g, buf, scalar(real, lr), scalar(real, momentum),
           scalar(real, 1.0 - dampening), scalar(real, weight_decay), bool(nesterov), bool(first_step))


def adam_step(param, grad, exp_avg, exp_avg_sq, *, step, lr, beta1=0.9, beta2=0.999, eps=1e-8,
              weight_decay=0.0, decoupled_weight_decay=False):
    """One Adam (or AdamW, with decoupled_weight_decay=True) step, in place; step counts from 1."""
    if step < 1:
        raise ValueError(f"step={step}: Adam counts steps from 1 (the bias correction divides by 1 - beta^step).")
    check_float_dtype("param", param)
    p = _flat_in_place("param", param, param)
    g = _flat_grad(grad, param)
    m = _flat_in_place("exp_avg", exp_avg, param)
    v = _flat_in_place("exp_avg_sq", exp_avg_sq, param)
    if p.size == 0:
        return
    real = param.dtype
    launch(adam_kernel, *elementwise_launch(p.size), p, g, m, v, scalar(real, lr), scalar(real, beta1),
           scalar(real, beta2), scalar(real, eps), scalar(real, weight_decay), bool(decoupled_weight_decay),
           scalar(real, 1.0 - lr * weight_decay), scalar(real, 1.0 - beta1), scalar(real, 1.0 - beta2),
           scalar(real, 1.0 - beta1**step), scalar(real, 1.0 - beta2**step))


def kernel_launches(dtype):
    """Every kernel of this file and the biggest launch its launcher can choose (see kernels/sass.py)."""
    v, r = vector(dtype), dtype
    threads = elementwise_launch(1 << 30)[1]
    return [
        KernelLaunch(sgd_kernel, f"({v}, {v}, {r}, {r})", threads),
        KernelLaunch(sgd_momentum_kernel, f"({v}, {v}, {v}, {r}, {r}, {r}, {r}, boolean, boolean)", threads),
        KernelLaunch(adam_kernel, f"({v}, {v}, {v}, {v}, {r}, {r}, {r}, {r}, {r}, boolean, {r}, {r}, {r}, {r}, {r})",
                     threads),
    ]
