"""Word-level vocabulary: a two-way mapping between tokens and integer ids.

A model cannot read strings; it reads rows of an embedding table.  ``Vocab``
assigns every token a row number (its id).  The special tokens come first, so
their ids never change whatever the training text is:

    id 0  <pad>   fills the empty positions of short sentences in a batch
    id 1  <unk>   stands for every token that is not in the vocabulary
    id 2  <cls>   a "summary" position put in front of a sentence for classification
    id 3  <mask>  hides a token for masked-language-model pre-training

The other tokens follow in a deterministic order: most frequent first, ties
broken alphabetically, so the same text always gives the same ids.

Saved files are plain JSON (never pickle), for example::

    {"format": "minigrad-vocab", "version": 1,
     "specials": ["<pad>", "<unk>", "<cls>", "<mask>"],
     "tokens": ["<pad>", "<unk>", "<cls>", "<mask>", "the", ",", "a", ...]}
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

from .json_file import read_tokenizer_json, write_tokenizer_json

DEFAULT_SPECIALS = ("<pad>", "<unk>", "<cls>", "<mask>")

VOCAB_FORMAT = "minigrad-vocab"
VOCAB_VERSION = 1


class Vocab:
    """A fixed list of tokens; a token's position in the list is its id."""

    def __init__(self, tokens: Sequence[str], specials: Sequence[str] = DEFAULT_SPECIALS):
        tokens = list(tokens)
        specials = tuple(specials)
        if tuple(tokens[: len(specials)]) != specials:
            raise ValueError(
                f"Vocab: the first {len(specials)} tokens must be the specials {specials}, "
                f"got {tokens[: len(specials)]}"
            )
        if len(set(tokens)) != len(tokens):
            duplicates = sorted(t for t, c in Counter(tokens).items() if c > 1)
            raise ValueError(f"Vocab: tokens must be unique, these repeat: {duplicates[:10]}")
        self._id_to_token = tokens
        self._token_to_id = {token: i for i, token in enumerate(tokens)}
        self.specials = specials

    # ------------------------------------------------------------------ building
    @classmethod
    def build(
        cls,
        token_lists: Iterable[Sequence[str]],
        min_freq: int = 1,
        max_size: int | None = None,
        specials: Sequence[str] = DEFAULT_SPECIALS,
    ) -> "Vocab":
        """Count tokens over ``token_lists`` (one list per sentence) and keep the frequent ones.

        ``min_freq``: a token must occur at least this often to get its own id.
        ``max_size``: the largest vocabulary, specials included (``None`` = no limit).
        Order: specials, then tokens by count (high first), ties alphabetical.
        """
        if min_freq < 1:
            raise ValueError(f"Vocab.build: min_freq must be >= 1, got {min_freq}")
        specials = tuple(specials)
        if max_size is not None and max_size < len(specials):
            raise ValueError(
                f"Vocab.build: max_size={max_size} is smaller than the {len(specials)} special tokens"
            )
        counts = Counter()
        for tokens in token_lists:
            if isinstance(tokens, str):
                raise TypeError(
                    "Vocab.build expects lists of tokens, got a str; "
                    "tokenize first, e.g. Vocab.build([basic_tokenize(t) for t in texts])"
                )
            counts.update(tokens)
        for special in specials:
            counts.pop(special, None)
        kept = [t for t, c in counts.items() if c >= min_freq]
        kept.sort(key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[: max_size - len(specials)]
        return cls(list(specials) + kept, specials)

    # ------------------------------------------------------------------ lookups
    def __len__(self) -> int:
        return len(self._id_to_token)

    def __contains__(self, token: str) -> bool:
        return token in self._token_to_id

    def __repr__(self) -> str:
        return f"Vocab(size={len(self)}, specials={self.specials})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self._id_to_token == other._id_to_token and self.specials == other.specials

    def token_to_id(self, token: str) -> int:
        """The id of ``token``, or the ``<unk>`` id when the token is unknown."""
        found = self._token_to_id.get(token)
        return self.unk_id if found is None else found

    def id_to_token(self, index: int) -> str:
        index = int(index)
        if not 0 <= index < len(self):
            raise IndexError(f"Vocab: id {index} is out of range for a vocabulary of {len(self)} tokens")
        return self._id_to_token[index]

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Token list -> id list.  Unknown tokens become ``unk_id``."""
        if isinstance(tokens, str):
            raise TypeError("Vocab.encode expects a list of tokens, got a str; tokenize it first")
        return [self.token_to_id(t) for t in tokens]

    def decode(self, ids: Iterable[int], skip_pad: bool = True) -> list[str]:
        """Id list -> token list (``<pad>`` ids are dropped unless ``skip_pad=False``)."""
        tokens = [self.id_to_token(i) for i in ids]
        if skip_pad and "<pad>" in self._token_to_id:
            tokens = [t for t in tokens if t != "<pad>"]
        return tokens

    def tokens(self) -> list[str]:
        """All tokens in id order (a copy)."""
        return list(self._id_to_token)

    def _special_id(self, token: str) -> int:
        found = self._token_to_id.get(token)
        if found is None:
            raise KeyError(f"Vocab: this vocabulary has no {token!r} token (its specials are {self.specials})")
        return found

    @property
    def pad_id(self) -> int:
        return self._special_id("<pad>")

    @property
    def unk_id(self) -> int:
        return self._special_id("<unk>")

    @property
    def cls_id(self) -> int:
        return self._special_id("<cls>")

    @property
    def mask_id(self) -> int:
        return self._special_id("<mask>")

    # ------------------------------------------------------------------ files
    def save(self, path: str | Path) -> None:
        """Write the vocabulary as JSON (UTF-8), atomically (``minigrad.text.json_file``)."""
        write_tokenizer_json(path, VOCAB_FORMAT, VOCAB_VERSION,
                             {"specials": list(self.specials), "tokens": self._id_to_token}, indent=0)

    @classmethod
    def load(cls, path: str | Path) -> "Vocab":
        """Read a file written by :meth:`save`; any other content raises ``ValueError`` naming the file."""
        payload = read_tokenizer_json(path, VOCAB_FORMAT, VOCAB_VERSION, "Vocab.load")
        tokens, specials = payload.get("tokens"), payload.get("specials")
        if not (isinstance(tokens, list) and all(isinstance(t, str) for t in tokens)) or not (
            isinstance(specials, list) and all(isinstance(t, str) for t in specials)
        ):
            raise ValueError(f"Vocab.load: {path} must hold string lists under \"tokens\" and \"specials\"")
        try:
            return cls(tokens, specials)
        except ValueError as error:
            raise ValueError(f"Vocab.load: {path} is corrupt: {error}") from None
