"""``DataLoader``, as ``torch.utils.data``: turn a dataset into a stream of mini-batches.

One epoch (one ``for batch in loader`` loop) of a map-style dataset does:

1. a **sampler** gives the order of the example indices: ``SequentialSampler`` (``0..n-1``),
   ``RandomSampler`` when ``shuffle=True`` (a new permutation each epoch), or your ``sampler=``;
2. a **batch sampler** cuts that order into lists of ``batch_size`` indices (the last one may be
   shorter; ``drop_last=True`` throws it away), or your ``batch_sampler=`` yields the lists itself;
3. the loader fetches ``dataset[i]`` for every index of a list and merges the examples into one
   batch with ``collate_fn`` (``default_collate`` unless you pass your own).

An ``IterableDataset`` skips steps 1-2: the loader takes ``batch_size`` examples at a time from
``iter(dataset)``.  ``batch_size=None`` turns batching off: each example is only converted
(``default_convert``: NumPy arrays become tensors).
"""
from __future__ import annotations

import itertools
from typing import Any, Callable, Generic, Iterable, Iterator, TypeVar

from minigrad.utils.data.collate import default_collate, default_convert
from minigrad.utils.data.dataset import IterableDataset
from minigrad.utils.data.sampler import BatchSampler, RandomSampler, SequentialSampler

T_co = TypeVar("T_co", covariant=True)


def get_worker_info():
    """Information about the worker process loading data: always None here, because minigrad
    loads every batch in the main process (as PyTorch does with ``num_workers=0``)."""
    return None


class DataLoader(Generic[T_co]):
    """Iterate over ``dataset`` in mini-batches (see the module docstring), with PyTorch's arguments
    and the same argument checks (``sampler`` excludes ``shuffle``; ``batch_sampler`` excludes
    ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``; an ``IterableDataset`` takes none of
    ``shuffle``, ``sampler``, ``batch_sampler``).

    Shuffling draws from ``generator`` (an ``mg.Generator``), or from the global generator seeded by
    ``mg.manual_seed`` when it is None, so ``mg.manual_seed(0)`` makes the order of every epoch
    reproducible (but not equal to PyTorch's: the generators differ).

    **Loading is always in-process.** ``num_workers``, ``pin_memory``, ``timeout``,
    ``worker_init_fn``, ``multiprocessing_context``, ``prefetch_factor``, ``persistent_workers``,
    ``pin_memory_device`` and ``in_order`` are accepted and checked as PyTorch checks them, so a
    PyTorch program runs unchanged, but batches are always made in the main process, exactly as with
    ``num_workers=0``: no worker is started, so ``worker_init_fn`` is never called and
    ``get_worker_info()`` is None; ``pin_memory`` changes nothing (CPU batches are NumPy memory;
    move a batch to the GPU with ``.to("cuda")``).
    """

    _frozen_attributes = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Iterable | None = None,
        batch_sampler: Iterable[list] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ):
        _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers, multiprocessing_context)
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor if prefetch_factor is not None or num_workers == 0 else 2
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                                 f"but got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle "
                             "(pass shuffle=False, or a RandomSampler as sampler=)")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last (the batch sampler decides the batches itself: leave those at "
                                 "their defaults)")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")

        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        elif self._iterable and batch_size is not None:
            BatchSampler([], batch_size, drop_last)  # only to check batch_size and drop_last as PyTorch does

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        batching = batch_sampler is not None or (self._iterable and batch_size is not None)
        self.collate_fn = collate_fn if collate_fn is not None else (default_collate if batching else default_convert)
        self.persistent_workers = persistent_workers
        self._initialized = True

    def __setattr__(self, name, value):
        if getattr(self, "_initialized", False) and name in self._frozen_attributes:
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized; "
                             "build a new DataLoader instead")
        super().__setattr__(name, value)

    def __iter__(self) -> Iterator[Any]:
        if self._iterable:
            yield from self._iterate_stream()
        elif self.batch_sampler is not None:
            for indices in self.batch_sampler:
                yield self.collate_fn(self._fetch(indices))
        else:
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])

    def _fetch(self, indices) -> list:
        """The examples at ``indices`` (through ``dataset.__getitems__`` when the dataset has it)."""
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__(list(indices))
        return [self.dataset[i] for i in indices]

    def _iterate_stream(self) -> Iterator[Any]:
        stream = iter(self.dataset)
        if self.batch_size is None:
            for example in stream:
                yield self.collate_fn(example)
            return
        while True:
            batch = list(itertools.islice(stream, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield self.collate_fn(batch)

    def __len__(self) -> int:
        """Number of batches per epoch (for an ``IterableDataset``: from its ``len``, if it has one)."""
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)


def _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers, multiprocessing_context):
    """PyTorch's checks of the worker options (which are then ignored: loading is in-process)."""
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing. "
                         "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")
    if multiprocessing_context is not None and num_workers == 0:
        raise ValueError("multiprocessing_context can only be used with multi-process loading (num_workers > 0), "
                         "but got num_workers=0")
