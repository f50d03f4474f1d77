"""Datasets: anything with a length that returns one example per integer index.

``Dataset`` and ``TensorDataset`` are PyTorch's, from ``minigrad.utils.data`` (re-exported here);
a plain Python list is already a dataset too.  ``ListDataset`` names that case.
"""
from __future__ import annotations

from typing import Any, Sequence

from minigrad.utils.data import Dataset, TensorDataset

__all__ = ["Dataset", "ListDataset", "TensorDataset"]


class ListDataset(Dataset):
    """Wraps a list of ready-made examples (e.g. ``(token_ids, label)`` pairs)."""

    def __init__(self, items: Sequence[Any]):
        self.items = list(items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> Any:
        return self.items[index]
