"""From raw sentences to the ``(ids, mask)`` rectangles the model reads.

    "I didn't like it"  -> tokens  ["i", "did", "n't", "like", "it"]     (basic_tokenize)
                        -> ids     [2, 17, 45, 31, 80, 12]              (<cls> first, then the vocabulary ids)

A batch of such id lists is padded with ``<pad>`` (id 0) to the longest one; the mask is True on
real tokens (``minigrad.data.pad_batch``).  Sentences longer than ``max_len`` keep their first
``max_len`` ids.  An empty sentence becomes just ``[<cls>]``, so the model always has one real token
to read and never divides by zero.
"""
from __future__ import annotations

from typing import Sequence

from minigrad.data import pad_batch
from minigrad.text import Vocab, basic_tokenize


class SentenceEncoder:
    def __init__(self, vocab: Vocab, max_len: int):
        self.vocab = vocab
        self.max_len = max_len

    def tokens(self, text: str) -> list[str]:
        """The tokens the model sees, ``<cls>`` first (unknown words stay visible as themselves)."""
        return ["<cls>"] + basic_tokenize(text)[: self.max_len - 1]

    def encode(self, text: str) -> list[int]:
        return [self.vocab.cls_id] + self.vocab.encode(basic_tokenize(text))[: self.max_len - 1]

    def encode_all(self, texts: Sequence[str]) -> list[list[int]]:
        return [self.encode(text) for text in texts]

    def batch(self, id_lists: Sequence[Sequence[int]]):
        """``(ids, mask)`` NumPy arrays of shape (B, T)."""
        return pad_batch(id_lists, self.vocab.pad_id, self.max_len)


def build_vocab(texts: Sequence[str], min_freq: int = 1, max_size: int | None = None) -> Vocab:
    """A word vocabulary over ``texts`` (specials <pad>=0, <unk>=1, <cls>=2, <mask>=3 first)."""
    return Vocab.build([basic_tokenize(text) for text in texts], min_freq=min_freq, max_size=max_size)
