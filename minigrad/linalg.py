"""``mg.linalg``: linear algebra beyond matmul."""
from minigrad.ops.linalg import Inverse


def inv(a):
    """The inverse A^-1 of a square matrix (or a batch of them).  Differentiable:
    gA = -A^-T g A^-T."""
    return Inverse.apply(a)


def norm(x, dim=None, keepdim=False):
    """Euclidean (Frobenius) norm:  sqrt(sum x^2)."""
    return (x * x).sum(dim, keepdim).sqrt()
