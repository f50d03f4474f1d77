"""Powers with their own names: square, reciprocal, rsqrt  (for x ** y in general see elementwise.Pow).

    z = x^2          dz/dx = 2x
    z = 1 / x        dz/dx = -1 / x^2 = -z^2          (-inf at x = 0, as in PyTorch)
    z = 1 / sqrt x   dz/dx = -1 / (2 x^(3/2)) = -z^3 / 2
"""
from minigrad.autograd.function import Op


class Square(Op):
    """z = x^2.    gx = 2 g x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * g * x


class Reciprocal(Op):
    """z = 1 / x.    gx = -g z^2."""

    @staticmethod
    def forward(ctx, x):
        z = ctx.backend.xp.reciprocal(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return -g * z * z


class Rsqrt(Op):
    """z = 1 / sqrt(x).    gx = -g z^3 / 2."""

    @staticmethod
    def forward(ctx, x):
        z = 1 / ctx.backend.xp.sqrt(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return -0.5 * g * z * z * z
