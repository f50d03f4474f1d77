"""Low-rank factorization: one big matrix replaced by a product of two thin ones.

A weight W (m x n) has the singular value decomposition W = U diag(s) V^T with s_1 >= s_2 >= ... >= 0.
Keeping the r largest singular values gives the best rank-r approximation (Eckart-Young), with error

    ||W - W_r||_F^2 = s_{r+1}^2 + s_{r+2}^2 + ...        W_r = U_r diag(s_r) V_r^T

and W_r is a product of an (m x r) and an (r x n) matrix: r (m + n) numbers instead of m n, fewer
exactly when r < m n / (m + n) (for a square n x n matrix: r < n / 2).  The square root of s goes to
each factor, so neither starts much larger than the other:

    Linear(n -> m)        becomes  LowRankLinear:     first = Linear(n -> r, no bias),  weight sqrt(s_r) V_r^T
                                                      second = Linear(r -> m, bias),   weight U_r sqrt(s_r)
    Embedding(rows, d)    becomes  LowRankEmbedding:  first = Embedding(rows, r),      weight U_r sqrt(s_r)
                                                      second = Linear(r -> d, no bias), weight V_r sqrt(s_r)

The rank is given directly (``rank``: a whole number, or a fraction of min(m, n)), or by the share of
``energy`` to keep: the smallest r with (s_1^2 + ... + s_r^2) / (s_1^2 + ... ) >= energy.  Fine-tuning
afterwards recovers most of what the truncation cost.  The SVD runs once, on the host, in float64.
"""
import numbers

import numpy as np

import minigrad as mg
from minigrad.nn.layers.embedding import Embedding
from minigrad.nn.layers.linear import Linear
from minigrad.nn.module import Module


class LowRankLinear(Module):
    """``second(first(x))``: a Linear of rank at most ``rank``."""

    def __init__(self, in_features, out_features, rank, bias=True, dtype=None, device="cpu"):
        super().__init__()
        self.in_features, self.out_features, self.rank = in_features, out_features, rank
        self.first = Linear(in_features, rank, bias=False, dtype=dtype, device=device)
        self.second = Linear(rank, out_features, bias=bias, dtype=dtype, device=device)

    def forward(self, x):
        return self.second(self.first(x))

    @property
    def weight(self):
        """The (out_features, in_features) product the two factors stand for."""
        return self.second.weight @ self.first.weight

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, rank={self.rank}"


class LowRankEmbedding(Module):
    """``second(first(indices))``: an Embedding table of rank at most ``rank``."""

    def __init__(self, num_embeddings, embedding_dim, rank, padding_idx=None, dtype=None, device="cpu"):
        super().__init__()
        self.num_embeddings, self.embedding_dim, self.rank = num_embeddings, embedding_dim, rank
        self.padding_idx = padding_idx
        self.first = Embedding(num_embeddings, rank, padding_idx=padding_idx, dtype=dtype, device=device)
        self.second = Linear(rank, embedding_dim, bias=False, dtype=dtype, device=device)

    def forward(self, indices):
        return self.second(self.first(indices))

    @property
    def weight(self):
        """The (num_embeddings, embedding_dim) table the two factors stand for."""
        return self.first.weight @ self.second.weight.T

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}, rank={self.rank}"


def choose_rank(singular_values, rank=None, energy=None) -> int:
    """The rank to keep: ``rank`` (a whole number, or a fraction of the full rank), or the fewest singular
    values holding ``energy`` of the sum of their squares."""
    full = len(singular_values)
    if (rank is None) == (energy is None):
        raise ValueError("give exactly one of rank= (a number of singular values, or a fraction of them) and "
                         "energy= (the share of the sum of squared singular values to keep)")
    if energy is not None:
        if not 0 < energy <= 1:
            raise ValueError(f"energy must be above 0 and at most 1, got {energy}")
        squares = np.asarray(singular_values, dtype=np.float64) ** 2
        kept = np.cumsum(squares) / max(squares.sum(), np.finfo(np.float64).tiny)
        return int(min(full, np.searchsorted(kept, energy - 1e-12) + 1))
    if isinstance(rank, numbers.Integral) and not isinstance(rank, bool):
        if not 1 <= rank:
            raise ValueError(f"rank must be at least 1, got {rank}")
        return int(min(rank, full))
    if not 0 < rank <= 1:
        raise ValueError(f"a fractional rank must be above 0 and at most 1, got {rank}")
    return max(1, int(round(rank * full)))


def saves_parameters(rows, cols, rank) -> bool:
    """True when rank * (rows + cols) < rows * cols: the two factors are smaller than the matrix."""
    return rank * (rows + cols) < rows * cols


def _factors(matrix, rank=None, energy=None):
    """(left (m, r), right (r, n), r) with left @ right the best rank-r approximation of ``matrix``."""
    u, s, vt = np.linalg.svd(np.asarray(matrix, dtype=np.float64), full_matrices=False)
    r = choose_rank(s, rank, energy)
    root = np.sqrt(s[:r])
    return u[:, :r] * root, root[:, None] * vt[:r], r


def low_rank_linear(linear, rank=None, energy=None) -> LowRankLinear:
    """A ``LowRankLinear`` holding the truncated SVD of ``linear.weight`` (and its bias)."""
    weight = linear.weight.detach()
    left, right, r = _factors(weight.numpy(), rank, energy)
    layer = LowRankLinear(linear.in_features, linear.out_features, r, bias=linear.bias is not None,
                          dtype=weight.dtype, device=weight.device)
    with mg.no_grad():
        layer.first.weight.copy_(mg.tensor(right, dtype=weight.dtype, device=weight.device))
        layer.second.weight.copy_(mg.tensor(left, dtype=weight.dtype, device=weight.device))
        if linear.bias is not None:
            layer.second.bias.copy_(linear.bias.detach())
    return layer


def low_rank_embedding(embedding, rank=None, energy=None) -> LowRankEmbedding:
    """A ``LowRankEmbedding`` holding the truncated SVD of ``embedding.weight`` (the padding row stays 0)."""
    weight = embedding.weight.detach()
    left, right, r = _factors(weight.numpy(), rank, energy)
    if embedding.padding_idx is not None:
        left[embedding.padding_idx] = 0
    layer = LowRankEmbedding(embedding.num_embeddings, embedding.embedding_dim, r, embedding.padding_idx,
                             dtype=weight.dtype, device=weight.device)
    with mg.no_grad():
        layer.first.weight.copy_(mg.tensor(left, dtype=weight.dtype, device=weight.device))
        layer.second.weight.copy_(mg.tensor(right.T, dtype=weight.dtype, device=weight.device))
    return layer


def factorize(model, rank=None, energy=None, exclude=()) -> dict:
    """Replace, in place, every ``Linear`` and ``Embedding`` of ``model`` (but those named in ``exclude``) by
    its low-rank version where that has fewer parameters.  Returns ``{dotted name: rank}`` of the replaced
    layers (what ``empty_factorized`` needs to rebuild the structure)."""
    ranks = {}
    for name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            path = f"{name}.{child_name}" if name else child_name
            if path in exclude or type(child) not in (Linear, Embedding):
                continue
            rows, cols = child.weight.shape
            s = np.linalg.svd(child.weight.detach().numpy().astype(np.float64), compute_uv=False)
            r = choose_rank(s, rank, energy)
            if not saves_parameters(rows, cols, r):
                continue
            build = low_rank_linear if type(child) is Linear else low_rank_embedding
            setattr(module, child_name, build(child, rank=r))
            ranks[path] = r
    return ranks


def empty_factorized(model, ranks: dict) -> None:
    """Give ``model`` (in place) the structure ``factorize`` left: a low-rank layer of the recorded rank at each
    name, with freshly initialised weights (for ``load_state_dict`` to fill)."""
    for path, r in ranks.items():
        *parents, child_name = path.split(".")
        parent = model
        for name in parents:
            parent = getattr(parent, name)
        child = getattr(parent, child_name)
        like = dict(dtype=child.weight.dtype, device=child.weight.device) if hasattr(child, "weight") else {}
        if type(child) is Linear:
            layer = LowRankLinear(child.in_features, child.out_features, r, bias=child.bias is not None, **like)
        elif type(child) is Embedding:
            layer = LowRankEmbedding(child.num_embeddings, child.embedding_dim, r, child.padding_idx, **like)
        else:
            raise ValueError(f"{path} is a {type(child).__name__}; only Linear and Embedding layers are factorized")
        setattr(parent, child_name, layer)
