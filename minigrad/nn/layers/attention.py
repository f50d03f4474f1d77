"""``MultiheadAttention``: several scaled dot-product attentions side by side.

For one head, with queries ``Q`` (L, d), keys ``K`` (S, d) and values ``V`` (S, d):

    scores  = Q K^T / sqrt(d)                 (L, S): how well query i matches key j
    scores  = scores + float mask, or -inf where a bool mask forbids a key
    weights = softmax(scores, over j)          each row sums to 1
    output  = weights V                        (L, d): a weighted mix of the values

That is ``F.scaled_dot_product_attention`` (``minigrad/nn/functional.py``), the one
implementation of attention in minigrad; this layer calls it through ``F.attention``, which
also returns the weights.

Multi-head attention first projects the inputs ``E -> E`` three times (one
projection each for Q, K, V, stored together in ``in_proj_weight`` of shape
``(3E, E)`` as PyTorch does, so state dicts line up), splits ``E`` into
``num_heads`` heads of size ``d = E / num_heads``, runs the attention above in
every head at once, glues the heads back together and applies ``out_proj``.

Gradients need nothing special: every step above is an ordinary differentiable
op (matmul, add, masked_fill, softmax), so autograd derives the backward pass.
"""
import minigrad as mg
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.layers.linear import Linear
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter


class MultiheadAttention(Module):
    """Multi-head attention with PyTorch's parameter layout and call signature.

    Inputs are ``(L, N, E)`` (sequence first) or, with ``batch_first=True``, ``(N, L, E)``;
    unbatched ``(L, E)`` works too.  Key/value sequences have length ``S``.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True)`` returns ``(output, weights)``:

    * ``key_padding_mask``: bool ``(N, S)``, True marks a padding key to ignore;
    * ``attn_mask``: bool ``(L, S)`` or ``(N * num_heads, L, S)``, True = not allowed (note: the
      opposite of ``F.scaled_dot_product_attention``'s bool mask, as in PyTorch); or a float mask of
      the same shapes that is added to the scores (``-inf`` forbids);
    * ``weights`` is ``(N, L, S)`` averaged over heads, or ``(N, num_heads, L, S)`` with
      ``average_attn_weights=False``, or None when ``need_weights=False``.

    As in PyTorch, the returned weights are the ones actually used, so in training mode they
    include attention dropout; call ``eval()`` to read clean weights.

    One difference from PyTorch's layer: a query whose keys are all masked gets zero weights (and
    an output equal to ``out_proj.bias``) instead of NaN (``F.scaled_dot_product_attention`` does
    the same in both).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 batch_first: bool = False, dtype=None, device="cpu"):
        super().__init__()
        if embed_dim % num_heads != 0:
            raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.in_proj_weight = Parameter(mg.empty(3 * embed_dim, embed_dim, dtype=dtype, device=device))
        if bias:
            self.in_proj_bias = Parameter(mg.empty(3 * embed_dim, dtype=dtype, device=device))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype, device=device)
        self._reset_parameters()

    def _reset_parameters(self):
        # PyTorch's choice: Glorot for the fused input projection, zero biases.
        init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def _project(self, x, which: int):
        """Apply the ``which``-th (0 = query, 1 = key, 2 = value) slice of the input projection."""
        rows = slice(which * self.embed_dim, (which + 1) * self.embed_dim)
        bias = None if self.in_proj_bias is None else self.in_proj_bias[rows]
        return F.linear(x, self.in_proj_weight[rows], bias)

    def _split_heads(self, x):
        """``(N, L, E) -> (N, num_heads, L, head_dim)``."""
        n, length, _ = x.shape
        return x.reshape(n, length, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True):
        unbatched = query.ndim == 2
        if unbatched:  # (L, E) -> (1, L, E)
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif not self.batch_first:  # (L, N, E) -> (N, L, E)
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        n, length, embed = query.shape
        source_length = key.shape[1]
        if embed != self.embed_dim:
            raise ValueError(f"query has embedding size {embed}, but this layer expects {self.embed_dim}")

        q = self._split_heads(self._project(query, 0))   # (N, H, L, d)
        k = self._split_heads(self._project(key, 1))     # (N, H, S, d)
        v = self._split_heads(self._project(value, 2))   # (N, H, S, d)

        mask = self._merge_masks(key_padding_mask, attn_mask, n, length, source_length)
        heads, weights = F.attention(q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0)

        merged = heads.transpose(1, 2).reshape(n, length, self.embed_dim)  # (N, L, E)
        output = self.out_proj(merged)
        if unbatched:
            output = output.squeeze(0)
        elif not self.batch_first:
            output = output.transpose(0, 1)

        if not need_weights:
            return output, None
        if average_attn_weights:
            weights = weights.mean(dim=1)  # (N, L, S)
        if unbatched:
            weights = weights.squeeze(0)
        return output, weights

    def _merge_masks(self, key_padding_mask, attn_mask, n, length, source_length):
        """The user's masks (True = forbidden) as one mask for ``F.attention``, broadcastable to the
        scores ``(N, H, L, S)``: bool (True = allowed) when both are bool, else float (added, -inf forbids)."""
        forbidden = None   # bool, True = not allowed
        additive = None    # float, added to the scores
        if key_padding_mask is not None:
            key_padding_mask = _as_mask_tensor(key_padding_mask)
            if tuple(key_padding_mask.shape) != (n, source_length):
                raise ValueError(f"key_padding_mask must have shape (batch, source_len) = {(n, source_length)}, "
                                 f"got {tuple(key_padding_mask.shape)}")
            if key_padding_mask.dtype != mg.bool:
                raise TypeError("key_padding_mask must be a bool tensor (True = padding to ignore), "
                                f"got dtype {key_padding_mask.dtype}")
            forbidden = key_padding_mask.reshape(n, 1, 1, source_length)
        if attn_mask is not None:
            attn_mask = _as_mask_tensor(attn_mask)
            if attn_mask.ndim == 2:
                expected = (length, source_length)
            else:
                expected = (n * self.num_heads, length, source_length)
            if tuple(attn_mask.shape) != expected:
                raise ValueError(f"attn_mask must have shape {expected}, got {tuple(attn_mask.shape)}")
            if attn_mask.ndim == 3:
                attn_mask = attn_mask.reshape(n, self.num_heads, length, source_length)
            if attn_mask.dtype == mg.bool:
                forbidden = attn_mask if forbidden is None else (forbidden | attn_mask)
            else:
                additive = attn_mask
        if additive is None:
            return None if forbidden is None else ~forbidden
        if forbidden is None:
            return additive
        return mg.where(forbidden, float("-inf"), additive)

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, " \
               f"batch_first={self.batch_first}"


def _as_mask_tensor(mask):
    return mask if isinstance(mask, mg.Tensor) else mg.tensor(mask)
