"""Loss functions, each a fused forward + backward backend formula.

The backend returns the *per-element (or per-row) loss* and its derivative in one pass; the
reduction ("mean", "sum", "none") is applied here, and g (the gradient arriving from above) is
spread back the same way.
"""
import warnings

from minigrad.autograd.function import Op


def _reduce(xp, per_item, reduction, count=None):
    if reduction == "none":
        return per_item
    total = per_item.sum()
    if reduction == "sum":
        return xp.asarray(total)
    return xp.asarray(total / (per_item.size if count is None else count))


def _spread(g, local_grad, reduction, count):
    """gx = g * d(reduced loss)/dx  for the three reductions."""
    if reduction == "none":
        return g[..., None] * local_grad if g.ndim < local_grad.ndim else g * local_grad
    if reduction == "sum":
        return g * local_grad
    gx = g * local_grad
    gx /= count          # in place: the same numbers as g * local_grad / count, without a second array
    return gx


def check_reduction(reduction):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def legacy_reduction(size_average, reduce, reduction):
    """PyTorch's deprecated ``size_average`` / ``reduce`` arguments, turned into a reduction as PyTorch does
    (``reduce=False`` -> "none"; ``size_average=False`` -> "sum"; else "mean"), with PyTorch's warning."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "none" if not reduce else ("mean" if size_average else "sum")
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
                  stacklevel=3)
    return reduction


def _log_or(xp, v, at_zero):
    """log v where v > 0, else ``at_zero`` (no warning from log(0))."""
    positive = v > 0
    return xp.where(positive, xp.log(xp.where(positive, v, 1)), at_zero)


class MSELoss(Op):
    """L = mean_i (x_i - t_i)^2.    dL/dx_i = 2 (x_i - t_i) / n,   dL/dt_i = -dL/dx_i."""

    @staticmethod
    def forward(ctx, x, target, reduction):
        if x.shape != target.shape:
            raise RuntimeError(f"mse_loss: input shape {x.shape} and target shape {target.shape} differ")
        squared, local = ctx.backend.mse(x, target)
        ctx.save_for_backward(local)
        ctx.reduction, ctx.count = reduction, max(x.size, 1)
        return _reduce(ctx.backend.xp, squared, reduction)

    @staticmethod
    def backward(ctx, g):
        (local,) = ctx.saved_tensors
        gx = _spread(g, local, ctx.reduction, ctx.count)
        return gx, -gx, None


class CrossEntropy(Op):
    """Cross-entropy from logits x (N, C) and class indices t (N,):

        L_n = -log softmax(x_n)[t_n] = -x_{n,t} + log sum_j e^{x_{n,j}}    (log-sum-exp: stable)

    With label smoothing eps the target is the mixture (1 - eps) onehot(t) + eps/C:
        L_n = -(1 - eps) log p_{n,t} - (eps/C) sum_j log p_{n,j}

    dL_n/dx_{n,j} = p_{n,j} - (1 - eps) [j = t] - eps/C          (softmax minus target)

    Rows with t == ignore_index contribute neither loss nor gradient; "mean" divides by the
    number of rows that count.
    """

    @staticmethod
    def forward(ctx, logits, target, ignore_index, label_smoothing, reduction):
        loss, local = ctx.backend.cross_entropy(logits, target, ignore_index, label_smoothing)
        ctx.save_for_backward(local)
        ctx.reduction = reduction
        ctx.count = max(int(ctx.backend.xp.count_nonzero(target != ignore_index)), 1) if reduction == "mean" else 1
        return _reduce(ctx.backend.xp, loss, reduction, ctx.count)

    @staticmethod
    def backward(ctx, g):
        (local,) = ctx.saved_tensors
        return _spread(g, local, ctx.reduction, ctx.count), None, None, None, None


class BCEWithLogits(Op):
    """Binary cross-entropy from a logit x and a target y in [0, 1]:

        L = -y log s(x) - (1 - y) log(1 - s(x)) = max(x, 0) - x y + log(1 + e^{-|x|})

    (the right-hand form never overflows).    dL/dx = s(x) - y,   dL/dy = -x.

    With ``pos_weight`` p (the weight of the positive term, broadcast along the last axis) and
    ``weight`` w (broadcast to x), using -log s(x) = softplus(-x) = max(-x, 0) + log(1 + e^{-|x|}):

        L = w [ -p y log s(x) - (1 - y) log(1 - s(x)) ] = w [ (1 - y) x + (1 + (p - 1) y) softplus(-x) ]
        dL/dx = w [ (1 + (p - 1) y) s(x) - p y ],     dL/dy = w [ -x + (p - 1) softplus(-x) ]

    (p = 1 gives back the first line).  w and p are constants, as in PyTorch.
    """

    @staticmethod
    def forward(ctx, x, y, weight, pos_weight, reduction):
        xp = ctx.backend.xp
        s = ctx.backend.sigmoid(x)
        if pos_weight is None:
            loss = xp.maximum(x, 0) - x * y + xp.log1p(xp.exp(-xp.abs(x)))
            local_x, local_y = s - y, -x
        else:
            softplus_neg = xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))
            positive_scale = 1 + (pos_weight - 1) * y
            loss = (1 - y) * x + positive_scale * softplus_neg
            local_x, local_y = positive_scale * s - pos_weight * y, (pos_weight - 1) * softplus_neg - x
        if weight is not None:
            loss, local_x, local_y = loss * weight, local_x * weight, local_y * weight
        needs = ctx.needs_input_grad
        if needs:
            ctx.save_for_backward(local_x, local_y if needs[1] else None)
        ctx.reduction, ctx.count = reduction, max(x.size, 1)
        return _reduce(xp, loss, reduction)

    @staticmethod
    def backward(ctx, g):
        local_x, local_y = ctx.saved_tensors
        gy = None if local_y is None else _spread(g, local_y, ctx.reduction, ctx.count)
        return _spread(g, local_x, ctx.reduction, ctx.count), gy, None, None, None


class HingeLoss(Op):
    """Binary hinge loss for labels y in {-1, +1}:  L_i = max(0, 1 - y_i s_i).

    dL_i/ds_i = -y_i where 1 - y_i s_i > 0 (inside the margin), else 0.
    """

    @staticmethod
    def forward(ctx, scores, y, reduction):
        loss, local = ctx.backend.hinge(scores, y.astype(scores.dtype, copy=False))
        ctx.save_for_backward(local)
        ctx.reduction, ctx.count = reduction, max(scores.size, 1)
        return _reduce(ctx.backend.xp, loss, reduction)

    @staticmethod
    def backward(ctx, g):
        (local,) = ctx.saved_tensors
        return _spread(g, local, ctx.reduction, ctx.count), None, None


class MultiMarginLoss(Op):
    """Multi-class hinge loss (PyTorch's multi_margin_loss) for x (N, C), t (N,):

        L_n = (1/C) sum_{j != t} max(0, margin - x_{n,t} + x_{n,j})^p

    dL_n/dx_{n,j} = (p/C) m_j^{p-1} for each j != t with m_j = margin - x_t + x_j > 0,
    dL_n/dx_{n,t} = -(sum of those).
    """

    @staticmethod
    def forward(ctx, x, target, p, margin, reduction):
        loss, local = ctx.backend.multi_margin(x, target, p, margin)
        ctx.save_for_backward(local)
        ctx.reduction, ctx.count = reduction, max(x.shape[0], 1)
        return _reduce(ctx.backend.xp, loss, reduction)

    @staticmethod
    def backward(ctx, g):
        (local,) = ctx.saved_tensors
        return _spread(g, local, ctx.reduction, ctx.count), None, None, None, None


class L1Loss(Op):
    """L = |x - t|.    dL/dx = sign(x - t)  (0 where x = t, as in PyTorch),   dL/dt = -dL/dx."""

    @staticmethod
    def forward(ctx, x, target, reduction):
        xp = ctx.backend.xp
        diff = x - target
        ctx.save_for_backward(xp.sign(diff))
        ctx.reduction, ctx.count = reduction, max(x.size, 1)
        return _reduce(xp, xp.abs(diff), reduction)

    @staticmethod
    def backward(ctx, g):
        (local,) = ctx.saved_tensors
        gx = _spread(g, local, ctx.reduction, ctx.count)
        return gx, -gx, None


class SmoothL1Loss(Op):
    """Smooth L1 (parameter beta) and Huber (parameter delta) losses of d = x - t, one formula:

        smooth_l1(d) = d^2 / (2 beta)   if |d| < beta,   else |d| - beta / 2       (beta = 0: |d|)
        huber(d)     = d^2 / 2          if |d| < delta,  else delta (|d| - delta / 2)
                     = delta * smooth_l1(d) with beta = delta

    so both are ``scale * smooth_l1`` (scale = 1, or delta for Huber).  Quadratic near 0, linear
    (robust to outliers) beyond; value and slope are continuous at |d| = beta:
        dL/dd = scale * d / beta  inside,   scale * sign(d)  outside;     dL/dx = dL/dd,  dL/dt = -dL/dd.
    """

    @staticmethod
    def forward(ctx, x, target, beta, scale, reduction):
        xp = ctx.backend.xp
        diff = x - target
        size = xp.abs(diff)
        inside = size < beta
        ratio = scale / beta if beta > 0 else 0.0   # beta = 0: nothing is inside
        loss = xp.where(inside, 0.5 * diff * diff * ratio, scale * (size - 0.5 * beta))
        ctx.save_for_backward(xp.where(inside, diff * ratio, scale * xp.sign(diff)))
        ctx.reduction, ctx.count = reduction, max(x.size, 1)
        return _reduce(xp, loss, reduction)

    @staticmethod
    def backward(ctx, g):
        (local,) = ctx.saved_tensors
        gx = _spread(g, local, ctx.reduction, ctx.count)
        return gx, -gx, None, None, None


class KLDiv(Op):
    """Pointwise Kullback-Leibler divergence; the input x holds log-probabilities log q:

        L = p (log p - x)                 target p given as probabilities (0 where p = 0: lim p log p = 0)
        L = e^t (t - x)                   ``log_target``: the target given as t = log p

    dL/dx = -p  (or -e^t);
    dL/dp = log p + 1 - x  (at p = 0 the slope of p log p is -inf: NaN there, as in PyTorch);
    dL/dt = e^t (t - x + 1).
    ``count`` is what "mean" divides by: every element, or the batch size for "batchmean".
    """

    @staticmethod
    def forward(ctx, x, target, log_target, reduction, count):
        xp = ctx.backend.xp
        needs = ctx.needs_input_grad
        if log_target:
            p = xp.exp(target)
            loss = p * (target - x)
            local_target = p * (target - x + 1) if needs and needs[1] else None
        else:
            p = target
            log_p = _log_or(xp, p, xp.nan)
            loss = xp.where(p == 0, 0, p * log_p) - p * x      # x log y with 0 log 0 = 0, as torch.xlogy
            local_target = log_p + 1 - x if needs and needs[1] else None
        if needs:
            ctx.save_for_backward(-p, local_target)
        ctx.reduction, ctx.count = reduction, count
        return _reduce(xp, loss, reduction, count)

    @staticmethod
    def backward(ctx, g):
        local_x, local_target = ctx.saved_tensors
        gt = None if local_target is None else _spread(g, local_target, ctx.reduction, ctx.count)
        return _spread(g, local_x, ctx.reduction, ctx.count), gt, None, None, None


#: PyTorch's floor for p (1 - p) in the BCE gradient: 1e-12 as a float32 (its C++ constant is a float).
BCE_EPSILON = 9.999999960041972e-13


class BCELoss(Op):
    """Binary cross-entropy of probabilities p in [0, 1] and targets y, with optional weights w:

        L = -w (y log p + (1 - y) log(1 - p)),   each log clamped below at -100

    (PyTorch's clamp: L stays finite, at most 100 w, when p is exactly 0 or 1).
        dL/dp = -w (y / p - (1 - y) / (1 - p)) = w (p - y) / (p (1 - p)),
    with the denominator kept >= 1e-12 as in PyTorch;
        dL/dy = w (log(1 - p) - log p)   (not clamped, as in PyTorch: +-inf at p = 0 or 1).
    The weights are constants.
    """

    @staticmethod
    def forward(ctx, p, y, weight, reduction):
        xp = ctx.backend.xp
        log_p = xp.maximum(_log_or(xp, p, -100), -100)
        log_not_p = xp.maximum(_log_or(xp, 1 - p, -100), -100)
        loss = -(y * log_p + (1 - y) * log_not_p)
        local_p = (p - y) / xp.maximum(p * (1 - p), BCE_EPSILON)
        needs = ctx.needs_input_grad
        local_y = None
        if needs and needs[1]:
            local_y = _log_or(xp, 1 - p, -xp.inf) - _log_or(xp, p, -xp.inf)
        if weight is not None:
            loss, local_p = loss * weight, local_p * weight
            local_y = None if local_y is None else local_y * weight
        if needs:
            ctx.save_for_backward(local_p, local_y)
        ctx.reduction, ctx.count = reduction, max(p.size, 1)
        return _reduce(xp, loss, reduction)

    @staticmethod
    def backward(ctx, g):
        local_p, local_y = ctx.saved_tensors
        gy = None if local_y is None else _spread(g, local_y, ctx.reduction, ctx.count)
        return _spread(g, local_p, ctx.reduction, ctx.count), gy, None, None


class NLLLoss(Op):
    """Negative log-likelihood of log-probabilities x (N, C) for class indices t (N,), class weights w:

        L_n = -w_{t_n} x_{n, t_n}          (0 for a row whose t_n == ignore_index)

    "mean" divides the sum by sum_n w_{t_n} over the rows that count (a weighted mean; with no
    weights, the number of rows that count).     dL_n/dx_{n,j} = -w_{t_n} [j = t_n].
    The weights are constants.
    """

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction):
        xp = ctx.backend.xp
        keep = target != ignore_index
        safe_target = xp.where(keep, target, 0)
        rows = xp.arange(x.shape[0])
        coefficient = keep.astype(x.dtype) if weight is None else weight[safe_target] * keep   # w_{t_n}, or 0
        loss = xp.where(keep, -x[rows, safe_target] * coefficient, 0)
        count = 1
        if reduction == "mean":
            count = float(coefficient.sum()) or 1.0   # nothing counts: 0, not PyTorch's 0/0 = NaN
        ctx.save_for_backward(safe_target, coefficient)
        ctx.reduction, ctx.count, ctx.shape = reduction, count, x.shape
        return _reduce(xp, loss, reduction, count)

    @staticmethod
    def backward(ctx, g):
        safe_target, coefficient = ctx.saved_tensors
        xp = ctx.backend.xp
        gx = xp.zeros(ctx.shape, dtype=g.dtype)
        per_row = g if ctx.reduction == "none" else (g / ctx.count if ctx.reduction == "mean" else g)
        gx[xp.arange(ctx.shape[0]), safe_target] = -coefficient * per_row
        return gx, None, None, None, None
