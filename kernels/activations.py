r"""Elementwise activations and their backward kernels: one grid-stride loop each.

Formulas and derivatives
------------------------
ReLU       y = max(0, x)                 dy/dx = 1 if x > 0 else 0
Sigmoid    y = 1 / (1 + exp(-x))         dy/dx = y * (1 - y)
Tanh       y = tanh(x)                   dy/dx = 1 - y^2
GELU       y = x * Phi(x),  Phi(x) = (1 + erf(x / sqrt(2))) / 2   (the normal CDF)
           dy/dx = Phi(x) + x * phi(x),  phi(x) = exp(-x^2 / 2) / sqrt(2 pi)   (product rule)
GELU-tanh  y = x/2 * (1 + tanh(u)),  u = sqrt(2/pi) * (x + 0.044715 x^3)
           dy/dx = (1 + tanh(u)) / 2  +  x/2 * (1 - tanh(u)^2) * du/dx,
           du/dx = sqrt(2/pi) * (1 + 3 * 0.044715 x^2)

Every backward kernel computes dx = grad * dy/dx.  Sigmoid and tanh take
their *output* y (the derivative is cheapest in terms of y); ReLU and GELU
take the input x.

Numerical stability of the sigmoid: for x = -1e4, exp(-x) = exp(1e4)
overflows to inf.  The kernel picks the form whose exp argument is <= 0:

    x >= 0:  y = 1 / (1 + exp(-x))
    x <  0:  y = exp(x) / (1 + exp(x))     (same value, multiply top and bottom by exp(x))

Threads and blocks
------------------
Arrays of any shape are flattened (a free view of contiguous memory) and
processed with a grid-stride loop:

    flat x: [ 0 1 2 3 | 4 5 6 7 | 8 9 ... ]
    thread:   0 1 2 3   4 5 6 7   0 1 ...     (grid of 2 blocks x 4 threads drawn)

    i = blockIdx.x * blockDim.x + threadIdx.x;  then i += total number of threads

Each element is read once and written once: these kernels are memory-bound,
their speed is bytes moved / bandwidth, and fusing an activation into the
kernel before it is how a real framework saves that round trip.
"""
import math

import numpy as np
from numba import cuda

from kernels._arrays import array_module, check_float_dtype, contiguous, elementwise_launch

SQRT_2 = math.sqrt(2.0)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
GELU_TANH_CUBIC = 0.044715


# ---------------------------------------------------------------------------
# Device functions: the math of one element
# ---------------------------------------------------------------------------
@cuda.jit(device=True)
def _stable_sigmoid(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@cuda.jit(device=True)
def _gelu(x, use_tanh):
    if use_tanh:
        u = SQRT_2_OVER_PI * (x + GELU_TANH_CUBIC * x * x * x)
        return 0.5 * x * (1.0 + math.tanh(u))
    return 0.5 * x * (1.0 + math.erf(x / SQRT_2))


@cuda.jit(device=True)
def _gelu_derivative(x, use_tanh):
    if use_tanh:
        u = SQRT_2_OVER_PI * (x + GELU_TANH_CUBIC * x * x * x)
        t = math.tanh(u)
        du_dx = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_CUBIC * x * x)
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du_dx
    cdf = 0.5 * (1.0 + math.erf(x / SQRT_2))
    pdf = INV_SQRT_2PI * math.exp(-0.5 * x * x)
    return cdf + x * pdf


# ---------------------------------------------------------------------------
# Kernels (x, grad, y, out are 1-D: the launchers flatten)
# ---------------------------------------------------------------------------
@cuda.jit
def relu_forward_kernel(x, out):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        out[i] = x[i] if x[i] > 0 else 0


@cuda.jit
def relu_backward_kernel(grad, x, out):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        out[i] = grad[i] if x[i] > 0 else 0


@cuda.jit
def sigmoid_forward_kernel(x, out):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        out[i] = _stable_sigmoid(x[i])


@cuda.jit
def sigmoid_backward_kernel(grad, y, out):
    for i in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        out[i] = grad[i] * y[i] * (1 - y[i])


@cuda.jit
def tanh_forward_kernel(x, out):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        out[i] = math.tanh(x[i])


@cuda.jit
def tanh_backward_kernel(grad, y, out):
    for i in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        out[i] = grad[i] * (1 - y[i] * y[i])


@cuda.jit
def gelu_forward_kernel(x, out, use_tanh):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        out[i] = _gelu(x[i], use_tanh)


@cuda.jit
def gelu_backward_kernel(grad, x, out, use_tanh):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        out[i] = grad[i] * _gelu_derivative(x[i], use_tanh)


# ---------------------------------------------------------------------------
# Launchers
# ---------------------------------------------------------------------------
def _flat(name, x):
    check_float_dtype(name, x)
    return contiguous(x).reshape(-1)


def _elementwise(kernel, like, *arrays, extra=()):
    """Flatten the (name, array) pairs, launch ``kernel(*flat, out, *extra)``, return out shaped like ``like``."""
    for name, a in arrays:
        if a.shape != like.shape or a.dtype != like.dtype:
            raise ValueError(
                f"{name} is {tuple(a.shape)} {a.dtype} but should have the shape and dtype "
                f"{tuple(like.shape)} {like.dtype} of the other input."
            )
    flats = [_flat(name, a) for name, a in arrays]
    out = array_module(flats[0]).empty_like(flats[0])
    if out.size > 0:
        blocks, threads = elementwise_launch(out.size)
        kernel[blocks, threads](*flats, out, *extra)
    return out.reshape(like.shape)


def _use_tanh(approximate):
    if approximate not in ("none", "tanh"):
        raise ValueError(f'approximate={approximate!r}: use "none" (exact erf GELU) or "tanh".')
    return approximate == "tanh"


def relu_forward(x):
    return _elementwise(relu_forward_kernel, x, ("x", x))


def relu_backward(grad, x):
    return _elementwise(relu_backward_kernel, x, ("grad", grad), ("x", x))


def sigmoid_forward(x):
    return _elementwise(sigmoid_forward_kernel, x, ("x", x))


def sigmoid_backward(grad, y):
    """``y`` is the sigmoid's output."""
    return _elementwise(sigmoid_backward_kernel, y, ("grad", grad), ("y", y))


def tanh_forward(x):
    return _elementwise(tanh_forward_kernel, x, ("x", x))


def tanh_backward(grad, y):
    """``y`` is tanh's output."""
    return _elementwise(tanh_backward_kernel, y, ("grad", grad), ("y", y))


def gelu_forward(x, approximate="none"):
    return _elementwise(gelu_forward_kernel, x, ("x", x), extra=(_use_tanh(approximate),))


def gelu_backward(grad, x, approximate="none"):
    return _elementwise(gelu_backward_kernel, x, ("grad", grad), ("x", x), extra=(_use_tanh(approximate),))


# ---------------------------------------------------------------------------
# NumPy references
# ---------------------------------------------------------------------------
def relu_forward_reference(x):
    return np.where(x > 0, x, 0).astype(x.dtype)


def relu_backward_reference(grad, x):
    return np.where(x > 0, grad, 0).astype(grad.dtype)


def sigmoid_forward_reference(x):
    e = np.exp(-np.abs(x))  # exp of a non-positive number never overflows
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


def sigmoid_backward_reference(grad, y):
    return grad * y * (1 - y)


def tanh_forward_reference(x):
    return np.tanh(x)


def tanh_backward_reference(grad, y):
    return grad * (1 - y * y)


def _erf_reference(x):
    """erf applied elementwise with the standard library (NumPy has no erf)."""
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def gelu_forward_reference(x, approximate="none"):
    x64 = x.astype(np.float64)
    if _use_tanh(approximate):
        y = 0.5 * x64 * (1 + np.tanh(SQRT_2_OVER_PI * (x64 + GELU_TANH_CUBIC * x64**3)))
    else:
        y = 0.5 * x64 * (1 + _erf_reference(x64 / SQRT_2))
    return y.astype(x.dtype)


def gelu_backward_reference(grad, x, approximate="none"):
    x64 = x.astype(np.float64)
    if _use_tanh(approximate):
        t = np.tanh(SQRT_2_OVER_PI * (x64 + GELU_TANH_CUBIC * x64**3))
        du_dx = SQRT_2_OVER_PI * (1 + 3 * GELU_TANH_CUBIC * x64**2)
        d = 0.5 * (1 + t) + 0.5 * x64 * (1 - t * t) * du_dx
    else:
        d = 0.5 * (1 + _erf_reference(x64 / SQRT_2)) + x64 * INV_SQRT_2PI * np.exp(-0.5 * x64**2)
    return (grad * d).astype(grad.dtype)
