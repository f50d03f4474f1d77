"""Dataset classes, DataLoader batching/shuffling and collation."""
from typing import NamedTuple

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import DataLoader, Dataset, ListDataset, TensorDataset, default_collate, numpy_collate


def _batches_of_indices(loader):
    return [batch.numpy().tolist() for batch in loader]


def test_sequential_batches_and_len():
    loader = DataLoader(ListDataset(list(range(10))), batch_size=4)
    assert len(loader) == 3
    assert _batches_of_indices(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_drop_last():
    loader = DataLoader(list(range(10)), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert _batches_of_indices(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(list(range(8)), batch_size=4, drop_last=True)) == 2


def test_shuffle_is_seeded_and_reshuffles_each_epoch():
    data = list(range(50))
    # PyTorch's way to seed one loader: its own generator (minigrad's old seed= argument is gone).
    first = DataLoader(data, batch_size=8, shuffle=True, generator=mg.Generator().manual_seed(123))
    second = DataLoader(data, batch_size=8, shuffle=True, generator=mg.Generator().manual_seed(123))
    epochs_a = [sum(_batches_of_indices(first), []) for _ in range(3)]
    epochs_b = [sum(_batches_of_indices(second), []) for _ in range(3)]
    assert epochs_a == epochs_b                       # same seed: same sequence of epochs
    assert all(sorted(e) == data for e in epochs_a)   # each epoch is a permutation
    assert epochs_a[0] != epochs_a[1] != epochs_a[2]  # but epochs differ
    assert epochs_a[0] != data
    other = DataLoader(data, batch_size=8, shuffle=True, generator=mg.Generator().manual_seed(124))
    assert sum(_batches_of_indices(other), []) != epochs_a[0]


def test_generator_argument():
    data = list(range(20))
    loader = DataLoader(data, batch_size=5, shuffle=True, generator=np.random.default_rng(7))
    expected = np.random.default_rng(7).permutation(20).tolist()
    assert sum(_batches_of_indices(loader), []) == expected


def test_batch_sampler():
    loader = DataLoader(list("abcdef"), batch_sampler=[[5, 0], [2], [1, 3, 4]], collate_fn=list)
    assert list(loader) == [["f", "a"], ["c"], ["b", "d", "e"]]
    assert len(loader) == 3
    with pytest.raises(ValueError, match="batch_sampler"):
        DataLoader(list("abc"), batch_size=2, batch_sampler=[[0]])


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader([1, 2], batch_size=0)


def test_default_collate_makes_tensors_with_the_right_dtypes():
    batch = default_collate([(np.array([1.0, 2.0], dtype=np.float32), 1, 0.5, True, "a"),
                             (np.array([3.0, 4.0], dtype=np.float32), 0, 1.5, False, "b")])
    features, labels, weights, flags, names = batch
    assert isinstance(features, mg.Tensor) and features.shape == (2, 2) and features.dtype == np.float32
    assert labels.dtype == np.int64 and labels.tolist() == [1, 0]
    assert weights.dtype == np.float64 and weights.tolist() == [0.5, 1.5]
    assert flags.dtype == np.bool_ and flags.tolist() == [True, False]
    assert names == ["a", "b"]


def test_collate_recurses_into_dicts_lists_and_named_tuples():
    class Pair(NamedTuple):
        x: np.ndarray
        y: int

    out = numpy_collate([{"pair": Pair(np.zeros(3), 1), "ids": [1, 2]}, {"pair": Pair(np.ones(3), 0), "ids": [3, 4]}])
    assert isinstance(out["pair"], Pair)
    assert out["pair"].x.shape == (2, 3) and out["pair"].y.tolist() == [1, 0]
    assert [column.tolist() for column in out["ids"]] == [[1, 3], [2, 4]]


def test_collate_stacks_tensors():
    dataset = TensorDataset(mg.tensor(np.arange(12.0).reshape(6, 2)), np.arange(6))
    x, y = next(iter(DataLoader(dataset, batch_size=4)))
    assert x.shape == (4, 2) and x.numpy().tolist() == [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert y.tolist() == [0, 1, 2, 3]


def test_collate_errors_explain_the_fix():
    # RuntimeError, as PyTorch's default_collate raises (was ValueError before minigrad.utils.data).
    with pytest.raises(RuntimeError, match="pad_batch"):
        numpy_collate([np.zeros(3), np.zeros(4)])
    with pytest.raises(RuntimeError, match="pad_batch"):
        numpy_collate([[1, 2, 3], [4]])
    with pytest.raises(TypeError, match="collate_fn"):
        numpy_collate([object(), object()])


def test_tensor_dataset_and_base_class():
    dataset = TensorDataset(np.arange(6).reshape(3, 2), np.array([7, 8, 9]))
    assert len(dataset) == 3
    row, label = dataset[1]
    assert row.tolist() == [2, 3] and label == 8
    with pytest.raises(ValueError, match="same first dimension"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    # As torch.utils.data.Dataset: the base class has no __len__, and __getitem__ must be written.
    with pytest.raises(TypeError):
        len(Dataset())
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
