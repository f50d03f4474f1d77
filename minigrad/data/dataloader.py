"""DataLoader: turn a dataset into a stream of mini-batches.

One epoch (one ``for batch in loader`` loop) does:

1. choose the order of the example indices (``0..n-1``, or a random permutation
   when ``shuffle=True``; or whatever lists of indices a ``batch_sampler`` yields);
2. cut the order into groups of ``batch_size`` (the last group may be smaller;
   ``drop_last=True`` throws it away);
3. fetch ``dataset[i]`` for every index in a group and merge the examples into
   one batch with ``collate_fn`` (``default_collate`` unless you pass your own).

Shuffling uses a NumPy ``Generator``.  Give ``seed=`` (or your own
``generator=``) and the whole sequence of epochs is reproducible: every epoch
draws a new permutation from the same generator, so epochs differ from each
other but a rerun with the same seed repeats them exactly.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np


def _is_tensor(value: Any) -> bool:
    """True for a minigrad Tensor (checked by duck typing so this module never imports the engine)."""
    return hasattr(value, "requires_grad") and hasattr(value, "numpy") and hasattr(value, "backward")


def _collate(batch: Sequence[Any], make_leaf: Callable[[np.ndarray], Any]) -> Any:
    """Merge a list of examples of the same structure; ``make_leaf`` converts each stacked array."""
    first = batch[0]
    if isinstance(first, Mapping):
        return {key: _collate([example[key] for example in batch], make_leaf) for key in first}
    if isinstance(first, (tuple, list)):
        sizes = {len(example) for example in batch}
        if len(sizes) != 1:
            raise ValueError(
                f"collate: the examples in a batch have different lengths {sorted(sizes)}; "
                "variable-length sequences must be padded: pass collate_fn= that calls "
                "minigrad.data.pad_batch"
            )
        columns = [_collate(list(column), make_leaf) for column in zip(*batch)]
        if isinstance(first, tuple) and hasattr(first, "_fields"):  # a NamedTuple keeps its type
            return type(first)(*columns)
        return tuple(columns) if isinstance(first, tuple) else columns
    if isinstance(first, str):
        return list(batch)  # strings cannot become numbers; keep them as a list
    if isinstance(first, (bool, np.bool_)):
        return make_leaf(np.array(batch, dtype=np.bool_))
    if isinstance(first, (int, np.integer)):
        return make_leaf(np.array(batch, dtype=np.int64))
    if isinstance(first, float):
        return make_leaf(np.array(batch, dtype=np.float64))
    if isinstance(first, (np.floating, np.ndarray)) or _is_tensor(first):
        arrays = [np.asarray(x.numpy() if _is_tensor(x) else x) for x in batch]
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise ValueError(
                f"collate: cannot stack arrays of different shapes {sorted(shapes)}; "
                "pad them first (minigrad.data.pad_batch) in your own collate_fn="
            )
        return make_leaf(np.stack(arrays))
    raise TypeError(
        f"collate: don't know how to batch a {type(first).__name__}; "
        "examples may be numbers, strings, NumPy arrays, tensors, or tuples/lists/dicts of them. "
        "Pass collate_fn= for anything else."
    )


def numpy_collate(batch: Sequence[Any]) -> Any:
    """Like :func:`default_collate` but leaves NumPy arrays instead of tensors."""
    return _collate(batch, lambda array: array)


def default_collate(batch: Sequence[Any]) -> Any:
    """Merge a list of examples into one batch of minigrad tensors.

    * numbers -> a 1-D tensor (Python ints -> int64, floats -> float64, bools -> bool)
    * NumPy arrays / tensors of one shape ``S`` -> one tensor of shape ``(B, *S)``
    * strings -> a plain list of strings
    * tuples, lists, dicts -> the same container, collated field by field:
      ``[(x0, y0), (x1, y1)]`` -> ``(stack([x0, x1]), tensor([y0, y1]))``
    """
    import minigrad as mg  # imported here so the data package works without the engine loaded

    return _collate(batch, mg.tensor)


class DataLoader:
    """Iterate over ``dataset`` in mini-batches (see the module docstring)."""

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        collate_fn: Callable[[list], Any] | None = None,
        seed: int | None = None,
        generator: np.random.Generator | None = None,
        batch_sampler: Iterable[Sequence[int]] | None = None,
    ):
        if batch_sampler is not None and (batch_size != 1 or shuffle or drop_last):
            raise ValueError(
                "DataLoader: batch_sampler= decides the batches itself; "
                "leave batch_size, shuffle and drop_last at their defaults"
            )
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: pass seed= or generator=, not both")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.collate_fn = collate_fn if collate_fn is not None else default_collate
        self.batch_sampler = batch_sampler
        self.generator = generator if generator is not None else np.random.default_rng(seed)

    def _index_batches(self) -> Iterator[Sequence[int]]:
        if self.batch_sampler is not None:
            yield from self.batch_sampler
            return
        n = len(self.dataset)
        order = self.generator.permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, n, self.batch_size):
            indices = order[start : start + self.batch_size]
            if len(indices) < self.batch_size and self.drop_last:
                return
            yield indices.tolist()

    def __iter__(self) -> Iterator[Any]:
        for indices in self._index_batches():
            yield self.collate_fn([self.dataset[i] for i in indices])

    def __len__(self) -> int:
        """Number of batches per epoch."""
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
