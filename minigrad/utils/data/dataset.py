"""Datasets, as ``torch.utils.data``: what a ``DataLoader`` loads.

Two kinds:

* a **map-style** ``Dataset`` has a length and returns example ``i`` for ``dataset[i]``
  (a plain Python list already is one); the loader picks the indices, so it can shuffle;
* an ``IterableDataset`` is a stream: the loader just runs ``for example in dataset``
  (for data read from a file or generated on the fly, where ``dataset[i]`` makes no sense).

Building blocks on top: ``TensorDataset`` (row ``i`` of several tensors), ``ConcatDataset``
(one after the other; also ``a + b``), ``Subset`` (some indices of another dataset) and
``random_split`` (disjoint random subsets, e.g. train / validation).
"""
from __future__ import annotations

import bisect
import itertools
import math
import warnings
from typing import Any, Generic, Iterable, Iterator, Sequence, TypeVar

from minigrad.random import generator_of

T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """Base class of map-style datasets: subclasses implement ``__getitem__(index)`` and
    (for the samplers and ``len(loader)``) ``__len__``.

    ``Dataset[T]`` works in type hints, as in PyTorch: ``class Pairs(Dataset[tuple]): ...``.
    """

    def __getitem__(self, index) -> T_co:
        raise NotImplementedError(f"Subclasses of Dataset should implement __getitem__ "
                                  f"({type(self).__name__} does not)")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co]):
    """Base class of stream datasets: subclasses implement ``__iter__`` (and ``__len__`` only if
    they know their length).  A ``DataLoader`` over one cannot shuffle or take a sampler."""

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError(f"Subclasses of IterableDataset should implement __iter__ "
                                  f"({type(self).__name__} does not)")

    def __add__(self, other: IterableDataset) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset[tuple]):
    """Row ``i`` of several equally long tensors, as a tuple:
    ``TensorDataset(features, labels)[3] == (features[3], labels[3])``.

    The tensors are kept in ``.tensors``.  (NumPy arrays work too, and stay NumPy arrays.)
    """

    def __init__(self, *tensors: Any):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        lengths = [len(t) for t in tensors]
        if len(set(lengths)) != 1:
            shapes = [tuple(getattr(t, "shape", (len(t),))) for t in tensors]
            raise ValueError(f"Size mismatch between tensors: all tensors need the same first dimension, "
                             f"got shapes {shapes}")
        self.tensors = tensors

    def __getitem__(self, index) -> tuple:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0])


class ConcatDataset(Dataset):
    """Several map-style datasets one after the other: index ``len(a)`` is ``b[0]``.

    ``cumulative_sizes[k]`` is the total length of datasets ``0..k``; a global index is found
    in it by binary search (``bisect``).
    """

    def __init__(self, datasets: Iterable[Dataset]):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset; use ChainDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int):
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index += len(self)
        if index >= len(self):
            raise IndexError(f"index {index} is out of range for a ConcatDataset of length {len(self)}")
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][index - start]


class ChainDataset(IterableDataset):
    """Several iterable datasets streamed one after the other (``a + b`` for iterable datasets)."""

    def __init__(self, datasets: Iterable[Dataset]):
        self.datasets = list(datasets)

    def __iter__(self):
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise TypeError("ChainDataset only supports IterableDataset")
            yield from dataset

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


class Subset(Dataset[T_co]):
    """The examples of ``dataset`` at ``indices``, in that order: ``Subset(d, [4, 0])[1] is d[0]``."""

    def __init__(self, dataset: Dataset[T_co], indices: Sequence[int]):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices: list[int]) -> list:
        """A whole batch at once (the DataLoader uses this when a dataset has it)."""
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Dataset, lengths: Sequence[int | float], generator=None) -> list[Subset]:
    """Split ``dataset`` into disjoint random ``Subset``s of the given ``lengths``.

    ``lengths`` are either counts that add up to ``len(dataset)`` (``[800, 200]``) or fractions
    that add up to 1 (``[0.8, 0.2]``): each split then gets ``floor(n * fraction)`` examples and
    the few left over are dealt out one each, from the first split on (as PyTorch does).
    The permutation is drawn from ``generator`` (an ``mg.Generator``), or from the global
    generator seeded by ``mg.manual_seed`` when it is None.
    """
    lengths = list(lengths)
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = []
        for i, fraction in enumerate(lengths):
            if fraction < 0 or fraction > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            counts.append(int(math.floor(n * fraction)))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.",
                              stacklevel=2)
        lengths = counts
    if sum(lengths) != n:
        raise ValueError(f"Sum of input lengths does not equal the length of the input dataset! "
                         f"(lengths {lengths} add up to {sum(lengths)}, the dataset has {n} examples; "
                         "give counts that add up to its length, or fractions that add up to 1)")
    order = generator_of(generator).permutation(n).tolist()
    ends = itertools.accumulate(lengths)
    return [Subset(dataset, order[end - length:end]) for end, length in zip(ends, lengths)]
