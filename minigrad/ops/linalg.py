"""Matrix inverse.

B = A^-1 satisfies A B = I.  Differentiating, dA B + A dB = 0, so dB = -A^-1 dA A^-1.  For a
scalar L with G = dL/dB:  dL = <G, dB> = <G, -B dA B> = <-B^T G B^T, dA>, hence

    gA = -B^T G B^T        (B = A^-1; batched over leading axes).
"""
from minigrad.autograd.function import Op


class Inverse(Op):
    """B = A^-1.    gA = -B^T g B^T."""

    @staticmethod
    def forward(ctx, a):
        if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
            raise RuntimeError(f"linalg.inv: expects square matrices (..., n, n), got shape {a.shape}")
        xp = ctx.backend.xp
        try:
            b = xp.linalg.inv(a)
        except xp.linalg.LinAlgError:
            raise RuntimeError("linalg.inv: the matrix is singular (its determinant is 0), so it has no inverse") from None
        ctx.save_for_backward(b)
        return b

    @staticmethod
    def backward(ctx, g):
        (b,) = ctx.saved_tensors
        bt = b.swapaxes(-1, -2)
        return -ctx.backend.matmul(ctx.backend.matmul(bt, g), bt)
