"""Label checks: the classes learned from a file, and the mistakes that are refused with the line and the fix."""
import pytest

from minigrad.data import DataError, class_ids, learn_classes, load_labelled_file


def numbered(labels):
    return [(line, label) for line, label in enumerate(labels, start=2)]


def test_classes_are_the_labels_that_occur_in_numeric_or_alphabetical_order():
    assert learn_classes("f.tsv", numbered(["2", "1", "1", "2"])) == ["1", "2"]          # no empty class 0
    assert learn_classes("f.tsv", numbered(["10", "9", "10"])) == ["9", "10"]             # numbers, not strings
    assert learn_classes("f.tsv", numbered(["pos", "neg", "pos"])) == ["neg", "pos"]


def test_a_word_among_numbers_is_refused_with_its_line(tmp_path):
    rows = "sentence\tlabel\n" + "".join(f"s{i}\t{i % 2}\n" for i in range(40)) + "one more\tpositive\n"
    path = tmp_path / "typo.tsv"
    path.write_text(rows, encoding="utf-8")
    with pytest.raises(DataError, match=r"typo.tsv, line 42: the label 'positive' does not look like the others "
                                        r"\(0, 1\).*Fix: correct the label"):
        load_labelled_file(path)


def test_a_rare_label_is_taken_for_a_typo_unless_the_classes_are_listed():
    labels = ["positive"] * 30 + ["negative"] * 30 + ["postive"]
    with pytest.raises(DataError, match=r"line 62: the label 'postive' occurs only 1 time\(s\) while '(positive|"
                                        r"negative)' occurs 30 times: a typo \(did you mean 'positive'\?\).*--labels"):
        learn_classes("f.tsv", numbered(labels))
    ids, reading = class_ids("f.tsv", numbered(labels), ["negative", "positive", "postive"])
    assert ids[-1] == 2 and reading == "names"


def test_one_class_is_refused():
    with pytest.raises(DataError, match=r"every example has the label '1': a classifier needs at least two classes"):
        learn_classes("f.tsv", numbered(["1"] * 20))


def test_reading_labels_against_known_classes():
    names = ["negative", "positive"]
    assert class_ids("f.tsv", numbered(["positive", "negative"]), names) == ([1, 0], "names")
    assert class_ids("f.tsv", numbered(["1", "0", "1"]), names) == ([1, 0, 1], "ids")   # 0/1 as class ids
    with pytest.raises(DataError, match=r"line 3: unknown label '2'; the classes are \['negative', 'positive'\]"):
        class_ids("f.tsv", numbered(["1", "2"]), names)
    with pytest.raises(DataError, match=r"line 3: unknown label '1'"):  # names and ids mixed
        class_ids("f.tsv", numbered(["positive", "1"]), names)
