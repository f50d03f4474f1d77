"""BucketBatchSampler and pad_batch."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from minigrad.data import BucketBatchSampler, DataLoader, pad_batch


def _padding_waste(batches, lengths):
    """Fraction of computed positions that are padding."""
    padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    return 1 - sum(lengths) / padded


@settings(max_examples=40, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 60), min_size=0, max_size=300),
    batch_size=st.integers(1, 17),
    multiplier=st.integers(1, 5),
    shuffle=st.booleans(),
)
def test_every_index_exactly_once(lengths, batch_size, multiplier, shuffle):
    sampler = BucketBatchSampler(lengths, batch_size, shuffle=shuffle, seed=3, bucket_size_multiplier=multiplier)
    batches = list(sampler)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert len(batches) == len(sampler)
    assert all(1 <= len(b) <= batch_size for b in batches)
    assert sum(len(b) < batch_size for b in batches) <= 1


def test_drop_last_drops_only_the_short_batch():
    sampler = BucketBatchSampler(list(range(25)), batch_size=4, drop_last=True)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 6
    assert all(len(b) == 4 for b in batches)
    assert len({i for b in batches for i in b}) == 24


def test_no_shuffle_gives_sorted_lengths():
    lengths = [5, 1, 4, 1, 3]
    assert list(BucketBatchSampler(lengths, batch_size=2, shuffle=False)) == [[1, 3], [4, 2], [0]]


def test_seeded_and_reshuffled_each_epoch():
    lengths = np.random.default_rng(0).integers(1, 50, size=500).tolist()
    a, b = BucketBatchSampler(lengths, 16, seed=5), BucketBatchSampler(lengths, 16, seed=5)
    epochs_a, epochs_b = [list(a) for _ in range(2)], [list(b) for _ in range(2)]
    assert epochs_a == epochs_b
    assert epochs_a[0] != epochs_a[1]


def test_bucketing_wastes_much_less_padding_than_random_batches():
    rng = np.random.default_rng(0)
    lengths = np.clip(rng.lognormal(2.5, 0.6, size=5000).astype(int), 1, 80).tolist()
    bucketed = list(BucketBatchSampler(lengths, batch_size=32, seed=0))
    random_order = rng.permutation(len(lengths))
    random_batches = [random_order[i : i + 32].tolist() for i in range(0, len(lengths), 32)]
    bucketed_waste, random_waste = _padding_waste(bucketed, lengths), _padding_waste(random_batches, lengths)
    assert bucketed_waste < 0.25 * random_waste, (bucketed_waste, random_waste)
    # Batch order is shuffled: lengths are not simply increasing through the epoch.
    maxima = [max(lengths[i] for i in b) for b in bucketed]
    assert maxima != sorted(maxima)


def test_works_as_a_dataloader_batch_sampler():
    sentences = [[1] * n for n in [3, 1, 2, 8, 7, 1]]
    sampler = BucketBatchSampler([len(s) for s in sentences], batch_size=2, shuffle=False)
    loader = DataLoader(sentences, batch_sampler=sampler, collate_fn=lambda b: pad_batch(b, pad_id=0)[0].shape)
    assert list(loader) == [(2, 1), (2, 3), (2, 8)]


def test_pad_batch():
    ids, mask = pad_batch([[5, 6, 7], [8], []], pad_id=0)
    assert ids.dtype == np.int64 and mask.dtype == np.bool_
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0], [0, 0, 0]]
    assert mask.tolist() == [[True] * 3, [True, False, False], [False] * 3]


def test_pad_batch_max_len_truncates_and_caps_width():
    ids, mask = pad_batch([np.array([1, 2, 3, 4, 5]), [6]], pad_id=9, max_len=3)
    assert ids.tolist() == [[1, 2, 3], [6, 9, 9]] and mask.sum() == 4
    ids, _ = pad_batch([[1], [2, 3]], pad_id=0, max_len=10)
    assert ids.shape == (2, 2)


def test_pad_batch_errors():
    with pytest.raises(ValueError, match="no sequences"):
        pad_batch([], pad_id=0)
    with pytest.raises(ValueError, match="max_len"):
        pad_batch([[1]], pad_id=0, max_len=0)
