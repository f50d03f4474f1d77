"""Batching for the course's data: ``DataLoader`` and ``default_collate`` are PyTorch's, from
``minigrad.utils.data`` (one implementation, re-exported here); ``numpy_collate`` is the same
collation leaving NumPy arrays, for code that pads and batches on the host before making tensors.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from minigrad.tensor import Tensor
from minigrad.utils.data import DataLoader, default_collate
from minigrad.utils.data.collate import check_same_shapes, collate

__all__ = ["DataLoader", "default_collate", "numpy_collate"]


def _stack_arrays(batch, *, collate_fn_map=None):
    arrays = [np.asarray(x.numpy() if isinstance(x, Tensor) else x) for x in batch]
    check_same_shapes([a.shape for a in arrays])
    return np.stack(arrays)


def _int_array(batch, *, collate_fn_map=None):
    return np.array(batch, dtype=np.bool_ if isinstance(batch[0], bool) else np.int64)


_numpy_collate_fn_map = {
    Tensor: _stack_arrays,
    np.ndarray: _stack_arrays,
    (np.bool_, np.number): lambda batch, *, collate_fn_map=None: np.array(batch),
    float: lambda batch, *, collate_fn_map=None: np.array(batch, dtype=np.float64),
    int: _int_array,
    (str, bytes): lambda batch, *, collate_fn_map=None: batch,
}


def numpy_collate(batch: Sequence[Any]) -> Any:
    """Like :func:`default_collate` (same structure and dtype rules) but the leaves are NumPy arrays."""
    return collate(batch, collate_fn_map=_numpy_collate_fn_map)
