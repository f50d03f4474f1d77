"""Checkers for lesson 14 (making it cheaper): quantisation and pruning."""
import numpy as np

from minigrad.check import ExerciseFailed, passed


def _weights(seed, shape=(12, 20)):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(shape).astype(np.float32) * 0.1
    w[3] *= 20          # an outlier row: per-channel scales matter
    return w


def _check_integers(q, levels, where):
    q = np.asarray(q)
    if not np.issubdtype(q.dtype, np.integer):
        if not np.all(np.equal(np.round(q), q)):
            raise ExerciseFailed(f"{where}: q holds non-integers (e.g. {q.ravel()[0]!r}); round(w / scale)")
    if np.abs(q).max() > levels:
        raise ExerciseFailed(f"{where}: |q| reaches {int(np.abs(q).max())}, above Q = {levels}. With "
                             f"scale = max|w| / {levels} the largest weight maps exactly to {levels}.")
    return q.astype(np.int64)


def exercise1(quantize_per_tensor):
    """``quantize_per_tensor(w, bits) -> (q, scale)`` with scale = max|w| / (2^(bits-1) - 1), q = round(w / scale)."""
    for bits in (8, 4, 3):
        w = _weights(30 + bits)
        levels = 2 ** (bits - 1) - 1
        expected_scale = np.abs(w).max() / levels
        result = quantize_per_tensor(w.copy(), bits)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise ExerciseFailed(f"exercise1: return (q, scale), got {type(result).__name__}")
        q, scale = result
        where = f"exercise1 ({bits} bits)"
        if np.ndim(scale) != 0 and np.size(scale) != 1:
            raise ExerciseFailed(f"{where}: per-tensor means one scale, got shape {np.shape(scale)}")
        scale = float(np.asarray(scale).ravel()[0])
        if np.isclose(scale, np.abs(w).max() / (levels + 1)):
            raise ExerciseFailed(f"{where}: scale = max|w| / {levels + 1}; the largest weight then needs q = {levels + 1}, "
                                 f"outside the symmetric range [-{levels}, {levels}] (int8 would wrap 128 to -128). "
                                 f"Divide by Q = {levels}.")
        if not np.isclose(scale, expected_scale, rtol=1e-5):
            raise ExerciseFailed(f"{where}: scale = {scale:.6g}, expected max|w| / {levels} = {expected_scale:.6g}")
        q = _check_integers(q, levels, where)
        expected_q = np.clip(np.round(w / expected_scale), -levels, levels)
        if q.shape != w.shape:
            raise ExerciseFailed(f"{where}: q has shape {q.shape}, expected {w.shape}")
        if not np.array_equal(q, expected_q):
            hint = ""
            if np.array_equal(q, np.trunc(w / expected_scale)) or np.array_equal(q, np.floor(w / expected_scale)):
                hint = " Use round(), not floor/trunc/astype(int): truncation doubles the error and biases weights toward 0."
            raise ExerciseFailed(f"{where}: {int((q != expected_q).sum())} entries of q differ from round(w / scale).{hint}")
    return passed("lesson14.exercise1", "scale = max|w| / Q and q = round(w / scale) in [-Q, Q] for 8, 4 and 3 bits.")


def exercise2(quantize_per_channel):
    """One scale per output row: scales = max over each row of |w|, divided by Q."""
    for bits in (8, 4):
        w = _weights(40 + bits)
        levels = 2 ** (bits - 1) - 1
        expected_scales = np.abs(w).max(axis=1) / levels
        result = quantize_per_channel(w.copy(), bits)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise ExerciseFailed(f"exercise2: return (q, scales), got {type(result).__name__}")
        q, scales = result
        scales = np.asarray(scales, dtype=np.float64)
        where = f"exercise2 ({bits} bits)"
        if scales.size == w.shape[1]:
            raise ExerciseFailed(f"{where}: {scales.size} scales: one per *column*. An output channel of a Linear "
                                 f"weight (out, in) is a row: take the max over axis=1 ({w.shape[0]} scales).")
        if scales.size != w.shape[0]:
            raise ExerciseFailed(f"{where}: expected {w.shape[0]} scales (one per row), got shape {scales.shape}")
        if not np.allclose(scales.reshape(-1), expected_scales, rtol=1e-5):
            raise ExerciseFailed(f"{where}: scales {np.round(scales.reshape(-1)[:4], 6).tolist()}..., expected "
                                 f"max|row| / {levels} = {np.round(expected_scales[:4], 6).tolist()}...")
        q = _check_integers(q, levels, where)
        expected_q = np.clip(np.round(w / expected_scales[:, None]), -levels, levels)
        if q.shape != w.shape or not np.array_equal(q, expected_q):
            raise ExerciseFailed(f"{where}: q differs from round(w / scale_row) in "
                                 f"{int((q != expected_q).sum()) if q.shape == w.shape else 'shape'} places")
    error_tensor = np.abs(w - np.round(w / (np.abs(w).max() / 7)) * (np.abs(w).max() / 7)).mean()
    error_channel = np.abs(w - expected_q * expected_scales[:, None]).mean()
    return passed("lesson14.exercise2", f"one scale per row; at 4 bits the mean error drops from {error_tensor:.4f} "
                                        f"(per-tensor) to {error_channel:.4f} on a matrix with an outlier row.")


def exercise3(magnitude_prune):
    """Zero the round(f * size) smallest-|w| entries of a copy; the rest unchanged."""
    for fraction in (0.0, 0.3, 0.75, 1.0):
        w = _weights(50, (10, 16))
        original = w.copy()
        pruned = np.asarray(magnitude_prune(w, fraction))
        where = f"exercise3 (fraction {fraction})"
        if not np.array_equal(w, original):
            raise ExerciseFailed(f"{where}: the input array was modified; prune a copy (w.copy()) and return it")
        if pruned.shape != w.shape:
            raise ExerciseFailed(f"{where}: shape {pruned.shape}, expected {w.shape}")
        k = int(round(fraction * w.size))
        expected = w.copy()
        expected.flat[np.argsort(np.abs(w), axis=None)[:k]] = 0
        if np.array_equal(pruned, expected):
            continue
        hint = ""
        signed = w.copy()
        signed.flat[np.argsort(w, axis=None)[:k]] = 0
        if np.array_equal(pruned, signed):
            hint = " You removed the smallest *signed* values (the most negative); sort by np.abs(w)."
        elif (pruned == 0).sum() != k:
            hint = f" {int((pruned == 0).sum())} zeros instead of round({fraction} * {w.size}) = {k}."
        raise ExerciseFailed(f"{where}: the pruned array differs from zeroing the {k} smallest |w|.{hint}")
    return passed("lesson14.exercise3", "exactly round(f * size) smallest magnitudes zeroed, the rest unchanged, "
                                        "the input untouched, for f = 0, 0.3, 0.75, 1.")
