"""Swapping a model's layers for their quantized (or quantization-aware) versions.

``quantize_dynamic(model)`` is PyTorch's post-training "dynamic" quantization: weights to int8 once,
activations quantized per batch as they come.  ``prepare_qat`` / ``convert`` are the two ends of
quantization-aware training (``qat.py``).  All three walk the model and replace each child whose
*exact* type is in the mapping (so a layer already converted is left alone); by default they return
a converted copy and leave ``model`` as it was (``inplace=True`` changes ``model`` itself).

One difference from PyTorch: there, dynamic quantization covers ``Linear`` (and recurrent layers)
but leaves ``MultiheadAttention``'s fused input projection, ``Embedding`` and convolutions in floats
(embeddings need a separate weight-only config); minigrad's default covers them all (``Conv1d`` too,
as a linear layer over each window), because in a small Transformer the embedding is most of the
bytes, and the sentiment model's n-gram filters are the next largest part.
"""
import copy

from minigrad import dtypes
from minigrad.nn.layers.attention import MultiheadAttention
from minigrad.nn.layers.conv import Conv1d
from minigrad.nn.layers.embedding import Embedding
from minigrad.nn.layers.linear import Linear
from minigrad.quantization.modules import (QuantizedConv1d, QuantizedEmbedding, QuantizedLinear,
                                          QuantizedMultiheadAttention)
from minigrad.quantization.qat import QATEmbedding, QATLinear, QATMultiheadAttention

QUANTIZED = {Linear: QuantizedLinear, Conv1d: QuantizedConv1d, Embedding: QuantizedEmbedding,
             MultiheadAttention: QuantizedMultiheadAttention}
QAT = {Linear: QATLinear, Embedding: QATEmbedding, MultiheadAttention: QATMultiheadAttention}
FROM_QAT = {QATLinear: QuantizedLinear, QATEmbedding: QuantizedEmbedding, QATMultiheadAttention: QuantizedMultiheadAttention}


def quantize_dynamic(model, qconfig_spec=None, dtype=dtypes.int8, inplace=False):
    """``model`` with every ``Linear``, ``Conv1d``, ``Embedding`` and ``MultiheadAttention`` (or only the types in
    ``qconfig_spec``) replaced by its int8 version.  ``dtype``: int8 (the only one; PyTorch's ``qint8``)."""
    if dtype not in (dtypes.int8, "qint8"):
        raise ValueError(f"quantize_dynamic: minigrad quantizes to int8 only, got dtype={dtype}")
    mapping = QUANTIZED if qconfig_spec is None else {kind: QUANTIZED[kind] for kind in _types(qconfig_spec)}
    return _swap(model if inplace else copy.deepcopy(model), mapping)


def prepare_qat(model, inplace=False):
    """``model`` with its layers replaced by quantization-aware twins (same parameters), ready to train."""
    model = _swap(model if inplace else copy.deepcopy(model), QAT)
    return model.train()


def convert(model, inplace=False):
    """``model`` with its quantization-aware (and any remaining float) layers replaced by int8 layers."""
    return _swap(model if inplace else copy.deepcopy(model), {**FROM_QAT, **QUANTIZED})


def _types(qconfig_spec):
    kinds = set(qconfig_spec)
    unknown = [kind for kind in kinds if kind not in QUANTIZED]
    if unknown:
        raise ValueError(f"quantize_dynamic: cannot quantize {', '.join(getattr(k, '__name__', repr(k)) for k in unknown)}"
                         f"; choose among {', '.join(k.__name__ for k in QUANTIZED)}")
    return kinds


def _swap(module, mapping):
    """``module`` with every descendant whose exact type is in ``mapping`` replaced (the layers a new layer
    kept from the old one, e.g. a factorized ``out_proj`` inside an attention layer, are converted too)."""
    if type(module) in mapping:   # the model itself is one layer
        module = mapping[type(module)].from_float(module)
    for name, child in list(module.named_children()):
        if type(child) in mapping:
            child = mapping[type(child)].from_float(child)
            setattr(module, name, child)
        _swap(child, mapping)
    return module
