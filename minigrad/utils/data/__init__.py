"""``minigrad.utils.data``: datasets, samplers and the ``DataLoader``, as ``torch.utils.data``.

The pieces, one per file:

* ``dataset.py``    what to load: ``Dataset`` (``len`` + ``dataset[i]``), ``IterableDataset``
  (a stream), ``TensorDataset``, ``ConcatDataset``, ``ChainDataset``, ``Subset``, ``random_split``;
* ``sampler.py``    in which order: ``SequentialSampler``, ``RandomSampler``,
  ``SubsetRandomSampler``, ``WeightedRandomSampler``, and ``BatchSampler`` (indices -> lists of indices);
* ``collate.py``    how examples become one batch: ``default_collate``, ``default_convert`` (and
  ``collate(batch, collate_fn_map=...)``, the recursion to build your own collate on);
* ``dataloader.py`` the loop that joins them: ``DataLoader``;
* ``distributed.py`` ``DistributedSampler``: each process's share of a dataset (``minigrad.distributed``).

Randomness (shuffling, ``random_split``) draws from ``minigrad.random``: the global generator
seeded by ``mg.manual_seed``, or the ``generator=`` you pass (an ``mg.Generator``).
"""
from minigrad.utils.data.collate import default_collate, default_convert
from minigrad.utils.data.dataloader import DataLoader, get_worker_info
from minigrad.utils.data.dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset,
                                         TensorDataset, random_split)
from minigrad.utils.data.distributed import DistributedSampler
from minigrad.utils.data.sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                                         SubsetRandomSampler, WeightedRandomSampler)

__all__ = [
    "Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "ChainDataset", "Subset", "random_split",
    "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
    "BatchSampler", "DistributedSampler",
    "DataLoader", "get_worker_info",
    "default_collate", "default_convert",
]
