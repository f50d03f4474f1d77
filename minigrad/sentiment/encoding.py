"""From raw sentences to the ``(ids, mask)`` rectangles the model reads.

Two tokenizers can turn a sentence into ids; ``SentenceEncoder`` takes either one:

* a word ``Vocab`` (the default, ``--tokenizer word``): one id per word; a word never seen in training
  becomes ``<unk>``::

    "I didn't like it"  -> tokens  ["i", "did", "n't", "like", "it"]     (basic_tokenize)
                        -> ids     [2, 17, 45, 31, 80, 12]              (<cls> first, then the vocabulary ids)

* a ``BPETokenizer`` (``--tokenizer bpe``, ``minigrad.text.bpe``): sub-word pieces learned from the
  training texts, so a new word still gets pieces it shares with known words::

    "unwatchable"       -> pieces  ["un", "watch", "able</w>"]           (BPETokenizer.encode)
                        -> ids     [2, 311, 870, 95]                    (<cls> first, then the piece ids)

Both offer the same specials (``<pad>``=0, ``<unk>``=1, ``<cls>``=2, ``<mask>``=3), ``len()`` and
``pad_id``/``unk_id``/``cls_id``/``mask_id``; the only difference is how a sentence is split
(``SentenceEncoder.split``) and how a token is looked up (``SentenceEncoder.encode``).

A batch of such id lists is padded with ``<pad>`` (id 0) to the longest one; the mask is True on
real tokens (``minigrad.data.pad_batch``).  Sentences longer than ``max_len`` keep their first
``max_len`` ids.  An empty sentence becomes just ``[<cls>]``, so the model always has one real token
to read and never divides by zero.
"""
from __future__ import annotations

from typing import Sequence

from minigrad.data import pad_batch
from minigrad.text import Vocab, basic_tokenize
from minigrad.text.bpe import BPETokenizer


def tokenizer_kind(vocab: Vocab | BPETokenizer) -> str:
    """``"bpe"`` for a BPETokenizer, ``"word"`` for a word Vocab (the name used by ``--tokenizer``)."""
    return "bpe" if isinstance(vocab, BPETokenizer) else "word"


class SentenceEncoder:
    """Sentences -> id lists -> padded batches.  ``vocab`` is a word ``Vocab`` or a ``BPETokenizer``."""

    def __init__(self, vocab: Vocab | BPETokenizer, max_len: int):
        self.vocab = vocab
        self.max_len = max_len
        self.kind = tokenizer_kind(vocab)

    def split(self, text: str) -> list[str]:
        """The sentence as words (word vocabulary) or as sub-word pieces (BPE)."""
        return self.vocab.encode(text) if self.kind == "bpe" else basic_tokenize(text)

    def tokens(self, text: str) -> list[str]:
        """The tokens the model sees, ``<cls>`` first (unknown words stay visible as themselves)."""
        return ["<cls>"] + self.split(text)[: self.max_len - 1]

    def encode(self, text: str) -> list[int]:
        tokens = self.split(text)[: self.max_len - 1]
        if self.kind == "bpe":
            ids = [self.vocab.piece_to_id(piece) for piece in tokens]
        else:
            ids = self.vocab.encode(tokens)
        return [self.vocab.cls_id] + ids

    def encode_all(self, texts: Sequence[str]) -> list[list[int]]:
        return [self.encode(text) for text in texts]

    def batch(self, id_lists: Sequence[Sequence[int]]):
        """``(ids, mask)`` NumPy arrays of shape (B, T)."""
        return pad_batch(id_lists, self.vocab.pad_id, self.max_len)


def build_vocab(texts: Sequence[str], min_freq: int = 1, max_size: int | None = None) -> Vocab:
    """A word vocabulary over ``texts`` (specials <pad>=0, <unk>=1, <cls>=2, <mask>=3 first)."""
    return Vocab.build([basic_tokenize(text) for text in texts], min_freq=min_freq, max_size=max_size)


def build_bpe(texts: Sequence[str], vocab_size: int = 4000) -> BPETokenizer:
    """A BPE tokenizer learned from ``texts`` (same specials first; merges seen at least twice)."""
    return BPETokenizer.train(texts, vocab_size=vocab_size, min_frequency=2)


def build_tokenizer(kind: str, texts: Sequence[str], *, min_freq: int = 1,
                    bpe_vocab_size: int = 4000) -> Vocab | BPETokenizer:
    """``build_vocab`` for ``kind="word"``, ``build_bpe`` for ``kind="bpe"``."""
    if kind == "bpe":
        return build_bpe(texts, bpe_vocab_size)
    if kind == "word":
        return build_vocab(texts, min_freq=min_freq)
    raise ValueError(f"unknown tokenizer {kind!r}; use 'word' or 'bpe'")
