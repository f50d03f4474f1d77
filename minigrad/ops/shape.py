"""Ops that move numbers around without changing them: their backward moves the gradient
back the same way.
"""
from minigrad.autograd.function import Op


class Reshape(Op):
    """z = x viewed with a new shape (same elements, same order).    gx = g reshaped back."""

    is_view = True  # NumPy reshapes without copying whenever the memory layout allows

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise RuntimeError(f"reshape: shape {tuple(shape)} is invalid for a tensor of shape {x.shape} "
                               f"({x.size} elements)") from None

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None


class Permute(Op):
    """z = x with its axes reordered by ``dims``.    gx = g with the inverse permutation."""

    is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return g.transpose(inverse), None


class Expand(Op):
    """z = x broadcast to a bigger shape (a view, no copy).

    Each element of x is copied to many places, so its gradient is the sum of theirs — exactly
    what the engine's ``sum_to_shape`` does to every input gradient, so g is returned as is.
    """

    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        try:
            return ctx.backend.xp.broadcast_to(x, shape)
        except ValueError:
            raise RuntimeError(f"expand: cannot expand shape {x.shape} to {tuple(shape)}; only size-1 axes "
                               "can grow, and new axes go in front") from None

    @staticmethod
    def backward(ctx, g):
        return g, None


class Cat(Op):
    """z = the inputs joined along ``dim``.    Each input's gradient is its slice of g."""

    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        ctx.sizes = [x.shape[dim] for x in xs]
        return ctx.backend.xp.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        grads, start = [None], 0
        for size in ctx.sizes:
            index = [slice(None)] * g.ndim
            index[ctx.dim] = slice(start, start + size)
            grads.append(g[tuple(index)])
            start += size
        return tuple(grads)


class Clone(Op):
    """z = a fresh copy of x.    gx = g."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


class Cast(Op):
    """z = x converted to another dtype (e.g. float32 -> float64).    gx = g in x's dtype."""

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.dtype), None


class Fill(Op):
    """z = a constant (a number, or an array of x's shape) in x's place: ``x.fill_(v)``, ``x.zero_()``,
    ``x.uniform_()`` recorded.  z does not depend on x:  gx = 0 (returned as None: nothing flows)."""

    @staticmethod
    def forward(ctx, x, value):
        return ctx.backend.xp.broadcast_to(ctx.backend.xp.asarray(value, dtype=x.dtype), x.shape).copy()

    @staticmethod
    def backward(ctx, g):
        return None, None


class CopyFrom(Op):
    """z = source broadcast to x's shape: ``x.copy_(source)`` recorded.
    gx = 0 (x is overwritten),  gsource = g (summed back to source's shape by the engine)."""

    @staticmethod
    def forward(ctx, x, source):
        return ctx.backend.xp.broadcast_to(source, x.shape).copy()

    @staticmethod
    def backward(ctx, g):
        return None, g
