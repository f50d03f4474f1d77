"""Matrix products: ``matmul`` (torch.matmul semantics), ``dot``, ``cross`` and ``linear``.

Matrix multiplication   C_ij = sum_k A_ik B_kj.
Its derivatives: dC_ij/dA_ik = B_kj and dC_ij/dB_kj = A_ik, so

    gA = g @ B^T          gB = A^T @ g

(shapes: g is (m, n), B^T is (n, k) -> gA is (m, k), like A).  For batched inputs the same
holds per batch; batch axes that were broadcast are summed back by the engine.
"""
import numpy as np

from minigrad.autograd.function import Op


def _check_matmul_shapes(a_shape, b_shape):
    if len(a_shape) == 0 or len(b_shape) == 0:
        raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got shapes {a_shape} and {b_shape}")
    k_a = a_shape[-1]
    k_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    if k_a != k_b:
        raise RuntimeError(f"matmul: {a_shape} @ {b_shape}: inner dimensions {k_a} and {k_b} differ")
    batch_a, batch_b = a_shape[:-2], b_shape[:-2]
    try:
        np.broadcast_shapes(batch_a, batch_b)
    except ValueError:
        raise RuntimeError(f"matmul: {a_shape} @ {b_shape}: the batch dimensions {batch_a} and {batch_b} cannot be "
                           "broadcast together (compared from the right, each pair must be equal or 1)") from None


class MatMul(Op):
    """C = A @ B  (1-D, 2-D, batched and broadcast).

    A 1-D A is treated as a row (1, k) and a 1-D B as a column (k, 1); the added axis is
    removed from the result, as in PyTorch.  gA = g @ B^T,  gB = A^T @ g.
    """

    @staticmethod
    def forward(ctx, a, b):
        _check_matmul_shapes(a.shape, b.shape)
        if a.dtype != b.dtype:
            raise RuntimeError(f"matmul: both arguments must have the same dtype, got {a.dtype} and {b.dtype}; "
                               "convert one with .float() or .double()")
        ctx.a_vector, ctx.b_vector = a.ndim == 1, b.ndim == 1
        a2 = a[None, :] if ctx.a_vector else a
        b2 = b[:, None] if ctx.b_vector else b
        ctx.save_for_backward(a2, b2)
        c = ctx.backend.matmul(a2, b2)
        if ctx.b_vector:
            c = c[..., 0]
        if ctx.a_vector:
            c = c[..., 0, :] if not ctx.b_vector else c[..., 0]
        return c

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        if ctx.b_vector:
            g = g[..., None]
        if ctx.a_vector:
            g = g[..., None, :]
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = ctx.backend.matmul(g, b, transpose_b=True)
            if ctx.a_vector:
                ga = ga.reshape(ga.shape[:-2] + (ga.shape[-1],))
        if ctx.needs_input_grad[1]:
            gb = ctx.backend.matmul(a, g, transpose_a=True)
            if ctx.b_vector:
                gb = gb.reshape(gb.shape[:-2] + (gb.shape[-2],))
        return ga, gb


class Linear(Op):
    """y = x W^T + b  for x (..., in), W (out, in), b (out,) — a fused matmul and bias add.

    gx = g W,   gW = g^T x  (summed over all leading axes),   gb = sum of g over leading axes.
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        if x.shape[-1] != weight.shape[1]:
            raise RuntimeError(f"linear: input of shape {x.shape} has {x.shape[-1]} features but the weight "
                               f"{weight.shape} expects {weight.shape[1]}")
        x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])    # the leading axes as one (rows, in)
        ctx.save_for_backward(x2, weight)
        ctx.x_shape = x.shape
        y = ctx.backend.matmul(x2, weight, transpose_b=True)
        if bias is not None:
            y += bias
        return y if x.ndim == 2 else y.reshape(x.shape[:-1] + (weight.shape[0],))

    @staticmethod
    def backward(ctx, g):
        x2, weight = ctx.saved_tensors
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = ctx.backend.matmul(g2, weight)
            gx = gx if len(ctx.x_shape) == 2 else gx.reshape(ctx.x_shape)
        if ctx.needs_input_grad[1]:
            gw = ctx.backend.matmul(g2, x2, transpose_a=True)
        if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]:
            gb = ctx.backend.sum(g2, axis=0)
        return gx, gw, gb


class Dot(Op):
    """z = sum_i a_i b_i  (two 1-D tensors).    ga = g * b,   gb = g * a."""

    @staticmethod
    def forward(ctx, a, b):
        if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
            raise RuntimeError(f"dot: expects two 1-D tensors of the same length, got shapes {a.shape} and {b.shape}")
        ctx.save_for_backward(a, b)
        return ctx.backend.xp.asarray((a * b).sum())

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g * b, g * a


class Cross(Op):
    """c = a x b over an axis of length 3:  c = (a2 b3 - a3 b2, a3 b1 - a1 b3, a1 b2 - a2 b1).

    For L with gradient g = dL/dc:  dL/da = b x g   and   dL/db = g x a
    (because g . (a x b) = a . (b x g) = b . (g x a), the scalar triple product's symmetry).
    """

    @staticmethod
    def forward(ctx, a, b, dim):
        if a.shape[dim] != 3 or b.shape[dim] != 3:
            raise RuntimeError(f"cross: dimension {dim} must have length 3, got shapes {a.shape} and {b.shape}")
        ctx.save_for_backward(a, b)
        ctx.dim = dim
        return ctx.backend.xp.cross(a, b, axis=dim)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        cross = ctx.backend.xp.cross
        return cross(b, g, axis=ctx.dim), cross(g, a, axis=ctx.dim), None
