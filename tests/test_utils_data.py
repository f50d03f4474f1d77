"""minigrad.utils.data against torch.utils.data: batches, samplers, collation, argument errors.

Random orders cannot be compared with PyTorch's (the generators differ), so shuffling is tested
for what it promises (a permutation, reproducible from mg.manual_seed or a Generator, different
for different seeds and epochs); everything deterministic is compared with PyTorch directly.
"""
import collections
import re

import numpy as np
import pytest

import minigrad as mg
import minigrad.data
from minigrad.utils import data as mdata

torch = pytest.importorskip("torch")
tdata = torch.utils.data


def same_message(ours, theirs):
    """Our error says what PyTorch's says (its first sentence), and may then add the fix."""
    first_sentence = re.split(r"(?<=[.;:])", str(theirs.value))[0].rstrip(".;:")
    return str(ours.value).startswith(first_sentence)


def flat(loader):
    """All the indices of one epoch over a dataset of ints, batch by batch."""
    return [batch.tolist() for batch in loader]


class Squares(mdata.Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i * i


class Stream(mdata.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))


class SizedStream(Stream):
    def __len__(self):
        return self.n


class TorchStream(tdata.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_one_implementation_at_both_paths():
    assert mg.utils.data is mdata
    for name in ("DataLoader", "Dataset", "TensorDataset", "default_collate"):
        assert getattr(minigrad.data, name) is getattr(mdata, name)
    assert issubclass(minigrad.data.ListDataset, mdata.Dataset)


@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False),
                                                      (2, 5, True), (7, 1, False)])
def test_sequential_batches_and_len_match_pytorch(n, batch_size, drop_last):
    ours = mdata.DataLoader(list(range(n)), batch_size=batch_size, drop_last=drop_last)
    theirs = tdata.DataLoader(list(range(n)), batch_size=batch_size, drop_last=drop_last)
    assert flat(ours) == flat(theirs)
    assert len(ours) == len(theirs)


def test_shuffle_follows_manual_seed():
    def epoch(seed):
        mg.manual_seed(seed)
        loader = mdata.DataLoader(Squares(40), batch_size=6, shuffle=True)
        return sum(flat(loader), [])

    first = epoch(0)
    assert sorted(first) == [i * i for i in range(40)]            # every example exactly once
    assert first != [i * i for i in range(40)]                    # ... in a shuffled order
    assert epoch(0) == first                                      # same seed: same order
    assert epoch(1) != first                                      # another seed: another order
    mg.manual_seed(0)
    loader = mdata.DataLoader(Squares(40), batch_size=6, shuffle=True)
    assert sum(flat(loader), []) == first
    assert sum(flat(loader), []) != first                         # the next epoch reshuffles


def test_shuffle_with_a_generator_ignores_the_global_seed():
    def epoch(global_seed):
        mg.manual_seed(global_seed)
        loader = mdata.DataLoader(list(range(30)), batch_size=4, shuffle=True,
                                  generator=mg.Generator().manual_seed(7))
        return sum(flat(loader), [])

    assert epoch(0) == epoch(1)
    other = mdata.DataLoader(list(range(30)), batch_size=4, shuffle=True, generator=mg.Generator().manual_seed(8))
    assert sum(flat(other), []) != epoch(0)


def test_tensor_dataset_shuffled_rows_stay_paired():
    x = mg.arange(20, dtype=mg.float32).reshape(10, 2)
    y = mg.arange(10)
    loader = mdata.DataLoader(mdata.TensorDataset(x, y), batch_size=4, shuffle=True,
                              generator=mg.Generator().manual_seed(0))
    seen = []
    for xb, yb in loader:
        assert xb.dtype == mg.float32 and yb.dtype == mg.int64
        np.testing.assert_array_equal(xb.numpy()[:, 0], 2 * yb.numpy())
        seen += yb.tolist()
    assert sorted(seen) == list(range(10))


def test_random_sampler_options():
    g = mg.Generator().manual_seed(3)
    with_replacement = list(mdata.RandomSampler(range(5), replacement=True, num_samples=200, generator=g))
    assert len(with_replacement) == 200 and set(with_replacement) == set(range(5))
    longer = list(mdata.RandomSampler(range(5), num_samples=12, generator=g))
    assert sorted(longer[:5]) == sorted(longer[5:10]) == list(range(5)) and len(set(longer[10:])) == 2
    assert len(mdata.RandomSampler(range(5), num_samples=12)) == len(tdata.RandomSampler(range(5), num_samples=12))


def test_subset_and_weighted_samplers():
    g = mg.Generator().manual_seed(0)
    assert sorted(mdata.SubsetRandomSampler([3, 8, 9], generator=g)) == [3, 8, 9]
    drawn = list(mdata.WeightedRandomSampler([0.0, 1.0, 3.0], num_samples=400, generator=g))
    assert 0 not in drawn and 250 < drawn.count(2) < 350   # P(2) = 3/4
    once = list(mdata.WeightedRandomSampler([1.0, 0.0, 2.0, 5.0], num_samples=3, replacement=False, generator=g))
    assert sorted(once) == [0, 2, 3]
    with pytest.raises(ValueError, match="without replacement"):
        mdata.WeightedRandomSampler([1.0, 0.0], num_samples=2, replacement=False)


@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_matches_pytorch(drop_last):
    ours = mdata.BatchSampler(mdata.SequentialSampler(range(11)), 4, drop_last)
    theirs = tdata.BatchSampler(tdata.SequentialSampler(range(11)), 4, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)
    loader = mdata.DataLoader(list("abcdefghijk"), batch_sampler=ours, collate_fn=list)
    assert list(loader) == list(tdata.DataLoader(list("abcdefghijk"), batch_sampler=theirs, collate_fn=list))


def test_sampler_argument():
    loader = mdata.DataLoader(list(range(6)), batch_size=2, sampler=[5, 4, 3, 2, 1, 0])
    assert flat(loader) == [[5, 4], [3, 2], [1, 0]]


ARGUMENT_ERRORS = [
    dict(shuffle=True, sampler=[0, 1]),
    dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], shuffle=True),
    dict(batch_sampler=[[0]], sampler=[0]),
    dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_size=None, drop_last=True),
    dict(batch_size=0),
    dict(batch_size=2, drop_last="yes"),
    dict(num_workers=-1),
    dict(timeout=-1),
    dict(prefetch_factor=2),
    dict(persistent_workers=True),
]


@pytest.mark.parametrize("options", ARGUMENT_ERRORS, ids=lambda o: ",".join(o))
def test_argument_errors_are_pytorchs(options):
    with pytest.raises(Exception) as theirs:
        tdata.DataLoader(list(range(4)), **options)
    with pytest.raises(type(theirs.value)) as ours:
        mdata.DataLoader(list(range(4)), **options)
    assert same_message(ours, theirs), (str(ours.value), str(theirs.value))


@pytest.mark.parametrize("options", [dict(shuffle=True), dict(sampler=[0, 1]), dict(batch_sampler=[[0]])],
                         ids=lambda o: ",".join(o))
def test_iterable_dataset_refuses_samplers_like_pytorch(options):
    with pytest.raises(ValueError) as theirs:
        tdata.DataLoader(TorchStream(4), **options)
    with pytest.raises(ValueError) as ours:
        mdata.DataLoader(SizedStream(4), **options)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("make", [
    lambda d: d.RandomSampler(range(3), num_samples=0),
    lambda d: d.RandomSampler(range(3), replacement=1),
    lambda d: d.RandomSampler([]),
    lambda d: d.WeightedRandomSampler([[1.0, 2.0]], 2),
    lambda d: d.BatchSampler(range(3), -1, False),
    lambda d: d.random_split(range(10), [3, 3]),
    lambda d: d.random_split(range(10), [1.5, -0.5]),
])
def test_sampler_and_split_argument_errors_are_pytorchs(make):
    with pytest.raises(Exception) as theirs:
        make(tdata)
    with pytest.raises(type(theirs.value)) as ours:
        make(mdata)
    assert same_message(ours, theirs), (str(ours.value), str(theirs.value))


def test_iterable_dataset_batches_like_pytorch():
    for batch_size, drop_last in [(3, False), (3, True), (None, False)]:
        ours = mdata.DataLoader(SizedStream(8), batch_size=batch_size, drop_last=drop_last)
        theirs = tdata.DataLoader(TorchStream(8), batch_size=batch_size, drop_last=drop_last)
        got = [b.tolist() if hasattr(b, "tolist") else b for b in ours]
        assert got == [b.tolist() if hasattr(b, "tolist") else b for b in theirs]
        assert len(ours) == len(theirs)
    assert len(list(mdata.DataLoader(Stream(5), batch_size=2))) == 3
    chained = SizedStream(2) + SizedStream(3)
    assert isinstance(chained, mdata.ChainDataset) and len(chained) == 5
    assert flat(mdata.DataLoader(chained, batch_size=2)) == flat(tdata.DataLoader(TorchStream(2) + TorchStream(3),
                                                                                  batch_size=2))
    with pytest.raises(TypeError):
        len(mdata.DataLoader(Stream(5)))


def test_worker_options_are_accepted_and_loading_stays_in_process():
    calls = []
    loader = mdata.DataLoader(list(range(7)), batch_size=3, num_workers=2, pin_memory=True, timeout=5,
                              worker_init_fn=calls.append, prefetch_factor=4, persistent_workers=True)
    assert flat(loader) == [[0, 1, 2], [3, 4, 5], [6]]
    assert calls == [] and mdata.get_worker_info() is None


def test_loader_attributes_are_frozen_as_in_pytorch():
    loader = mdata.DataLoader(list(range(4)), batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 3
    loader.num_workers = 1  # others may change


def test_random_split_lengths_match_pytorch():
    for n, lengths in [(10, [0.33, 0.33, 0.34]), (7, [0.5, 0.5]), (10, [3, 7]), (5, [0.2, 0.8]), (11, [0.1] * 10)]:
        ours = mdata.random_split(range(n), lengths, generator=mg.Generator().manual_seed(0))
        theirs = tdata.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
        assert [len(s) for s in ours] == [len(s) for s in theirs]
        assert sorted(i for s in ours for i in s) == list(range(n))
    again = mdata.random_split(range(10), [3, 7], generator=mg.Generator().manual_seed(0))
    assert list(again[0]) == list(mdata.random_split(range(10), [3, 7], generator=mg.Generator().manual_seed(0))[0])
    mg.manual_seed(5)
    first = list(mdata.random_split(range(10), [5, 5])[0])
    mg.manual_seed(5)
    assert list(mdata.random_split(range(10), [5, 5])[0]) == first


def test_concat_and_subset_index_like_pytorch():
    parts = [list(range(3)), list(range(10, 15)), list(range(20, 22))]
    ours, theirs = mdata.ConcatDataset(parts), tdata.ConcatDataset(parts)
    assert len(ours) == len(theirs) == 10
    assert [ours[i] for i in range(-10, 10)] == [theirs[i] for i in range(-10, 10)]
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    with pytest.raises(ValueError, match="absolute value of index"):
        ours[-11]
    with pytest.raises(IndexError):
        ours[10]
    added = Squares(3) + Squares(2)
    assert isinstance(added, mdata.ConcatDataset) and [added[i] for i in range(5)] == [0, 1, 4, 0, 1]
    subset = mdata.Subset(Squares(10), [9, 2, 4])
    assert len(subset) == 3 and [subset[i] for i in range(3)] == [81, 4, 16]
    assert flat(mdata.DataLoader(subset, batch_size=2)) == [[81, 4], [16]]
    with pytest.raises(TypeError, match="IterableDataset"):
        mdata.ConcatDataset([SizedStream(2)])


Pair = collections.namedtuple("Pair", "x y")
COLLATE_BATCHES = [
    [1, 2, 3],
    [1.5, 2.5],
    [True, False],
    [np.float32(1), np.float32(2)],
    [np.int32(4), np.int32(5)],
    [np.bool_(True), np.bool_(False)],
    [np.zeros((2, 3), np.float32), np.ones((2, 3), np.float32)],
    [np.zeros(2), np.ones(2)],
    [np.arange(3, dtype=np.int16), np.arange(3, dtype=np.int16)],
    [np.array(3.0), np.array(4.0)],
    [(1, 2.0), (3, 4.0)],
    [[1, 2], [3, 4]],
    [{"a": 1, "b": np.ones(2, np.float32)}, {"a": 2, "b": np.zeros(2, np.float32)}],
    [Pair(1, 2.0), Pair(3, 4.0)],
    ["a", "b"],
    [b"a", b"b"],
    [(np.ones(2, np.float32), {"label": 1, "name": "x"}), (np.zeros(2, np.float32), {"label": 0, "name": "y"})],
]


def _torch_like(value):
    """The batch ``value`` with each tensor replaced by ("tensor", dtype name, shape, values), so a
    minigrad batch and a PyTorch batch compare equal when structure, types, dtypes and values agree."""
    if isinstance(value, (torch.Tensor, mg.Tensor)):
        return ("tensor", str(value.dtype).replace("torch.", ""), tuple(value.shape), value.tolist())
    if isinstance(value, dict):
        return (type(value).__name__, {key: _torch_like(v) for key, v in value.items()})
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return (type(value).__name__, tuple(_torch_like(v) for v in value))
    if isinstance(value, list):
        return ("list", [_torch_like(v) for v in value])
    return (type(value).__name__, value)


@pytest.mark.parametrize("batch", COLLATE_BATCHES, ids=lambda b: type(b[0]).__name__)
def test_default_collate_matches_pytorch(batch):
    ours, theirs = mdata.default_collate(batch), tdata.default_collate(batch)
    assert _torch_like(ours) == _torch_like(theirs)


def test_default_collate_stacks_minigrad_tensors_keeping_dtype_and_graph():
    a = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    b = mg.tensor([3.0, 4.0], dtype=mg.float64, requires_grad=True)
    stacked = mdata.default_collate([a, b])
    assert stacked.shape == (2, 2) and stacked.dtype == mg.float64
    (stacked * mg.tensor([[1.0], [2.0]], dtype=mg.float64)).sum().backward()
    assert a.grad.tolist() == [1.0, 1.0] and b.grad.tolist() == [2.0, 2.0]


@pytest.mark.parametrize("batch", [
    [np.array(["a"]), np.array(["b"])],
    [object(), object()],
    [[1, 2], [3]],
    [np.zeros(2), np.zeros(3)],
], ids=["str-array", "object", "ragged-list", "ragged-array"])
def test_default_collate_errors_are_pytorchs(batch):
    with pytest.raises(Exception) as theirs:
        tdata.default_collate(batch)
    with pytest.raises(type(theirs.value)) as ours:
        mdata.default_collate(batch)
    assert same_message(ours, theirs), (str(ours.value), str(theirs.value))


@pytest.mark.parametrize("example", [np.zeros(2), 1, (np.ones(1, np.float32), 2.0), np.float32(3), "s",
                                     {"x": np.ones(2)}])
def test_default_convert_matches_pytorch(example):
    ours, theirs = mdata.default_convert(example), tdata.default_convert(example)
    assert _torch_like(ours) == _torch_like(theirs)
    ours = list(mdata.DataLoader([example, example], batch_size=None))
    theirs = list(tdata.DataLoader([example, example], batch_size=None))
    assert _torch_like(ours) == _torch_like(theirs)
