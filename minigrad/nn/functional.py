"""``minigrad.nn.functional`` (import it as ``F``): activations, losses and layers as functions.

Each function checks its arguments, then calls one op (``minigrad/ops``) whose docstring
derives the forward formula and its gradient.
"""
import numpy as np

from minigrad import dtypes
from minigrad.ops import activations, dropout as dropout_op, embedding as embedding_op, losses
from minigrad.ops import matmul as matmul_op, normalization, softmax as softmax_op
from minigrad.ops.losses import check_reduction
from minigrad.random import generator
from minigrad.tensor import Tensor


# ---------------------------------------------------------------------- activations
def relu(x):
    """max(0, x)."""
    return activations.ReLU.apply(x)


def sigmoid(x):
    """1 / (1 + e^-x), exact and finite for any x."""
    return activations.Sigmoid.apply(x)


def tanh(x):
    return activations.Tanh.apply(x)


def gelu(x, approximate="none"):
    """x * Phi(x) (``approximate="tanh"``: the tanh approximation)."""
    return activations.GELU.apply(x, approximate)


def softmax(x, dim=-1):
    """e^{x_i} / sum_j e^{x_j} along ``dim``."""
    return softmax_op.Softmax.apply(x, dim)


def log_softmax(x, dim=-1):
    """x_i - log sum_j e^{x_j} along ``dim`` (log-sum-exp: never overflows)."""
    return softmax_op.LogSoftmax.apply(x, dim)


# ---------------------------------------------------------------------- layers
def linear(x, weight, bias=None):
    """y = x W^T + b."""
    return matmul_op.Linear.apply(x, weight, bias)


def dropout(x, p=0.5, training=True):
    """Zero each element with probability p and scale the rest by 1/(1-p) (only in training)."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0
    keep = generator().random(x.shape, dtype=np.float32) >= p
    return dropout_op.Dropout.apply(x, x._backend.asarray(keep), p)


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last ``len(normalized_shape)`` axes, then scale by weight and shift by bias."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if x.shape[x.ndim - len(normalized_shape):] != normalized_shape:
        raise RuntimeError(f"layer_norm: input shape {x.shape} does not end with normalized_shape {normalized_shape}")
    return normalization.LayerNorm.apply(x, weight, bias, len(normalized_shape), eps)


def embedding(indices, weight, padding_idx=None):
    """Row ``indices[...]`` of ``weight``; the ``padding_idx`` row receives no gradient."""
    if not isinstance(indices, Tensor):
        indices = Tensor._wrap(weight._backend.asarray(np.asarray(indices, dtype=np.int64)), weight.device)
    if indices.dtype != dtypes.int64:
        raise TypeError(f"embedding: indices must be int64 (got {indices.dtype}); use .long()")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]  # as in PyTorch: -1 is the last row
    return embedding_op.Embedding.apply(indices, weight, padding_idx)


# ---------------------------------------------------------------------- losses
def mse_loss(input, target, reduction="mean"):
    """mean (x - t)^2."""
    check_reduction(reduction)
    return losses.MSELoss.apply(input, target, reduction)


def cross_entropy(input, target, ignore_index=-100, label_smoothing=0.0, reduction="mean"):
    """-log softmax(x)[t] from logits (N, C) (or (C,), or (N, C, d1, ...)) and int64 class indices."""
    check_reduction(reduction)
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    if target.dtype != dtypes.int64:
        raise TypeError(f"cross_entropy: target must hold int64 class indices (got {target.dtype}); use .long()")
    if input.ndim == 1:
        input, target = input.unsqueeze(0), target.reshape(1)
        result = cross_entropy(input, target, ignore_index, label_smoothing, reduction)
        return result.reshape(()) if reduction == "none" else result
    if input.ndim > 2:  # (N, C, d1, ...) -> (N * d1 * ..., C)
        extra = input.shape[2:]
        moved = input.permute(0, *range(2, input.ndim), 1)
        result = cross_entropy(moved.reshape(-1, input.shape[1]), target.reshape(-1), ignore_index,
                               label_smoothing, reduction)
        return result.reshape((input.shape[0],) + extra) if reduction == "none" else result
    n, c = input.shape
    if target.shape != (n,):
        raise RuntimeError(f"cross_entropy: logits of shape {input.shape} need targets of shape ({n},), got {target.shape}")
    t = target.numpy()
    bad = (t != ignore_index) & ((t < 0) | (t >= c))
    if bad.any():
        raise IndexError(f"cross_entropy: target {int(t[bad][0])} is not a class index in [0, {c})")
    return losses.CrossEntropy.apply(input, target, ignore_index, label_smoothing, reduction)


def nll_loss(log_probs, target, ignore_index=-100, reduction="mean"):
    """-log_probs[t] averaged; equals cross_entropy when log_probs = log_softmax(logits)."""
    check_reduction(reduction)
    picked = log_probs[Tensor._wrap(log_probs._backend.xp.arange(log_probs.shape[0]), log_probs.device), target]
    keep = (target != ignore_index).float() if log_probs.dtype == dtypes.float32 else (target != ignore_index).double()
    losses_ = -picked * keep
    if reduction == "none":
        return losses_
    return losses_.sum() if reduction == "sum" else losses_.sum() / max(keep.sum().item(), 1)


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    """-y log s(x) - (1-y) log(1 - s(x)), computed stably from the logit x."""
    check_reduction(reduction)
    if input.shape != target.shape:
        raise RuntimeError(f"binary_cross_entropy_with_logits: input shape {input.shape} and target shape "
                           f"{target.shape} differ")
    return losses.BCEWithLogits.apply(input, target, reduction)


def hinge_loss(scores, y, reduction="mean"):
    """mean of max(0, 1 - y * s) for labels y in {-1, +1}."""
    check_reduction(reduction)
    if scores.shape != y.shape:
        raise RuntimeError(f"hinge_loss: scores shape {scores.shape} and labels shape {y.shape} differ")
    values = np.unique(y.numpy())
    if not set(values.tolist()) <= {-1, 1}:
        raise ValueError(f"hinge_loss: labels must be -1 or +1, got values {values.tolist()[:5]}")
    return losses.HingeLoss.apply(scores, y, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, reduction="mean"):
    """(1/C) sum_{j != t} max(0, margin - x_t + x_j)^p, averaged over the batch (PyTorch semantics)."""
    check_reduction(reduction)
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: p must be 1 or 2, got {p}")
    if input.ndim == 1:
        input, target = input.unsqueeze(0), target.reshape(1)
    if target.shape != (input.shape[0],):
        raise RuntimeError(f"multi_margin_loss: input {input.shape} needs targets of shape ({input.shape[0]},), "
                           f"got {target.shape}")
    return losses.MultiMarginLoss.apply(input, target, p, margin, reduction)


# ---------------------------------------------------------------------- convolutional networks (functional_conv.py)
from minigrad.nn.functional_conv import (  # noqa: E402
    adaptive_avg_pool2d, avg_pool2d, batch_norm, conv1d, conv2d, dropout2d, fold, max_pool2d, unfold)
