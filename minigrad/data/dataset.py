"""Datasets: anything with a length that returns one example per integer index.

``DataLoader`` only needs ``len(dataset)`` and ``dataset[i]``, so a plain Python
list is already a dataset.  The classes here give that contract a name and
cover the two common cases.
"""
from __future__ import annotations

from typing import Any, Sequence


class Dataset:
    """Base class: subclasses implement ``__len__`` and ``__getitem__(index)``."""

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")


class ListDataset(Dataset):
    """Wraps a list of ready-made examples (e.g. ``(token_ids, label)`` pairs)."""

    def __init__(self, items: Sequence[Any]):
        self.items = list(items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> Any:
        return self.items[index]


class TensorDataset(Dataset):
    """Row ``i`` of several equally long arrays (NumPy arrays or minigrad tensors) as a tuple.

    ``TensorDataset(features, labels)[3] == (features[3], labels[3])``.
    """

    def __init__(self, *arrays: Any):
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        lengths = [len(a) for a in arrays]
        if len(set(lengths)) != 1:
            shapes = [tuple(getattr(a, "shape", (len(a),))) for a in arrays]
            raise ValueError(f"TensorDataset: all arrays need the same first dimension, got shapes {shapes}")
        self.arrays = arrays

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: int) -> tuple:
        return tuple(a[index] for a in self.arrays)
