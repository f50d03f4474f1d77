r"""Loss functions as fused forward+backward kernels; cross-entropy as a ladder of three.

    python -m kernels.losses           # check every cross-entropy version x block size, then time them

A loss is the last node of the graph, so its backward is always needed right
after its forward.  Each kernel here computes both in one pass over the data
and returns (loss, d loss / d input); the engine scales the gradient by the
incoming gradient and by 1/N for reduction="mean".

Cross-entropy with label smoothing (one row of logits x, C classes, target t)
-----------------------------------------------------------------------------
    log p[j] = (x[j] - m) - log S,     m = max_j x[j],   S = sum_j exp(x[j] - m)
    target distribution  q[j] = (1 - ls) * 1[j == t] + ls / C
    loss = -sum_j q[j] log p[j] = -(1 - ls) * log p[t] - (ls / C) * sum_j log p[j]

Derivative, step by step: d log p[j] / d x[k] = 1[j == k] - p[k]  (see softmax.py), so

    d loss / d x[k] = -sum_j q[j] * (1[j == k] - p[k]) = -q[k] + p[k] * sum_j q[j] = p[k] - q[k]

because q sums to 1.  "softmax minus target": the famous result, smoothing included.
With s[j] = x[j] - m, sum_j log p[j] = sum_j s[j] - C log S.  Rows whose
target == ignore_index get loss 0 and gradient 0 (PyTorch then averages over
the rows that are not ignored).

Two traps, both met by keeping the shifted logits s[j] = x[j] - m apart from log S:

* logits of 1e30: ``x[j] - (m + log S)`` rounds m + log S to m, so every
  log p[j] becomes 0, the loss 0 and the gradient p - q = 1 - q: wrong.
  ``(x[j] - m) - log S`` is exact.  Likewise the smoothing term uses sum_j s[j],
  never sum_j x[j] - C (m + log S) (a difference of two numbers near 3e30).
* a -inf logit (a class ruled out): p = 0 there, and log p = -inf, so with label
  smoothing the loss is +inf (the target puts mass ls / C on an impossible class),
  as on the CPU.  Without smoothing that class's weight is 0 and it must not
  enter at all: 0 * -inf would be NaN, so the smoothing term is skipped when
  label_smoothing == 0.

The ladder (all fused: forward and backward in one launch)
-----------------------------------------------------------
1. naive   one THREAD per row: a max pass, a pass for S and sum s, a write pass.
2. fused   one BLOCK per row, the same three passes, coalesced; tree reductions
           in shared memory (reduce.py).  3 reads of the row + 1 write of dlogits.
3. online  one block per row: max and S in ONE pass (the online softmax of
           softmax.py, warp shuffles), then one pass writing p - q that also sums
           s for the smoothing term.  2 reads + 1 write: for (8192, 4096) float32
           logits, 384 MiB of traffic, ~100 us at an H200's ~4 TB/s.

    naive:          grid = (ceil(rows / B),), block = (B,)
    fused, online:  grid = (rows,), block = (B,): thread t handles columns t, t+B, ...

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
from numba import cuda

from kernels._arrays import (
    MAX_BLOCK_SIZE,
    array_module,
    check_block_size,
    check_float_dtype,
    contiguous,
    elementwise_launch,
    scalar,
)
from kernels._launch import INDICES, KernelLaunch, launch, matrix, vector
from kernels._versions import VersionSwitch
from kernels.reduce import DEFAULT_BLOCK_SIZE, block_max, block_sum, block_sum_warps, nan_max
from kernels.softmax import log_of_sum, row_max_and_sum_online

#: The cross-entropy ladder, naive first; the launcher runs ``versions.current`` unless told otherwise.
versions = VersionSwitch("cross-entropy", ("naive", "fused", "online"), default="online")


# ---------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------
# Cross-entropy arguments: on_target = 1 - label_smoothing, off_target = label_smoothing / C
# (the target distribution q), smoothing = label_smoothing > 0; all scalars of the logits' dtype.
@cuda.jit(device=True)
def _row_loss(x_target_shifted, log_s, shifted_sum, n_classes, on_target, off_target, smoothing):
    """-(1 - ls) log p[t] - (ls / C) sum_j log p[j], from s[t], log S and sum_j s[j]."""
    loss = -on_target * (x_target_shifted - log_s)
    if smoothing:
        loss -= off_target * (shifted_sum - n_classes * log_s)
    return loss


@cuda.jit
def cross_entropy_naive_kernel(logits, targets, ignore_index, on_target, off_target, smoothing, loss, dlogits):
    row = cuda.grid(1)
    if row >= logits.shape[0]:
        return
    real = logits.dtype.type
    target = targets[row]
    if target == ignore_index:
        for j in range(logits.shape[1]):
            dlogits[row, j] = real(0)
        loss[row] = real(0)
        return
    m = real(-math.inf)
    for j in range(logits.shape[1]):
        m = nan_max(m, logits[row, j])
    s = real(0)
    shifted_sum = real(0)
    for j in range(logits.shape[1]):
        s += math.exp(logits[row, j] - m)
        shifted_sum += logits[row, j] - m
    for j in range(logits.shape[1]):
        q = off_target + (on_target if j == target else real(0))
        dlogits[row, j] = math.exp(logits[row, j] - m) / s - q
    loss[row] = _row_loss(logits[row, target] - m, log_of_sum(s, real), shifted_sum, real(logits.shape[1]), on_target,
                          off_target, smoothing)


@cuda.jit
def cross_entropy_fused_kernel(logits, targets, ignore_index, on_target, off_target, smoothing, loss, dlogits):
    shared = cuda.shared.array(0, dtype=logits.dtype)  # block_size slots, sized at launch
    real = logits.dtype.type
    row = cuda.blockIdx.x
    t = cuda.threadIdx.x
    target = targets[row]
    if target == ignore_index:  # the whole block takes this branch, so no thread skips a sync
        for j in range(t, logits.shape[1], cuda.blockDim.x):
            dlogits[row, j] = real(0)
        if t == 0:
            loss[row] = real(0)
        return

    local_max = real(-math.inf)
    for j in range(t, logits.shape[1], cuda.blockDim.x):
        local_max = nan_max(local_max, logits[row, j])
    m = block_max(shared, local_max)
    local_s = real(0)
    local_shifted = real(0)
    for j in range(t, logits.shape[1], cuda.blockDim.x):
        local_s += math.exp(logits[row, j] - m)
        local_shifted += logits[row, j] - m
    s = block_sum(shared, local_s)
    shifted_sum = block_sum(shared, local_shifted) if smoothing else real(0)
    for j in range(t, logits.shape[1], cuda.blockDim.x):
        q = off_target + (on_target if j == target else real(0))
        dlogits[row, j] = math.exp(logits[row, j] - m) / s - q
    if t == 0:
        loss[row] = _row_loss(logits[row, target] - m, log_of_sum(s, real), shifted_sum, real(logits.shape[1]),
                              on_target, off_target, smoothing)


@cuda.jit
def cross_entropy_online_kernel(logits, targets, ignore_index, on_target, off_target, smoothing, loss, dlogits):
    shared = cuda.shared.array(32, dtype=logits.dtype)
    real = logits.dtype.type
    row = cuda.blockIdx.x
    t = cuda.threadIdx.x
    target = targets[row]
    if target == ignore_index:  # the whole block takes this branch, so no thread skips a sync
        for j in range(t, logits.shape[1], cuda.blockDim.x):
            dlogits[row, j] = real(0)
        if t == 0:
            loss[row] = real(0)
        return

    m, s = row_max_and_sum_online(logits, row)
    local_shifted = real(0)
    for j in range(t, logits.shape[1], cuda.blockDim.x):
        shifted = logits[row, j] - m
        local_shifted += shifted
        q = off_target + (on_target if j == target else real(0))
        dlogits[row, j] = math.exp(shifted) / s - q
    shifted_sum = block_sum_warps(shared, local_shifted) if smoothing else real(0)
    if t == 0:
        loss[row] = _row_loss(logits[row, target] - m, log_of_sum(s, real), shifted_sum, real(logits.shape[1]),
                              on_target, off_target, smoothing)


@cuda.jit
def mse_kernel(pred, target, loss, grad):
    two = pred.dtype.type(2)
    for i in range(cuda.grid(1), pred.size, cuda.gridsize(1)):
        diff = pred[i] - target[i]
        loss[i] = diff * diff
        grad[i] = two * diff


@cuda.jit
def hinge_kernel(scores, y, loss, grad):
    zero, one = scores.dtype.type(0), scores.dtype.type(1)
    for i in range(cuda.grid(1), scores.size, cuda.gridsize(1)):
        slack = one - y[i] * scores[i]
        if slack > zero:
            loss[i] = slack
            grad[i] = -y[i]
        else:
            loss[i] = zero
            grad[i] = zero


@cuda.jit
def multi_margin_kernel(x, targets, power, margin, loss, grad):
    shared = cuda.shared.array(32, dtype=x.dtype)
    real = x.dtype.type
    row = cuda.blockIdx.x
    t = cuda.threadIdx.x
    n_classes = real(x.shape[1])
    target = targets[row]
    x_target = x[row, target]

    local_loss = real(0)
    local_target_grad = real(0)
    for j in range(t, x.shape[1], cuda.blockDim.x):
        h = margin - x_target + x[row, j]
        g = real(0)
        if j != target and h > real(0):
            local_loss += h if power == 1 else h * h
            g = (real(1) if power == 1 else real(2) * h) / n_classes
            local_target_grad -= g
        if j != target:
            grad[row, j] = g
    row_loss = block_sum_warps(shared, local_loss)
    target_grad = block_sum_warps(shared, local_target_grad)
    if t == 0:
        loss[row] = row_loss / n_classes
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
    logits, targets, *, ignore_index=-100, label_smoothing=0.0, version=None, block_size=DEFAULT_BLOCK_SIZE
):
    """Per-row loss (rows,) and d loss_row / d logits (rows, C) in one fused launch."""
    version = versions.pick(version)
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
    if rows == 0:
        return loss, dlogits
    if n_classes == 0:
        raise ValueError("logits has 0 classes per row; cross-entropy needs at least one.")
    arguments = (logits, targets, int(ignore_index), scalar(logits.dtype, 1.0 - label_smoothing),
                 scalar(logits.dtype, label_smoothing / n_classes), bool(label_smoothing > 0), loss, dlogits)
    if version == "naive":
        launch(cross_entropy_naive_kernel, (rows + block_size - 1) // block_size, block_size, *arguments)
    elif version == "fused":
        launch(cross_entropy_fused_kernel, rows, block_size, *arguments, shared_bytes=block_size * logits.itemsize)
    else:
        launch(cross_entropy_online_kernel, rows, block_size, *arguments)
    return loss, dlogits


def _elementwise_pair(kernel, a, b):
    xp = array_module(a)
    shape = a.shape
    a, b = a.reshape(-1), b.reshape(-1)
    loss, grad = xp.empty_like(a), xp.empty_like(a)
    if a.size > 0:
        launch(kernel, *elementwise_launch(a.size), a, b, loss, grad)
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
        launch(multi_margin_kernel, rows, block_size, x, target, int(p), scalar(x.dtype, margin), loss, grad)
    return loss, grad


def kernel_launches(dtype):
    """Every kernel of this file and the biggest launch its launcher can choose (see kernels/sass.py)."""
    m, v = matrix(dtype), vector(dtype)
    cross_entropy = f"({m}, {INDICES}, int64, {dtype}, {dtype}, boolean, {v}, {m})"
    threads = elementwise_launch(1 << 30)[1]
    return [
        KernelLaunch(cross_entropy_naive_kernel, cross_entropy, MAX_BLOCK_SIZE),
        KernelLaunch(cross_entropy_fused_kernel, cross_entropy, MAX_BLOCK_SIZE,
                     MAX_BLOCK_SIZE * np.dtype(dtype).itemsize),
        KernelLaunch(cross_entropy_online_kernel, cross_entropy, MAX_BLOCK_SIZE),
        KernelLaunch(mse_kernel, f"({v}, {v}, {v}, {v})", threads),
        KernelLaunch(hinge_kernel, f"({v}, {v}, {v}, {v})", threads),
        KernelLaunch(multi_margin_kernel, f"({m}, {INDICES}, int64, {dtype}, {v}, {m})", MAX_BLOCK_SIZE),
    ]


# ---------------------------------------------------------------------------
# python -m kernels.losses: the cross-entropy ladder, checked against the CPU backend, then timed
# ---------------------------------------------------------------------------
def main(argv=None):
    from kernels import _ladder

    options = _ladder.parse_options(argv, "cross-entropy forward+backward ladder", gpu_shape=(8192, 4096),
                                    simulator_shape=(3, 70))
    rows, cols = options.shape
    rng = np.random.default_rng(0)
    logits_host = (rng.standard_normal((rows, cols)) * 3).astype(options.dtype)
    targets_host = rng.integers(0, cols, rows)
    logits, targets = _ladder.to_device(options, logits_host), _ladder.to_device(options, targets_host)
    rungs = [
        _ladder.Rung(version, block, lambda version=version, block=block: cross_entropy_forward_backward(
            logits, targets, label_smoothing=0.1, version=version, block_size=block))
        for version in versions.names for block in options.block_sizes
    ]
    reference = _ladder.CPU.cross_entropy(logits_host.astype(np.float64), targets_host, label_smoothing=0.1)
    records = _ladder.run(f"cross-entropy forward+backward ({rows}, {cols}) {options.dtype}, label smoothing 0.1",
                          versions, rungs, reference, bytes_moved=2 * logits_host.nbytes, options=options)
    return _ladder.exit_code(records)


if __name__ == "__main__":
    raise SystemExit(main())
