"""minigrad: a small, readable deep learning engine with a PyTorch-shaped API.

    import minigrad as mg
    x = mg.tensor([[1.0, 2.0]], requires_grad=True)
    y = (x @ x.T).sum()
    y.backward()
    x.grad            # tensor([[2., 4.]])
"""
from minigrad import dtypes as _dtypes
from minigrad.dtypes import float32, float64, int64
from minigrad.dtypes import bool_ as bool  # noqa: A001  (mg.bool, as torch.bool)
from minigrad.tensor import Tensor
from minigrad.creation import (tensor, zeros, ones, empty, full, zeros_like, ones_like, empty_like, full_like,
                               arange, linspace, randn, rand, randint, randperm, randn_like, rand_like)
from minigrad.random import manual_seed
from minigrad.autograd import no_grad, enable_grad, is_grad_enabled
from minigrad.functions import (where, maximum, minimum, matmul, dot, cross, cat, concat, stack, exp, log, sqrt,
                                abs, clamp, sum, mean, argmax, relu, sigmoid, tanh, softmax, transpose, reshape,
                                flatten, allclose)
from minigrad import autograd, linalg, cuda
from minigrad import nn, optim
from minigrad.serialization import save, load

float = float32  # noqa: A001
double = float64
long = int64

__version__ = "0.1.0"
