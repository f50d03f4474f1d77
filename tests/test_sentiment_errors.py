"""Every mistake a user can make on the command line ends in exactly one ``error:`` line on stderr and
exit status 2, never a traceback; and the data mistakes that used to train a wrong model are refused."""
import json
import shutil

import pytest

from minigrad.sentiment import cli

TINY = ["--epochs", "1", "--d-model", "16", "--heads", "2", "--layers", "1", "--no-progress"]


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err.strip()


@pytest.mark.parametrize("options, message", [
    (["--batch-size", "0"], "argument --batch-size: must be at least 1, got 0"),
    (["--d-model", "0"], "argument --d-model: must be at least 1, got 0"),
    (["--layers", "0"], "argument --layers: must be at least 1, got 0"),
    (["--max-train", "0"], "argument --max-train: must be at least 1, got 0"),
    (["--epochs", "two"], "argument --epochs: expected a whole number, got 'two'"),
    (["--dropout", "1.5"], "argument --dropout: must be at least 0 and below 1, got 1.5"),
    (["--label-smoothing", "2"], "argument --label-smoothing: must be at least 0 and below 1, got 2"),
    (["--ema", "1.5"], "argument --ema: must be at least 0 and below 1, got 1.5"),
    (["--lr", "-1"], "argument --lr: must be above 0, got -1"),
    (["--lr", "nan"], "argument --lr: expected a finite number, got 'nan'"),
    (["--val-fraction", "1"], "argument --val-fraction: must be above 0 and below 1"),
    (["--labels", "pos"], "argument --labels: expected at least two different class names"),
    (["--ngram-widths", "3,x"], "argument --ngram-widths: expected window widths separated by commas (e.g. 3,4,5), "
                                "or none, got '3,x'"),
    (["--ngram-widths", "0,3"], "argument --ngram-widths: expected window widths separated by commas"),
    (["--ngram-channels", "0"], "argument --ngram-channels: must be at least 1, got 0"),
    # --device goes through minigrad's one device parser, as Tensor.to / Module.to / mg.load do
    (["--device", "gpu"], "argument --device: unknown device 'gpu' ('gpu' is not a device name in PyTorch "
                          "either: say 'cuda'); use one of 'cpu', 'cuda', 'cudasim'"),
    (["--device", "cudaa"], "argument --device: unknown device 'cudaa'; use one of 'cpu', 'cuda', 'cudasim'"),
    (["--heads", "3"], "--heads 3 does not divide --d-model 64 (each head reads d_model / heads numbers): "
                       "use --heads 1 or 2 or 4 or 8 or 16, or another --d-model"),
])
def test_bad_option_values(tmp_path, capsys, options, message):
    out = tmp_path / "run"
    assert cli.main(["train", "--out", str(out), "--max-train", "50"] + options) == 2
    assert message in one_error_line(capsys)
    assert not out.exists()


def test_help_gives_every_option_a_meaning_and_a_default(capsys):
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name in ("train", "pretrain", "evaluate", "predict", "explain", "compress"):
        for action in commands[name]._actions:
            if action.dest == "help" or not action.option_strings:
                continue
            assert action.help, f"{name} {action.option_strings} has no help"
            is_flag = action.nargs == 0
            assert is_flag or "default" in action.help, f"{name} {action.option_strings}: {action.help}"
    assert cli.main(["train", "--help"]) == 0
    help_text = capsys.readouterr().out
    assert "any other data (SST-2, a folder, a file)" in help_text and "--data embedded: 6 epochs" in help_text


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def labelled(path, labels, header="sentence\tlabel"):
    words = ["good", "fine", "bad", "dull", "superb", "awful", "lovely", "weak"]
    rows = [f"a {words[i % len(words)]} film number {i}\t{label}" for i, label in enumerate(labels)]
    return write(path, "\n".join([header] + rows) + "\n")


def test_a_typo_among_the_labels_is_refused_with_its_line(tmp_path, capsys):
    data = labelled(tmp_path / "reviews.tsv", ["0", "1"] * 20 + ["positive"] + ["1", "0"] * 5)
    assert cli.main(["train", "--data", str(data), "--out", str(tmp_path / "run")] + TINY) == 2
    line = one_error_line(capsys)
    assert "reviews.tsv, line 42: the label 'positive' does not look like the others (0, 1)" in line


def test_one_class_only_is_refused(tmp_path, capsys):
    data = labelled(tmp_path / "reviews.tsv", ["1"] * 30)
    assert cli.main(["train", "--data", str(data), "--out", str(tmp_path / "run")] + TINY) == 2
    assert "every example has the label '1': a classifier needs at least two classes" in one_error_line(capsys)


def test_a_row_without_its_label_says_so(tmp_path, capsys):
    data = labelled(tmp_path / "reviews.tsv", ["0", "1"] * 10)
    write(data, data.read_text() + "a row with no label\n")
    assert cli.main(["train", "--data", str(data), "--out", str(tmp_path / "run")] + TINY) == 2
    line = one_error_line(capsys)
    assert "line 22: expected 2 tab-separated columns (sentence, label) but found 1: the label column is missing" in line


def test_labels_1_and_2_make_two_classes_not_three(tmp_path):
    data = labelled(tmp_path / "stars.tsv", ["1", "2"] * 15)
    out = tmp_path / "run"
    assert cli.main(["train", "--data", str(data), "--out", str(out)] + TINY) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["label_names"] == ["1", "2"] and config["model"]["num_classes"] == 2


def test_a_small_glue_folder_keeps_most_rows_for_training(tmp_path, capsys):
    folder = tmp_path / "tiny-glue"
    folder.mkdir()
    labelled(folder / "train.tsv", ["0", "1"] * 30)
    labelled(folder / "dev.tsv", ["1", "0"] * 5)
    out = tmp_path / "run"
    assert cli.main(["train", "--data", str(folder), "--out", str(out)] + TINY) == 0
    printed = capsys.readouterr().out
    assert "54 train / 6 validation / 10 dev sentences" in printed
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_name"] == "dev" and metrics["test"]["n"] == 10


def test_evaluate_reads_0_1_labels_as_the_classes_of_a_run_with_named_labels(tmp_path, capsys):
    train = labelled(tmp_path / "named.tsv", ["neg", "pos"] * 15)
    out = tmp_path / "run"
    assert cli.main(["train", "--data", str(train), "--out", str(out)] + TINY) == 0
    numbers = labelled(tmp_path / "numbers.tsv", ["0", "1"] * 5)
    capsys.readouterr()
    assert cli.main(["evaluate", str(out), "--data", str(numbers)]) == 0
    captured = capsys.readouterr()
    assert "read as class ids, 0 = neg, 1 = pos" in captured.err and "(10 sentences)" in captured.out
    unknown = labelled(tmp_path / "unknown.tsv", ["0", "1", "2"] * 3)
    assert cli.main(["evaluate", str(out), "--data", str(unknown)]) == 2
    assert "unknown.tsv, line 4: unknown label '2'" in one_error_line(capsys)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "tiny"
    assert cli.main(["train", "--out", str(out), "--max-train", "60"] + TINY) == 0
    return out


def test_a_damaged_weights_file_is_one_error_line(tiny_run, tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_run, broken)
    data = bytearray((broken / "weights.safetensors").read_bytes())
    (broken / "weights.safetensors").write_bytes(bytes(data[: len(data) // 2]))
    assert cli.main(["predict", str(broken), "a fine film"]) == 2
    assert "weights.safetensors is damaged and cannot be read" in one_error_line(capsys)
    (broken / "weights.safetensors").write_bytes(b"not a weights file at all")
    assert cli.main(["evaluate", str(broken)]) == 2
    assert "weights.safetensors is damaged" in one_error_line(capsys)


def test_a_damaged_config_and_a_folder_of_the_wrong_shape(tiny_run, tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_run, broken)
    write(broken / "config.json", '{"format": "minigrad-sentiment-run", "version": 2')
    assert cli.main(["predict", str(broken), "a fine film"]) == 2
    assert "config.json is not valid JSON" in one_error_line(capsys)
    nothing = tmp_path / "nothing"
    nothing.mkdir()
    write(nothing / "notes.md", "not data")
    assert cli.main(["train", "--data", str(nothing), "--out", str(tmp_path / "r")] + TINY) == 2
    assert "no train.tsv/train.csv/train.jsonl (GLUE layout) and no CLASS.txt files" in one_error_line(capsys)


def test_resume_mistakes(tiny_run, tmp_path, capsys):
    assert cli.main(["train", "--resume", str(tiny_run)]) == 2
    assert "is complete: there is nothing to resume" in one_error_line(capsys)
    assert cli.main(["train", "--resume", str(tiny_run), "--lr", "0.1"]) == 2
    assert "--resume continues" in one_error_line(capsys) and True
    assert cli.main(["pretrain", "--resume", str(tiny_run)]) == 2
    assert "is a classifier run: continue it with python -m minigrad.sentiment train --resume" in one_error_line(capsys)
