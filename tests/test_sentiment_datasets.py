"""How --data sources are split into train / validation / test."""
from minigrad.data import longest_rows
from minigrad.sentiment.datasets import Split, load_sentiment_data, three_way, validation_size


def test_validation_is_a_fraction_that_never_empties_train():
    assert validation_size(60, 0.1) == 6 and validation_size(67_349, 0.1) == 2000 and validation_size(2, 0.5) == 1
    assert validation_size(5, 0.9) == 4


def treebank(n_sentences):
    """Sentences "w0 w1 ... w5" with all their 2- and 3-word phrases, as in SST-2's train.tsv."""
    texts, labels = [], []
    for s in range(n_sentences):
        words = [f"s{s}w{i}" for i in range(6)]
        texts.append(" ".join(words))
        labels.append(s % 2)
        for size in (2, 3):
            for start in range(0, 6 - size + 1):
                texts.append(" ".join(words[start:start + size]))
                labels.append(s % 2)
    return Split(texts, labels)


def test_a_treebank_is_validated_on_full_sentences_whose_phrases_are_not_trained_on():
    data = treebank(50)
    train, val, test, test_name, notes = three_way("tb", data, Split(["x y"], [1]), None, seed=0, val_fraction=0.1)
    assert len(val) == 5 and all(text.count(" ") == 5 for text in val.texts)      # 5 of the 50 sentences
    assert not [t for t in train.texts if any(f" {t} " in f" {v} " for v in val.texts)]
    assert len(train) == len(data) - 5 * 10 and "full sentences" in notes[-1]
    assert len(longest_rows(train.texts)) == 45


def test_plain_sentences_are_split_by_rows(tmp_path):
    rows = "\n".join(["text\tlabel"] + [f"review {i} was {'good' if i % 2 else 'bad'}\t{i % 2}" for i in range(100)])
    path = tmp_path / "reviews.tsv"
    path.write_text(rows + "\n")
    data = load_sentiment_data(str(path))
    assert (len(data.train), len(data.val), len(data.test)) == (81, 9, 10)
    assert not set(data.train.texts) & (set(data.val.texts) | set(data.test.texts))
