"""Checkers for lesson 16 (data parallelism): combining unequal shards, the ring all-reduce, a step-time model."""
import numpy as np

from minigrad.check import ExerciseFailed, exercise, passed


@exercise("lesson16.exercise1")
def exercise1(combine_shard_gradients):
    """``combine_shard_gradients(gradients, sizes)``: the whole batch's gradient from its shards' gradients."""
    rng = np.random.default_rng(16)
    for sizes in ([4, 3, 3, 3], [5, 5], [1, 7, 2], [6]):
        per_example = rng.standard_normal((sum(sizes), 5))          # the gradient of each example's loss
        starts = np.cumsum([0] + sizes)
        gradients = [per_example[a:b].mean(axis=0) for a, b in zip(starts, starts[1:])]
        expected = per_example.mean(axis=0)
        got = np.asarray(combine_shard_gradients([g.copy() for g in gradients], list(sizes)), dtype=np.float64)
        if got.shape != expected.shape or not np.allclose(got, expected, rtol=1e-10, atol=1e-12):
            hint = "Hint: weight rank r's gradient by n_r / N, where N = sum of the sizes."
            if got.shape == expected.shape:
                if np.allclose(got, np.mean(gradients, axis=0)):
                    hint = ("You averaged the ranks equally; that is right only for equal shards. A shard of 7 "
                            "examples must count 7 times as much as a shard of 1: weight by n_r / N.")
                elif np.allclose(got, np.sum(gradients, axis=0)):
                    hint = "You summed the ranks' gradients: the step would be p times too large. Weight by n_r / N."
                elif np.allclose(got, sum(n * g for n, g in zip(sizes, gradients))):
                    hint = "You weighted by n_r but did not divide by N = sum of the sizes."
            raise ExerciseFailed(f"shards of {sizes}: got {np.round(got, 4).tolist()}, expected "
                                 f"{np.round(expected, 4).tolist()}. {hint}")
    return passed("lesson16.exercise1", "sum_r (n_r / N) * gradient_r equals the whole batch's gradient for equal, "
                  "unequal and single shards.")


class _Ring:
    """The checker's network: counts the bytes each rank sends and refuses anything but the right neighbour."""

    def __init__(self, p):
        self.p = p
        self.sent = np.zeros(p, dtype=np.int64)

    def send(self, src, dst, chunk):
        if not (isinstance(src, (int, np.integer)) and isinstance(dst, (int, np.integer))) or not 0 <= src < self.p:
            raise ExerciseFailed(f"send(src, dst, chunk) takes two rank numbers in 0..{self.p - 1}, "
                                 f"got {src!r}, {dst!r}")
        if dst != (src + 1) % self.p:
            raise ExerciseFailed(f"rank {src} sent to rank {dst}: in a ring each rank sends only to its right "
                                 f"neighbour, (r + 1) % p = {(src + 1) % self.p}. An exchange where everyone sends to "
                                 "everyone costs (p - 1) N bytes per rank; the ring's point is 2 (p - 1) / p N.")
        chunk = np.asarray(chunk)
        self.sent[src] += chunk.nbytes
        return chunk.copy()


@exercise("lesson16.exercise2")
def exercise2(ring_all_reduce):
    """``ring_all_reduce(arrays, send)``: every rank ends with the sum, 2 (p - 1) / p * N bytes sent per rank."""
    rng = np.random.default_rng(2)
    for p, n in ((2, 6), (3, 12), (4, 8), (5, 20), (4, 10), (1, 3)):
        arrays = [rng.standard_normal(n) for _ in range(p)]
        originals = [a.copy() for a in arrays]
        ring = _Ring(p)
        result = ring_all_reduce([a.copy() for a in arrays], ring.send)
        expected = np.sum(originals, axis=0)
        if not isinstance(result, (list, tuple)) or len(result) != p:
            raise ExerciseFailed(f"return a list with one array per rank ({p}), got {type(result).__name__}")
        for r, got in enumerate(result):
            got = np.asarray(got)
            if got.shape != expected.shape or not np.allclose(got, expected, rtol=1e-10, atol=1e-12):
                hint = ("Hint: after reduce-scatter rank r holds the full sum of chunk (r + 1) % p only; the "
                        "all-gather must pass every finished chunk around the ring (and overwrite, not add).")
                if got.shape == expected.shape and np.allclose(got, originals[r]):
                    hint = "Rank r's array is unchanged: nothing was added into it."
                raise ExerciseFailed(f"p = {p}, N = {n}: rank {r} ends with {np.round(got, 3).tolist()}, expected "
                                     f"the sum {np.round(expected, 3).tolist()}. {hint}")
        n_bytes = originals[0].nbytes
        if n % p == 0:
            wanted = 2 * (p - 1) * n_bytes // p
            if not np.all(ring.sent == wanted):
                hint = "Hint: each of the 2 (p - 1) steps sends ONE chunk of N / p numbers per rank."
                if ring.sent.max() >= (p - 1) * n_bytes and p > 2:
                    hint = ("Some rank sent whole arrays, (p - 1) N bytes or more: send chunks of N / p "
                            "(np.array_split(array, p)), one per step.")
                raise ExerciseFailed(f"p = {p}, N = {n} float64 ({n_bytes} bytes): the ranks sent "
                                     f"{ring.sent.tolist()} bytes, the ring sends 2 (p - 1) / p N = {wanted} each. "
                                     f"{hint}")
        elif ring.sent.sum() != 2 * (p - 1) * n_bytes:
            raise ExerciseFailed(f"p = {p}, N = {n}: {ring.sent.sum()} bytes sent in all; the ring sends every chunk "
                                 f"2 (p - 1) times, {2 * (p - 1) * n_bytes} bytes in all")
    return passed("lesson16.exercise2", "every rank ends with the sum, sending only to its right neighbour, "
                  "2 (p - 1) / p * N bytes per rank, for p = 1 to 5 (and sizes that do not divide by p).")


def _reference_step(compute, gradient_bytes, ranks, latency, bandwidth, buckets):
    if ranks == 1:
        return compute
    return compute / ranks + buckets * latency + 2 * (ranks - 1) / ranks * gradient_bytes / bandwidth


@exercise("lesson16.exercise3")
def exercise3(predicted_step_seconds):
    """``predicted_step_seconds(compute_seconds, gradient_bytes, ranks, latency, bandwidth, buckets=1)``."""
    cases = [(0.030, 2.4e6, 2, 20e-6, 4e9, 1), (0.030, 2.4e6, 8, 20e-6, 4e9, 1), (0.005, 7.5e6, 4, 1e-3, 1e9, 3),
             (0.2, 1e8, 16, 5e-6, 25e9, 4), (0.010, 2.4e6, 1, 20e-6, 4e9, 1)]
    for compute, g, p, latency, bandwidth, buckets in cases:
        got = float(predicted_step_seconds(compute, g, p, latency, bandwidth, buckets))
        expected = _reference_step(compute, g, p, latency, bandwidth, buckets)
        if not np.isclose(got, expected, rtol=1e-9):
            hint = "Hint: T(p) = T(1) / p + buckets * latency + 2 (p - 1) / p * G / bandwidth."
            if p == 1:
                hint = "One process sends nothing: T(1) is the compute time alone."
            elif np.isclose(got, compute / p + buckets * latency + g / bandwidth):
                hint = "The ring sends 2 (p - 1) / p * G bytes per rank, not G."
            elif np.isclose(got, compute / p + latency + 2 * (p - 1) / p * g / bandwidth):
                hint = "Each bucket is one message and pays the latency: buckets * latency."
            elif np.isclose(got, compute + buckets * latency + 2 * (p - 1) / p * g / bandwidth):
                hint = "Each rank computes only 1/p of the batch: T(1) / p."
            raise ExerciseFailed(f"T(1) = {compute * 1e3:g} ms, G = {g:g} bytes, p = {p}, latency {latency:g} s, "
                                 f"bandwidth {bandwidth:g} B/s, {buckets} bucket(s): got {got:.6g} s, expected "
                                 f"{expected:.6g} s. {hint}")
    speedups = []
    models = (("the sentiment model at batch 64", 0.030, 2.4e6), ("the sentiment model at batch 8", 0.004, 2.4e6),
              ("the 1.9 M-parameter MLP", 0.022, 7.5e6))
    for name, compute, g in models:
        one = predicted_step_seconds(compute, g, 1, 1e-3, 0.5e9, 1)
        speedups.append(f"{one / predicted_step_seconds(compute, g, 8, 1e-3, 0.5e9, 1):.1f}x for {name}")
    return passed("lesson16.exercise3", "your model matches T(p) = T(1)/p + b alpha + 2 (p-1)/p G / beta. On a busy "
                  "machine (alpha 1 ms, beta 0.5 GB/s) 8 ranks would give " + ", ".join(speedups) + ".")
