"""``minigrad.nn.functional`` (import it as ``F``): activations, losses and layers as functions,
with PyTorch's names, arguments and defaults.

Each function checks its arguments, then calls one op (``minigrad/ops``) whose docstring
derives the forward formula and its gradient, or composes a few ops (attention, the weighted and
soft-target cross-entropies), whose gradient autograd then derives.  ``inplace=True`` (where
PyTorch has it) writes the result into the input's storage (``autograd/inplace.py``).
"""
import math
import warnings

import numpy as np

from minigrad import dtypes
from minigrad.autograd import inplace as inplace_ops
from minigrad.ops import activations, dropout as dropout_op, embedding as embedding_op, losses
from minigrad.ops import matmul as matmul_op, normalization, softmax as softmax_op
from minigrad.ops import normalize as normalize_op, padding
from minigrad.ops.losses import check_reduction, legacy_reduction
from minigrad.tensor import Tensor, check_broadcastable


def _maybe_in_place(input, inplace, name, compute):
    """``compute(input)``; with ``inplace=True`` the result is written into ``input``'s own storage
    (PyTorch's ``F.relu(x, inplace=True)``, ``x.relu_()``: see autograd/inplace.py for the rules)."""
    return inplace_ops.apply(input, name, compute) if inplace else compute(input)


def _check_floating(name, x):
    if not dtypes.is_floating(x.dtype):
        raise TypeError(f"{name}: expected a floating-point tensor, got dtype {x.dtype}; convert it with .float()")


# ---------------------------------------------------------------------- activations
def relu(input, inplace=False):
    """max(0, x)."""
    return _maybe_in_place(input, inplace, "relu_", activations.ReLU.apply)


def relu_(input):
    return relu(input, inplace=True)


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


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x."""
    _check_floating("leaky_relu", input)
    return _maybe_in_place(input, inplace, "leaky_relu_", lambda x: activations.LeakyReLU.apply(x, negative_slope))


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha (e^x - 1)."""
    _check_floating("elu", input)
    return _maybe_in_place(input, inplace, "elu_", lambda x: activations.ELU.apply(x, alpha))


def elu_(input, alpha=1.0):
    return elu(input, alpha, inplace=True)


def silu(input, inplace=False):
    """x * sigmoid(x) (also called swish)."""
    _check_floating("silu", input)
    return _maybe_in_place(input, inplace, "silu_", activations.SiLU.apply)


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    _check_floating("mish", input)
    return _maybe_in_place(input, inplace, "mish_", activations.Mish.apply)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold; finite for any x."""
    _check_floating("softplus", input)
    return activations.Softplus.apply(input, beta, threshold)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clamped to [min_val, max_val] (gradient 0 at and beyond the two ends)."""
    _check_floating("hardtanh", input)
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not be greater than max_val ({max_val})")
    return _maybe_in_place(input, inplace, "hardtanh_", lambda x: activations.Hardtanh.apply(x, min_val, max_val))


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    """min(max(x, 0), 6), as hardtanh(x, 0, 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


# ---------------------------------------------------------------------- layers
def linear(x, weight, bias=None):
    """y = x W^T + b."""
    return matmul_op.Linear.apply(x, weight, bias)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p) (only in training)."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0:
        return input

    def drop(x):
        if p == 1:
            return x * 0
        return dropout_op.Dropout.apply(x, p)

    return _maybe_in_place(input, inplace, "dropout_", drop)


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


# ---------------------------------------------------------------------- tensors in, tensors out
def one_hot(tensor, num_classes=-1):
    """int64 ``(*, num_classes)``: 1 at each index of ``tensor`` (int64), 0 elsewhere.  ``num_classes=-1``:
    one more than the largest index."""
    if tensor.dtype != dtypes.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor (int64), "
                           f"got {tensor.dtype}; convert it with .long()")
    xp = tensor._backend.xp
    if num_classes == -1:
        if tensor.numel() == 0:
            raise RuntimeError("one_hot: can not infer the total number of classes from an empty tensor; "
                               "pass num_classes")
        num_classes = int(tensor._array.max()) + 1
    if tensor.numel():
        if int(tensor._array.min()) < 0:
            raise RuntimeError("one_hot: class values must be non-negative")
        if int(tensor._array.max()) >= num_classes:
            raise RuntimeError(f"one_hot: class values must be smaller than num_classes ({num_classes}), "
                               f"got {int(tensor._array.max())}")
    return Tensor._wrap((tensor._array[..., None] == xp.arange(num_classes)).astype(np.int64), tensor.device)


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dims: ``pad = (left, right)`` for the last dim, then ``(top, bottom)``
    for the one before, ...  Modes: "constant" (with ``value``, default 0; negative amounts crop),
    "reflect", "replicate", "circular" (these on the last 1-3 dims of a 2-D to 5-D input, as in PyTorch)."""
    pad = tuple(int(n) for n in pad)
    if len(pad) % 2:
        raise RuntimeError(f"pad: the padding length must be divisible by 2 (one (before, after) pair per dim), "
                           f"got {len(pad)}: {pad}")
    dims = len(pad) // 2
    if dims > input.ndim:
        raise RuntimeError(f"pad: {len(pad)} padding values pad {dims} dims, but the input has only {input.ndim} "
                           f"(shape {input.shape})")
    if mode not in padding.NUMPY_MODE:
        raise NotImplementedError(f"pad: unrecognised padding mode {mode!r}; use 'constant', 'reflect', "
                                  "'replicate' or 'circular'")
    if mode != "constant":
        _check_non_constant_pad(input, pad, dims, mode, value)
    widths = [(0, 0)] * (input.ndim - dims) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(dims))]
    for (before, after), n in zip(widths, input.shape):
        if n + before + after < 0 or -before > n or -after > n:
            raise RuntimeError(f"pad: padding {pad} crops more than the input's shape {input.shape} holds")
    return padding.Pad.apply(input, widths, mode, 0 if value is None else value)


def _check_non_constant_pad(input, pad, dims, mode, value):
    if value is not None:
        raise RuntimeError(f'pad: padding mode "{mode}" doesn\'t take a value argument (only "constant" does)')
    if not (dims + 1 <= input.ndim <= dims + 2) or dims > 3:
        raise NotImplementedError(
            f"pad: {mode} padding of {dims} dims is not supported for a {input.ndim}-D input (as in PyTorch): "
            "pad the last dim of a 2-D or 3-D input, the last 2 of a 3-D or 4-D input, or the last 3 of a 4-D "
            "or 5-D input")
    if min(pad) < 0:
        raise NotImplementedError(f"pad: negative padding (cropping) is supported in 'constant' mode only, got {pad}")
    for i in range(dims):
        size = input.shape[input.ndim - 1 - i]
        before, after = pad[2 * i], pad[2 * i + 1]
        if mode == "reflect" and max(before, after) >= size:
            raise RuntimeError(f"pad: reflect padding must be smaller than the padded dim, but got padding "
                               f"{(before, after)} for a dim of size {size} (input shape {input.shape})")
        if mode == "circular" and max(before, after) > size:
            raise RuntimeError(f"pad: circular padding {(before, after)} wraps around more than once a dim of size "
                               f"{size} (input shape {input.shape})")
        if mode == "replicate" and size == 0:
            raise RuntimeError(f"pad: replicate padding needs a non-empty dim to copy, input shape {input.shape}")


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """x / max(||x||_p, eps) along ``dim`` (each slice gets unit p-norm)."""
    if out is not None:
        raise TypeError("normalize(out=...) is not supported in minigrad; use the returned tensor")
    if not (p > 0):
        raise ValueError(f"normalize: p must be positive (or math.inf), got {p}")
    _check_floating("normalize", input)
    return normalize_op.Normalize.apply(input, p, _one_dim("normalize", dim, input.ndim), eps)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along ``dim`` (x1 and x2 broadcast)."""
    from minigrad.functions import promote

    x1, x2 = promote(x1, x2)
    _check_floating("cosine_similarity", x1)
    if x1.shape != x2.shape:
        check_broadcastable("cosine_similarity", x1.shape, x2.shape)
        shape = np.broadcast_shapes(x1.shape, x2.shape)
        x1, x2 = x1.expand(shape), x2.expand(shape)
    dim = _one_dim("cosine_similarity", dim, x1.ndim)
    unit1 = normalize_op.Normalize.apply(x1, 2, dim, eps, False)   # PyTorch clamps the norms outside the graph
    unit2 = normalize_op.Normalize.apply(x2, 2, dim, eps, False)
    return (unit1 * unit2).sum(dim)


def _one_dim(name, dim, ndim):
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{name}: dim {dim} is out of range for a tensor with {ndim} dims")
    return dim % max(ndim, 1)


# ---------------------------------------------------------------------- attention
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(Q K^T * scale + mask) V for ``query (..., L, E)``, ``key (..., S, E)``, ``value (..., S, Ev)``;
    returns ``(..., L, Ev)``.  PyTorch's function, with its mask semantics:

    * ``attn_mask`` bool, broadcastable to ``(..., L, S)``: True = this key takes part in the attention;
      float: added to the scores (use -inf to forbid);
    * ``is_causal=True``: query i sees keys j <= i (no ``attn_mask`` then);
    * ``scale``: default 1 / sqrt(E);  ``dropout_p``: dropout on the weights (always applied when > 0,
      as in PyTorch: pass ``dropout_p=p if self.training else 0.0``);
    * ``enable_gqa``: grouped-query attention, ``query`` with a multiple of ``key``'s number of heads (dim -3).

    A query whose keys are all forbidden gets zero weights, so a zero output (PyTorch does the same).
    """
    return attention(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa)[0]


def attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False):
    """``scaled_dot_product_attention`` that also returns the attention weights: ``(output, weights)``,
    weights of shape ``(..., L, S)``.  The one implementation of attention in minigrad
    (``nn.MultiheadAttention`` calls it).

        scores  = Q K^T * scale  (+ float mask, or -inf where a bool mask is False)
        weights = softmax(scores, over the keys)
        output  = dropout(weights) V

    Every step is an ordinary differentiable op, so the gradient needs nothing new.
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        if t.ndim < 2:
            raise RuntimeError(f"scaled_dot_product_attention: {name} must have at least 2 dims (..., length, "
                               f"features), got shape {t.shape}")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"scaled_dot_product_attention: query (..., L, E) and key (..., S, E) need the same "
                           f"feature size E, got query {query.shape} and key {key.shape}")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: key (..., S, E) and value (..., S, Ev) need the same "
                           f"length S, got key {key.shape} and value {value.shape}")
    if is_causal and attn_mask is not None:
        raise RuntimeError("scaled_dot_product_attention: explicit attn_mask should not be set when is_causal=True "
                           "(the causal mask is built for you)")
    if not 0 <= dropout_p <= 1:
        raise ValueError(f"scaled_dot_product_attention: dropout_p must be in [0, 1], got {dropout_p}")
    if enable_gqa:
        key, value = _repeat_heads(query, key), _repeat_heads(query, value)
    length, source_length = query.shape[-2], key.shape[-2]
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = query @ key.transpose(-2, -1)
    if is_causal:
        xp = query._backend.xp
        attn_mask = Tensor._wrap(xp.tril(xp.ones((length, source_length), dtype=bool)), query.device)
    if attn_mask is None or attn_mask.dtype == dtypes.bool_:
        # scale, mask and softmax as one op (ops/softmax.py); a query that may see no key gets 0 weights
        if attn_mask is not None:
            check_broadcastable("scaled_dot_product_attention (attn_mask)", attn_mask.shape, scores.shape)
        weights = softmax_op.MaskedSoftmax.apply(scores, attn_mask, scale)
    elif dtypes.is_floating(attn_mask.dtype):
        scores = scores * scale + attn_mask.to(scores.dtype)
        nothing_to_see = (scores == float("-inf")).all(-1, keepdim=True)  # a query that may see no key
        weights = softmax(scores.masked_fill(nothing_to_see, 0.0), dim=-1).masked_fill(nothing_to_see, 0.0)
    else:
        raise TypeError(f"scaled_dot_product_attention: attn_mask must be bool (True = take part) or float "
                        f"(added to the scores), got {attn_mask.dtype}")
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return weights @ value, weights


def _repeat_heads(query, kv):
    """Grouped-query attention: repeat each of kv's heads (dim -3) so it has as many as query."""
    if query.ndim < 3 or kv.ndim < 3:
        raise RuntimeError("scaled_dot_product_attention(enable_gqa=True) needs inputs (..., heads, length, features)")
    heads, kv_heads = query.shape[-3], kv.shape[-3]
    if heads % kv_heads:
        raise RuntimeError(f"scaled_dot_product_attention: with enable_gqa=True the query's number of heads "
                           f"({heads}) must be a multiple of the key/value's ({kv_heads})")
    if heads == kv_heads:
        return kv
    grouped = kv.unsqueeze(-3).expand(*kv.shape[:-2], heads // kv_heads, *kv.shape[-2:])
    return grouped.reshape(*kv.shape[:-3], heads, *kv.shape[-2:])


# ---------------------------------------------------------------------- losses
def _loss_pair(name, input, target, warn=True):
    """input and target promoted to one dtype and, if their shapes differ but broadcast, expanded to a
    common shape, with PyTorch's warning (a mismatch such as (N, 1) against (N,) is a common bug)."""
    from minigrad.functions import promote

    if not isinstance(target, Tensor):
        raise TypeError(f"{name}: target must be a Tensor, got {type(target).__name__}")
    input, target = promote(input, target)
    if input.shape != target.shape:
        try:
            shape = np.broadcast_shapes(input.shape, target.shape)
        except ValueError:
            raise RuntimeError(f"{name}: input shape {input.shape} and target shape {target.shape} differ and do not "
                               "broadcast together; give the target the input's shape") from None
        if warn:
            warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                          "This will likely lead to incorrect results due to broadcasting. "
                          "Please ensure they have the same size.", stacklevel=3)
        input, target = input.expand(shape), target.expand(shape)
    return input, target


def _weighted(name, per_element, weight, reduction, mean="sum(w l) / sum(w)"):
    """Elementwise weights, as PyTorch's mse/l1/huber ``weight=``: "mean" is sum(w l) / sum(w)
    (huber: mean(w l), PyTorch's choice)."""
    if tuple(weight.shape) != per_element.shape:
        raise ValueError(f"{name}: weight must have the input's shape {per_element.shape}, got {tuple(weight.shape)}")
    weighted = per_element * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    return weighted.sum() / weight.sum() if mean == "sum(w l) / sum(w)" else weighted.mean()


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """mean (x - t)^2."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    input, target = _loss_pair("mse_loss", input, target)
    if weight is None:
        return losses.MSELoss.apply(input, target, reduction)
    return _weighted("mse_loss", losses.MSELoss.apply(input, target, "none"), weight, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """mean |x - t|."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    input, target = _loss_pair("l1_loss", input, target)
    if weight is None:
        return losses.L1Loss.apply(input, target, reduction)
    return _weighted("l1_loss", losses.L1Loss.apply(input, target, "none"), weight, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """mean of (x - t)^2 / (2 beta) where |x - t| < beta, |x - t| - beta / 2 elsewhere."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta, got {beta}")
    input, target = _loss_pair("smooth_l1_loss", input, target)
    return losses.SmoothL1Loss.apply(input, target, beta, 1.0, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """mean of (x - t)^2 / 2 where |x - t| < delta, delta (|x - t| - delta / 2) elsewhere."""
    check_reduction(reduction)
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta, got {delta}")
    input, target = _loss_pair("huber_loss", input, target)
    if weight is None:
        return losses.SmoothL1Loss.apply(input, target, delta, delta, reduction)
    per_element = losses.SmoothL1Loss.apply(input, target, delta, delta, "none")
    return _weighted("huber_loss", per_element, weight, reduction, mean="mean(w l)")


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL(target || exp(input)) pointwise: target * (log target - input), with ``input`` given as
    log-probabilities (``F.log_softmax``) and ``target`` as probabilities (or as log-probabilities with
    ``log_target=True``).  ``reduction="batchmean"`` (sum / batch size) is the true KL divergence."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "batchmean", "sum", "none"):
        raise ValueError(f"kl_div: reduction must be 'batchmean', 'mean', 'sum' or 'none', got {reduction!r}")
    if reduction == "mean" and size_average is None and reduce is None:
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    input, target = _loss_pair("kl_div", input, target, warn=False)   # PyTorch broadcasts kl_div silently
    count = max(input.numel(), 1)
    if reduction == "batchmean":
        reduction, count = ("mean", max(input.shape[0], 1)) if input.ndim else ("sum", 1)
    return losses.KLDiv.apply(input, target, log_target, reduction, count)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-w (t log p + (1 - t) log(1 - p)) for probabilities p (logs clamped at -100, as PyTorch)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    _check_binary_target("binary_cross_entropy", input, target)
    values = input._array
    if bool(((values < 0) | (values > 1)).any()):
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 and 1 (probabilities); "
                           "for scores (logits) use binary_cross_entropy_with_logits")
    from minigrad.functions import promote

    input, target = promote(input, target)
    weight = _constant_weight("binary_cross_entropy", "weight", weight, input)
    return losses.BCELoss.apply(input, target, weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """-w [p t log s(x) + (1 - t) log(1 - s(x))], computed stably from the logit x (p: ``pos_weight``,
    the weight of the positive term, broadcast along the last dim)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    _check_binary_target("binary_cross_entropy_with_logits", input, target)
    from minigrad.functions import promote

    input, target = promote(input, target)
    weight = _constant_weight("binary_cross_entropy_with_logits", "weight", weight, input)
    pos_weight = _constant_weight("binary_cross_entropy_with_logits", "pos_weight", pos_weight, input)
    return losses.BCEWithLogits.apply(input, target, weight, pos_weight, reduction)


def _check_binary_target(name, input, target):
    if input.shape != target.shape:
        raise RuntimeError(f"{name}: input shape {input.shape} and target shape {target.shape} differ "
                           "(PyTorch refuses this too); give the target the input's shape")
    if not dtypes.is_floating(target.dtype):
        raise TypeError(f"{name}: target must be floating point (probabilities in [0, 1]), got {target.dtype}; "
                        "convert it with .float()")


def _constant_weight(name, what, weight, input):
    """A weight that broadcasts to input's shape, in input's dtype; weights are constants (as in PyTorch)."""
    if weight is None:
        return None
    if weight.requires_grad:
        raise RuntimeError(f"{name} is not differentiable with respect to {what} (as in PyTorch); "
                           f"pass {what}.detach()")
    try:
        fits = np.broadcast_shapes(weight.shape, input.shape) == input.shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"{name}: {what} of shape {weight.shape} does not broadcast to the input's shape "
                           f"{input.shape}")
    return weight.to(input.dtype)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """Cross-entropy from logits ``(N, C)`` (or ``(C,)``, or ``(N, C, d1, ...)``), with either

    * int64 class indices ``(N,)`` (``(N, d1, ...)``): -log softmax(x)[t], rows with ``ignore_index``
      skipped; or
    * class probabilities of the input's shape (float): -sum_c t_c log softmax(x)_c.

    ``weight`` (one per class) scales each class's term; "mean" is then the weighted mean (for index
    targets) as in PyTorch.  ``label_smoothing`` eps mixes the target with the uniform distribution:
    (1 - eps) target + eps / C.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    if input.ndim == 0:
        raise RuntimeError("cross_entropy: input must have a class dim, (C,) or (N, C, ...), got a 0-d tensor")
    classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    weight = _class_weight("cross_entropy", weight, classes, input)
    if target.shape == input.shape and dtypes.is_floating(target.dtype):
        return _cross_entropy_with_probabilities(input, target, weight, reduction, label_smoothing)
    if target.dtype != dtypes.int64:
        raise TypeError(f"cross_entropy: target must hold int64 class indices (got {target.dtype}) or, for class "
                        f"probabilities, be floating point with the input's shape {input.shape}; "
                        "use .long() for indices")
    rows, row_targets, none_shape = _as_rows("cross_entropy", "logits", input, target)
    _check_class_indices("cross_entropy", row_targets, classes, ignore_index)
    if weight is None:
        result = losses.CrossEntropy.apply(rows, row_targets, ignore_index, label_smoothing, reduction)
    else:
        result = _weighted_cross_entropy(rows, row_targets, weight, ignore_index, reduction, label_smoothing)
    return result.reshape(none_shape) if reduction == "none" else result


def _weighted_cross_entropy(rows, target, weight, ignore_index, reduction, eps):
    """PyTorch's class-weighted cross-entropy: nll_loss(log_softmax(x), t, weight) and, with label smoothing,
    (1 - eps) * that + (eps / C) * the weighted smoothing term, divided by the same weighted count."""
    log_p = log_softmax(rows, dim=1)
    nll = losses.NLLLoss.apply(log_p, target, weight, ignore_index, reduction)
    if not eps:
        return nll
    ignored = (target == ignore_index).unsqueeze(1)
    smooth = -(log_p * weight).masked_fill(ignored, 0.0).sum(1)   # per row: -sum_c w_c log p_c
    if reduction == "mean":   # the weighted count of the rows that count, as NLLLoss divides by
        xp, keep = rows._backend.xp, target._array != ignore_index
        counted = float((weight._array[xp.where(keep, target._array, 0)] * keep).sum())
        smooth = smooth.sum() / (counted or 1.0)
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - eps) + smooth * (eps / rows.shape[1])


def _cross_entropy_with_probabilities(input, target, weight, reduction, eps):
    """-sum_c w_c t_c log softmax(x)_c over the class dim; "mean" divides by the number of rows
    (as PyTorch: not by the weights)."""
    class_dim = 1 if input.ndim > 1 else 0
    classes = input.shape[class_dim]
    if eps:
        target = target * (1 - eps) + eps / classes
    terms = log_softmax(input, dim=class_dim) * target
    if weight is not None:
        terms = terms * weight.reshape((classes,) + (1,) * (input.ndim - class_dim - 1))   # along the class dim
    if reduction == "none":
        return -terms.sum(class_dim)
    total = -terms.sum()
    return total if reduction == "sum" else total / max(input.numel() // max(classes, 1), 1)


def _as_rows(name, noun, input, target):
    """Class scores ``(N, C, d1, ...)`` and targets ``(N, d1, ...)`` as ``(M, C)`` rows and ``(M,)``
    targets, plus the shape a ``reduction="none"`` result takes back.  ``(C,)`` with a 0-d target is
    one row."""
    if input.ndim == 1:
        if target.numel() != 1:
            raise RuntimeError(f"{name}: {noun} of shape {input.shape} (one sample) need a single target, "
                               f"got shape {target.shape}")
        return input.unsqueeze(0), target.reshape(1), ()
    n, c = input.shape[:2]
    expected = (n,) + input.shape[2:]
    if target.shape != expected:
        raise RuntimeError(f"{name}: {noun} of shape {input.shape} need targets of shape {expected}, "
                           f"got {target.shape}")
    if input.ndim == 2:
        return input, target, expected
    moved = input.permute(0, *range(2, input.ndim), 1)   # (N, d1, ..., C)
    return moved.reshape(-1, c), target.reshape(-1), expected


def _check_class_indices(name, target, classes, ignore_index):
    t = target.numpy()
    bad = (t != ignore_index) & ((t < 0) | (t >= classes))
    if bad.any():
        raise IndexError(f"{name}: target {int(t[bad][0])} is not a class index in [0, {classes})")


def _class_weight(name, weight, classes, input):
    if weight is None:
        return None
    if weight.shape != (classes,):
        raise RuntimeError(f"{name}: weight must hold one value per class, shape ({classes},), got {weight.shape}")
    if weight.requires_grad:
        raise RuntimeError(f"{name} is not differentiable with respect to weight (as in PyTorch); "
                           "pass weight.detach()")
    return weight.to(input.dtype)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """-input[t] (``input`` holds log-probabilities, e.g. ``F.log_softmax``), weighted by ``weight[t]``;
    "mean" divides by the summed weights of the rows that count.  nll_loss(log_softmax(x), t) equals
    cross_entropy(x, t)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    if input.ndim == 0:
        raise RuntimeError("nll_loss: input must have a class dim, (C,) or (N, C, ...), got a 0-d tensor")
    if target.dtype != dtypes.int64:
        raise TypeError(f"nll_loss: target must hold int64 class indices (got {target.dtype}); use .long()")
    classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    weight = _class_weight("nll_loss", weight, classes, input)
    rows, row_targets, none_shape = _as_rows("nll_loss", "log-probabilities", input, target)
    _check_class_indices("nll_loss", row_targets, classes, ignore_index)
    result = losses.NLLLoss.apply(rows, row_targets, weight, ignore_index, reduction)
    return result.reshape(none_shape) if reduction == "none" else result


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
