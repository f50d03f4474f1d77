"""``minigrad.nn``: building blocks for neural networks, named as in ``torch.nn``.

* ``Module`` / ``Parameter``: the base class of every model and its learnable tensors;
* layers: ``Linear``, ``Embedding``, ``LayerNorm``, ``Dropout``, activations, ``Flatten`` / ``Unflatten``,
  ``Sequential`` / ``ModuleList`` / ``ModuleDict``, ``ParameterList`` / ``ParameterDict``,
  ``MultiheadAttention``, ``TransformerEncoderLayer`` / ``TransformerEncoder``;
* losses: ``MSELoss``, ``L1Loss``, ``SmoothL1Loss``, ``HuberLoss``, ``CrossEntropyLoss``, ``NLLLoss``,
  ``BCELoss``, ``BCEWithLogitsLoss``, ``KLDivLoss``;
* ``nn.functional`` (as ``F``): the same computations as plain functions;
* ``nn.init``: weight initialisation;
* ``nn.utils``: ``clip_grad_norm_``, ``clip_grad_value_``, ``parameters_to_vector``, ``vector_to_parameters``,
  and ``nn.utils.prune`` (pruning with a mask re-applied before every forward);
* ``nn.parallel``: ``DistributedDataParallel`` (several processes, gradients averaged; ``minigrad.distributed``).
"""
from minigrad.nn import functional, init, utils
from minigrad.nn import parallel
from minigrad.nn.layers import (
    GELU,
    Dropout,
    Embedding,
    Identity,
    LayerNorm,
    Linear,
    LogSoftmax,
    ModuleList,
    MultiheadAttention,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from minigrad.nn.layers import (
    ELU,
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Flatten,
    Hardtanh,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    LeakyReLU,
    Mish,
    ModuleDict,
    MSELoss,
    NLLLoss,
    ParameterDict,
    ParameterList,
    ReLU6,
    SiLU,
    SmoothL1Loss,
    Softplus,
    Unflatten,
)
from minigrad.nn.layers import (  # convolutional networks
    AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, Dropout2d, MaxPool2d)
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter

__all__ = [
    "functional", "init", "utils", "Module", "Parameter", "Linear", "Identity", "Embedding", "LayerNorm", "Dropout",
    "ReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "LogSoftmax", "Sequential", "ModuleList",
    "MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder",
    "LeakyReLU", "ELU", "SiLU", "Mish", "Softplus", "Hardtanh", "ReLU6", "Flatten", "Unflatten", "ModuleDict",
    "ParameterList", "ParameterDict", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss",
    "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "KLDivLoss",
    "Conv1d", "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm1d", "BatchNorm2d", "Dropout2d",
    "parallel",
]
