"""The embedded default sentiment corpus: movie-review-style sentences made from templates.

minigrad ships no third-party text.  This module *generates* a small labelled
corpus (label 1 = positive, 0 = negative) so the sentiment classifier can be
trained with no download.  The sentences are built to test whether a model
reads word *order*, not just which words occur.  Every example carries a
``kind``:

``plain``       "the film was truly superb"                             -> 1
``negation``    "the film is n't good", "the acting was never boring"   -> 0, 1
``contrast``    "the plot was dull but the acting was superb"           -> 1
                (the clause after "but", or the main clause after an
                "although ..." clause, decides)
``long_range``  "i did not , despite the long trailer and all the hype , find the film enjoyable"  -> 0
                (the negation is far from the word it flips; half of these
                sentences have no negation, so "not" alone says nothing)

Why a bag-of-words model fails here: the negation sentences use the same
sentiment words as the plain ones with the *opposite* label, and negation
words ("not", "never", "n't") occur equally often with both labels.  A model
that only counts words learns "good" = positive and therefore gets "is n't
good" wrong; in contrast sentences both polarities occur once, so only the
position relative to "but" decides.  ``bag_of_words_baseline`` measures this.

Train and test use disjoint *filler* words (film names like "the sequel" vs
"the remake", aspects like "the plot" vs "the score", and the distracting
phrases of the long-range sentences) but share the sentiment words and the
grammar, so test accuracy measures generalisation to new sentences, not memory.

Examples are ``Example(text, label, kind)`` named tuples, so both
``example.text`` and ``text, label, kind = example`` work.
"""
from __future__ import annotations

import random
from collections import Counter
from typing import Iterable, NamedTuple

import numpy as np

KINDS = ("plain", "negation", "contrast", "long_range")
DEFAULT_KIND_FRACTIONS = {"plain": 0.4, "negation": 0.2, "contrast": 0.2, "long_range": 0.2}


class Example(NamedTuple):
    """One labelled sentence: ``text`` (PTB-style tokens joined by spaces), ``label`` (1 positive, 0 negative), ``kind``."""

    text: str
    label: int
    kind: str


# ----------------------------------------------------------------------------- word lists
# Sentiment words: shared by train and test.  Index 1 = positive, 0 = negative.
ADJECTIVES = {
    1: ["good", "great", "superb", "wonderful", "enjoyable", "moving",
        "brilliant", "charming", "funny", "engaging", "delightful", "gripping"],
    0: ["bad", "dull", "boring", "awful", "terrible", "tedious",
        "bland", "clumsy", "predictable", "forgettable", "lifeless", "tiresome"],
}
NOUN_PHRASES = {
    1: ["a triumph", "a delight", "a joy", "a treat", "a gem", "a masterpiece"],
    0: ["a mess", "a bore", "a disaster", "a chore", "a failure", "a letdown"],
}
INTENSIFIERS = ["", "", "very ", "truly ", "really ", "incredibly ", "remarkably ", "so "]
ENDINGS = ["", " .", " !"]

# Neutral fillers: different words for the two splits.
SUBJECTS = {
    "train": ["the film", "this movie", "the picture", "the sequel", "the story",
              "this comedy", "the thriller", "the documentary"],
    "test": ["the feature", "this drama", "the remake", "the musical", "this western", "the cartoon"],
}
ASPECTS = {
    "train": ["the plot", "the acting", "the dialogue", "the soundtrack", "the pacing",
              "the ending", "the humor", "the editing"],
    "test": ["the script", "the cast", "the score", "the cinematography", "the direction", "the finale"],
}
DISTRACTIONS = {
    "train": ["the long trailer", "all the hype", "the late start", "the sticky floors",
              "the loud audience", "the famous director", "the huge budget", "the endless ads",
              "the rainy evening", "the early reviews"],
    "test": ["the crowded lobby", "the expensive tickets", "the strange poster", "the bumpy bus ride",
             "the cold popcorn", "the famous producer", "the noisy kids", "the long queue"],
}


# ----------------------------------------------------------------------------- sentence makers
def _with_article(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def _plain(rng: random.Random, fill: dict, polarity: int) -> str:
    adjective = rng.choice(ADJECTIVES[polarity])
    subject, aspect, be = rng.choice(fill["subjects"]), rng.choice(fill["aspects"]), rng.choice(["is", "was"])
    very = rng.choice(INTENSIFIERS)
    template = rng.randrange(5)
    if template == 0:
        return f"{subject} {be} {very}{adjective}"
    if template == 1:
        return f"{subject} {be} {rng.choice(NOUN_PHRASES[polarity])}"
    if template == 2:
        return f"i found {subject} {very}{adjective}"
    if template == 3:
        return f"{aspect} {be} {very}{adjective}"
    return f"what {_with_article(adjective)} {subject.split(' ', 1)[1]}"


def _negated(rng: random.Random, fill: dict, polarity: int) -> str:
    """A sentence whose sentiment word has ``polarity`` but is negated (so the label is the opposite)."""
    adjective = rng.choice(ADJECTIVES[polarity])
    subject, aspect, be = rng.choice(fill["subjects"]), rng.choice(fill["aspects"]), rng.choice(["is", "was"])
    at_all = rng.choice(["", "", "at all "])
    template = rng.randrange(8)
    if template == 0:
        return f"{subject} {be} not {at_all}{adjective}"
    if template == 1:
        return f"{subject} {be} n't {at_all}{adjective}"
    if template == 2:
        return f"{rng.choice([subject, aspect])} {be} never {adjective}"
    if template == 3:
        return f"{subject} {be} {rng.choice(['not', 'never'])} {rng.choice(NOUN_PHRASES[polarity])}"
    if template == 4:
        negation = rng.choice(["not", "n't"])
        return f"i did {negation} find {subject} {adjective}"
    if template == 5:
        return f"i do n't think {subject} {be} {adjective}"
    if template == 6:
        return f"nobody would call {subject} {adjective}"
    return f"{aspect} {be} not {at_all}{adjective}"


def _clause(rng: random.Random, polarity: int, noun: str, be: str) -> str:
    return f"{noun} {be} {rng.choice(INTENSIFIERS)}{rng.choice(ADJECTIVES[polarity])}"


def _contrast(rng: random.Random, fill: dict, label: int) -> str:
    """Two clauses of opposite polarity; the second (main) clause has the label's polarity."""
    # "the plot was dull but the acting was superb" / "... but the film was superb"
    first_noun = rng.choice(fill["aspects"])
    second_noun = rng.choice([a for a in fill["aspects"] if a != first_noun] + fill["subjects"])
    be = rng.choice(["is", "was"])  # one tense for the whole sentence
    first = _clause(rng, 1 - label, first_noun, be)
    second = _clause(rng, label, second_noun, be)
    template = rng.randrange(3)
    if template == 0:
        return f"{first} but {second}"
    if template == 1:
        return f"{first} , but {second}"
    return f"although {first} , {second}"


def _distraction(rng: random.Random, fill: dict) -> str:
    phrases = rng.sample(fill["distractions"], rng.randint(1, 3))
    listed = phrases[0] if len(phrases) == 1 else " , ".join(phrases[:-1]) + " and " + phrases[-1]
    return f"{rng.choice(['despite', 'in spite of', 'after', 'for all'])} {listed}"


def _long_range(rng: random.Random, fill: dict, label: int) -> str:
    """Negation (or none) separated from the sentiment word by a long neutral phrase."""
    negated = rng.random() < 0.5
    polarity = 1 - label if negated else label
    adjective = rng.choice(ADJECTIVES[polarity])
    subject, middle = rng.choice(fill["subjects"]), _distraction(rng, fill)
    template = rng.randrange(4)
    if template == 0:
        return f"i did {'not ' if negated else ''}, {middle} , find {subject} {adjective}"
    if template == 1:
        return f"{subject} was {'not ' if negated else ''}, {middle} , {adjective}"
    if template == 2:
        return f"{subject} {'never' if negated else 'always'} , {middle} , felt {adjective}"
    return f"i would {'not ' if negated else ''}, {middle} , call {subject} {adjective}"


def _make_one(rng: random.Random, fill: dict, kind: str, label: int) -> str:
    if kind == "plain":
        text = _plain(rng, fill, label)
    elif kind == "negation":
        text = _negated(rng, fill, 1 - label)
    elif kind == "contrast":
        text = _contrast(rng, fill, label)
    else:
        text = _long_range(rng, fill, label)
    return text + rng.choice(ENDINGS)


def _kind_counts(n: int, fractions: dict[str, float]) -> dict[str, int]:
    """Split ``n`` into per-kind counts that add up to exactly ``n``."""
    total = sum(fractions.values())
    counts = {kind: int(n * fractions.get(kind, 0) / total) for kind in KINDS}
    for kind in sorted(KINDS, key=lambda k: -fractions.get(k, 0))[: n - sum(counts.values())]:
        counts[kind] += 1
    return counts


def _make_split(n: int, split: str, seed: int, fractions: dict[str, float]) -> list[Example]:
    rng = random.Random(f"minigrad-sentiment-{split}-{seed}")
    fill = {"subjects": SUBJECTS[split], "aspects": ASPECTS[split], "distractions": DISTRACTIONS[split]}
    slots = [kind for kind, count in _kind_counts(n, fractions).items() for _ in range(count)]
    examples, seen = [], set()
    for position, kind in enumerate(slots):
        label = position % 2  # alternating labels: balanced overall and within each kind
        for _attempt in range(100):
            text = _make_one(rng, fill, kind, label)
            if text not in seen:
                break
        else:
            raise RuntimeError(f"make_sentiment_corpus: ran out of distinct {kind} sentences; ask for fewer examples")
        seen.add(text)
        examples.append(Example(text, label, kind))
    rng.shuffle(examples)
    return examples


def make_sentiment_corpus(
    n_train: int = 4000,
    n_test: int = 1000,
    seed: int = 0,
    kind_fractions: dict[str, float] | None = None,
) -> tuple[list[Example], list[Example]]:
    """Generate ``(train, test)`` lists of :class:`Example` (see the module docstring).

    Labels are balanced (within one example) overall and within each kind;
    ``kind_fractions`` (default 40% plain, 20% each of the others) sets the mix.
    The same arguments always give the same corpus.
    """
    fractions = dict(DEFAULT_KIND_FRACTIONS if kind_fractions is None else kind_fractions)
    unknown = set(fractions) - set(KINDS)
    if unknown:
        raise ValueError(f"make_sentiment_corpus: unknown kinds {sorted(unknown)}; the kinds are {KINDS}")
    return _make_split(n_train, "train", seed, fractions), _make_split(n_test, "test", seed, fractions)


# ----------------------------------------------------------------------------- baseline
def _as_example(item) -> Example:
    if isinstance(item, Example):
        return item
    if isinstance(item, dict):
        return Example(item["text"], int(item["label"]), item.get("kind", "all"))
    text, label, *rest = item
    return Example(text, int(label), rest[0] if rest else "all")


def bag_of_words_baseline(
    train: Iterable, test: Iterable, steps: int = 300, learning_rate: float = 0.5, l2: float = 1e-4
) -> dict:
    """Logistic regression on word counts (order ignored), trained by full-batch gradient descent.

    The model: ``p(positive) = sigmoid(w . counts(text) + b)``, with ``counts`` the
    number of times each training-vocabulary word occurs.  The loss is the mean
    binary cross-entropy ``-[y log p + (1 - y) log(1 - p)]`` plus ``l2 * |w|^2 / 2``; its
    gradient is ``X^T (p - y) / n + l2 * w`` for ``w`` and ``mean(p - y)`` for ``b``.

    Accepts :class:`Example` objects, ``(text, label[, kind])`` tuples or dicts.
    Returns ``{"overall": test accuracy, "per_kind": {kind: accuracy},
    "train_accuracy": ..., "n_features": vocabulary size}``.
    """
    from ..text.tokenize import basic_tokenize

    train, test = [_as_example(x) for x in train], [_as_example(x) for x in test]
    words = sorted({w for example in train for w in basic_tokenize(example.text)})
    column = {w: i for i, w in enumerate(words)}

    def featurize(examples: list[Example]) -> np.ndarray:
        features = np.zeros((len(examples), len(words)))
        for row, example in enumerate(examples):
            for word, count in Counter(basic_tokenize(example.text)).items():
                if word in column:  # words never seen in training carry no weight
                    features[row, column[word]] = count
        return features

    x_train, x_test = featurize(train), featurize(test)
    y_train = np.array([e.label for e in train], dtype=np.float64)
    y_test = np.array([e.label for e in test], dtype=np.float64)
    weights, bias = np.zeros(len(words)), 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x_train @ weights + bias)))
        weights -= learning_rate * (x_train.T @ (p - y_train) / len(train) + l2 * weights)
        bias -= learning_rate * float(np.mean(p - y_train))

    def predict(features: np.ndarray) -> np.ndarray:
        return (features @ weights + bias > 0).astype(np.float64)

    correct = predict(x_test) == y_test
    kinds = np.array([e.kind for e in test])
    return {
        "overall": float(correct.mean()),
        "per_kind": {kind: float(correct[kinds == kind].mean()) for kind in sorted(set(kinds.tolist()))},
        "train_accuracy": float((predict(x_train) == y_train).mean()),
        "n_features": len(words),
    }
