"""Quantization-aware training: train through the rounding the int8 model will do.

Post-training quantization rounds weights the training never saw rounded.  QAT replaces each layer
by a twin whose forward *fake-quantizes*: it rounds its weight (per row) and its input (per batch) to
the same int8 grids as the int8 layers, but keeps computing in floats::

    y = linear(fq(x), fq_rows(W), b)         fq(v) = s * clip(round(v / s), -127, 127),  s = max|v| / 127

``round`` has derivative 0 almost everywhere, so the backward uses the straight-through estimator:
the gradient passes through ``fq`` unchanged (nothing is ever clipped, since s covers max|v|).  The
weights then drift to values that survive the rounding, and ``convert`` turns the trained twins
into the int8 layers of ``modules.py``, which compute what the training saw (up to float rounding).

    model = prepare_qat(model)      # nn.Linear -> QATLinear, nn.Embedding -> QATEmbedding,
                                    # nn.MultiheadAttention -> QATMultiheadAttention (same parameters)
    ... train as usual ...
    model = convert(model)          # -> QuantizedLinear, QuantizedEmbedding, QuantizedMultiheadAttention

The twins hold the same Parameters under the same names, so a float state dict loads into them.
"""
from minigrad.nn import functional as F
from minigrad.nn.layers.attention import MultiheadAttention
from minigrad.nn.layers.embedding import Embedding
from minigrad.nn.layers.linear import Linear
from minigrad.nn.module import Module
from minigrad.quantization.functional import fake_quantize_symmetric


class QATLinear(Linear):
    """``Linear`` computing ``linear(fq(x), fq_rows(weight), bias)``."""

    @classmethod
    def from_float(cls, linear):
        return _twin(cls, linear)

    def forward(self, x):
        return F.linear(fake_quantize_symmetric(x), fake_quantize_symmetric(self.weight, axis=0), self.bias)


class QATEmbedding(Embedding):
    """``Embedding`` reading rows of ``fq_rows(weight)``."""

    @classmethod
    def from_float(cls, embedding):
        return _twin(cls, embedding)

    def forward(self, indices):
        return F.embedding(indices, fake_quantize_symmetric(self.weight, axis=0), self.padding_idx)


class QATMultiheadAttention(MultiheadAttention):
    """``MultiheadAttention`` with fake-quantized input projections; ``out_proj`` is a ``QATLinear``."""

    @classmethod
    def from_float(cls, attention):
        twin = _twin(cls, attention)
        if isinstance(attention.out_proj, Linear):   # (anything else: prepare_qat converts its layers)
            twin.out_proj = QATLinear.from_float(attention.out_proj)
        return twin

    def _project(self, x, which: int):
        rows = slice(which * self.embed_dim, (which + 1) * self.embed_dim)
        bias = None if self.in_proj_bias is None else self.in_proj_bias[rows]
        return F.linear(fake_quantize_symmetric(x), fake_quantize_symmetric(self.in_proj_weight[rows], axis=0), bias)


def _twin(cls, layer):
    """A ``cls`` sharing ``layer``'s parameters, buffers and settings (no new weights are drawn)."""
    twin = cls.__new__(cls)
    Module.__init__(twin)
    for name, value in layer.__dict__.items():
        if name not in ("_parameters", "_buffers", "_modules", "_non_persistent_buffers", "_forward_pre_hooks",
                        "_forward_hooks"):
            object.__setattr__(twin, name, value)
    twin._parameters.update(layer._parameters)
    twin._buffers.update(layer._buffers)
    twin._modules.update(layer._modules)
    twin._non_persistent_buffers.update(layer._non_persistent_buffers)
    return twin
