"""The embedded sentiment corpus and its bag-of-words baseline."""
from collections import Counter

import pytest

from minigrad.data import KINDS, Example, bag_of_words_baseline, make_sentiment_corpus
from minigrad.data.sentiment_corpus import ADJECTIVES, ASPECTS, DISTRACTIONS, NOUN_PHRASES, SUBJECTS
from minigrad.text import Vocab, basic_tokenize

POLARITY = {w: p for p, words in ADJECTIVES.items() for w in words}
POLARITY.update({phrase.split()[-1]: p for p, phrases in NOUN_PHRASES.items() for phrase in phrases})
NEGATORS = {"not", "n't", "never", "nobody"}


@pytest.fixture(scope="module")
def corpus():
    return make_sentiment_corpus()


def test_sizes_types_and_determinism(corpus):
    train, test = corpus
    assert len(train) == 4000 and len(test) == 1000
    assert all(isinstance(e, Example) and e.label in (0, 1) and e.kind in KINDS for e in train + test)
    assert make_sentiment_corpus() == corpus
    assert make_sentiment_corpus(seed=1)[0] != train
    small_train, small_test = make_sentiment_corpus(n_train=10, n_test=7, seed=3)
    assert (len(small_train), len(small_test)) == (10, 7)


def test_balanced_overall_and_per_kind(corpus):
    for split in corpus:
        labels = Counter(e.label for e in split)
        assert abs(labels[0] - labels[1]) <= 1
        for kind in KINDS:
            per_kind = Counter(e.label for e in split if e.kind == kind)
            assert per_kind[0] > 0 and abs(per_kind[0] - per_kind[1]) <= 1


def test_kind_mix(corpus):
    train, _ = corpus
    assert Counter(e.kind for e in train) == {"plain": 1600, "negation": 800, "contrast": 800, "long_range": 800}
    custom, _ = make_sentiment_corpus(n_train=100, n_test=10, kind_fractions={"plain": 1, "negation": 1})
    assert Counter(e.kind for e in custom) == {"plain": 50, "negation": 50}
    with pytest.raises(ValueError, match="unknown kinds"):
        make_sentiment_corpus(kind_fractions={"sarcasm": 1.0})


def test_labels_follow_the_rules_of_each_kind(corpus):
    """An independent rule: the label is the polarity of the LAST sentiment word, flipped once by a negator."""
    for example in corpus[0] + corpus[1]:
        tokens = basic_tokenize(example.text)
        sentiment = [POLARITY[t] for t in tokens if t in POLARITY]
        negated = any(t in NEGATORS for t in tokens)
        assert example.label == sentiment[-1] ^ negated, example
        if example.kind == "plain":
            assert len(sentiment) == 1 and not negated
        if example.kind == "negation":
            assert negated
        if example.kind == "contrast":
            assert sentiment == [1 - example.label, example.label] and not negated


def test_negation_uses_the_same_words_with_the_opposite_label(corpus):
    train, _ = corpus
    def adjectives(kind, label):
        return {t for e in train if e.kind == kind and e.label == label for t in basic_tokenize(e.text) if t in ADJECTIVES[1]}
    assert adjectives("plain", 1) & adjectives("negation", 0) == set(ADJECTIVES[1])


def test_long_range_negation_is_far_from_the_sentiment_word(corpus):
    train, _ = corpus
    gaps = []
    for e in train:
        if e.kind == "long_range":
            tokens = basic_tokenize(e.text)
            negators = [i for i, t in enumerate(tokens) if t in NEGATORS]
            if negators:
                gaps.append(max(i for i, t in enumerate(tokens) if t in POLARITY) - negators[0])
    assert len(gaps) > 300 and min(gaps) >= 5 and sum(gaps) / len(gaps) > 8


def test_train_and_test_use_disjoint_fillers(corpus):
    train, test = corpus
    assert not {e.text for e in train} & {e.text for e in test}
    assert len({e.text for e in train}) == len(train)
    test_only = {w for group in (SUBJECTS, ASPECTS, DISTRACTIONS) for phrase in group["test"] for w in phrase.split()}
    train_only = {w for group in (SUBJECTS, ASPECTS, DISTRACTIONS) for phrase in group["train"] for w in phrase.split()}
    test_only, train_only = test_only - train_only - {"the", "this", "all"}, train_only - test_only - {"the", "this", "all"}
    train_words = {t for e in train for t in basic_tokenize(e.text)}
    test_words = {t for e in test for t in basic_tokenize(e.text)}
    assert not test_only & train_words and not train_only & test_words
    assert set(POLARITY) <= test_words and set(POLARITY) <= train_words


def test_builds_a_vocabulary_with_ptb_tokens(corpus):
    vocab = Vocab.build(basic_tokenize(e.text) for e in corpus[0])
    assert "n't" in vocab and "but" in vocab and len(vocab) < 200


def test_bag_of_words_fails_on_negation_but_not_on_plain_sentences(corpus):
    result = bag_of_words_baseline(*corpus)
    per_kind = result["per_kind"]
    assert set(per_kind) == set(KINDS)
    assert per_kind["plain"] > 0.9
    assert per_kind["negation"] < 0.3 and per_kind["negation"] < per_kind["plain"] - 0.5
    assert per_kind["contrast"] < 0.7 and per_kind["long_range"] < 0.7
    assert result["overall"] < 0.75


def test_baseline_accepts_tuples_and_learns_an_easy_task():
    train = [("good film", 1), ("bad film", 0)] * 20
    result = bag_of_words_baseline(train, [("good", 1), ("bad", 0), ("film good", 1)])
    assert result["overall"] == 1.0 and result["per_kind"] == {"all": 1.0} and result["n_features"] == 3
