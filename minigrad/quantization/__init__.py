"""``minigrad.quantization``: int8 models, after training or trained for it (as ``torch.ao.quantization``).

Post-training dynamic quantization, in one line::

    small = quantize_dynamic(model)       # Linear, Conv1d, Embedding, MultiheadAttention -> int8 layers (a copy)

* weights: symmetric int8 with one scale per output row (``weight ~ scale[:, None] * q``, |error| <= scale/2);
* activations: quantized as they come, one scale per batch ("dynamic");
* the products: int8 x int8 summed in int32, exactly -- NumPy on the CPU, a hand-written int8 CUDA kernel on the
  GPU (``kernels/quantized.py``); the formulas and their derivatives are in ``minigrad/ops/quantized.py``.

Quantization-aware training: ``prepare_qat(model)``, train, ``convert(model)`` (``qat.py``), with PyTorch's
``fake_quantize_per_tensor_affine`` / ``fake_quantize_per_channel_affine`` and the straight-through estimator.

Files: ``functional.py`` (the functions), ``modules.py`` (the int8 layers), ``qat.py`` (their trainable twins),
``convert.py`` (swapping a model's layers).
"""
from minigrad.quantization.convert import convert, prepare_qat, quantize_dynamic
from minigrad.quantization.functional import (dequantize_per_channel, fake_quantize_per_channel_affine,
                                              fake_quantize_per_tensor_affine, fake_quantize_symmetric, int8_linear,
                                              quantize_per_channel_symmetric)
from minigrad.quantization.modules import (QuantizedConv1d, QuantizedEmbedding, QuantizedLinear,
                                          QuantizedMultiheadAttention)
from minigrad.quantization.qat import QATEmbedding, QATLinear, QATMultiheadAttention

__all__ = ["quantize_dynamic", "prepare_qat", "convert", "int8_linear", "quantize_per_channel_symmetric",
           "dequantize_per_channel", "fake_quantize_per_tensor_affine", "fake_quantize_per_channel_affine",
           "fake_quantize_symmetric", "QuantizedLinear", "QuantizedConv1d", "QuantizedEmbedding",
           "QuantizedMultiheadAttention",
           "QATLinear", "QATEmbedding", "QATMultiheadAttention"]
