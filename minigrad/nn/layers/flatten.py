"""``Flatten`` and ``Unflatten``: reshape between a run of dims and a single one (views, as in PyTorch)."""
from minigrad.nn.module import Module


class Flatten(Module):
    """Merge dims ``start_dim..end_dim`` into one: ``(N, C, H, W) -> (N, C*H*W)`` with the defaults
    (the batch dim 0 is kept)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size``: ``Unflatten(1, (2, 5))`` turns ``(N, 10)`` into
    ``(N, 2, 5)``; one entry may be -1 (inferred)."""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)) or not all(isinstance(n, int) for n in unflattened_size):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple or list of ints, got {unflattened_size!r}")
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, x):
        dim = self.dim % x.ndim
        sizes = list(self.unflattened_size)
        known = 1
        for n in sizes:
            known *= n if n != -1 else 1
        if sizes.count(-1) > 1 or (-1 not in sizes and known != x.shape[dim]) or (
                -1 in sizes and (known == 0 or x.shape[dim] % known)):
            raise RuntimeError(f"Unflatten: dim {self.dim} of size {x.shape[dim]} cannot be split into "
                               f"{tuple(self.unflattened_size)} (input shape {x.shape})")
        return x.reshape(*x.shape[:dim], *sizes, *x.shape[dim + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
