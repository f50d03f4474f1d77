"""``Embedding``: a lookup table from token ids to learned vectors."""
import minigrad as mg
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter


class Embedding(Module):
    """Row ``i`` of ``weight`` (shape ``(num_embeddings, embedding_dim)``) is the vector of token ``i``.

    ``forward(indices)`` with integer ``indices`` of any shape ``(*)`` returns ``(*, embedding_dim)``.
    The backward pass adds each output gradient into the row it was read from
    (a row read twice gets both gradients).

    ``weight`` starts as N(0, 1).  If ``padding_idx`` is given, that row starts at zero
    and receives no gradient, so it stays a "nothing here" vector.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx=None, dtype=None, device="cpu"):
        super().__init__()
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"padding_idx {padding_idx} is outside the table of {num_embeddings} rows")
            if padding_idx < 0:
                padding_idx += num_embeddings
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        self.weight = Parameter(mg.empty(num_embeddings, embedding_dim, dtype=dtype, device=device))
        self.reset_parameters()

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0  # write the raw array: no graph involved

    def forward(self, indices):
        return F.embedding(indices, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text
