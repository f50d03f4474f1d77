"""``TransformerEncoderLayer`` and ``TransformerEncoder`` (a stack of copies of one layer).

One encoder layer is two sub-blocks, each wrapped in a residual connection and a
LayerNorm.  With ``norm_first=False`` (post-norm, the original Transformer):

    x = norm1(x + dropout1(self_attn(x, x, x)))
    x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))

With ``norm_first=True`` (pre-norm, which trains more stably when deep):

    x = x + dropout1(self_attn(norm1(x)))
    x = x + dropout2(feed_forward(norm2(x)))

Attribute names match PyTorch, so a state dict from ``torch.nn.TransformerEncoderLayer``
loads here as it is.
"""
from minigrad.nn import functional as F
from minigrad.nn.layers.attention import MultiheadAttention
from minigrad.nn.layers.container import ModuleList
from minigrad.nn.layers.dropout import Dropout
from minigrad.nn.layers.linear import Linear
from minigrad.nn.layers.normalization import LayerNorm
from minigrad.nn.module import Module

_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


class TransformerEncoderLayer(Module):
    """Self-attention followed by a position-wise feed-forward network.

    Inputs are ``(S, N, E)``, or ``(N, S, E)`` with ``batch_first=True``.

    Set ``layer.keep_attention = True`` to make ``forward`` store the attention weights it
    used in ``layer.last_attention_weights`` (detached, per head: ``(N, nhead, S, S)``), for
    looking at what the model attends to.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str = "relu", layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, dtype=None, device="cpu"):
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
        # Kept so TransformerEncoder can build identical fresh copies of this layer.
        self.constructor_args = dict(d_model=d_model, nhead=nhead, dim_feedforward=dim_feedforward,
                                     dropout=dropout, activation=activation, layer_norm_eps=layer_norm_eps,
                                     batch_first=batch_first, norm_first=norm_first, bias=bias,
                                     dtype=dtype, device=device)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype, device=device)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype, device=device)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype, device=device)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, dtype=dtype, device=device)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, dtype=dtype, device=device)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation_name = activation
        self.activation = _ACTIVATIONS[activation]
        self.keep_attention = False
        self.last_attention_weights = None

    def forward(self, src, src_mask=None, src_key_padding_mask=None):
        x = src
        if self.norm_first:
            x = x + self._self_attention_block(self.norm1(x), src_mask, src_key_padding_mask)
            x = x + self._feed_forward_block(self.norm2(x))
        else:
            x = self.norm1(x + self._self_attention_block(x, src_mask, src_key_padding_mask))
            x = self.norm2(x + self._feed_forward_block(x))
        return x

    def _self_attention_block(self, x, attn_mask, key_padding_mask):
        out, weights = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                      need_weights=self.keep_attention, average_attn_weights=False)
        if self.keep_attention:
            self.last_attention_weights = weights.detach()
        return self.dropout1(out)

    def _feed_forward_block(self, x):
        hidden = self.dropout(self.activation(self.linear1(x)))
        return self.dropout2(self.linear2(hidden))

    def fresh_copy(self) -> "TransformerEncoderLayer":
        """A new, independent layer with the same settings and the same parameter values."""
        copy = TransformerEncoderLayer(**self.constructor_args)
        reference = self.self_attn.in_proj_weight  # follow any later .to(device) / .double()
        copy.to(reference.dtype)
        copy.load_state_dict(self.state_dict())
        copy.to(reference.device)
        copy.train(self.training)
        copy.keep_attention = self.keep_attention
        return copy


class TransformerEncoder(Module):
    """``num_layers`` independent copies of ``encoder_layer`` applied in turn, then ``norm`` if given.

    Like PyTorch, the copies start with the *same* values as ``encoder_layer`` (they are
    copies, not re-initialisations) but are separate parameters from then on.
    """

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int, norm=None,
                 enable_nested_tensor: bool = True, mask_check: bool = True):
        """``enable_nested_tensor`` and ``mask_check`` are PyTorch's fast-path switches: accepted, and
        without effect here (minigrad has one path, which is PyTorch's exact one)."""
        super().__init__()
        self.layers = ModuleList([encoder_layer.fresh_copy() for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask)
        if self.norm is not None:
            x = self.norm(x)
        return x
