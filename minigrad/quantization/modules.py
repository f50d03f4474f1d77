"""The int8 layers: ``QuantizedLinear``, ``QuantizedConv1d``, ``QuantizedEmbedding``, ``QuantizedMultiheadAttention``.

Each stores its weight as int8 with one float32 scale per row (``weight ~ weight_scale[:, None] * weight``)
in buffers, so the state dict -- and the file it is saved to -- holds one byte per weight::

    QuantizedLinear       weight (out, in) int8, weight_scale (out,), bias (out,)       dynamic: the input
                          is quantized per batch and the product summed in int32 (int8_linear)
    QuantizedConv1d       weight (out, in, k) int8, weight_scale (out,), bias (out,)   dynamic, as Linear:
                          each output position is a linear layer over its window of k inputs
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


class QuantizedConv1d(Module):
    """A 1-D convolution (groups 1, zero padding) on the int8 linear layer.  For x (N, C, L), kernel k::

        windows[n, t, (c, i)] = x_padded[n, c, t*stride + i*dilation]          (N, L_out, C*k)
        y[n, o, t] = int8_linear(windows, weight.reshape(O, C*k))[n, t, o]       (+ bias[o])

    -- the convolution is a linear layer applied to every window, so the window of each output position is
    quantized with the batch's one scale and multiplied by the int8 filters in int32, as in ``QuantizedLinear``."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, bias=True,
                 device="cpu"):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.register_buffer("weight", mg.zeros(out_channels, in_channels, kernel_size, dtype=mg.int8, device=device))
        self.register_buffer("weight_scale", mg.ones(out_channels, device=device))
        self.register_buffer("bias", mg.zeros(out_channels, device=device) if bias else None)

    @classmethod
    def from_float(cls, conv):
        padding = (0,) if conv.padding == "valid" else conv.padding
        if conv.groups != 1 or conv.padding_mode != "zeros" or isinstance(padding, str):
            raise ValueError(f"quantize_dynamic: the int8 Conv1d takes groups=1 and numeric zero padding, not "
                             f"groups={conv.groups}, padding={conv.padding!r}, padding_mode={conv.padding_mode!r}; "
                             "leave this layer in floats with qconfig_spec={nn.Linear, nn.Embedding, "
                             "nn.MultiheadAttention}")
        layer = cls(conv.in_channels, conv.out_channels, conv.kernel_size[0], conv.stride[0], padding[0],
                    conv.dilation[0], conv.bias is not None, device=conv.weight.device)
        _store_weight(layer, "weight", conv.weight)
        if conv.bias is not None:
            layer.bias = conv.bias.detach().float().clone()
        return layer

    def forward(self, x):
        batched = x.ndim == 3
        x = x if batched else x.unsqueeze(0)
        if self.padding:
            x = mg.nn.functional.pad(x, (self.padding, self.padding))
        n, c, length = x.shape
        span = self.dilation * (self.kernel_size - 1) + 1
        if length < span:
            raise RuntimeError(f"QuantizedConv1d: the input has {length} positions (padding included), fewer than "
                               f"the kernel's span of {span}")
        starts = mg.arange(0, length - span + 1, self.stride, device=x.device)
        taps = mg.arange(self.kernel_size, device=x.device) * self.dilation
        windows = x[:, :, starts.unsqueeze(1) + taps]                          # (N, C, L_out, k)
        windows = windows.permute(0, 2, 1, 3).reshape(n, len(starts), c * self.kernel_size)
        filters = self.weight.reshape(self.out_channels, c * self.kernel_size)
        y = int8_linear(windows, filters, self.weight_scale, self.bias).transpose(1, 2)   # (N, O, L_out)
        return y if batched else y.squeeze(0)

    def dequantized_weight(self):
        return dequantize_per_channel(self.weight, self.weight_scale)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, int8 per-filter weights, activations per batch")


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
