"""``minigrad.compression``: making a trained model cheaper (the pieces PyTorch has no module for).

* ``distillation``: the knowledge-distillation loss (a student learns from a teacher's softened probabilities);
* ``low_rank``: a ``Linear`` (or ``Embedding``) replaced by two thin ones through a truncated SVD;
* ``structure``: the recorded compression steps, to rebuild a compressed model before loading its weights;
* ``sizes``: numbers, non-zeros and bytes of a model.

Quantization is ``minigrad.quantization`` and pruning ``minigrad.nn.utils.prune`` (PyTorch's places).
``python -m minigrad.sentiment compress RUN`` applies each to a trained classifier; lesson 14 compares them.
"""
from minigrad.compression.distillation import distillation_loss, soften
from minigrad.compression.low_rank import (LowRankEmbedding, LowRankLinear, choose_rank, empty_factorized, factorize,
                                           low_rank_embedding, low_rank_linear)
from minigrad.compression.sizes import nonzero_count, parameter_count, state_bytes
from minigrad.compression.structure import rebuild

__all__ = ["distillation_loss", "soften", "LowRankLinear", "LowRankEmbedding", "low_rank_linear",
           "low_rank_embedding", "choose_rank", "factorize", "empty_factorized", "rebuild", "state_bytes",
           "parameter_count", "nonzero_count"]
