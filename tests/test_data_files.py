"""load_labelled_file, load_folder_per_class, load_text_lines and DataError messages."""
import pytest

from minigrad.data import DataError, load_folder_per_class, load_labelled_file, load_text_lines


def _write(path, text, encoding="utf-8"):
    path.write_text(text, encoding=encoding)
    return path


def test_tsv_with_int_labels(tmp_path):
    path = _write(tmp_path / "train.tsv", "sentence\tlabel\na fine film \t1\na dull one\t0\n\nit 's ok\t1\n")
    texts, labels, names = load_labelled_file(path)
    assert texts == ["a fine film", "a dull one", "it 's ok"]
    assert labels == [1, 0, 1] and names == ["0", "1"]


def test_csv_with_string_labels_quotes_and_extra_columns(tmp_path):
    path = _write(tmp_path / "reviews.csv", 'id,text,label\n1,"good, really",pos\n2,bad,neg\n3,"so ""meh""",neutral\n')
    texts, labels, names = load_labelled_file(path)
    assert texts == ["good, really", "bad", 'so "meh"']
    assert names == ["neg", "neutral", "pos"] and labels == [2, 0, 1]


def test_sniffed_delimiter_and_custom_columns(tmp_path):
    path = _write(tmp_path / "data.txt", "review;stars\ngreat;4\nawful;0\n")
    texts, labels, names = load_labelled_file(path, text_column="review", label_column="stars")
    # the classes are the labels that occur, in numeric order: no empty classes 1, 2, 3
    assert texts == ["great", "awful"] and labels == [1, 0] and names == ["0", "4"]
    with pytest.raises(DataError, match="delimiter"):
        load_labelled_file(_write(tmp_path / "plain.txt", "justoneword\nx\n"))


def test_given_label_set_fixes_ids_and_rejects_unknown_labels(tmp_path):
    path = _write(tmp_path / "s.tsv", "text\tlabel\nyes\tpositive\nno\tnegative\n")
    _, labels, names = load_labelled_file(path, label_names=["negative", "positive"])
    assert labels == [1, 0] and names == ["negative", "positive"]
    bad = _write(tmp_path / "bad_labels.tsv", "text\tlabel\nyes\tpositive\nhm\tmeh\n")
    with pytest.raises(DataError) as info:
        load_labelled_file(bad, label_names=["negative", "positive"])
    message = str(info.value)
    assert "bad_labels.tsv" in message and "line 3" in message and "'meh'" in message


def test_wrong_column_count_names_file_and_line(tmp_path):
    path = _write(tmp_path / "broken.tsv", "sentence\tlabel\nfine\t1\ntab\tinside\t0\n")
    with pytest.raises(DataError) as info:
        load_labelled_file(path)
    message = str(info.value)
    assert "broken.tsv" in message and "line 3" in message and "found 3" in message and "Fix:" in message
    assert "stray tab" in message
    assert info.value.line == 3 and isinstance(info.value, ValueError)


def test_a_row_without_its_label_is_told_so(tmp_path):
    path = _write(tmp_path / "short.tsv", "sentence\tlabel\nfine\t1\nno label here\n")
    with pytest.raises(DataError, match=r"short.tsv, line 3: .*found 1: the label column is missing\. "
                                        r"Fix: give this row all 2 columns") as info:
        load_labelled_file(path)
    assert "stray" not in str(info.value)


def test_missing_empty_and_header_only_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing_here.tsv"):
        load_labelled_file(tmp_path / "nothing_here.tsv")
    with pytest.raises(DataError, match="empty.tsv.*is empty"):
        load_labelled_file(_write(tmp_path / "empty.tsv", "\n\n"))
    with pytest.raises(DataError, match="header.tsv, line 1: has a header but no examples"):
        load_labelled_file(_write(tmp_path / "header.tsv", "sentence\tlabel\n"))


def test_missing_column_and_empty_cells(tmp_path):
    with pytest.raises(DataError, match="no label column named 'label'"):
        load_labelled_file(_write(tmp_path / "a.tsv", "sentence\ttarget\nx\t1\n"))
    with pytest.raises(DataError, match="line 2: the label column is empty"):
        load_labelled_file(_write(tmp_path / "b.tsv", "sentence\tlabel\nx\t \n"))
    assert load_labelled_file(_write(tmp_path / "c.tsv", "sentence\tlabel\nx\t1\ny\t-1\n"))[1:] == ([1, 0], ["-1", "1"])


def test_jsonl_with_custom_keys_and_numeric_labels(tmp_path):
    path = _write(tmp_path / "r.jsonl", '{"review": "a fine film", "stars": 1}\n\n{"review": "dull", "stars": 0}\n')
    texts, labels, names = load_labelled_file(path, text_column="review", label_column="stars")
    assert texts == ["a fine film", "dull"] and labels == [1, 0] and names == ["0", "1"]
    with pytest.raises(DataError, match=r"bad.jsonl, line 2: is not a JSON object"):
        load_labelled_file(_write(tmp_path / "bad.jsonl", '{"text": "x", "label": 1}\n{oops\n'))
    with pytest.raises(DataError, match=r"nolabel.jsonl, line 1: .*no label column named 'label'"):
        load_labelled_file(_write(tmp_path / "nolabel.jsonl", '{"text": "x"}\n'))


def test_non_utf8_bytes_name_the_line(tmp_path):
    path = tmp_path / "latin1.tsv"
    path.write_bytes("sentence\tlabel\nok\t1\ncaf\u00e9\t0\n".encode("latin-1"))
    with pytest.raises(DataError, match="latin1.tsv, line 3: is not valid UTF-8"):
        load_labelled_file(path)


def test_folder_per_class(tmp_path):
    _write(tmp_path / "pos.txt", "loved it\n\nsuperb\n")
    _write(tmp_path / "neg.txt", "hated it\n")
    _write(tmp_path / "README.md", "ignored")
    texts, labels, names = load_folder_per_class(tmp_path)
    assert names == ["neg", "pos"]
    assert list(zip(texts, labels)) == [("hated it", 0), ("loved it", 1), ("superb", 1)]


def test_folder_per_class_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_folder_per_class(tmp_path / "missing")
    _write(tmp_path / "only.txt", "x\n")
    with pytest.raises(DataError, match="at least two classes"):
        load_folder_per_class(tmp_path)
    _write(tmp_path / "blank.txt", "\n  \n")
    with pytest.raises(DataError, match="blank.txt.*is empty"):
        load_folder_per_class(tmp_path)


def test_text_lines(tmp_path):
    assert load_text_lines(_write(tmp_path / "u.txt", "\ufefffirst line \n\n  second\n")) == ["first line", "second"]
    with pytest.raises(DataError, match="blank.txt.*no non-blank lines"):
        load_text_lines(_write(tmp_path / "blank.txt", "\n \n"))
    with pytest.raises(FileNotFoundError, match="gone.txt"):
        load_text_lines(tmp_path / "gone.txt")


def test_data_error_parts():
    error = DataError("x.tsv", "bad thing.", line=4, fix="do this.")
    assert str(error) == "x.tsv, line 4: bad thing. Fix: do this."
    assert (error.line, error.problem, error.fix) == (4, "bad thing.", "do this.")
    assert str(DataError("y.tsv", "whole file problem.")) == "y.tsv: whole file problem."
