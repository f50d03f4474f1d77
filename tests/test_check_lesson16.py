"""The lesson 16 checkers accept right answers and reject typical wrong ones with a message naming the mistake."""
import numpy as np
import pytest

from minigrad.check import ExerciseFailed, lesson16, reference_solutions

SOLUTIONS = reference_solutions(16)


def test_exercise1_accepts_the_weighted_average():
    assert lesson16.exercise1(SOLUTIONS.combine_shard_gradients) is True


@pytest.mark.parametrize("wrong, message", [
    (lambda grads, sizes: np.mean(grads, axis=0), "averaged the ranks equally"),
    (lambda grads, sizes: np.sum(grads, axis=0), "summed the ranks' gradients"),
    (lambda grads, sizes: sum(n * g for n, g in zip(sizes, grads)), "did not divide by N"),
])
def test_exercise1_names_equal_weights_sums_and_a_missing_division(wrong, message):
    with pytest.raises(ExerciseFailed, match=message):
        lesson16.exercise1(wrong)


def test_exercise2_accepts_the_ring():
    assert lesson16.exercise2(SOLUTIONS.ring_all_reduce) is True


def test_exercise2_rejects_sending_to_everyone_and_whole_arrays():
    def everyone_to_everyone(arrays, send):
        p = len(arrays)
        received = [[send(r, d, arrays[r]) for r in range(p) if r != d] for d in range(p)]
        return [arrays[d] + sum(received[d]) for d in range(p)]
    with pytest.raises(ExerciseFailed, match="only to its right neighbour"):
        lesson16.exercise2(everyone_to_everyone)

    def whole_arrays_around_the_ring(arrays, send):      # pass the running sum around, then the result
        p = len(arrays)
        total = arrays[0].copy()
        for r in range(p - 1):
            total = send(r, r + 1, total) + arrays[r + 1]
        results = [None] * p
        results[p - 1] = total
        for r in range(p - 1, 2 * p - 2):
            results[(r + 1) % p] = send(r % p, (r + 1) % p, results[r % p])
        return results
    with pytest.raises(ExerciseFailed, match="sent whole arrays"):
        lesson16.exercise2(whole_arrays_around_the_ring)

    def forgets_the_all_gather(arrays, send):
        return [np.asarray(a) for a in arrays]
    with pytest.raises(ExerciseFailed, match="unchanged: nothing was added"):
        lesson16.exercise2(forgets_the_all_gather)


def test_exercise3_accepts_the_step_model():
    assert lesson16.exercise3(SOLUTIONS.predicted_step_seconds) is True


@pytest.mark.parametrize("wrong, message", [
    (lambda t, g, p, a, b, k=1: t / p + k * a + g / b, "not G"),
    (lambda t, g, p, a, b, k=1: t / p + a + 2 * (p - 1) / p * g / b, "buckets \\* latency"),
    (lambda t, g, p, a, b, k=1: t + k * a + 2 * (p - 1) / p * g / b, "only 1/p of the batch"),
    (lambda t, g, p, a, b, k=1: t / p + k * a + 2 * (p - 1) / p * g / b + (a if p == 1 else 0), "sends nothing"),
])
def test_exercise3_names_each_missing_term(wrong, message):
    with pytest.raises(ExerciseFailed, match=message):
        lesson16.exercise3(wrong)
