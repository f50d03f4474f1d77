"""Checkers for lesson 10 (attention and the Transformer block)."""
import math

import numpy as np

import minigrad as mg
from minigrad.check import ExerciseFailed, passed


def _to_numpy(value, what):
    if hasattr(value, "numpy"):
        return np.asarray(value.numpy())
    if isinstance(value, np.ndarray):
        return value
    raise ExerciseFailed(f"{what}: expected a tensor or NumPy array, got {type(value).__name__}")


def _softmax(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _reference_attention(q, k, v, not_allowed=None):
    scores = q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    if not_allowed is not None:
        scores = np.where(not_allowed, -1e9, scores)
    weights = _softmax(scores)
    return weights @ v, weights, scores


def _diagnose_attention(q, k, v, mask, got_out, got_w):
    """Name the usual mistake when the learner's weights are wrong."""
    _, _, scores = _reference_attention(q, k, v, mask)
    unscaled = q @ np.swapaxes(k, -1, -2)
    candidates = []
    if mask is None:
        candidates.append((_softmax(unscaled), "the scores are not divided by sqrt(d) (d = q.shape[-1])."))
        candidates.append((_softmax(unscaled / q.shape[-1]), "the scores are divided by d; divide by sqrt(d)."))
        e = np.exp(scores - scores.max(axis=-2, keepdims=True))
        candidates.append((e / e.sum(axis=-2, keepdims=True),
                           "the softmax runs over the queries (dim=-2); each query's weights over the keys "
                           "(dim=-1) must sum to 1."))
    else:
        plain = _softmax(q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1]))
        candidates.append((np.where(mask, 0.0, plain), "the mask is applied after the softmax, so the allowed "
                                                       "weights no longer sum to 1. Mask the scores (masked_fill) "
                                                       "before the softmax."))
        inverted = np.broadcast_to(~mask, scores.shape)
        candidates.append((_softmax(np.where(inverted, -1e9, q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1]))),
                           "the mask polarity is inverted: True means *not allowed* (mask those scores)."))
    for weights, message in candidates:
        if got_w.shape == weights.shape and np.allclose(got_w, weights, rtol=1e-6, atol=1e-9):
            return " It looks like " + message
    return ""


def exercise1(my_attention):
    """``my_attention(q, k, v, not_allowed=None) -> (output, weights)``, checked against NumPy and gradcheck."""
    rng = np.random.default_rng(9)
    causal = np.triu(np.ones((4, 4), dtype=bool), k=1)
    padding = np.array([[False, False, False, True, True], [False] * 5])[:, None, :]   # (2, 1, 5)
    cases = [
        ("no mask, L=4, S=5, d=3", (2, 4, 3), (2, 5, 3), (2, 5, 2), None),
        ("no mask, 2 batch dims", (2, 3, 4, 6), (2, 3, 4, 6), (2, 3, 4, 5), None),
        ("causal mask (4, 4)", (2, 4, 3), (2, 4, 3), (2, 4, 3), causal),
        ("key padding mask (2, 1, 5)", (2, 4, 3), (2, 5, 3), (2, 5, 2), padding),
    ]
    for name, qs, ks, vs, mask in cases:
        q, k, v = rng.standard_normal(qs), rng.standard_normal(ks), rng.standard_normal(vs)
        expected_out, expected_w, _ = _reference_attention(q, k, v, mask)
        args = [mg.tensor(a, dtype=mg.float64) for a in (q, k, v)]
        result = my_attention(*args, None if mask is None else mg.tensor(mask))
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise ExerciseFailed(f"exercise1: return (output, weights), got {type(result).__name__}")
        got_out, got_w = _to_numpy(result[0], "output"), _to_numpy(result[1], "weights")
        if got_w.shape != expected_w.shape:
            raise ExerciseFailed(f"exercise1, {name}: weights have shape {got_w.shape}, expected {expected_w.shape} "
                                 "(..., L queries, S keys)")
        if not np.allclose(got_w, expected_w, rtol=1e-6, atol=1e-9):
            raise ExerciseFailed(f"exercise1, {name}: the attention weights are wrong (first row "
                                 f"{np.round(got_w.reshape(-1, got_w.shape[-1])[0], 4).tolist()}, expected "
                                 f"{np.round(expected_w.reshape(-1, expected_w.shape[-1])[0], 4).tolist()})."
                                 + _diagnose_attention(q, k, v, mask, got_out, got_w))
        if got_out.shape != expected_out.shape or not np.allclose(got_out, expected_out, rtol=1e-6, atol=1e-9):
            raise ExerciseFailed(f"exercise1, {name}: the weights are right but the output (shape {got_out.shape}) "
                                 f"is not weights @ v (shape {expected_out.shape}).")
    q, k, v = (mg.tensor(rng.standard_normal(s), dtype=mg.float64, requires_grad=True)
               for s in [(1, 3, 2), (1, 4, 2), (1, 4, 2)])
    mask = mg.tensor(np.array([[False, False, True, False]]))
    try:
        mg.autograd.gradcheck(lambda a, b, c: my_attention(a, b, c, mask)[0], (q, k, v))
    except AssertionError as error:
        raise ExerciseFailed(f"exercise1: gradcheck failed: {error}. Build the output from minigrad ops only "
                             "(no .numpy() round trips) so autograd sees every step.") from None
    return passed("lesson10.exercise1", "outputs and weights match NumPy with no mask, a causal mask and a padding "
                                        "mask, over extra batch dims; gradcheck passes for q, k and v.")


def exercise2(causal_mask):
    """``causal_mask(length)``: bool (length, length), True strictly above the diagonal."""
    for length in (5, 2, 8, 1):
        expected = np.triu(np.ones((length, length), dtype=bool), k=1)
        got = _to_numpy(causal_mask(length), "causal_mask")
        if got.shape != expected.shape:
            raise ExerciseFailed(f"exercise2: causal_mask({length}) has shape {got.shape}, expected {expected.shape}")
        if got.dtype != np.bool_:
            raise ExerciseFailed(f"exercise2: causal_mask({length}) has dtype {got.dtype}; return a bool mask "
                                 "(True = not allowed), e.g. mg.tensor(numpy_bool_array)")
        if np.array_equal(got, expected):
            continue
        hint = ""
        if np.array_equal(got, ~expected):
            hint = " The polarity is inverted: True must mark the *forbidden* (future) keys."
        elif np.array_equal(got, np.triu(np.ones_like(expected), k=0)):
            hint = " The diagonal is masked too: a token may attend to itself (use k=1 in np.triu)."
        elif np.array_equal(got, np.tril(np.ones_like(expected), k=-1)):
            hint = " The mask hides the past instead of the future: forbidden is j > i (above the diagonal)."
        raise ExerciseFailed(f"exercise2: causal_mask({length}) =\n{got.astype(int)}\nexpected\n"
                             f"{expected.astype(int)}.{hint}")
    return passed("lesson10.exercise2", "True exactly where key j > query i, for lengths 5, 2, 8, 1.")


def _reference_positions(max_len, dim):
    position = np.arange(max_len)[:, None]
    omega = 10000.0 ** (-np.arange(0, dim, 2) / dim)
    pe = np.zeros((max_len, dim))
    pe[:, 0::2] = np.sin(position * omega)
    pe[:, 1::2] = np.cos(position * omega)
    return pe


def exercise3(sinusoidal_positions):
    """``sinusoidal_positions(max_len, dim)``: sin in even dims, cos in odd dims, omega_i = 10000^(-2i/dim)."""
    for max_len, dim in [(10, 8), (50, 16), (7, 2)]:
        expected = _reference_positions(max_len, dim)
        got = _to_numpy(sinusoidal_positions(max_len, dim), "sinusoidal_positions").astype(np.float64)
        if got.shape != expected.shape:
            raise ExerciseFailed(f"exercise3: sinusoidal_positions({max_len}, {dim}) has shape {got.shape}, "
                                 f"expected {expected.shape} (positions, dimensions)")
        if np.allclose(got, expected, atol=1e-5):
            continue
        hint = ""
        swapped = expected.copy()
        swapped[:, 0::2], swapped[:, 1::2] = expected[:, 1::2], expected[:, 0::2]
        position = np.arange(max_len)[:, None]
        per_dim = 10000.0 ** (-np.arange(0, dim, 2) / (dim / 2))
        if np.allclose(got, swapped, atol=1e-5):
            hint = " Sine and cosine are swapped: sine goes in the even dimensions 0, 2, 4, ..."
        elif np.allclose(got[:, 0::2], np.sin(position * per_dim), atol=1e-5):
            hint = " The frequency exponent uses i/(dim/2); it is 2i/dim with 2i = 0, 2, 4, ... (the even dimension)."
        raise ExerciseFailed(f"exercise3: sinusoidal_positions({max_len}, {dim}) row 1 = {np.round(got[1], 4).tolist()}, "
                             f"expected {np.round(expected[1], 4).tolist()}.{hint}")
    return passed("lesson10.exercise3", "equal to sin(p w_i), cos(p w_i) with w_i = 10000^(-2i/dim) for three sizes.")


def exercise4(my_layer_norm):
    """``my_layer_norm(x, weight, bias, eps=1e-5)``: matches F.layer_norm and passes gradcheck."""
    rng = np.random.default_rng(10)
    x = rng.standard_normal((3, 4, 6)) * 3 + 1
    w, b = rng.standard_normal(6), rng.standard_normal(6)
    xt, wt, bt = (mg.tensor(a, dtype=mg.float64) for a in (x, w, b))
    got = _to_numpy(my_layer_norm(xt, wt, bt, eps=1e-5), "my_layer_norm")
    expected = mg.nn.functional.layer_norm(xt, (6,), wt, bt, eps=1e-5).numpy()
    if got.shape != expected.shape:
        raise ExerciseFailed(f"exercise4: output shape {got.shape}, expected {expected.shape}")
    if not np.allclose(got, expected, rtol=1e-6, atol=1e-8):
        hint = ""
        unbiased = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, ddof=1, keepdims=True) + 1e-5) * w + b
        over_batch = (x - x.mean(0, keepdims=True)) / np.sqrt(x.var(0, keepdims=True) + 1e-5) * w + b
        no_eps_in_sqrt = (x - x.mean(-1, keepdims=True)) / (np.sqrt(x.var(-1, keepdims=True)) + 1e-5) * w + b
        if np.allclose(got, unbiased, rtol=1e-6):
            hint = " You used the unbiased variance (divide by E - 1); layer norm divides by E."
        elif np.allclose(got, over_batch, rtol=1e-6):
            hint = " You normalised over the batch axis; normalise each position over its last dimension (dim=-1)."
        elif np.allclose(got, no_eps_in_sqrt, rtol=1e-6, atol=1e-8):
            hint = " eps goes inside the square root: sqrt(var + eps)."
        raise ExerciseFailed(f"exercise4: output differs from F.layer_norm (max difference "
                             f"{np.abs(got - expected).max():.3g}).{hint}")
    args = tuple(mg.tensor(a, dtype=mg.float64, requires_grad=True) for a in (rng.standard_normal((2, 5)),
                                                                              rng.standard_normal(5),
                                                                              rng.standard_normal(5)))
    try:
        mg.autograd.gradcheck(lambda a, c, d: my_layer_norm(a, c, d, eps=1e-5), args)
    except AssertionError as error:
        raise ExerciseFailed(f"exercise4: gradcheck failed: {error}. Use minigrad ops only, so autograd sees "
                             "every step (mean, **, sqrt, /, *, +).") from None
    return passed("lesson10.exercise4", "equal to F.layer_norm over the last dim (population variance, eps inside "
                                        "the sqrt); gradcheck passes for x, weight and bias.")
