"""The int8 layers: ``QuantizedLinear``, ``QuantizedEmbedding``, ``QuantizedMultiheadAttention``.

Each stores its weight as int8 with one float32 scale per row (``weight ~ weight_scale[:, None] * weight``)
in buffers, so the state dict -- and the file it is saved to -- holds one byte per weight::

    QuantizedLinear       weight (out, in) int8, weight_scale (out,), bias (out,)       dynamic: the input
                          is quantized per batch and the product summed in int32 (int8_linear)
    QuantizedEmbedding    weight (rows, dim) int8, weight_scale (rows,)                 weight only: a
                          lookup dequantizes just the rows it reads
    QuantizedMultiheadAttention  in_proj_weight (3E, E) int8 + in_proj_weight_scale, in_proj_bias, and
                          out_proj a QuantizedLinear; the attention itself stays in floats

``from_float(layer)`` quantizes a trained float layer (or its quantization-aware twin from ``qat.py``).
These layers are for inference: their integers are not trained (a gradient still reaches the *input*
of an int8 linear layer, through the straight-through estimator, so saliency maps work).
"""
import minigrad as mg
from minigrad.nn.layers.attention import MultiheadAttention
from minigrad.nn.layers.linear import Linear
from minigrad.nn.module import Module
from minigrad.quantization.functional import dequantize_per_channel, int8_linear, quantize_per_channel_symmetric


class QuantizedLinear(Module):
    """``y = int8(x) @ weight^T * (s_x * weight_scale) + bias`` with int32 sums (see ``int8_linear``)."""

    def __init__(self, in_features, out_features, bias=True, device="cpu"):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.register_buffer("weight", mg.zeros(out_features, in_features, dtype=mg.int8, device=device))
        self.register_buffer("weight_scale", mg.ones(out_features, device=device))
        self.register_buffer("bias", mg.zeros(out_features, device=device) if bias else None)

    @classmethod
    def from_float(cls, linear):
        layer = cls(linear.in_features, linear.out_features, linear.bias is not None, device=linear.weight.device)
        _store_weight(layer, "weight", linear.weight)
        if linear.bias is not None:
            layer.bias = linear.bias.detach().float().clone()
        return layer

    def forward(self, x):
        return int8_linear(x, self.weight, self.weight_scale, self.bias)

    def dequantized_weight(self):
        return dequantize_per_channel(self.weight, self.weight_scale)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}, "
                "int8 per-row weights, activations per batch")


class QuantizedEmbedding(Module):
    """Row ``i`` is ``weight_scale[i] * weight[i]``: int8 rows, each with its own scale."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, device="cpu"):
        super().__init__()
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        self.register_buffer("weight", mg.zeros(num_embeddings, embedding_dim, dtype=mg.int8, device=device))
        self.register_buffer("weight_scale", mg.ones(num_embeddings, device=device))

    @classmethod
    def from_float(cls, embedding):
        layer = cls(embedding.num_embeddings, embedding.embedding_dim, embedding.padding_idx,
                    device=embedding.weight.device)
        _store_weight(layer, "weight", embedding.weight)
        return layer

    def forward(self, indices):
        if not isinstance(indices, mg.Tensor):
            indices = mg.tensor(indices, device=self.weight.device)
        indices = indices.long()
        return self.weight[indices].to(self.weight_scale.dtype) * self.weight_scale[indices].unsqueeze(-1)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "") + ", int8 rows"


class QuantizedMultiheadAttention(MultiheadAttention):
    """``MultiheadAttention`` whose three input projections and output projection are int8 linear layers."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, batch_first=False, device="cpu"):
        Module.__init__(self)   # not MultiheadAttention.__init__: it would make float weights only to drop them
        if embed_dim % num_heads != 0:
            raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout, self.batch_first = dropout, batch_first
        self.register_buffer("in_proj_weight", mg.zeros(3 * embed_dim, embed_dim, dtype=mg.int8, device=device))
        self.register_buffer("in_proj_weight_scale", mg.ones(3 * embed_dim, device=device))
        self.register_buffer("in_proj_bias", mg.zeros(3 * embed_dim, device=device) if bias else None)
        self.out_proj = QuantizedLinear(embed_dim, embed_dim, bias, device=device)

    @classmethod
    def from_float(cls, attention):
        layer = cls(attention.embed_dim, attention.num_heads, attention.dropout, attention.in_proj_bias is not None,
                    attention.batch_first, device=attention.in_proj_weight.device)
        _store_weight(layer, "in_proj_weight", attention.in_proj_weight)
        if attention.in_proj_bias is not None:
            layer.in_proj_bias = attention.in_proj_bias.detach().float().clone()
        out_proj = attention.out_proj   # (a factorized out_proj is kept: quantize_dynamic converts its layers)
        layer.out_proj = QuantizedLinear.from_float(out_proj) if isinstance(out_proj, Linear) else out_proj
        return layer

    def _project(self, x, which: int):
        rows = slice(which * self.embed_dim, (which + 1) * self.embed_dim)
        bias = None if self.in_proj_bias is None else self.in_proj_bias[rows]
        return int8_linear(x, self.in_proj_weight[rows], self.in_proj_weight_scale[rows], bias)


def _store_weight(layer, name, weight):
    q, scale = quantize_per_channel_symmetric(weight)
    setattr(layer, name, q)
    setattr(layer, name + "_scale", scale.float())
