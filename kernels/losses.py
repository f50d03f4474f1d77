r"""Loss functions as fused forward+backward kernels.

A loss is the last node of the graph, so its backward is always needed right
after its forward.  Each kernel here computes both in one pass over the data
and returns (loss, d loss / d input); the engine scales the gradient by the
incoming gradient and by 1/N for reduction="mean".

Cross-entropy with label smoothing (one block per row of logits x, C classes)
------------------------------------------------------------------------------
    log p[j] = x[j] - lse,     lse = m + log sum_j exp(x[j] - m),  m = max_j x[j]
    target distribution  q[j] = (1 - ls) * 1[j == t] + ls / C
    loss = -sum_j q[j] log p[j] = -(1 - ls) * log p[t] - (ls / C) * sum_j log p[j]

Derivative, step by step: d log p[j] / d x[k] = 1[j == k] - p[k]  (see softmax.py), so

    d loss / d x[k] = -sum_j q[j] * (1[j == k] - p[k]) = -q[k] + p[k] * sum_j q[j] = p[k] - q[k]

because q sums to 1.  "softmax minus target": the famous result, smoothing included.
sum_j log p[j] = sum_j x[j] - C * lse, so the kernel needs three row reductions:
max, sum of exp, and sum of x.  Rows whose target == ignore_index get loss 0
and gradient 0 (PyTorch then averages over the rows that are not ignored).

    grid = (rows,), block = (block_size,): thread t handles columns t, t+B, ...

Mean squared error (elementwise):  loss = (p - y)^2,  d loss / d p = 2 (p - y)

Hinge (elementwise, y in {-1, +1}):  loss = max(0, 1 - y s),
    d loss / d s = -y where 1 - y s > 0, else 0   (at the kink 1 - y s = 0 we pick 0)

Multi-class margin (PyTorch's multi_margin_loss; one block per row, target t):
    loss = (1/C) * sum_{j != t} max(0, margin - x[t] + x[j])^p,       p in {1, 2}
    with h_j = margin - x[t] + x[j]:  a term contributes only where h_j > 0, and
    d/dx[j] of h_j^p = p h_j^(p-1);  d/dx[t] of h_j^p = -p h_j^(p-1), so
    d loss / d x[j] = p h_j^(p-1) / C           for j != t, h_j > 0
    d loss / d x[t] = -sum_{j != t, h_j > 0} p h_j^(p-1) / C
    one block reduction per row gives the target's gradient.
"""
import math

import numpy as np
from numba import cuda, float64

from kernels._arrays import (
    array_module,
    check_block_size,
    check_float_dtype,
    contiguous,
    elementwise_launch,
)
from kernels.reduce import DEFAULT_BLOCK_SIZE, SHARED_BYTES_PER_THREAD, block_max, block_sum


# ---------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------
@cuda.jit
def cross_entropy_kernel(logits, targets, ignore_index, label_smoothing, loss, dlogits):
    shared = cuda.shared.array(0, dtype=float64)
    row = cuda.blockIdx.x
    t = cuda.threadIdx.x
    n_classes = logits.shape[1]
    target = targets[row]

    if target == ignore_index:  # the whole block takes this branch, so no thread skips a sync
        for j in range(t, n_classes, cuda.blockDim.x):
            dlogits[row, j] = 0
        if t == 0:
            loss[row] = 0
        return

    local_max = -math.inf
    for j in range(t, n_classes, cuda.blockDim.x):
        local_max = max(local_max, float64(logits[row, j]))
    row_max = block_max(shared, local_max)

    local_exp_sum = 0.0
    local_x_sum = 0.0
    for j in range(t, n_classes, cuda.blockDim.x):
        local_exp_sum += math.exp(logits[row, j] - row_max)
        local_x_sum += logits[row, j]
    lse = row_max + math.log(block_sum(shared, local_exp_sum))
    x_sum = block_sum(shared, local_x_sum)

    off_target = label_smoothing / n_classes  # q[j] for j != t
    for j in range(t, n_classes, cuda.blockDim.x):
        p = math.exp(logits[row, j] - lse)
        q = off_target + (1.0 - label_smoothing if j == target else 0.0)
        dlogits[row, j] = p - q
    if t == 0:
        log_p_target = logits[row, target] - lse
        sum_log_p = x_sum - n_classes * lse
        loss[row] = -(1.0 - label_smoothing) * log_p_target - off_target * sum_log_p


@cuda.jit
def mse_kernel(pred, target, loss, grad):
    for i in range(cuda.grid(1), pred.size, cuda.gridsize(1)):
        diff = pred[i] - target[i]
        loss[i] = diff * diff
        grad[i] = 2 * diff


@cuda.jit
def hinge_kernel(scores, y, loss, grad):
    for i in range(cuda.grid(1), scores.size, cuda.gridsize(1)):
        slack = 1 - y[i] * scores[i]
        if slack > 0:
            loss[i] = slack
            grad[i] = -y[i]
        else:
            loss[i] = 0
            grad[i] = 0


@cuda.jit
def multi_margin_kernel(x, targets, power, margin, loss, grad):
    shared = cuda.shared.array(0, dtype=float64)
    row = cuda.blockIdx.x
    t = cuda.threadIdx.x
    n_classes = x.shape[1]
    target = targets[row]
    x_target = x[row, target]

    local_loss = 0.0
    local_target_grad = 0.0
    for j in range(t, n_classes, cuda.blockDim.x):
        h = margin - x_target + x[row, j]
        g = 0.0
        if j != target and h > 0:
            local_loss += (h if power == 1 else h * h) / n_classes
            g = (1.0 if power == 1 else 2.0 * h) / n_classes
            local_target_grad -= g
        if j != target:
            grad[row, j] = g
    row_loss = block_sum(shared, local_loss)
    target_grad = block_sum(shared, local_target_grad)
    if t == 0:
        loss[row] = row_loss
        grad[row, target] = target_grad


# ---------------------------------------------------------------------------
# Launchers
# ---------------------------------------------------------------------------
def _check_targets(name, targets, rows, n_classes, ignore_index=None):
    if targets.ndim != 1 or targets.shape[0] != rows:
        raise ValueError(f"{name} must have shape ({rows},), one class index per row; got {tuple(targets.shape)}.")
    xp = array_module(targets)
    targets = contiguous(targets, dtype=np.int64)
    bad = (targets < 0) | (targets >= n_classes)
    if ignore_index is not None:
        bad &= targets != ignore_index
    if rows and bool(xp.any(bad)):
        first = int(xp.nonzero(bad)[0][0])
        raise IndexError(
            f"{name}[{first}] = {int(targets[first])} is not a class index in [0, {n_classes})"
            + (f" and not ignore_index={ignore_index}." if ignore_index is not None else ".")
        )
    return targets


def _check_pair(a_name, a, b_name, b):
    check_float_dtype(a_name, a)
    if a.shape != b.shape:
        raise ValueError(f"{a_name} {tuple(a.shape)} and {b_name} {tuple(b.shape)} must have the same shape.")
    return contiguous(a), contiguous(b, dtype=a.dtype)


def cross_entropy_forward_backward(
    logits, targets, *, ignore_index=-100, label_smoothing=0.0, block_size=DEFAULT_BLOCK_SIZE
):
    """Per-row loss (rows,) and d loss_row / d logits (rows, C) in one fused launch."""
    if logits.ndim != 2:
        raise ValueError(f"logits must be 2-D (rows, classes); got shape {tuple(logits.shape)}.")
    check_float_dtype("logits", logits)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing={label_smoothing} must be in [0, 1].")
    check_block_size(block_size)
    logits = contiguous(logits)
    rows, n_classes = logits.shape
    targets = _check_targets("targets", targets, rows, n_classes, ignore_index)
    xp = array_module(logits)
    loss = xp.empty(rows, dtype=logits.dtype)
    dlogits = xp.empty_like(logits)
    if rows > 0:
        cross_entropy_kernel[rows, block_size, 0, block_size * SHARED_BYTES_PER_THREAD](
            logits, targets, int(ignore_index), float(label_smoothing), loss, dlogits
        )
    return loss, dlogits


def _elementwise_pair(kernel, a, b):
    xp = array_module(a)
    shape = a.shape
    a, b = a.reshape(-1), b.reshape(-1)
    loss, grad = xp.empty_like(a), xp.empty_like(a)
    if a.size > 0:
        blocks, threads = elementwise_launch(a.size)
        kernel[blocks, threads](a, b, loss, grad)
    return loss.reshape(shape), grad.reshape(shape)


def mse_forward_backward(pred, target):
    """Elementwise (pred - target)^2 and its gradient 2 * (pred - target)."""
    pred, target = _check_pair("pred", pred, "target", target)
    return _elementwise_pair(mse_kernel, pred, target)


def hinge_forward_backward(scores, y):
    """Elementwise max(0, 1 - y * scores) and its gradient; y holds -1 or +1."""
    scores, y = _check_pair("scores", scores, "y", y)
    return _elementwise_pair(hinge_kernel, scores, y)


def multi_margin_forward_backward(x, target, *, p=1, margin=1.0, block_size=DEFAULT_BLOCK_SIZE):
    """Per-row multi-class margin loss (rows,) and its gradient (rows, C)."""
    if x.ndim != 2:
        raise ValueError(f"x must be 2-D (rows, classes); got shape {tuple(x.shape)}.")
    check_float_dtype("x", x)
    if p not in (1, 2):
        raise ValueError(f"p={p}: multi_margin supports p=1 or p=2, like PyTorch.")
    check_block_size(block_size)
    x = contiguous(x)
    rows, n_classes = x.shape
    target = _check_targets("target", target, rows, n_classes)
    xp = array_module(x)
    loss = xp.empty(rows, dtype=x.dtype)
    grad = xp.empty_like(x)
    if rows > 0:
        multi_margin_kernel[rows, block_size, 0, block_size * SHARED_BYTES_PER_THREAD](
            x, target, int(p), float(margin), loss, grad
        )
    return loss, grad


# ---------------------------------------------------------------------------
# NumPy references
# ---------------------------------------------------------------------------
def cross_entropy_forward_backward_reference(logits, targets, *, ignore_index=-100, label_smoothing=0.0):
    rows, n_classes = logits.shape
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    keep = targets != ignore_index
    safe_targets = np.where(keep, targets, 0)
    q = np.full(logits.shape, label_smoothing / n_classes)
    q[np.arange(rows), safe_targets] += 1.0 - label_smoothing
    loss = -(q * log_p).sum(axis=1)
    grad = np.exp(log_p) - q
    loss = np.where(keep, loss, 0.0).astype(logits.dtype)
    grad = np.where(keep[:, None], grad, 0.0).astype(logits.dtype)
    return loss, grad


def mse_forward_backward_reference(pred, target):
    diff = pred - target
    return diff * diff, 2 * diff


def hinge_forward_backward_reference(scores, y):
    slack = 1 - y * scores
    active = slack > 0
    return np.where(active, slack, 0).astype(scores.dtype), np.where(active, -y, 0).astype(scores.dtype)


def multi_margin_forward_backward_reference(x, target, *, p=1, margin=1.0):
    rows, n_classes = x.shape
    x_target = x[np.arange(rows), target][:, None]
    h = margin - x_target + x
    active = h > 0
    active[np.arange(rows), target] = False
    loss = np.where(active, h**p, 0).sum(axis=1) / n_classes
    grad = np.where(active, p * h ** (p - 1), 0) / n_classes
    grad[np.arange(rows), target] = -grad.sum(axis=1)
    return loss.astype(x.dtype), grad.astype(x.dtype)
