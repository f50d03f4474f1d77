"""``--tokenizer bpe``: the sentiment command line with byte-pair-encoding pieces instead of words.

Tiny runs on a slice of the embedded corpus: train, predict an unseen word, save/load round trip,
explain, a swapped tokenizer.json, and pretrain -> train --init with BPE."""
import json
import re
import shutil

import numpy as np
import pytest

import minigrad as mg
from minigrad.sentiment import cli, commands
from minigrad.sentiment.datasets import load_sentiment_data
from minigrad.sentiment.run_folder import RunFolderError, load_run
from minigrad.text import basic_tokenize
from minigrad.text.bpe import BPETokenizer

TINY = ["--max-train", "300", "--epochs", "1", "--d-model", "16", "--heads", "2", "--layers", "1",
        "--no-progress"]
BPE = ["--tokenizer", "bpe", "--bpe-vocab-size", "300"]


@pytest.fixture(scope="module")
def bpe_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "bpe"
    assert cli.main(["train", "--data", "embedded", "--out", str(out)] + TINY + BPE) == 0
    return out


def training_words():
    data = load_sentiment_data("embedded", None, 300, 0)  # the same slice as TINY (--max-train 300, seed 0)
    return {word for text in data.train.texts for word in basic_tokenize(text)}


def test_bpe_run_folder_records_and_saves_the_tokenizer(bpe_run):
    assert (bpe_run / "tokenizer.json").is_file() and not (bpe_run / "vocab.json").exists()
    config = json.loads((bpe_run / "config.json").read_text())
    assert config["tokenizer"] == "bpe" and config["training"]["tokenizer"] == "bpe"
    tokenizer = BPETokenizer.load(bpe_run / "tokenizer.json")
    assert config["vocab"]["size"] == len(tokenizer) == config["model"]["vocab_size"]
    assert len(tokenizer) <= 300 and len(tokenizer.merges) > 0
    metrics = json.loads((bpe_run / "metrics.json").read_text())
    assert sum(map(sum, metrics["test"]["confusion_matrix"])) == 1000


def test_word_runs_still_write_vocab_json(tmp_path):
    out = tmp_path / "word"
    assert cli.main(["train", "--data", "embedded", "--out", str(out), "--max-train", "60"] + TINY[2:]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["tokenizer"] == "word" and (out / "vocab.json").is_file()
    assert not (out / "tokenizer.json").exists()
    assert load_run(out)[1].kind == "word"


def test_an_unseen_word_gets_pieces_not_only_unk(bpe_run):
    unseen = "wonderfulness"
    assert unseen not in training_words()
    model, encoder, config = load_run(bpe_run)
    assert encoder.kind == "bpe"
    pieces = encoder.tokens(f"the plot is {unseen}")
    assert pieces[0] == "<cls>"
    word_pieces = pieces[4:]  # <cls> the</w> plot</w> is</w> then the unseen word's pieces
    assert pieces[1:4] == ["the</w>", "plot</w>", "is</w>"]
    assert "".join(word_pieces) == unseen + "</w>" and len(word_pieces) >= 1
    assert any(piece != "<unk>" and len(piece) > 1 for piece in word_pieces)
    ids = encoder.encode(f"the plot is {unseen}")
    assert ids[0] == encoder.vocab.cls_id and encoder.vocab.unk_id not in ids
    results = commands.cmd_predict(cli.build_parser().parse_args(["predict", str(bpe_run), f"the plot is {unseen}"]),
                              out=lambda s: None)
    assert results[0][0] in config["label_names"] and 0.5 <= results[0][1] <= 1.0


def test_save_load_predict_round_trip(bpe_run):
    from test_sentiment_cli import check_predict_matches_loaded_model

    model, encoder, config = check_predict_matches_loaded_model(bpe_run)
    # Loading twice gives the same tokenizer and the same weights.
    model2, encoder2, _ = load_run(bpe_run)
    assert encoder2.vocab.pieces == encoder.vocab.pieces and encoder2.vocab.merges == encoder.vocab.merges
    for name, tensor in model.state_dict().items():
        np.testing.assert_array_equal(tensor.numpy(), model2.state_dict()[name].numpy())


def test_evaluate_and_explain_show_pieces(bpe_run, tmp_path, capsys):
    assert cli.main(["evaluate", str(bpe_run), "--data", "embedded"]) == 0
    assert "acc" in capsys.readouterr().out
    args = cli.build_parser().parse_args(["explain", str(bpe_run), "the film was not good", "--out", str(tmp_path),
                                          "--color", "always"])
    result = commands.cmd_explain(args, out=lambda s: None)
    assert result["tokens"][0] == "<cls>" and all(t.endswith("</w>") or t == "<cls>" or not t.startswith("<")
                                                   for t in result["tokens"])
    assert "".join(result["tokens"][1:]).replace("</w>", " ").split() == ["the", "film", "was", "not", "good"]
    assert len(result["saliency"]) == len(result["tokens"]) and np.all(np.isfinite(result["saliency"]))
    assert re.sub(r"\033\[[0-9;]*m", "", result["line"]).split() == result["tokens"]
    assert len(list(tmp_path.glob("attention_layer*_head*.png"))) == 2


def test_a_swapped_tokenizer_json_is_refused(bpe_run, tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(bpe_run, broken)
    other = BPETokenizer.train(["a completely different little corpus", "with other words in it"] * 3,
                               vocab_size=60)
    other.save(broken / "tokenizer.json")
    with pytest.raises(RunFolderError, match=r"tokenizer\.json does not belong to this run.*pieces"):
        load_run(broken)
    assert cli.main(["predict", str(broken), "hello"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "tokenizer.json" in err and "Traceback" not in err

    (broken / "tokenizer.json").unlink()
    with pytest.raises(RunFolderError, match=r"tokenizer\.json is missing"):
        load_run(broken)

    shutil.copy(bpe_run / "config.json", broken / "tokenizer.json")  # not a tokenizer file at all
    with pytest.raises(RunFolderError, match=r"tokenizer\.json cannot be read"):
        load_run(broken)


def test_pretrain_bpe_then_train_init_reuses_the_tokenizer_and_weights(tmp_path, capsys):
    text = tmp_path / "unlabelled.txt"
    sentences = [f"the film was {w} and the plot was {v}" for w in ("good", "bad", "dull", "superb")
                 for v in ("moving", "tedious", "fine")] * 4
    text.write_text("\n".join(sentences) + "\n")
    pretrained = tmp_path / "mlm"
    assert cli.main(["pretrain", "--data", str(text), "--out", str(pretrained), "--epochs", "1", "--d-model", "16",
                     "--heads", "2", "--layers", "1", "--no-progress", "--tokenizer", "bpe",
                     "--bpe-vocab-size", "80"]) == 0
    mlm_model, mlm_encoder, mlm_config = load_run(pretrained)
    assert mlm_config["kind"] == "pretrain" and mlm_config["tokenizer"] == "bpe"
    assert (pretrained / "tokenizer.json").is_file()

    tuned = tmp_path / "tuned"
    # lr ~ 0: the fine-tuned weights must still be the pretrained ones, which proves they were loaded
    assert cli.main(["train", "--data", "embedded", "--init", str(pretrained), "--out", str(tuned), "--lr", "1e-12",
                     "--max-train", "100", "--epochs", "1", "--no-progress"]) == 0
    model, encoder, config = load_run(tuned)
    assert config["tokenizer"] == "bpe"
    assert encoder.vocab.pieces == mlm_encoder.vocab.pieces and encoder.vocab.merges == mlm_encoder.vocab.merges
    for name in ("token_embedding.weight", "encoder.layers.0.self_attn.in_proj_weight", "final_norm.weight"):
        np.testing.assert_allclose(model.state_dict()[name].numpy(), mlm_model.state_dict()[name].numpy(), atol=1e-6)

    # Asking for the other tokenizer than the --init run's is a clear error, not a silent switch.
    capsys.readouterr()
    assert cli.main(["train", "--data", "embedded", "--init", str(pretrained), "--out", str(tmp_path / "x"),
                     "--tokenizer", "word", "--max-train", "50", "--epochs", "1", "--no-progress"]) == 2
    assert "--tokenizer word differs from the bpe tokenizer" in capsys.readouterr().err


def test_too_small_bpe_vocab_size_is_a_clean_error(tmp_path, capsys):
    assert cli.main(["train", "--data", "embedded", "--out", str(tmp_path / "r"), "--bpe-vocab-size", "5"]
                    + TINY + ["--tokenizer", "bpe"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --bpe-vocab-size 5") and "Traceback" not in err
