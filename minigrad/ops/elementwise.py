"""Elementwise arithmetic.  Inputs may be broadcast; the engine sums gradients back to each
input's shape, so each backward here is written as if no broadcasting happened.

Python numbers may stand on either side; they arrive here as plain numbers, need no gradient,
and get ``None`` for one.
"""
from minigrad.autograd.function import Op


class Add(Op):
    """z = x + y.    dz/dx = 1, dz/dy = 1:   gx = g,  gy = g."""

    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Op):
    """z = x - y.    gx = g,  gy = -g."""

    @staticmethod
    def forward(ctx, x, y):
        return x - y

    @staticmethod
    def backward(ctx, g):
        return g, -g


class Mul(Op):
    """z = x * y.    dz/dx = y, dz/dy = x:   gx = g * y,  gy = g * x."""

    @staticmethod
    def forward(ctx, x, y):
        # keep only what the backward will use: x only for gy, y only for gx (so that x *= 2 on a
        # tensor inside the graph does not invalidate a saved value it does not need)
        needs = ctx.needs_input_grad
        if needs:
            ctx.save_for_backward(x if needs[1] else None, y if needs[0] else None)
        return x * y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return (g * y if y is not None else None), (g * x if x is not None else None)


class Div(Op):
    """z = x / y.    dz/dx = 1/y, dz/dy = -x/y^2:   gx = g / y,  gy = -g * x / y^2."""

    @staticmethod
    def forward(ctx, x, y):
        needs = ctx.needs_input_grad
        if needs:  # x is needed only for gy
            ctx.save_for_backward(x if needs[1] else None, y)
        return x / y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = g / y
        return gx, (-gx * x / y if x is not None else None)


class Pow(Op):
    """z = x ** y  (either may be a plain number).

    dz/dx = y * x^(y-1)          dz/dy = x^y * ln(x)   (only defined for x > 0)
    """

    @staticmethod
    def forward(ctx, x, y):
        z = x ** y
        ctx.save_for_backward(x, y, z)
        return z

    @staticmethod
    def backward(ctx, g):
        x, y, z = ctx.saved_tensors
        xp = ctx.backend.xp
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = g * y * x ** (y - 1)
        if ctx.needs_input_grad[1]:
            gy = g * z * xp.log(xp.where(x > 0, x, 1))
        return gx, gy


class Neg(Op):
    """z = -x.    gx = -g."""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g


class Exp(Op):
    """z = e^x.    dz/dx = e^x = z:   gx = g * z."""

    @staticmethod
    def forward(ctx, x):
        z = ctx.backend.xp.exp(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return g * z


class Log(Op):
    """z = ln x.    dz/dx = 1/x:   gx = g / x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.backend.xp.log(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x


class Sqrt(Op):
    """z = sqrt(x).    dz/dx = 1 / (2 sqrt(x)):   gx = g / (2 z)."""

    @staticmethod
    def forward(ctx, x):
        z = ctx.backend.xp.sqrt(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return g / (2 * z)


class Abs(Op):
    """z = |x|.    dz/dx = sign(x)  (0 at x = 0, as in PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.backend.xp.abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.backend.xp.sign(x)


class Clamp(Op):
    """z = min(max(x, lo), hi).    dz/dx = 1 where lo <= x <= hi, else 0."""

    @staticmethod
    def forward(ctx, x, lo=None, hi=None):
        xp = ctx.backend.xp
        inside = xp.ones(x.shape, dtype=bool)
        if lo is not None:
            inside &= x >= lo
            x = xp.maximum(x, lo)
        if hi is not None:
            inside &= x <= hi
            x = xp.minimum(x, hi)
        ctx.save_for_backward(inside)
        return x

    @staticmethod
    def backward(ctx, g):
        (inside,) = ctx.saved_tensors
        xp = ctx.backend.xp
        # where, not g * inside: an infinite g outside the range must give 0 there (as in PyTorch), not nan
        return xp.where(inside, g, xp.zeros((), dtype=g.dtype))


class Maximum(Op):
    """z = max(x, y).  The gradient goes to the larger input; on a tie it is split in half
    (as in PyTorch):   gx = g * ([x > y] + [x == y] / 2),   gy likewise."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return ctx.backend.xp.maximum(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        share = (x > y) + 0.5 * (x == y)
        return g * share, g * (1 - share)


class Minimum(Op):
    """z = min(x, y).  gx = g * ([x < y] + [x == y] / 2),   gy = g - gx."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return ctx.backend.xp.minimum(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        share = (x < y) + 0.5 * (x == y)
        return g * share, g * (1 - share)


class Where(Op):
    """z = x where cond else y.   gx = g where cond else 0,   gy = g where not cond else 0."""

    @staticmethod
    def forward(ctx, cond, x, y):
        ctx.save_for_backward(cond)
        return ctx.backend.xp.where(cond, x, y)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        zero = ctx.backend.xp.zeros((), dtype=g.dtype)
        return None, ctx.backend.xp.where(cond, g, zero), ctx.backend.xp.where(cond, zero, g)


class MaskedFill(Op):
    """z = value where mask else x.    gx = 0 where mask else g."""

    @staticmethod
    def forward(ctx, x, mask, value):
        xp = ctx.backend.xp
        ctx.save_for_backward(mask)
        return xp.where(mask, xp.asarray(value, dtype=x.dtype), x)

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        return ctx.backend.xp.where(mask, ctx.backend.xp.zeros((), dtype=g.dtype), g), None, None
