"""Checkers for lesson 15 (convolutional networks): output sizes, im2col, the weight gradient."""
import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.backends.numpy_backend import conv_output_size as reference_output_size
from minigrad.check import ExerciseFailed, exercise, passed


def _as_array(value):
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value, dtype=np.float64)


@exercise("lesson15.exercise1")
def exercise1(conv_output_size):
    """``conv_output_size(n, k, s, p, d)``: how many positions a window of size k, dilation d, takes
    when slid with stride s over n pixels padded by p on both sides."""
    cases = [(8, 3, 1, 1, 1), (8, 3, 1, 0, 1), (7, 2, 2, 0, 1), (28, 5, 2, 2, 1), (9, 3, 1, 0, 2), (10, 3, 3, 1, 2),
             (5, 5, 1, 0, 1), (6, 1, 4, 0, 1)]
    got = [conv_output_size(n, k, s, p, d) for n, k, s, p, d in cases]
    expected = [reference_output_size((n,), (k,), (s,), (p,), (d,))[0] for n, k, s, p, d in cases]
    if got != expected:
        # the usual mistakes, each a formula: the hint names the one that explains every answer
        mistakes = [
            (lambda n, k, s, p, d: (n + 2 * p - k) // s + 1,
             "That is the formula without dilation: a dilated window spans d * (k - 1) + 1 pixels."),
            (lambda n, k, s, p, d: (n + p - d * (k - 1) - 1) // s + 1, "The padding goes on both sides: 2 * p."),
            (lambda n, k, s, p, d: (n + 2 * p - d * (k - 1) - 1) // s, "Off by one: the first position counts too (+ 1)."),
            (lambda n, k, s, p, d: -(-(n + 2 * p - d * (k - 1) - 1) // s) + 1,
             "That rounds up; a window that does not fit entirely is dropped (floor)."),
        ]
        hint = next((" " + text for formula, text in mistakes if got == [formula(*case) for case in cases]), "")
        first = next(i for i, (a, b) in enumerate(zip(got, expected)) if a != b)
        n, k, s, p, d = cases[first]
        raise ExerciseFailed(f"exercise1: conv_output_size(n={n}, k={k}, s={s}, p={p}, d={d}) returned "
                             f"{got[first]!r}, expected {expected[first]}.{hint}")
    return passed("lesson15.exercise1", f"{len(cases)} geometries (stride, padding, dilation) give the right size.")


@exercise("lesson15.exercise2")
def exercise2(im2col):
    """``im2col(x, k)`` for one image x (C, H, W), stride 1, no padding: (C*k*k, OH*OW), row (c, i, j),
    column (oy, ox) -- the layout of ``F.unfold``."""
    rng = np.random.default_rng(15)
    for shape, k in [((1, 4, 4), 2), ((2, 5, 4), 3), ((3, 3, 6), 1), ((2, 3, 3), 3)]:
        x = rng.standard_normal(shape)
        expected = F.unfold(mg.tensor(x[None]), k).numpy()[0]
        got = _as_array(im2col(x.copy(), k))
        if got.shape == expected.shape and np.allclose(got, expected, rtol=1e-12, atol=1e-12):
            continue
        hint = ""
        if got.shape == expected.T.shape and np.allclose(got, expected.T):
            hint = " That is the transpose: one *column* per window (shape (C*k*k, number of windows))."
        elif got.shape == expected.shape:
            c = shape[0]
            reordered = expected.reshape(c, k, k, -1).transpose(1, 2, 0, 3).reshape(expected.shape)
            if np.allclose(got, reordered):
                hint = " The rows are ordered (i, j, c); F.unfold orders them (c, i, j): channel first."
            else:
                hint = " Check the tap offsets: row (c, i, j), column (oy, ox) holds x[c, oy + i, ox + j]."
        else:
            hint = f" Expected shape {expected.shape}: C*k*k rows, (H - k + 1) * (W - k + 1) columns."
        raise ExerciseFailed(f"exercise2: image of shape {shape}, k={k}: got an array of shape {got.shape}, "
                             f"expected F.unfold's {expected.shape}.{hint}")
    return passed("lesson15.exercise2", "the windows of 4 images match F.unfold, rows (c, i, j), columns (oy, ox).")


@exercise("lesson15.exercise3")
def exercise3(conv2d_weight_grad):
    """``conv2d_weight_grad(x, grad_output, kernel_size)``: dL/dW of y = F.conv2d(x, W) (stride 1, no
    padding), for x (N, C, H, W) and grad_output = dL/dy (N, O, OH, OW)."""
    rng = np.random.default_rng(16)
    for n, c, o, h, w, k in [(1, 1, 1, 4, 4, 2), (3, 2, 4, 5, 6, 3), (2, 3, 2, 4, 3, 1)]:
        x = mg.tensor(rng.standard_normal((n, c, h, w)))
        weight = mg.tensor(rng.standard_normal((o, c, k, k)), requires_grad=True)
        g = rng.standard_normal((n, o, h - k + 1, w - k + 1))
        F.conv2d(x, weight).backward(mg.tensor(g))
        expected = weight.grad.numpy()
        got = _as_array(conv2d_weight_grad(x.detach(), mg.tensor(g), k))
        if got.shape == expected.shape and np.allclose(got, expected, rtol=1e-9, atol=1e-10):
            continue
        hint = ""
        if got.shape == expected.shape and np.allclose(got, expected[..., ::-1, ::-1], rtol=1e-9, atol=1e-10):
            hint = (" Your kernel is flipped: PyTorch's conv2d is a cross-correlation (no flip), so "
                    "dW[o, c, i, j] = sum g[n, o, oy, ox] * x[n, c, oy + i, ox + j].")
        elif n > 1 and got.shape == expected.shape:
            single = (F.unfold(x[:1], k).numpy()[0] @ g[0].reshape(o, -1).T).T.reshape(expected.shape)
            if np.allclose(got, single, rtol=1e-9):
                hint = " Only the first image counted: the same weight is used by every image, so sum over n."
            elif np.allclose(got, expected / n, rtol=1e-9):
                hint = " That is the mean over the batch; the gradient is the sum."
        elif got.shape == (c, o, k, k):
            hint = " The axes are swapped: the weight is (out_channels, in_channels, k, k)."
        raise ExerciseFailed(f"exercise3: x of shape {(n, c, h, w)}, {o} filters of {k}x{k}: got shape {got.shape}, "
                             f"first values {np.round(got.reshape(-1)[:3], 4).tolist()}, expected "
                             f"{np.round(expected.reshape(-1)[:3], 4).tolist()}.{hint}")
    return passed("lesson15.exercise3", "dL/dW matches autograd on 3 batches (one, and several, images and filters).")
