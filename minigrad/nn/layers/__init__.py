"""The layers of ``minigrad.nn``, one small file per family."""
from minigrad.nn.layers.activation import GELU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from minigrad.nn.layers.attention import MultiheadAttention
from minigrad.nn.layers.container import ModuleList, Sequential
from minigrad.nn.layers.dropout import Dropout, Dropout2d
from minigrad.nn.layers.embedding import Embedding
from minigrad.nn.layers.linear import Identity, Linear
from minigrad.nn.layers.normalization import LayerNorm
from minigrad.nn.layers.transformer import TransformerEncoder, TransformerEncoderLayer
from minigrad.nn.layers.activation import ELU, Hardtanh, LeakyReLU, Mish, ReLU6, SiLU, Softplus
from minigrad.nn.layers.container import ModuleDict, ParameterDict, ParameterList
from minigrad.nn.layers.flatten import Flatten, Unflatten
from minigrad.nn.layers.loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss,
                                     MSELoss, NLLLoss, SmoothL1Loss)
from minigrad.nn.layers.conv import Conv1d, Conv2d
from minigrad.nn.layers.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from minigrad.nn.layers.batchnorm import BatchNorm1d, BatchNorm2d
