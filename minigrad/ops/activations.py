"""Activation functions.  The arithmetic is a backend formula (a CUDA kernel on the GPU).

ReLU      y = max(0, x)                     dy/dx = 1 if x > 0 else 0
Sigmoid   y = 1 / (1 + e^-x)                dy/dx = y (1 - y)
Tanh      y = (e^x - e^-x) / (e^x + e^-x)   dy/dx = 1 - y^2
GELU      y = x Phi(x)   (Phi = standard normal CDF)
                                            dy/dx = Phi(x) + x phi(x)   (phi = normal density)
GELU, tanh approximation   y = x/2 (1 + tanh(c (x + 0.044715 x^3))),  c = sqrt(2/pi)
LeakyReLU y = x if x > 0 else a x           dy/dx = 1 if x > 0 else a
ELU       y = x if x > 0 else alpha (e^x - 1)   dy/dx = 1 if x > 0 else alpha e^x
SiLU      y = x s(x)   (s = sigmoid)        dy/dx = s(x) (1 + x (1 - s(x)))
Softplus  y = log(1 + e^(b x)) / b          dy/dx = s(b x)
Mish      y = x tanh(softplus(x))           dy/dx = tanh(sp) + x s(x) (1 - tanh(sp)^2)
Hardtanh  y = min(max(x, lo), hi)           dy/dx = 1 if lo < x < hi else 0

The newer ones (LeakyReLU onwards) are written once with the array module ``ctx.backend.xp``
(plus the backend's stable sigmoid), so they run unchanged on every device.
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


class LeakyReLU(Op):
    """y = x if x > 0 else a x.    gx = g if x > 0 else a g   (at x = 0 the slope a, as in PyTorch)."""

    @staticmethod
    def forward(ctx, x, negative_slope):
        positive = x > 0
        ctx.save_for_backward(positive)
        ctx.negative_slope = negative_slope
        return ctx.backend.xp.where(positive, x, x * negative_slope)

    @staticmethod
    def backward(ctx, g):
        (positive,) = ctx.saved_tensors
        return ctx.backend.xp.where(positive, g, g * ctx.negative_slope), None


class ELU(Op):
    """y = x if x > 0 else alpha (e^x - 1)   (``expm1``: exact near 0, tends to -alpha, never overflows).

    gx = g if x > 0 else g alpha e^x = g (y + alpha)."""

    @staticmethod
    def forward(ctx, x, alpha):
        xp = ctx.backend.xp
        positive = x > 0
        y = xp.where(positive, x, alpha * xp.expm1(xp.minimum(x, 0)))
        ctx.save_for_backward(positive, y)
        ctx.alpha = alpha
        return y

    @staticmethod
    def backward(ctx, g):
        positive, y = ctx.saved_tensors
        return ctx.backend.xp.where(positive, g, g * (y + ctx.alpha)), None


class SiLU(Op):
    """y = x s(x)  (the "swish").    dy/dx = s(x) + x s(x) (1 - s(x)) = s(x) (1 + x (1 - s(x))).

    s comes from the backend's stable sigmoid, so y and its slope are finite for any x
    (s(-1e4) = 0 gives y = -0 and slope 0)."""

    @staticmethod
    def forward(ctx, x):
        s = ctx.backend.sigmoid(x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, g):
        x, s = ctx.saved_tensors
        return g * s * (1 + x * (1 - s))


def _softplus(xp, z):
    """log(1 + e^z) = max(z, 0) + log(1 + e^-|z|): the exponent is never positive, so no overflow."""
    return xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))


class Softplus(Op):
    """y = log(1 + e^(b x)) / b, a smooth ReLU; y = x where b x > threshold (as in PyTorch).

    dy/dx = e^(b x) / (1 + e^(b x)) = s(b x)   (1 above the threshold).
    Computed as (max(bx, 0) + log1p(e^-|bx|)) / b: finite at x = +-1e4."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        xp = ctx.backend.xp
        z = x * beta
        linear = z > threshold
        ctx.save_for_backward(z, linear)
        return xp.where(linear, x, _softplus(xp, z) / beta)

    @staticmethod
    def backward(ctx, g):
        z, linear = ctx.saved_tensors
        return ctx.backend.xp.where(linear, g, g * ctx.backend.sigmoid(z)), None, None


class Mish(Op):
    """y = x tanh(sp(x)), sp = softplus.    With t = tanh(sp(x)) and sp'(x) = s(x):
    dy/dx = t + x (1 - t^2) s(x)."""

    @staticmethod
    def forward(ctx, x):
        xp = ctx.backend.xp
        t = xp.tanh(_softplus(xp, x))
        ctx.save_for_backward(x, t)
        return x * t

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        return g * (t + x * (1 - t * t) * ctx.backend.sigmoid(x))


class Hardtanh(Op):
    """y = min(max(x, lo), hi).    gx = g where lo < x < hi, else 0 (PyTorch's choice at the two kinks;
    ``clamp`` instead passes the gradient at them)."""

    @staticmethod
    def forward(ctx, x, min_val, max_val):
        xp = ctx.backend.xp
        ctx.save_for_backward((x > min_val) & (x < max_val))
        return xp.minimum(xp.maximum(x, xp.asarray(min_val, dtype=x.dtype)), xp.asarray(max_val, dtype=x.dtype))

    @staticmethod
    def backward(ctx, g):
        (inside,) = ctx.saved_tensors
        return g * inside, None, None
