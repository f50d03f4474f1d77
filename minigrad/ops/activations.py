"""Activation functions.  The arithmetic is a backend formula (a CUDA kernel on the GPU).

ReLU      y = max(0, x)                     dy/dx = 1 if x > 0 else 0
Sigmoid   y = 1 / (1 + e^-x)                dy/dx = y (1 - y)
Tanh      y = (e^x - e^-x) / (e^x + e^-x)   dy/dx = 1 - y^2
GELU      y = x Phi(x)   (Phi = standard normal CDF)
                                            dy/dx = Phi(x) + x phi(x)   (phi = normal density)
GELU, tanh approximation   y = x/2 (1 + tanh(c (x + 0.044715 x^3))),  c = sqrt(2/pi)
"""
from minigrad.autograd.function import Op


class ReLU(Op):
    """y = max(0, x).    gx = g * [x > 0]."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.backend.relu(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return ctx.backend.relu_backward(g, x)


class Sigmoid(Op):
    """y = 1 / (1 + e^-x), computed without overflow for any x.    gx = g * y * (1 - y)."""

    @staticmethod
    def forward(ctx, x):
        y = ctx.backend.sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return ctx.backend.sigmoid_backward(g, y)


class Tanh(Op):
    """y = tanh(x).    gx = g * (1 - y^2)."""

    @staticmethod
    def forward(ctx, x):
        y = ctx.backend.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return ctx.backend.tanh_backward(g, y)


class GELU(Op):
    """y = x Phi(x) (or its tanh approximation).    gx = g * (Phi(x) + x phi(x))."""

    @staticmethod
    def forward(ctx, x, approximate="none"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        return ctx.backend.gelu(x, approximate)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return ctx.backend.gelu_backward(g, x, ctx.approximate), None
