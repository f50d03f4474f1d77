"""``TransformerClassifier``: a tiny Transformer encoder that reads a sentence and outputs class scores.

The whole model, for token ids ``ids`` (B, T) and a mask (B, T) that is True on real tokens::

    x = token_embedding(ids) + position_embedding(0, 1, ..., T-1)     (B, T, d_model)
    x = dropout(x)
    x = encoder(x, key_padding_mask = not mask)     n_layers pre-norm Transformer layers
    x = final_norm(x)                               (pre-norm layers leave the last output un-normalised)
    sentence = x[:, 0]                       pooling="cls":  the vector at the <cls> position
             = sum_t mask_t x_t / sum_t mask_t   pooling="mean": the average over the real tokens
             = max_t {x_t : mask_t}              pooling="max":  each feature's largest value over the real tokens
    (with n-gram detectors, ngram_widths=(3, 4, 5): sentence = [sentence, max_t ngrams(token_embedding(ids))_t])
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

N-gram detectors (``ngram_widths``, ``ngram_channels``; off unless given): beside the Transformer,
a convolution over the word vectors in the manner of Kim (2014)'s sentence CNN, ``NGramDetectors``.
Each of its filters reads w consecutive words and fires (ReLU) on a phrase it has learned ("not
bad", "a waste of"); the sentence keeps each filter's strongest response (max over the
positions).  A Transformer this small, trained from scratch on 60,000 phrases, learns such local
word groups slowly; the filters give it them directly: on SST-2 dev the pair scores 83.1% over 3
seeds, the Transformer alone 80.2% (README, "Measured").  On 6,885 sentences they do not help
(the recipe leaves them out below 20,000 rows).  ``encode`` returns them after the Transformer's
features at each position, so ``classify(encode(vectors, mask), mask)`` (saliency) sees both.

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


class NGramDetectors(nn.Module):
    """``channels`` convolution filters per width ``w`` in ``widths``, each reading ``w`` consecutive
    token vectors; for token vectors ``e`` (B, T, d) (zero past the end of each sentence)::

        response[b, t, c] = relu(bias_c + sum_{i < w} sum_k weight_c[k, i] * e[b, t + i, k])

    i.e. filter ``c``'s response to the ``w`` words starting at position ``t``; returns the responses of
    all the filters, ``(B, T, len(widths) * channels)``, and 0 at padding positions.  Only existing ops
    (``F.pad``, ``nn.Conv1d``, ``relu``, ``cat``), so its gradient is theirs.
    """

    def __init__(self, d_model: int, widths, channels: int):
        super().__init__()
        self.widths = tuple(widths)
        self.convs = nn.ModuleList([nn.Conv1d(d_model, channels, w) for w in self.widths])

    def forward(self, token_vectors, mask):
        real = _as_bool_tensor(mask, token_vectors.device).float().unsqueeze(1)    # (B, 1, T)
        x = token_vectors.transpose(1, 2) * real          # (B, d, T), channels first as conv1d reads them
        # w - 1 zeros after the last position: a window may run past the end of its sentence (into
        # zeros, exactly as if the batch had been padded to that sentence's length: no leak).
        responses = [conv(F.pad(x, (0, w - 1))).relu() * real for conv, w in zip(self.convs, self.widths)]
        return mg.cat(responses, dim=1).transpose(1, 2)


class TransformerClassifier(nn.Module):
    def __init__(self, vocab_size: int, d_model: int = 64, n_heads: int = 4, n_layers: int = 2,
                 d_ff: int = 128, max_len: int = 128, dropout: float = 0.1, pooling: str = "cls",
                 num_classes: int = 2, pad_id: int = 0, activation: str = "relu", ngram_widths=(),
                 ngram_channels: int = 0):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
        if d_model % n_heads != 0:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        ngram_widths = tuple(int(w) for w in ngram_widths) if ngram_channels else ()
        if any(w < 1 for w in ngram_widths) or ngram_channels < 0:
            raise ValueError(f"ngram_widths must be positive and ngram_channels at least 0, got {ngram_widths} "
                             f"and {ngram_channels}")
        self.config = dict(vocab_size=vocab_size, d_model=d_model, n_heads=n_heads, n_layers=n_layers,
                           d_ff=d_ff, max_len=max_len, dropout=dropout, pooling=pooling,
                           num_classes=num_classes, pad_id=pad_id, activation=activation)
        if ngram_widths:  # only then: the config of a run without them stays as it was
            self.config.update(ngram_widths=list(ngram_widths), ngram_channels=ngram_channels)
        self.pooling = pooling
        self.max_len = max_len
        self.d_model = d_model
        self.token_embedding = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        self.position_embedding = nn.Embedding(max_len, d_model)
        self.embedding_dropout = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(d_model, n_heads, dim_feedforward=d_ff, dropout=dropout,
                                           activation=activation, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, n_layers)
        self.final_norm = nn.LayerNorm(d_model)
        self.head_dropout = nn.Dropout(dropout)
        self.ngrams = NGramDetectors(d_model, ngram_widths, ngram_channels) if ngram_widths else None
        self.head = nn.Linear(d_model + len(ngram_widths) * ngram_channels, num_classes)
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
        """Add positions, run the encoder; returns the normalised hidden states ``(B, T, d_model)``, followed,
        with n-gram detectors, by their responses at each position (``(B, T, d_model + n-gram features)``)."""
        length = token_vectors.shape[1]
        if length > self.max_len:
            raise ValueError(f"sequence of {length} tokens is longer than max_len={self.max_len}; "
                             "truncate it (the encoders in minigrad.sentiment do) or build the model with a larger max_len")
        positions = mg.arange(length, device=token_vectors.device)
        x = token_vectors + self.position_embedding(positions)
        x = self.embedding_dropout(x)
        padding = ~_as_bool_tensor(mask, token_vectors.device)
        x = self.final_norm(self.encoder(x, src_key_padding_mask=padding))
        if self.ngrams is None:
            return x
        return mg.cat([x, self.ngrams(token_vectors, mask)], dim=-1)

    def pool(self, hidden, mask):
        """One vector per sentence: the Transformer's features pooled by ``pooling`` (the <cls> position,
        or the mean or max over real tokens), then each n-gram detector's largest response, if any."""
        if self.ngrams is None:
            return self._pool(hidden, mask, self.pooling)
        return mg.cat([self._pool(hidden[..., :self.d_model], mask, self.pooling),
                       self._pool(hidden[..., self.d_model:], mask, "max")], dim=-1)

    @staticmethod
    def _pool(hidden, mask, pooling):
        if pooling == "cls":
            return hidden[:, 0]
        if pooling == "max":  # padding can never be the largest: it is set to -inf first
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
        """Scores over the vocabulary for hidden vectors ``(..., d_model)`` (weights tied to the embedding;
        n-gram features after the first d_model, if any, are not read)."""
        if self.ngrams is not None:
            hidden = hidden[..., :self.d_model]
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
