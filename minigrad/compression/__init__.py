"""``minigrad.compression``: making a trained model cheaper (the pieces PyTorch has no module for).

* ``distillation``: the knowledge-distillation loss (a student learns from a teacher's softened probabilities);
* ``low_rank``: a ``Linear`` (or ``Embedding``) replaced by two smaller ones through a truncated SVD;
* ``sizes``: parameter counts and bytes, the zeros pruning left.

Quantization is ``minigrad.quantization`` and pruning ``minigrad.nn.utils.prune`` (PyTorch's places).
``python -m minigrad.sentiment compress RUN`` applies each to a trained classifier; lesson 14 compares them.
"""
from minigrad.compression.distillation import distillation_loss, soften

__all__ = ["distillation_loss", "soften"]
