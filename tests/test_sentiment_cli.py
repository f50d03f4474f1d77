"""The command line, end to end on tiny configurations: train, evaluate, predict, explain, pretrain,
train --init, and the run-folder checks."""
import io
import json
import re
import shutil

import numpy as np
import pytest

import minigrad as mg
from minigrad.sentiment import cli, commands
from minigrad.sentiment.run_folder import RunFolderError, load_run

TINY = ["--max-train", "300", "--epochs", "1", "--d-model", "16", "--heads", "2", "--layers", "1",
        "--no-progress"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "tiny"
    assert cli.main(["train", "--data", "embedded", "--out", str(out)] + TINY) == 0
    return out


def test_train_writes_a_complete_run_folder(tiny_run):
    for name in ("config.json", "vocab.json", "weights.safetensors", "metrics.json", "curves.png"):
        assert (tiny_run / name).is_file(), name
    metrics = json.loads((tiny_run / "metrics.json").read_text())
    assert set(metrics["test"]) >= {"accuracy", "precision", "recall", "f1", "confusion_matrix"}
    assert sum(map(sum, metrics["test"]["confusion_matrix"])) == 1000
    assert "negation" in metrics["bag_of_words"]["per_kind"]
    config = json.loads((tiny_run / "config.json").read_text())
    assert config["model"]["d_model"] == 16 and config["kind"] == "classifier"


def check_predict_matches_loaded_model(run_dir):
    """`predict` on a run folder gives the label and probability of the model loaded from it
    (also for an all-unknown sentence); returns what load_run gave."""
    model, encoder, config = load_run(run_dir)
    sentences = ["the film was not good", "a joy", "zzzz qqqq"]
    expected = commands.cmd_predict(cli.build_parser().parse_args(["predict", str(run_dir)] + sentences), out=lambda s: None)
    ids, mask = encoder.batch(encoder.encode_all(sentences))
    with mg.no_grad():
        probabilities = mg.softmax(model(mg.tensor(ids), mg.tensor(mask)).double(), dim=-1).numpy()
    for (label, probability), row in zip(expected, probabilities):
        assert label == config["label_names"][int(row.argmax())]
        assert probability == pytest.approx(row.max(), abs=1e-6)
    return model, encoder, config


def test_save_load_predict_round_trip(tiny_run):
    model, encoder, config = check_predict_matches_loaded_model(tiny_run)


def test_predict_reads_stdin_skipping_empty_lines(tiny_run, capsys):
    args = cli.build_parser().parse_args(["predict", str(tiny_run)])
    lines = []
    results = commands.cmd_predict(args, out=lines.append, stdin=io.StringIO("a joy\n\n  \nblorp wug\n"))
    assert len(results) == 2 and [line.split("\t")[2] for line in lines] == ["a joy", "blorp wug"]
    assert all(name in ("negative", "positive") and 0.5 <= p <= 1 for name, p in results)
    assert "skipped 2 empty line(s)" in capsys.readouterr().err


def test_predict_refuses_an_empty_sentence_and_says_when_it_cuts_a_long_one(tiny_run, capsys):
    assert cli.main(["predict", str(tiny_run), "a joy", ""]) == 2
    assert capsys.readouterr().err.strip() == "error: predict: sentence 2 is empty; give sentences with words in them"
    long_sentence = " ".join(["good"] * 80)
    assert cli.main(["predict", str(tiny_run), "a joy", long_sentence]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 2
    assert "sentence 2 (80 tokens)" in captured.err and "cut to their first 63" in captured.err


def test_evaluate_reports_metrics(tiny_run, capsys):
    assert cli.main(["evaluate", str(tiny_run), "--data", "embedded"]) == 0
    printed = capsys.readouterr().out
    assert "acc" in printed and "F1" in printed and "per kind" in printed


def test_explain_writes_heatmaps_and_a_coloured_saliency_line(tiny_run, tmp_path):
    args = cli.build_parser().parse_args(["explain", str(tiny_run), "the film was not good", "--out", str(tmp_path),
                                          "--color", "always"])
    lines = []
    result = commands.cmd_explain(args, out=lines.append)
    pngs = sorted(tmp_path.glob("attention_layer*_head*.png"))
    assert len(pngs) == 1 * 2  # 1 layer x 2 heads
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert result["tokens"] == ["<cls>", "the", "film", "was", "not", "good"]
    assert len(result["saliency"]) == 6 and np.all(np.isfinite(result["saliency"]))
    assert any(v != 0 for v in result["saliency"])
    assert "\033[" in result["line"]  # ANSI colours
    assert re.sub(r"\033\[[0-9;]*m", "", result["line"]).split() == result["tokens"]


def test_explain_writes_no_colour_codes_into_a_pipe(tiny_run, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert cli.main(["explain", str(tiny_run), "the film was not good", "--out", str(tmp_path)]) == 0
    assert "\033[" not in capsys.readouterr().out  # pytest's captured stdout is not a terminal
    assert commands.use_colour("auto", io.StringIO()) is False and commands.use_colour("always") is True


def test_run_folder_with_another_vocab_is_refused(tiny_run, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_run, broken)
    vocab = json.loads((broken / "vocab.json").read_text())
    vocab["tokens"] = vocab["tokens"] + ["brandnewword"]
    (broken / "vocab.json").write_text(json.dumps(vocab))
    with pytest.raises(RunFolderError, match=r"vocab\.json does not belong to this run.*tokens"):
        load_run(broken)
    assert cli.main(["predict", str(broken), "hello"]) == 2


def test_run_folder_with_another_config_is_refused(tiny_run, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_run, broken)
    config = json.loads((broken / "config.json").read_text())
    config["model"]["d_model"] = 32
    config["model"]["n_heads"] = 4
    (broken / "config.json").write_text(json.dumps(config))
    with pytest.raises(RunFolderError, match=r"weights\.safetensors does not fit the model described by .*config\.json"):
        load_run(broken)


def test_missing_run_folder_and_cuda_without_gpu_are_clean_errors(tmp_path, capsys):
    assert cli.main(["predict", str(tmp_path / "nope"), "hi"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "does not exist" in err and "Traceback" not in err
    if not mg.cuda.is_available():
        assert cli.main(["predict", str(tmp_path / "nope"), "hi", "--device", "cuda"]) == 2
        err = capsys.readouterr().err
        assert "--device cpu" in err and "--device cudasim" in err and "Traceback" not in err


def test_sst2_without_data_says_how_to_get_it(tmp_path, capsys):
    assert cli.main(["train", "--data", "sst2", "--sst2-dir", str(tmp_path)] + TINY) == 2
    err = capsys.readouterr().err
    assert "download_sst2" in err and err.count("\n") == 1 and err.startswith("error:")


def test_pretrain_then_train_init_starts_from_the_pretrained_weights(tmp_path):
    text = tmp_path / "unlabelled.txt"
    sentences = [f"the film was {w} and the plot was {v}" for w in ("good", "bad", "dull", "superb")
                 for v in ("moving", "tedious", "fine")] * 4
    text.write_text("\n".join(sentences) + "\n")
    pretrained = tmp_path / "mlm"
    assert cli.main(["pretrain", "--data", str(text), "--out", str(pretrained), "--epochs", "1", "--d-model", "16",
                     "--heads", "2", "--layers", "1", "--min-freq", "1", "--no-progress"]) == 0
    history = json.loads((pretrained / "metrics.json").read_text())["history"]
    assert np.isfinite(history["epochs"][0]["train_loss"])
    mlm_model, mlm_encoder, mlm_config = load_run(pretrained)
    assert mlm_config["kind"] == "pretrain"

    tuned = tmp_path / "tuned"
    # lr ~ 0: the fine-tuned weights must still be the pretrained ones, which proves they were loaded
    assert cli.main(["train", "--data", "embedded", "--init", str(pretrained), "--out", str(tuned), "--lr", "1e-12",
                     "--max-train", "100", "--epochs", "1", "--no-progress"]) == 0
    model, encoder, config = load_run(tuned)
    assert encoder.vocab == mlm_encoder.vocab
    assert config["model"]["d_model"] == 16 and config["training"]["spec"]["init"] == str(pretrained)
    for name in ("token_embedding.weight", "encoder.layers.0.self_attn.in_proj_weight", "final_norm.weight"):
        np.testing.assert_allclose(model.state_dict()[name].numpy(), mlm_model.state_dict()[name].numpy(), atol=1e-6)


def test_train_and_evaluate_on_a_labelled_file(tmp_path, capsys):
    rows = ["text\tlabel"] + [f"a {w} movie\tpos" for w in ("good", "great", "fine", "superb", "lovely")] * 6 \
        + [f"a {w} movie\tneg" for w in ("bad", "awful", "dull", "boring", "weak")] * 6
    data = tmp_path / "reviews.tsv"
    data.write_text("\n".join(rows) + "\n")
    out = tmp_path / "run"
    assert cli.main(["train", "--data", str(data), "--out", str(out), "--epochs", "1", "--d-model", "16",
                     "--heads", "2", "--layers", "1", "--no-progress"]) == 0
    config = json.loads((out / "config.json").read_text())
    assert sorted(config["label_names"]) == ["neg", "pos"]
    assert "ngram_widths" not in config["model"]     # small data: no n-gram detectors (they learn it by heart)
    assert cli.main(["evaluate", str(out), "--data", str(data)]) == 0
    assert "60 sentences" in capsys.readouterr().out
    check_predict_matches_loaded_model(out)


@pytest.mark.parametrize("option, widths, channels", [(["--ngram-widths", "2,3"], [2, 3], 100),
                                                      (["--ngram-channels", "7"], [3, 4, 5], 7),
                                                      (["--ngram-widths", "none"], None, None)])
def test_one_ngram_option_turns_the_detectors_on_with_the_other_from_the_big_data_recipe(tmp_path, option, widths,
                                                                                    channels):
    out = tmp_path / "run"
    assert cli.main(["train", "--data", "embedded", "--out", str(out)] + TINY + option) == 0
    model = json.loads((out / "config.json").read_text())["model"]
    assert model.get("ngram_widths") == widths and model.get("ngram_channels") == channels
    loaded, _, _ = load_run(out)
    assert (loaded.ngrams is not None) == (widths is not None)


def test_missing_data_file_names_the_path(tmp_path, capsys):
    missing = tmp_path / "reviews.tsv"
    assert cli.main(["train", "--data", str(missing), "--out", str(tmp_path / "run"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"{missing} does not exist" in err and "Traceback" not in err
