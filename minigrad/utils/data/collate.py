"""Collation, as ``torch.utils.data``: merge a list of examples into one batch.

``default_collate`` keeps the structure of one example and stacks along a new first dimension::

    [(x0, 1), (x1, 0)]  ->  [stack([x0, x1]), tensor([1, 0])]

leaf by leaf (PyTorch's rules, dtypes included):

=========================  ======================================================
example leaf               batch
=========================  ======================================================
Tensor of shape ``S``      ``stack`` -> shape ``(B, *S)``, same dtype and device
NumPy array of shape ``S`` a tensor of shape ``(B, *S)``, the array's dtype
NumPy scalar               a 1-D tensor of its dtype (``np.float32`` -> float32)
Python ``float``           a 1-D **float64** tensor (as PyTorch: not the default dtype)
Python ``int``             a 1-D int64 tensor (a ``bool`` gives a bool tensor)
``str`` / ``bytes``        a plain list, unchanged
dict (any Mapping)         the same kind of dict, each key collated
namedtuple                 the same namedtuple, each field collated
tuple / list               a **list** with one collated entry per position
=========================  ======================================================

Shapes must match to be stacked: variable-length sequences need padding in your own
``collate_fn`` (``minigrad.data.pad_batch`` does it for token ids).

``collate(batch, collate_fn_map=...)`` is the recursion itself: ``collate_fn_map`` maps a leaf
type to the function that batches it, so a custom collate only has to name its new leaves.
"""
from __future__ import annotations

import collections.abc
import copy
from typing import Any, Callable, Sequence

import numpy as np

from minigrad.creation import from_numpy, tensor
from minigrad.dtypes import float64
from minigrad.functions import stack
from minigrad.tensor import Tensor

_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}. "
          "Pass collate_fn= to batch anything else.")
_PAD_HINT = ("variable-length sequences must be padded first: pass a collate_fn= that pads them "
             "(e.g. with minigrad.data.pad_batch)")


def check_same_shapes(shapes: Sequence[tuple]):
    """Raise PyTorch's ``stack`` error (with the fix) unless all ``shapes`` are equal."""
    for i, shape in enumerate(shapes):
        if shape != shapes[0]:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shapes[0])} at entry 0 "
                               f"and {list(shape)} at entry {i}; {_PAD_HINT}")


def collate(batch: Sequence[Any], *, collate_fn_map: dict[type | tuple, Callable] | None = None) -> Any:
    """Merge ``batch`` (a list of examples with one structure): leaves go to the function that
    ``collate_fn_map`` gives for their type (looked up exactly first, then by ``isinstance``, in
    the map's order); dicts, namedtuples, tuples and lists are taken apart and collated field by field."""
    first = batch[0]
    if collate_fn_map is not None:
        if type(first) in collate_fn_map:
            return collate_fn_map[type(first)](batch, collate_fn_map=collate_fn_map)
        for leaf_type, collate_leaf in collate_fn_map.items():
            if isinstance(first, leaf_type):
                return collate_leaf(batch, collate_fn_map=collate_fn_map)

    if isinstance(first, collections.abc.Mapping):
        fields = {key: collate([example[key] for example in batch], collate_fn_map=collate_fn_map)
                  for key in first}
        if isinstance(first, collections.abc.MutableMapping):
            merged = copy.copy(first)  # keeps the dict's own type (OrderedDict, defaultdict, ...)
            merged.update(fields)
            return merged
        try:
            return type(first)(fields)
        except TypeError:
            return fields
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # a namedtuple keeps its type
        return type(first)(*(collate(list(column), collate_fn_map=collate_fn_map) for column in zip(*batch)))
    if isinstance(first, collections.abc.Sequence):
        if any(len(example) != len(first) for example in batch):
            raise RuntimeError(f"each element in list of batch should be of equal size; {_PAD_HINT}")
        columns = [collate(list(column), collate_fn_map=collate_fn_map) for column in zip(*batch)]
        if isinstance(first, tuple):
            return columns  # PyTorch returns a list for tuples too
        if isinstance(first, collections.abc.MutableSequence):
            merged = copy.copy(first)
            merged[:] = columns
            return merged
        try:
            return type(first)(columns)
        except TypeError:
            return columns
    raise TypeError(_ERROR.format(type(first)))


# ------------------------------------------------------------------ the leaves of default_collate
def collate_tensor_fn(batch, *, collate_fn_map=None):
    check_same_shapes([tuple(t.shape) for t in batch])
    return stack(batch)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    if batch[0].dtype.kind in "SUO":  # strings and Python objects cannot become numbers
        raise TypeError(_ERROR.format(batch[0].dtype))
    check_same_shapes([a.shape for a in batch])
    return from_numpy(np.stack(batch))


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    return from_numpy(np.array(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    return tensor(batch, dtype=float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    return tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map: dict[type | tuple, Callable] = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    (str, bytes): collate_str_fn,
}


def default_collate(batch: Sequence[Any]) -> Any:
    """Merge a list of examples into one batch of minigrad tensors (see the module docstring)."""
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data: Any) -> Any:
    """What a ``DataLoader`` with ``batch_size=None`` does to each example: NumPy arrays and
    scalars become tensors (sharing memory), containers are converted inside, everything else
    (tensors, Python numbers, strings) is returned as it is.  Tuples become lists, as in PyTorch."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if data.dtype.kind in "SUO" else from_numpy(data)
    if isinstance(data, (np.bool_, np.number)):
        return from_numpy(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        fields = {key: default_convert(value) for key, value in data.items()}
        try:
            return type(data)(fields)
        except TypeError:
            return fields
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
