"""Trigonometric and hyperbolic functions, elementwise (g = dL/dz throughout).

    z = sin x      dz/dx = cos x
    z = cos x      dz/dx = -sin x
    z = tan x      dz/dx = 1 / cos^2 x = 1 + tan^2 x = 1 + z^2
    z = asin x     dz/dx =  1 / sqrt(1 - x^2)       (infinite at x = +-1, as in PyTorch)
    z = acos x     dz/dx = -1 / sqrt(1 - x^2)
    z = atan x     dz/dx =  1 / (1 + x^2)
    z = sinh x     dz/dx = cosh x
    z = cosh x     dz/dx = sinh x
    z = atan2(y, x)  the angle of the point (x, y):
                   dz/dy = x / (x^2 + y^2),   dz/dx = -y / (x^2 + y^2)   (0 at the origin, as in PyTorch)

Integer inputs are converted to the default float dtype before they get here (``Tensor._floating``).
"""
from minigrad.autograd.function import Op


class Sin(Op):
    """z = sin x.    gx = g cos x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.backend.xp.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.backend.xp.cos(x)


class Cos(Op):
    """z = cos x.    gx = -g sin x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.backend.xp.cos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * ctx.backend.xp.sin(x)


class Tan(Op):
    """z = tan x.    gx = g (1 + z^2)."""

    @staticmethod
    def forward(ctx, x):
        z = ctx.backend.xp.tan(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return g * (1 + z * z)


class Asin(Op):
    """z = asin x  (x in [-1, 1]).    gx = g / sqrt(1 - x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.backend.xp.arcsin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / ctx.backend.xp.sqrt(1 - x * x)


class Acos(Op):
    """z = acos x  (x in [-1, 1]).    gx = -g / sqrt(1 - x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.backend.xp.arccos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g / ctx.backend.xp.sqrt(1 - x * x)


class Atan(Op):
    """z = atan x.    gx = g / (1 + x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.backend.xp.arctan(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + x * x)


class Sinh(Op):
    """z = sinh x = (e^x - e^-x) / 2.    gx = g cosh x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.backend.xp.sinh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.backend.xp.cosh(x)


class Cosh(Op):
    """z = cosh x = (e^x + e^-x) / 2.    gx = g sinh x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.backend.xp.cosh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.backend.xp.sinh(x)


class Atan2(Op):
    """z = atan2(y, x), the angle of (x, y) in (-pi, pi].

    With r^2 = x^2 + y^2:   gy = g x / r^2,   gx = -g y / r^2;   at the origin (r = 0) both are 0,
    as in PyTorch (the angle is not differentiable there)."""

    @staticmethod
    def forward(ctx, y, x):
        ctx.save_for_backward(y, x)
        return ctx.backend.xp.arctan2(y, x)

    @staticmethod
    def backward(ctx, g):
        y, x = ctx.saved_tensors
        xp = ctx.backend.xp
        r2 = x * x + y * y
        scale = xp.where(r2 == 0, 0, g / xp.where(r2 == 0, 1, r2))
        needs = ctx.needs_input_grad
        return (scale * x if needs[0] else None), (-scale * y if needs[1] else None)
