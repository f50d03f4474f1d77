"""``BatchNorm1d`` and ``BatchNorm2d``: normalise each channel over the batch, then scale and shift.

In training mode every channel is normalised with the mean and (biased) variance of the current
batch (over N, and over L or H x W), and running estimates of both are kept as *buffers*:

    running = (1 - momentum) * running + momentum * batch statistic      (momentum=None: the plain
                                                                          average of all batches so far)

with the unbiased variance for ``running_var``.  In eval mode the running estimates are used
instead, so a prediction never depends on the other examples of its batch.  ``weight`` (ones)
and ``bias`` (zeros; ``bias=False`` drops it) are learned per channel (``affine=True``).  State-dict keys, as PyTorch's:
``weight``, ``bias``, ``running_mean``, ``running_var``, ``num_batches_tracked``.

Why it helps: each layer's input keeps mean 0 and variance 1 per channel whatever the layers
before it learn, so larger learning rates stay stable and deep stacks train faster (ops/batchnorm.py
has the formulas and the derived backward).
"""
import minigrad as mg
from minigrad.autograd import no_grad
from minigrad.nn import functional as F
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share; they differ only in the input shapes they accept."""

    accepted_dims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device="cpu", dtype=None, *, bias=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(mg.ones(num_features, dtype=dtype, device=device))
            if bias:
                self.bias = Parameter(mg.zeros(num_features, dtype=dtype, device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", mg.zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", mg.ones(num_features, dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked", mg.tensor(0, dtype=mg.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self):
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            with no_grad():
                self.weight.fill_(1)
                if self.bias is not None:
                    self.bias.zero_()

    def forward(self, x):
        if x.ndim not in self.accepted_dims:
            wanted = " or ".join(f"{d}D" for d in self.accepted_dims)
            raise ValueError(f"expected {wanted} input (got {x.ndim}D input)")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}) got an input with {x.shape[1]} channels "
                             f"(shape {x.shape}); the channels are axis 1")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:   # a cumulative average: batch k gets weight 1/k
                momentum = 1.0 / self.num_batches_tracked.item()
        use_batch_statistics = self.training or self.running_mean is None
        return F.batch_norm(x, self.running_mean if not self.training or self.track_running_stats else None,
                            self.running_var if not self.training or self.track_running_stats else None,
                            self.weight, self.bias, use_batch_statistics, momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L): statistics per channel C."""

    accepted_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over images (N, C, H, W): statistics per channel C over N, H and W."""

    accepted_dims = (4,)
