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

dtypes: a float32 array is computed in float32 (math.exp, math.tanh and math.erf
become CUDA's expf, tanhf and erff), float64 in float64.  The reference is the
CPU backend's formula (``minigrad.backends.numpy_backend``).

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

from numba import cuda

from kernels._arrays import array_module, check_float_dtype, contiguous, elementwise_launch
from kernels._launch import KernelLaunch, launch, vector

SQRT_2 = math.sqrt(2.0)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
GELU_TANH_CUBIC = 0.044715


# ---------------------------------------------------------------------------
# Device functions: the math of one element, in the element's own precision
# ---------------------------------------------------------------------------
# ``real`` is the element's type (``x.dtype.type``: float32 or float64), passed in so that every
# constant is of that type: a bare ``0.5`` is a float64 to Numba and would turn a float32
# kernel's arithmetic into float64 (see kernels/sass.py, which counts such instructions).
@cuda.jit(device=True)
def _stable_sigmoid(x, real):
    if x >= real(0):
        return real(1) / (real(1) + math.exp(-x))
    e = math.exp(x)
    return e / (real(1) + e)


@cuda.jit(device=True)
def _gelu(x, use_tanh, real):
    if use_tanh:
        u = real(SQRT_2_OVER_PI) * (x + real(GELU_TANH_CUBIC) * x * x * x)
        return real(0.5) * x * (real(1) + math.tanh(u))
    return real(0.5) * x * (real(1) + math.erf(x / real(SQRT_2)))


@cuda.jit(device=True)
def _gelu_derivative(x, use_tanh, real):
    half, one = real(0.5), real(1)
    if use_tanh:
        u = real(SQRT_2_OVER_PI) * (x + real(GELU_TANH_CUBIC) * x * x * x)
        t = math.tanh(u)
        du_dx = real(SQRT_2_OVER_PI) * (one + real(3 * GELU_TANH_CUBIC) * x * x)
        return half * (one + t) + half * x * (one - t * t) * du_dx
    cdf = half * (one + math.erf(x / real(SQRT_2)))
    pdf = real(INV_SQRT_2PI) * math.exp(-half * x * x)
    return cdf + x * pdf


# ---------------------------------------------------------------------------
# Kernels (x, grad, y, out are 1-D: the launchers flatten)
# ---------------------------------------------------------------------------
@cuda.jit
def relu_forward_kernel(x, out):
    zero = x.dtype.type(0)
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        out[i] = x[i] if x[i] > zero else zero


@cuda.jit
def relu_backward_kernel(grad, x, out):
    zero = x.dtype.type(0)
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        out[i] = grad[i] if x[i] > zero else zero


@cuda.jit
def sigmoid_forward_kernel(x, out):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        out[i] = _stable_sigmoid(x[i], x.dtype.type)


@cuda.jit
def sigmoid_backward_kernel(grad, y, out):
    one = y.dtype.type(1)
    for i in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        out[i] = grad[i] * y[i] * (one - y[i])


@cuda.jit
def tanh_forward_kernel(x, out):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        out[i] = math.tanh(x[i])


@cuda.jit
def tanh_backward_kernel(grad, y, out):
    one = y.dtype.type(1)
    for i in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        out[i] = grad[i] * (one - y[i] * y[i])


@cuda.jit
def gelu_forward_kernel(x, out, use_tanh):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        out[i] = _gelu(x[i], use_tanh, x.dtype.type)


@cuda.jit
def gelu_backward_kernel(grad, x, out, use_tanh):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        out[i] = grad[i] * _gelu_derivative(x[i], use_tanh, x.dtype.type)


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
        launch(kernel, *elementwise_launch(out.size), *flats, out, *extra)
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


def kernel_launches(dtype):
    """Every kernel of this file and the biggest launch its launcher can choose (see kernels/sass.py)."""
    v = vector(dtype)
    threads = elementwise_launch(1 << 30)[1]
    return [
        KernelLaunch(relu_forward_kernel, f"({v}, {v})", threads),
        KernelLaunch(relu_backward_kernel, f"({v}, {v}, {v})", threads),
        KernelLaunch(sigmoid_forward_kernel, f"({v}, {v})", threads),
        KernelLaunch(sigmoid_backward_kernel, f"({v}, {v}, {v})", threads),
        KernelLaunch(tanh_forward_kernel, f"({v}, {v})", threads),
        KernelLaunch(tanh_backward_kernel, f"({v}, {v}, {v})", threads),
        KernelLaunch(gelu_forward_kernel, f"({v}, {v}, boolean)", threads),
        KernelLaunch(gelu_backward_kernel, f"({v}, {v}, {v}, boolean)", threads),
    ]
