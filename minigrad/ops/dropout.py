"""Inverted dropout:  y = x * m / (1 - p),  m_i ~ Bernoulli(1 - p).

Each unit is zeroed with probability p and the survivors are scaled by 1/(1-p), so the
expected value of y equals x and nothing needs rescaling at evaluation time.
    gx = g * m / (1 - p).
"""
from minigrad import random
from minigrad.autograd.function import Op


class Dropout(Op):
    """y = x * mask / (1 - p).    gx = g * mask / (1 - p).

    The mask is drawn here, in the forward (on the host, from minigrad's generator), so that a
    replayed step (autograd/capture.py) draws a new one each time."""

    @staticmethod
    def forward(ctx, x, p):
        keep = ctx.backend.asarray(random.keep_mask(x.shape, p))
        # the mask times 1 / (1 - p), made once in x's dtype: the forward and the backward both
        # multiply by it
        scale = ctx.backend.xp.multiply(keep, 1.0 / (1.0 - p), dtype=x.dtype)
        ctx.save_for_backward(scale)
        return x * scale

    @staticmethod
    def backward(ctx, g):
        (scale,) = ctx.saved_tensors
        return g * scale, None
