"""minigrad: a small, readable deep learning engine with a PyTorch-shaped API.

    import minigrad as mg
    x = mg.tensor([[1.0, 2.0]], requires_grad=True)
    y = (x @ x.T).sum()
    y.backward()
    x.grad            # tensor([[2., 4.]])
"""
from minigrad import dtypes as _dtypes
from minigrad.dtypes import (float16, float32, float64, uint8, int8, int16, int32, int64, bfloat16,
                             get_default_dtype, set_default_dtype, result_type)
from minigrad.dtypes import bool_ as bool  # noqa: A001  (mg.bool, as torch.bool)
from minigrad.backends import device, set_default_device, get_default_device
from minigrad.tensor import Tensor
from minigrad.creation import (tensor, as_tensor, from_numpy, zeros, ones, empty, full, eye, zeros_like, ones_like,
                               empty_like, full_like, arange, linspace, randn, rand, randint, randperm, randn_like,
                               rand_like, randint_like, FloatTensor, DoubleTensor, HalfTensor, LongTensor,
                               IntTensor, ShortTensor, ByteTensor, BoolTensor)
from minigrad.random import manual_seed, seed, initial_seed, get_rng_state, set_rng_state, Generator
from minigrad.autograd import no_grad, enable_grad, is_grad_enabled, set_grad_enabled, inference_mode, capture_step
from minigrad.functions import (where, maximum, minimum, matmul, dot, cross, cat, concat, stack, exp, log, sqrt,
                                abs, clamp, sum, mean, argmax, relu, sigmoid, tanh, softmax, transpose, reshape,
                                flatten, allclose)
# more of torch's math (issue 9)
from minigrad.creation import normal, multinomial
from minigrad.functions import (sin, cos, tan, asin, acos, atan, sinh, cosh, atan2, arcsin, arccos, arctan, arctan2,
                                exp2, expm1, log1p, log2, log10, erf, sign, floor, ceil, round, trunc, fix, frac,
                                reciprocal, rsqrt, square, neg, negative, add, sub, mul, div, pow, multiply, divide,
                                subtract, true_divide, clip, log_softmax, masked_fill, lerp, addcmul, addcdiv,
                                nan_to_num, isnan, isinf, isposinf, isneginf, isfinite, eq, ne, lt, le, gt, ge,
                                greater, greater_equal, less, less_equal, not_equal, logical_not, logical_and,
                                logical_or, logical_xor, equal, isclose, allclose, is_tensor, is_floating_point, numel,
                                max, min, amax, amin, argmin, all, any, prod, var, std, var_mean, std_mean, norm,
                                logsumexp, cumsum, cumprod, count_nonzero, tril, triu, diagonal, diag, trace, narrow,
                                select, split, chunk, unbind, squeeze, unsqueeze, permute, hstack, vstack, row_stack,
                                dstack, broadcast_shapes, broadcast_to, broadcast_tensors, roll, flip, fliplr, flipud,
                                tile, repeat_interleave, gather, scatter, scatter_add, index_select, masked_select,
                                index_add, index_fill, index_copy, nonzero, argwhere, argsort, sort, msort, topk,
                                unique, outer, ger, mm, bmm, mv, addmm, einsum)
from minigrad import autograd, linalg, cuda
from minigrad import nn, optim
from minigrad import quantization
from minigrad.quantization.functional import fake_quantize_per_tensor_affine, fake_quantize_per_channel_affine
from minigrad import utils
from minigrad import distributed  # torch.distributed: MPI is loaded only by init_process_group
from minigrad.serialization import save, load

float = float32  # noqa: A001
double = float64
half = float16
long = int64
int = int32  # noqa: A001  (as torch.int)
short = int16

__version__ = "0.1.0"
