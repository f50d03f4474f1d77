"""Loss functions, each a fused forward + backward backend formula.

The backend returns the *per-element (or per-row) loss* and its derivative in one pass; the
reduction ("mean", "sum", "none") is applied here, and g (the gradient arriving from above) is
spread back the same way.
"""
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
    return g * local_grad / count


def check_reduction(reduction):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


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
        ctx.count = max(int((target != ignore_index).sum()), 1) if reduction == "mean" else 1
        return _reduce(ctx.backend.xp, loss, reduction, ctx.count)

    @staticmethod
    def backward(ctx, g):
        (local,) = ctx.saved_tensors
        return _spread(g, local, ctx.reduction, ctx.count), None, None, None, None


class BCEWithLogits(Op):
    """Binary cross-entropy from a logit x and a target y in [0, 1]:

        L = -y log s(x) - (1 - y) log(1 - s(x)) = max(x, 0) - x y + log(1 + e^{-|x|})

    (the right-hand form never overflows).    dL/dx = s(x) - y,   dL/dy = -x.
    """

    @staticmethod
    def forward(ctx, x, y, reduction):
        xp = ctx.backend.xp
        loss = xp.maximum(x, 0) - x * y + xp.log1p(xp.exp(-xp.abs(x)))
        ctx.save_for_backward(ctx.backend.sigmoid(x) - y, x)
        ctx.reduction, ctx.count = reduction, max(x.size, 1)
        return _reduce(xp, loss, reduction)

    @staticmethod
    def backward(ctx, g):
        local, x = ctx.saved_tensors
        return _spread(g, local, ctx.reduction, ctx.count), _spread(g, -x, ctx.reduction, ctx.count), None


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
