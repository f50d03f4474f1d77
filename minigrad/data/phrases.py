"""Phrases inside sentences: which rows of a treebank-style data set are parts of other rows.

SST-2's train.tsv holds 6,900 full sentences *and* 60,000 of their phrases ("the acting",
"is superb"), each with its own label.  A row is *inside* another when its words appear, in order
and whole, in the other row: ``" is superb "`` is in ``" the acting is superb "`` (the spaces
make the match word-aligned, so "bad" is not inside "badly").

* ``longest_rows(texts)``         the rows inside no longer row: the full sentences;
* ``rows_inside(texts, outer)``   the rows inside one of the ``outer`` sentences (used to keep a
                                  validation sentence's phrases out of training).

Speed: a row can only be inside an outer sentence that has all of its words, so each row is
compared only with the outer sentences holding its rarest word (an index word -> sentences).
That makes SST-2 (67,349 rows) take about half a second instead of minutes.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Sequence


class _SentenceIndex:
    """Sentences padded with spaces, and for each word the sentences that contain it."""

    def __init__(self):
        self.padded: list[str] = []
        self.with_word: dict[str, list[int]] = defaultdict(list)

    def add(self, text: str) -> None:
        for word in set(text.split()):
            self.with_word[word].append(len(self.padded))
        self.padded.append(f" {' '.join(text.split())} ")

    def contains(self, text: str) -> bool:
        """Is ``text`` inside (or equal to) one of the sentences?"""
        words = set(text.split())
        candidates = min((self.with_word.get(word, ()) for word in words), key=len, default=())
        padded = f" {' '.join(text.split())} "
        return any(padded in self.padded[i] for i in candidates)


def longest_rows(texts: Sequence[str]) -> list[int]:
    """Indices (ascending) of the rows that are inside no longer row; of identical rows the first.

        ["the acting is superb", "the acting", "is superb", "a dull film"]  ->  [0, 3]

    The distinct rows are visited from longest to shortest and a row is kept unless it is inside a
    row kept before; containment is transitive, so comparing with the kept rows is enough.
    """
    first_index: dict[str, int] = {}
    for index, text in enumerate(texts):
        first_index.setdefault(" ".join(text.split()), index)
    kept = _SentenceIndex()
    result = []
    for text in sorted(first_index, key=lambda t: (-len(t), t)):
        if not kept.contains(text):
            kept.add(text)
            result.append(first_index[text])
    return sorted(result)


def rows_inside(texts: Sequence[str], outer: Iterable[str]) -> list[int]:
    """Indices (ascending) of the rows of ``texts`` that are inside (or equal to) one of ``outer``."""
    index = _SentenceIndex()
    for sentence in outer:
        index.add(sentence)
    return [i for i, text in enumerate(texts) if index.contains(text)]
