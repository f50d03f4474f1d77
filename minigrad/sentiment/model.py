"""``TransformerClassifier``: a tiny Transformer encoder that reads a sentence and outputs class scores.

The whole model, for token ids ``ids`` (B, T) and a mask (B, T) that is True on real tokens::

    x = token_embedding(ids) + position_embedding(0, 1, ..., T-1)     (B, T, d_model)
    x = dropout(x)
    x = encoder(x, key_padding_mask = not mask)     n_layers pre-norm Transformer layers
    x = final_norm(x)                               (pre-norm layers leave the last output un-normalised)
    sentence = x[:, 0]                       pooling="cls":  the vector at the <cls> position
             = sum_t mask_t x_t / sum_t mask_t   pooling="mean": the average over the real tokens
             = max_t {x_t : mask_t}              pooling="max":  each feature's largest value over the real tokens
    logits = head(dropout(sentence))                (B, num_classes)

Padding never leaks in: the attention ignores padding keys (``key_padding_mask``), every other
step works position by position, and the pooling reads only real positions.  So adding more
``<pad>`` to a sentence does not change its logits.

Positions: a *learned* position embedding (an ``nn.Embedding`` with ``max_len`` rows).  It is
the simplest choice to read (one more lookup table, trained like the word vectors) and our
sentences never exceed ``max_len``; the fixed sinusoidal table of the original Transformer would
only pay off for sentences longer than any seen in training.

Activation of the feed-forward blocks: ReLU by default (as ``torch.nn.TransformerEncoderLayer``).
GELU (``activation="gelu"``) is the BERT choice, but minigrad's CPU GELU computes the exact erf one
element at a time in Python, which made it ~60% of a training step when we profiled; ReLU costs
almost nothing and learns these tasks as well.

For pre-training (masked-token prediction, see ``pretrain.py``) the model also has an MLM
head: ``mlm_logits(hidden) = hidden @ token_embedding.weight^T + mlm_bias``.  Its weights are
*tied* to the input embedding (the same matrix reads and writes words), so it adds only
``vocab_size`` numbers and pre-training shapes the word vectors directly.
"""
import math

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F
from minigrad.nn import init

POOLINGS = ("cls", "mean", "max")


class TransformerClassifier(nn.Module):
    def __init__(self, vocab_size: int, d_model: int = 64, n_heads: int = 4, n_layers: int = 2,
                 d_ff: int = 128, max_len: int = 128, dropout: float = 0.1, pooling: str = "cls",
                 num_classes: int = 2, pad_id: int = 0, activation: str = "relu"):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
        if d_model % n_heads != 0:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        self.config = dict(vocab_size=vocab_size, d_model=d_model, n_heads=n_heads, n_layers=n_layers,
                           d_ff=d_ff, max_len=max_len, dropout=dropout, pooling=pooling,
                           num_classes=num_classes, pad_id=pad_id, activation=activation)
        self.pooling = pooling
        self.max_len = max_len
        self.token_embedding = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        self.position_embedding = nn.Embedding(max_len, d_model)
        self.embedding_dropout = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(d_model, n_heads, dim_feedforward=d_ff, dropout=dropout,
                                           activation=activation, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, n_layers)
        self.final_norm = nn.LayerNorm(d_model)
        self.head_dropout = nn.Dropout(dropout)
        self.head = nn.Linear(d_model, num_classes)
        self.mlm_bias = nn.Parameter(mg.zeros(vocab_size))
        self._init_embeddings(d_model, pad_id)

    def _init_embeddings(self, d_model, pad_id):
        # nn.Embedding starts at N(0, 1); with d_model numbers per token that is a vector of
        # length ~sqrt(d_model), much louder than the attention/FFN outputs added to it.
        # N(0, 1/d_model) gives vectors of length ~1, the scale the rest of the network expects.
        std = 1.0 / math.sqrt(d_model)
        init.normal_(self.token_embedding.weight, 0.0, std)
        init.normal_(self.position_embedding.weight, 0.0, std)
        with mg.no_grad():
            self.token_embedding.weight[pad_id] = 0

    # ------------------------------------------------------------------ the three stages
    def embed(self, ids):
        """Token vectors ``(B, T, d_model)`` (without positions): the "input" that saliency differentiates."""
        return self.token_embedding(ids)

    def encode(self, token_vectors, mask):
        """Add positions, run the encoder; returns the normalised hidden states ``(B, T, d_model)``."""
        length = token_vectors.shape[1]
        if length > self.max_len:
            raise ValueError(f"sequence of {length} tokens is longer than max_len={self.max_len}; "
                             "truncate it (the encoders in minigrad.sentiment do) or build the model with a larger max_len")
        positions = mg.arange(length, device=token_vectors.device)
        x = token_vectors + self.position_embedding(positions)
        x = self.embedding_dropout(x)
        padding = ~_as_bool_tensor(mask, token_vectors.device)
        x = self.encoder(x, src_key_padding_mask=padding)
        return self.final_norm(x)

    def pool(self, hidden, mask):
        """One vector per sentence ``(B, d_model)``: the <cls> position, or the mean or max over real tokens."""
        if self.pooling == "cls":
            return hidden[:, 0]
        if self.pooling == "max":  # padding can never be the largest: it is set to -inf first
            padding = ~_as_bool_tensor(mask, hidden.device).unsqueeze(-1)
            return hidden.masked_fill(padding, float("-inf")).amax(dim=1)
        weights = _as_bool_tensor(mask, hidden.device).float().unsqueeze(-1)       # (B, T, 1)
        counts = weights.sum(dim=1).clamp(min=1.0)                               # (B, 1): no 0/0 for empty rows
        return (hidden * weights).sum(dim=1) / counts

    def classify(self, hidden, mask):
        return self.head(self.head_dropout(self.pool(hidden, mask)))

    def forward(self, ids, mask):
        """``ids`` (B, T) int64 token ids, ``mask`` (B, T) bool True on real tokens -> logits (B, num_classes)."""
        ids = _as_id_tensor(ids, self.final_norm.weight.device)   # (a layer that compression never replaces)
        return self.classify(self.encode(self.embed(ids), mask), mask)

    # ------------------------------------------------------------------ extras
    def mlm_logits(self, hidden):
        """Scores over the vocabulary for hidden vectors ``(..., d_model)`` (weights tied to the embedding)."""
        return F.linear(hidden, self.token_embedding.weight, self.mlm_bias)

    def attention_weights(self, ids, mask):
        """Run the model once and return ``(logits, [weights of layer 0, layer 1, ...])``,
        each ``(B, n_heads, T, T)``: row i says how much position i attended to each position j."""
        layers = list(self.encoder.layers)
        for layer in layers:
            layer.keep_attention = True
        try:
            logits = self(ids, mask)
            weights = [layer.last_attention_weights for layer in layers]
        finally:
            for layer in layers:
                layer.keep_attention = False
                layer.last_attention_weights = None
        return logits, weights


def _as_bool_tensor(mask, device):
    if isinstance(mask, mg.Tensor):
        return mask if mask.dtype == mg.bool else mask.bool()
    return mg.tensor(mask, device=device).bool()


def _as_id_tensor(ids, device):
    if isinstance(ids, mg.Tensor):
        return ids if ids.dtype == mg.int64 else ids.long()
    return mg.tensor(ids, device=device).long()
