"""The sentiment Transformer rebuilt in PyTorch, for speed comparisons with identical weights.

``build_torch_twin(model)`` reads ``model.config`` (a ``minigrad.sentiment.model.TransformerClassifier``),
builds the same architecture from ``torch.nn`` parts with the same parameter names, and loads a copy of
the minigrad weights (strictly: every tensor must match by name and shape).  Used by
``benchmarks/sst2.py`` and the ``models`` suite.
"""


def build_torch_twin(model):
    """A torch.nn.Module with the same architecture as ``model`` and a copy of its weights."""
    import torch
    from torch import nn

    config = model.config

    class TorchClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            d = config["d_model"]
            self.token_embedding = nn.Embedding(config["vocab_size"], d, padding_idx=config["pad_id"])
            self.position_embedding = nn.Embedding(config["max_len"], d)
            self.embedding_dropout = nn.Dropout(config["dropout"])
            layer = nn.TransformerEncoderLayer(d, config["n_heads"], config["d_ff"], config["dropout"],
                                               activation=config["activation"], batch_first=True, norm_first=True)
            self.encoder = nn.TransformerEncoder(layer, config["n_layers"], enable_nested_tensor=False)
            self.final_norm = nn.LayerNorm(d)
            self.head_dropout = nn.Dropout(config["dropout"])
            self.widths = tuple(config.get("ngram_widths", ()))
            if self.widths:  # minigrad.sentiment.model.NGramDetectors
                self.ngrams = nn.Module()
                self.ngrams.convs = nn.ModuleList([nn.Conv1d(d, config["ngram_channels"], w) for w in self.widths])
            self.head = nn.Linear(d + len(self.widths) * config.get("ngram_channels", 0), config["num_classes"])
            self.mlm_bias = nn.Parameter(torch.zeros(config["vocab_size"]))

        def forward(self, ids, mask):
            positions = torch.arange(ids.shape[1], device=ids.device)
            vectors = self.token_embedding(ids)
            x = self.embedding_dropout(vectors + self.position_embedding(positions))
            x = self.final_norm(self.encoder(x, src_key_padding_mask=~mask))
            if config["pooling"] == "cls":
                pooled = x[:, 0]
            elif config["pooling"] == "max":
                pooled = x.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(1)
            else:
                weights = mask.float().unsqueeze(-1)
                pooled = (x * weights).sum(1) / weights.sum(1).clamp(min=1.0)
            if self.widths:
                real = mask.float().unsqueeze(1)
                words = vectors.transpose(1, 2) * real
                responses = torch.cat([torch.relu(conv(nn.functional.pad(words, (0, w - 1)))) * real
                                       for conv, w in zip(self.ngrams.convs, self.widths)], dim=1)
                strongest = responses.masked_fill(~mask.unsqueeze(1), float("-inf")).amax(2)
                pooled = torch.cat([pooled, strongest], dim=1)
            return self.head(self.head_dropout(pooled))

    twin = TorchClassifier()
    state = {name: torch.tensor(tensor.numpy()) for name, tensor in model.state_dict().items()}
    twin.load_state_dict(state, strict=True)
    return twin
