"""Checkers for lesson 10 (attention): splitting heads, one KV-cache step, ALiBi attention."""
import math

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.check import ExerciseFailed, exercise, passed


def _softmax(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _numpy(t, what):
    if not isinstance(t, mg.Tensor):
        raise ExerciseFailed(f"{what} returned {type(t).__name__}; return a minigrad tensor (built from minigrad ops)")
    return t.numpy()


@exercise("lesson10.exercise1")
def exercise1(split_heads, merge_heads):
    """``split_heads(x, n_heads)``: (N, L, E) -> (N, H, L, E/H); ``merge_heads``: the inverse."""
    rng = np.random.default_rng(10)
    n, length, e, h = 2, 5, 12, 3
    x_np = rng.standard_normal((n, length, e))
    expected = x_np.reshape(n, length, h, e // h).transpose(0, 2, 1, 3)
    got = _numpy(split_heads(mg.tensor(x_np), h), "split_heads")
    if got.shape != expected.shape:
        raise ExerciseFailed(f"split_heads of a (2, 5, 12) tensor with 3 heads has shape {got.shape}, expected "
                             f"{expected.shape} = (N, H, L, E / H)")
    if not np.array_equal(got, expected):
        hint = "Hint: x.reshape(N, L, H, E // H).transpose(1, 2): head h must get features h*E/H ... (h+1)*E/H - 1."
        if np.array_equal(got, x_np.reshape(n, h, length, e // h)):
            hint = ("You reshaped (N, L, E) straight to (N, H, L, E/H): that cuts the FLAT memory into pieces, so "
                    "'head 0' gets whole tokens 0-1 and part of token 2. Reshape to (N, L, H, E/H), then transpose.")
        raise ExerciseFailed(f"split_heads puts the wrong numbers in the heads (head 0, token 0 is "
                             f"{np.round(got[0, 0, 0], 3).tolist()}, expected {np.round(expected[0, 0, 0], 3).tolist()}). "
                             f"{hint}")
    back = _numpy(merge_heads(mg.tensor(expected)), "merge_heads")
    if back.shape != x_np.shape or not np.array_equal(back, x_np):
        raise ExerciseFailed(f"merge_heads(split_heads(x)) is not x (shape {back.shape}). Hint: transpose(1, 2) back to "
                             "(N, L, H, D), then reshape to (N, L, H * D).")
    x = mg.tensor(rng.standard_normal((1, 3, 4)), requires_grad=True)
    try:
        mg.autograd.gradcheck(lambda t: merge_heads(split_heads(t, 2) * 2.0), (x,))
    except (AssertionError, RuntimeError) as error:
        raise ExerciseFailed(f"no correct gradient flows through your reshapes: {error}") from None
    return passed("lesson10.exercise1", "head h gets features h E/H .. (h+1) E/H - 1 of every token, and merge undoes it.")


@exercise("lesson10.exercise2")
def exercise2(attend_last):
    """``attend_last(q_last, k_cache, v_cache)``: the newest position's causal attention output."""
    rng = np.random.default_rng(11)
    n, length, d, dv = 2, 6, 4, 3
    q, k, v = (rng.standard_normal((n, length, size)) for size in (d, d, dv))
    causal = np.triu(np.ones((length, length), dtype=bool), k=1)
    full = _softmax(np.where(causal, -1e9, q @ np.swapaxes(k, -1, -2) / math.sqrt(d))) @ v
    for t in (0, 3, length - 1):
        got = _numpy(attend_last(mg.tensor(q[:, t:t + 1]), mg.tensor(k[:, :t + 1]), mg.tensor(v[:, :t + 1])),
                     "attend_last")
        if got.shape != (n, 1, dv):
            raise ExerciseFailed(f"attend_last with a cache of {t + 1} positions returned shape {got.shape}, expected "
                                 f"({n}, 1, {dv})")
        if not np.allclose(got, full[:, t:t + 1], rtol=1e-10, atol=1e-12):
            hint = "Hint: softmax over the cached keys of q_last k^T / sqrt(d), times the cached values."
            unscaled = _softmax(q[:, t:t + 1] @ np.swapaxes(k[:, :t + 1], -1, -2)) @ v[:, :t + 1]
            if t > 0 and np.allclose(got, unscaled):
                hint = "You forgot to divide the scores by sqrt(d)."
            raise ExerciseFailed(f"at position {t} your output {np.round(got[0, 0], 5).tolist()} differs from row {t} of "
                                 f"full causal attention {np.round(full[0, t], 5).tolist()}. {hint}")
    tensors = [mg.tensor(a[:, 2:3] if i == 0 else a[:, :3], requires_grad=True) for i, a in enumerate((q, k, v))]
    try:
        mg.autograd.gradcheck(attend_last, tuple(tensors))
    except (AssertionError, RuntimeError) as error:
        raise ExerciseFailed(f"the values are right but the gradient is not: {error}. Use minigrad ops only.") from None
    return passed("lesson10.exercise2", "one cached step equals the matching row of full causal attention, gradients too.")


@exercise("lesson10.exercise3")
def exercise3(alibi_attention):
    """``alibi_attention(q, k, v, slope)``: causal attention with scores q k^T / sqrt(d) - slope (i - j)."""
    rng = np.random.default_rng(12)
    n, length, d = 2, 5, 4
    q, k, v = (rng.standard_normal((n, length, d)) for _ in range(3))
    slope = 0.5
    i, j = np.arange(length)[:, None], np.arange(length)[None, :]
    scores = q @ np.swapaxes(k, -1, -2) / math.sqrt(d) - slope * (i - j)
    weights = _softmax(np.where(j > i, -1e9, scores))
    result = alibi_attention(mg.tensor(q), mg.tensor(k), mg.tensor(v), slope)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise ExerciseFailed("return a pair (output, weights)")
    out, w = (_numpy(r, "alibi_attention") for r in result)
    if w.shape != weights.shape or not np.allclose(w, weights, rtol=1e-9, atol=1e-12):
        hint = "Hint: s_ij = q_i . k_j / sqrt(d) - slope * (i - j), then mask j > i, then softmax over j."
        if w.shape == weights.shape:
            if np.any(w[:, j > i] > 1e-6):
                hint = "Future keys get weight: mask j > i (strictly above the diagonal) before the softmax."
            elif np.allclose(w, _softmax(np.where(j > i, -1e9, scores + 2 * slope * (i - j)))):
                hint = "Your penalty has the wrong sign: a FARTHER key must score LOWER, so subtract slope * (i - j)."
            elif np.allclose(w, _softmax(np.where(j > i, -1e9, q @ np.swapaxes(k, -1, -2) / math.sqrt(d)))):
                hint = "You left out the bias -slope * (i - j)."
        raise ExerciseFailed(f"the attention weights differ from ALiBi's (row 3 of the first example: "
                             f"{np.round(w[0, 3], 4).tolist() if w.shape == weights.shape else w.shape}, expected "
                             f"{np.round(weights[0, 3], 4).tolist()}). {hint}")
    if not np.allclose(out, weights @ v, rtol=1e-9, atol=1e-12):
        raise ExerciseFailed("the weights are right but the output is not weights @ v")
    x = mg.tensor(rng.standard_normal((1, 3, 2)), requires_grad=True)
    try:
        mg.autograd.gradcheck(lambda t: alibi_attention(t, t, t, slope)[0], (x,))
    except (AssertionError, RuntimeError) as error:
        raise ExerciseFailed(f"the values are right but the gradient is not: {error}. Use minigrad ops only.") from None
    return passed("lesson10.exercise3", "causal, distance-penalised weights and outputs match NumPy, and gradcheck passes.")
