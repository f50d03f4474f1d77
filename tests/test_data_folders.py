"""GLUE-style split folders and the phrases inside SST-2's sentences."""
import pytest

from minigrad.data import DataError, is_split_folder, load_split_folder, longest_rows, rows_inside


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_glue_layout_train_dev_and_an_unlabelled_test(tmp_path):
    write(tmp_path / "train.tsv", "sentence\tlabel\na fine film \t1\na dull one \t0\nok\t1\n")
    write(tmp_path / "dev.tsv", "sentence\tlabel\nsuperb\t1\nawful\t0\n")
    write(tmp_path / "test.tsv", "index\tsentence\n0\tno label here\n")
    assert is_split_folder(tmp_path) and not is_split_folder(tmp_path / "train.tsv")
    folder = load_split_folder(tmp_path)
    assert folder.splits["train"] == (["a fine film", "a dull one", "ok"], [1, 0, 1])
    assert folder.splits["dev"] == (["superb", "awful"], [1, 0]) and "test" not in folder.splits
    assert folder.label_names == ["0", "1"] and folder.notes == ["test.tsv has no label column: not used"]


def test_dev_labels_take_the_classes_of_train(tmp_path):
    write(tmp_path / "train.jsonl", '{"text": "good", "label": "pos"}\n{"text": "bad", "label": "neg"}\n')
    write(tmp_path / "validation.jsonl", '{"text": "fine", "label": "pos"}\n{"text": "meh", "label": "neutral"}\n')
    with pytest.raises(DataError, match=r"validation.jsonl, line 2: unknown label 'neutral'; the classes are "
                                        r"\['neg', 'pos'\]"):
        load_split_folder(tmp_path)


def test_a_folder_without_train_is_refused(tmp_path):
    with pytest.raises(DataError, match="has no train.tsv, train.csv or train.jsonl"):
        load_split_folder(tmp_path)


def test_longest_rows_are_the_full_sentences():
    rows = ["the acting is superb", "the acting", "is superb", "a dull film", "dull", "a dull film",
            "superb acting", "bad", "badly made"]
    # "bad" is not inside "badly made": containment is word by word
    assert longest_rows(rows) == [0, 3, 6, 7, 8]
    assert rows_inside(rows, ["a dull film", "the acting"]) == [1, 3, 4, 5]


def test_full_sentences_of_sst2(sst2_dir):
    from minigrad.data import load_glue_sst2

    train = load_glue_sst2(sst2_dir, "train")
    full = longest_rows([text for text, _ in train])
    # GLUE SST-2 train.tsv: 67,349 rows, the phrases of the treebank's 6,920 binary training sentences and the
    # sentences themselves; 6,885 rows are inside no longer row (a few sentences repeat or lie inside another).
    assert len(full) == 6885
    assert train[full[0]][0].count(" ") > 3 and sum(len(train[i][0].split()) for i in full) / len(full) > 18
