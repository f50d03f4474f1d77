"""Length bucketing and padding for batches of variable-length sentences.

Sentences in a batch must be padded to the longest one.  With random batches a
5-token sentence often shares a batch with a 50-token one, and 45 of the 50
positions computed for it are wasted padding.  ``BucketBatchSampler`` puts
sentences of similar length together while keeping training random:

1. shuffle all indices;
2. cut them into big chunks of ``batch_size * bucket_size_multiplier``;
3. sort each chunk by length (so neighbours have similar lengths);
4. cut the sorted indices into batches of ``batch_size``;
5. shuffle the order of the batches, so the model does not see short
   sentences first and long ones last.

Each epoch repeats this with fresh randomness from one seeded NumPy generator.
"""
from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np


class BucketBatchSampler:
    """Yields lists of dataset indices; pass it to ``DataLoader(batch_sampler=...)``.

    ``lengths[i]`` is the length (e.g. token count) of example ``i``.  Every index
    appears in exactly one batch per epoch (``drop_last=True`` drops the one
    short batch, if any).  With ``shuffle=False`` the batches are simply the
    indices sorted by length, in order.
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
        bucket_size_multiplier: int = 50,
    ):
        if batch_size < 1 or bucket_size_multiplier < 1:
            raise ValueError(
                f"BucketBatchSampler: batch_size ({batch_size}) and bucket_size_multiplier "
                f"({bucket_size_multiplier}) must be >= 1"
            )
        self.lengths = np.asarray(lengths, dtype=np.int64)
        if self.lengths.ndim != 1:
            raise ValueError(f"BucketBatchSampler: lengths must be a flat list, got shape {self.lengths.shape}")
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.bucket_size_multiplier = bucket_size_multiplier
        self.generator = np.random.default_rng(seed)

    def __iter__(self) -> Iterator[list[int]]:
        n = len(self.lengths)
        if self.shuffle:
            order = self.generator.permutation(n)
            chunk_size = self.batch_size * self.bucket_size_multiplier
            chunks = [order[start : start + chunk_size] for start in range(0, n, chunk_size)]
            # A stable sort keeps the shuffled order among sentences of equal length.
            order = np.concatenate(
                [chunk[np.argsort(self.lengths[chunk], kind="stable")] for chunk in chunks]
            ) if chunks else order
        else:
            order = np.argsort(self.lengths, kind="stable")

        batches = [order[start : start + self.batch_size].tolist() for start in range(0, n, self.batch_size)]
        if self.drop_last and batches and len(batches[-1]) < self.batch_size:
            batches.pop()
        if self.shuffle:
            batch_order = self.generator.permutation(len(batches))
            batches = [batches[i] for i in batch_order]
        yield from batches

    def __len__(self) -> int:
        n = len(self.lengths)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


def pad_batch(
    sequences: Sequence[Sequence[int]], pad_id: int, max_len: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Pad token-id sequences into one rectangle.

    Returns ``(ids, mask)``, both of shape ``(B, T)`` where ``B = len(sequences)``
    and ``T`` is the longest sequence length (capped at ``max_len``; longer
    sequences are cut to their first ``max_len`` tokens):

    * ``ids``  int64, the tokens, then ``pad_id`` to the right;
    * ``mask`` bool, ``True`` where there is a real token, ``False`` on padding.

    >>> ids, mask = pad_batch([[5, 6, 7], [8]], pad_id=0)
    >>> ids.tolist(), mask.tolist()
    ([[5, 6, 7], [8, 0, 0]], [[True, True, True], [True, False, False]])
    """
    if len(sequences) == 0:
        raise ValueError("pad_batch: got no sequences; a batch needs at least one")
    if max_len is not None and max_len < 1:
        raise ValueError(f"pad_batch: max_len must be >= 1 or None, got {max_len}")
    lengths = [len(s) for s in sequences]
    width = max(lengths) if max_len is None else min(max(lengths), max_len)
    width = max(width, 1)  # a batch of empty sequences still gets one (padding) column
    ids = np.full((len(sequences), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(sequences), width), dtype=np.bool_)
    for row, sequence in enumerate(sequences):
        kept = list(sequence[:width])
        ids[row, : len(kept)] = kept
        mask[row, : len(kept)] = True
    return ids, mask
