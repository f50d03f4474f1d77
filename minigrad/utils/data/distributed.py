"""``DistributedSampler``, as ``torch.utils.data.distributed``: each rank's share of a dataset.

With p ranks, every epoch:

1. order the indices 0..n-1: a permutation drawn from ``seed + epoch`` (the same on every rank, so
   the ranks agree without talking), or 0..n-1 with ``shuffle=False``;
2. make the length a multiple of p: ``drop_last=False`` repeats indices from the start (so a few
   examples are seen twice), ``drop_last=True`` drops the tail (a few are not seen this epoch);
3. rank r takes every p-th index starting at r: positions r, r+p, r+2p, ...

The shares are disjoint (before padding) and together cover the dataset, and each rank gets
``num_samples`` indices.  Call ``set_epoch(epoch)`` at the start of each epoch, or every epoch
repeats the first one's order.  (The permutations are NumPy's, not PyTorch's.)
"""
from __future__ import annotations

import math
from typing import Iterator, Sized

import numpy as np

from minigrad.utils.data.sampler import Sampler


class DistributedSampler(Sampler[int]):
    """Indices of this rank's share of ``dataset`` (see the module docstring).

    ``num_replicas`` and ``rank`` default to the process group's world size and rank.
    """

    def __init__(self, dataset: Sized, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False):
        if num_replicas is None or rank is None:
            from minigrad import distributed as dist

            if not dist.is_initialized():
                raise RuntimeError("DistributedSampler: pass num_replicas= and rank=, or call "
                                   "minigrad.distributed.init_process_group() first")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if not isinstance(num_replicas, int) or num_replicas < 1:
            raise ValueError(f"num_replicas must be a positive integer, got {num_replicas!r}")
        if not isinstance(rank, int) or not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)   # = n // num_replicas
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            indices = np.random.default_rng(self.seed + self.epoch).permutation(n).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[:self.total_size]
        else:
            padding = self.total_size - len(indices)
            indices += (indices * math.ceil(padding / max(len(indices), 1)))[:padding]
        assert len(indices) == self.total_size
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use epoch ``epoch``'s order next time (call it at the start of each epoch, on every rank)."""
        self.epoch = epoch
