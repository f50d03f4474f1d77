"""``python -m minigrad.sentiment compress``: int8, pruning and low-rank copies of a run in new folders that
evaluate, predict and explain; chaining; the source left untouched; every mistake as one error line."""
import json
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy

from minigrad.sentiment import cli
from minigrad.sentiment.run_folder import load_run

REPO = Path(__file__).resolve().parents[1]
TINY = ["--max-train", "300", "--epochs", "2", "--d-model", "16", "--heads", "2", "--layers", "1", "--no-progress",
        "--lr", "0.01"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "tiny"
    assert cli.main(["train", "--out", str(out)] + TINY) == 0
    return out


def files_of(folder):
    return {p.name: p.read_bytes() for p in sorted(Path(folder).iterdir()) if p.is_file()}


def metrics_of(folder):
    return json.loads((Path(folder) / "metrics.json").read_text())


def test_int8_writes_a_new_run_that_predicts_and_explains(run, tmp_path, capsys):
    untouched = files_of(run)
    out = tmp_path / "int8"
    assert cli.main(["compress", str(run), "--quantize", "int8", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "weights: " in printed and f"wrote {out}" in printed
    assert files_of(run) == untouched, "the source run is never changed"
    config = json.loads((out / "config.json").read_text())
    assert config["version"] == 3 and config["compression"][-1]["method"] == "int8"
    assert config["training"]["compressed_from"] == str(run)
    tensors = safetensors.numpy.load_file(str(out / "weights.safetensors"))
    assert tensors["token_embedding.weight"].dtype == np.int8 and tensors["head.weight"].dtype == np.int8
    metrics = metrics_of(out)
    assert metrics["weights_bytes"]["after"] < 0.4 * metrics["weights_bytes"]["before"]   # (a tiny model: biases weigh)
    assert abs(metrics["test"]["accuracy"] - metrics["test_before"]["accuracy"]) < 0.05
    assert cli.main(["evaluate", str(out)]) == 0
    assert f"acc {metrics['test']['accuracy']:.4f}" in capsys.readouterr().out     # the saved model is the one scored
    assert cli.main(["predict", str(out), "a fine film"]) == 0
    assert cli.main(["explain", str(out), "not a good film", "--out", str(tmp_path / "explain")]) == 0
    assert "saliency" in capsys.readouterr().out


def test_pruning_in_rounds_with_fine_tuning(run, tmp_path, capsys):
    out = tmp_path / "pruned"
    assert cli.main(["compress", str(run), "--prune", "0.5", "--prune-steps", "2", "--out", str(out),
                     "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "pruning round 1/2: 29.3% of the weight matrices are 0" in printed and "round 2/2: 50.0%" in printed
    model, _, config = load_run(out)
    step = config["compression"][-1]
    assert step["method"] == "prune" and step["amount"] == 0.5 and len(metrics_of(out)["history"]) == 2
    state = model.state_dict()
    assert not [name for name in state if name.endswith(("_orig", "_mask"))]       # pruning made permanent
    matrices = [state[name].numpy() for name in ("token_embedding.weight", "encoder.layers.0.linear1.weight",
                                                 "encoder.layers.0.self_attn.in_proj_weight", "head.weight")]
    for matrix in matrices:
        assert abs((matrix == 0).mean() - 0.5) < 0.02
    assert cli.main(["evaluate", str(out)]) == 0


def test_low_rank_then_int8_chain_and_rebuild(run, tmp_path, capsys):
    factorized, chained = tmp_path / "lowrank", tmp_path / "lowrank-int8"
    assert cli.main(["compress", str(run), "--low-rank", "0.25", "--out", str(factorized), "--fine-tune-epochs",
                     "0"]) == 0
    assert "factorized token_embedding (rank 4)" in capsys.readouterr().out
    model, _, config = load_run(factorized)
    assert config["compression"][0]["ranks"]["token_embedding"] == 4
    assert tuple(model.token_embedding.first.weight.shape) == (model.config["vocab_size"], 4)
    assert cli.main(["compress", str(factorized), "--quantize", "int8", "--out", str(chained)]) == 0
    steps = json.loads((chained / "config.json").read_text())["compression"]
    assert [s["method"] for s in steps] == ["low-rank", "int8"]
    assert cli.main(["predict", str(chained), "a dull film"]) == 0
    assert metrics_of(chained)["weights_bytes"]["after"] < metrics_of(factorized)["weights_bytes"]["after"]


def test_the_shipped_run_of_format_version_1_compresses(tmp_path, capsys):
    out = tmp_path / "shipped-int8"
    assert cli.main(["compress", str(REPO / "lessons" / "trained" / "sentiment_embedded"), "--quantize", "int8",
                     "--out", str(out)]) == 0
    metrics = metrics_of(out)
    assert metrics["test_name"] == "test" and metrics["test"]["n"] == 1000
    assert metrics["test"]["accuracy"] >= metrics["test_before"]["accuracy"] - 0.01


def one_error_line(capsys):
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_compress_mistakes_are_one_error_line(run, tmp_path, capsys):
    assert cli.main(["compress", str(run)]) == 2
    assert "one of the arguments --quantize --prune --low-rank --low-rank-energy is required" in one_error_line(capsys)
    assert cli.main(["compress", str(run), "--quantize", "int8", "--prune", "0.5"]) == 2
    assert "not allowed with argument" in one_error_line(capsys)
    assert cli.main(["compress", str(run), "--prune", "1.5"]) == 2
    assert "argument --prune: must be above 0 and below 1" in one_error_line(capsys)
    assert cli.main(["compress", str(tmp_path / "nowhere"), "--quantize", "int8"]) == 2
    assert "does not exist" in one_error_line(capsys)
    assert cli.main(["compress", str(run), "--quantize", "int8", "--out", str(run)]) == 2
    assert "already holds a complete" in one_error_line(capsys)
    assert cli.main(["compress", str(run), "--low-rank", "0.99", "--out", str(tmp_path / "x")]) == 2
    assert "no layer gets smaller at that rank" in one_error_line(capsys)
    int8 = tmp_path / "int8"
    assert cli.main(["compress", str(run), "--quantize", "int8", "--out", str(int8)]) == 0
    capsys.readouterr()
    assert cli.main(["compress", str(int8), "--prune", "0.3"]) == 2
    assert "is already int8; compress its source run" in one_error_line(capsys)
    assert cli.main(["train", "--init", str(int8), "--out", str(tmp_path / "y")] + TINY[:2]) == 2
    assert "is a compressed run (int8); start from the run it was made from" in one_error_line(capsys)


def test_a_run_with_ngram_detectors_is_pruned_filters_included_and_quantized(tmp_path, capsys):
    """The big-data recipe's n-gram filters (nn.Conv1d) are weight tensors like the others: pruned to the same share,
    and int8 (a QuantizedConv1d) with the rest."""
    source = tmp_path / "ngrams"
    assert cli.main(["train", "--out", str(source), "--ngram-widths", "2,3", "--ngram-channels", "8"] + TINY) == 0
    pruned = tmp_path / "pruned"
    assert cli.main(["compress", str(source), "--prune", "0.5", "--prune-steps", "1", "--out", str(pruned),
                     "--no-progress"]) == 0
    state = load_run(pruned)[0].state_dict()
    for name in ("ngrams.convs.0.weight", "ngrams.convs.1.weight", "head.weight"):
        assert abs((state[name].numpy() == 0).mean() - 0.5) < 0.02, name
    int8 = tmp_path / "int8"
    assert cli.main(["compress", str(source), "--quantize", "int8", "--out", str(int8)]) == 0
    tensors = safetensors.numpy.load_file(str(int8 / "weights.safetensors"))
    assert tensors["head.weight"].dtype == np.int8 and tensors["ngrams.convs.0.weight"].dtype == np.int8
    capsys.readouterr()
    assert cli.main(["predict", str(int8), "a fine film"]) == 0 and capsys.readouterr().out.strip()
