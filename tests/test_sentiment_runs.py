"""Run folders that never lose or mix work: no silent overwrite, whole-folder checkpoints, Ctrl-C keeps a
consistent incomplete run, and ``--resume`` ends bit for bit where an uninterrupted run ends."""
import json
import os
import signal

import numpy as np
import pytest

from minigrad.sentiment import cli, run_folder
from minigrad.sentiment.loop import show_progress
from minigrad.sentiment.run_folder import read_tensors

# 300 sentences, batch 32: 10 steps per epoch, 3 epochs; ema and dropout on, so every random stream matters.
TINY = ["--max-train", "300", "--epochs", "3", "--d-model", "16", "--heads", "2", "--layers", "1", "--ema", "0.9",
        "--lr", "0.01", "--no-progress"]


def ctrl_c_at(step):
    """A step hook that sends this process a real SIGINT (as Ctrl-C does) after training step ``step``."""
    def hook(current):
        if current == step:
            os.kill(os.getpid(), signal.SIGINT)
    return hook


def files_of(folder):
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*"))
            if path.is_file()}


def history_without_times(run):
    history = json.loads((run / "metrics.json").read_text())["history"]
    for record in history["epochs"]:
        record.pop("seconds"), record.pop("examples_per_second")
    history.pop("train_seconds", None), history.pop("wall_seconds", None)
    return history


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "whole"
    assert cli.main(["train", "--out", str(out)] + TINY) == 0
    return out


def test_ctrl_c_mid_epoch_keeps_a_consistent_incomplete_run_and_resume_ends_bit_for_bit(uninterrupted, tmp_path,
                                                                                         capsys):
    out = tmp_path / "stopped"
    assert cli.main(["train", "--out", str(out)] + TINY, step_hook=ctrl_c_at(14)) == 130   # epoch 2, batch 4 of 10
    err = capsys.readouterr().err
    assert "interrupted at step 14 of 30 (epoch 2): kept" in err and f"train --resume {out}" in err
    config = json.loads((out / "config.json").read_text())
    assert config["status"] == "incomplete" and config["progress"]["step"] == 14
    assert config["progress"]["best_epoch"] == 1
    assert (out / "resume" / "state.json").is_file() and (out / "curves.png").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]   # no half-written folder left
    # usable as it is: predict works and says the run is incomplete
    assert cli.main(["predict", str(out), "a fine film"]) == 0
    assert "is an incomplete run (stopped at step 14 of 30)" in capsys.readouterr().err

    assert cli.main(["train", "--resume", str(out), "--no-progress"]) == 0
    assert json.loads((out / "config.json").read_text())["status"] == "complete"
    assert not (out / "resume").exists()
    assert history_without_times(out) == history_without_times(uninterrupted)     # every loss, every score
    ours, theirs = read_tensors(out / "weights.safetensors"), read_tensors(uninterrupted / "weights.safetensors")
    assert ours.keys() == theirs.keys()
    for name in ours:
        np.testing.assert_array_equal(ours[name].numpy(), theirs[name].numpy(), err_msg=name)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test"] == json.loads((uninterrupted / "metrics.json").read_text())["test"]


def test_ctrl_c_before_the_first_validation_still_keeps_usable_weights(tmp_path, capsys):
    out = tmp_path / "early"
    assert cli.main(["train", "--out", str(out)] + TINY, step_hook=ctrl_c_at(3)) == 130
    assert "with the weights at step 3 (not validated yet)" in capsys.readouterr().err
    assert cli.main(["predict", str(out), "a fine film"]) == 0


def test_an_existing_run_is_never_overwritten_without_force(uninterrupted, tmp_path, capsys):
    before = files_of(uninterrupted)
    assert cli.main(["train", "--out", str(uninterrupted)] + TINY) == 2
    err = capsys.readouterr().err
    assert "already holds a complete classifier run; pass --force to replace it" in err and err.count("\n") == 1
    assert files_of(uninterrupted) == before

    other = tmp_path / "notes"
    other.mkdir()
    (other / "thesis.tex").write_text("precious")
    assert cli.main(["train", "--out", str(other), "--force"] + TINY) == 2
    assert "not empty and holds no run; minigrad never replaces it" in capsys.readouterr().err
    assert (other / "thesis.tex").read_text() == "precious"


def test_force_replaces_a_run_whole_even_when_the_new_run_is_interrupted(uninterrupted, tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["train", "--out", str(out), "--seed", "1"] + TINY) == 0
    assert cli.main(["explain", str(out), "a fine film"]) == 0          # RUN/explain/*.png
    assert (out / "explain").is_dir()
    assert cli.main(["train", "--out", str(out), "--force"] + TINY, step_hook=ctrl_c_at(12)) == 130
    config = json.loads((out / "config.json").read_text())
    assert config["training"]["spec"]["seed"] == 0 and config["status"] == "incomplete"
    assert not (out / "explain").exists()     # nothing of the old run is left beside the new one
    history = json.loads((out / "metrics.json").read_text())["history"]
    assert len(history["step_loss"]) == 12 and len(history["epochs"]) == 1


def test_a_checkpoint_that_fails_halfway_leaves_the_previous_one_intact(uninterrupted, tmp_path, monkeypatch):
    out = tmp_path / "run"
    assert cli.main(["train", "--out", str(out)] + TINY, step_hook=ctrl_c_at(12)) == 130
    before = files_of(out)
    real_write = run_folder.write_tensors

    def write_then_fail(path, tensors):
        real_write(path, tensors)
        raise OSError("disk full")

    monkeypatch.setattr(run_folder, "write_tensors", write_then_fail)
    with pytest.raises(OSError, match="disk full"):
        cli.main(["train", "--resume", str(out), "--no-progress"])
    assert files_of(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]   # the half-written folder was removed


def test_without_out_each_run_gets_a_new_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert cli.main(["train", "--max-train", "40", "--epochs", "1", "--d-model", "8", "--heads", "2",
                         "--layers", "1"]) == 0
    printed = capsys.readouterr()
    assert "writing the run to runs/embedded-1 (a new folder; choose one with --out)" in printed.out
    assert "writing the run to runs/embedded-2" in printed.out
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["embedded-1", "embedded-2"]
    assert "\r" not in printed.err and not show_progress(None)   # no progress bar when stderr is not a terminal


def test_pretrain_uses_the_same_loop_and_resumes_bit_for_bit(tmp_path, capsys):
    text = tmp_path / "unlabelled.txt"
    text.write_text("\n".join(f"the film was {w} and the plot was {v}" for w in ("good", "bad", "dull", "superb")
                              for v in ("moving", "tedious", "fine", "thin")) * 3 + "\n")
    options = ["--data", str(text), "--epochs", "3", "--batch-size", "8", "--d-model", "16", "--heads", "2",
               "--layers", "1", "--min-freq", "1", "--span", "2", "--no-progress"]
    assert cli.main(["pretrain", "--out", str(tmp_path / "whole")] + options) == 0
    assert cli.main(["pretrain", "--out", str(tmp_path / "cut")] + options, step_hook=ctrl_c_at(7)) == 130
    assert "pretrain --resume" in capsys.readouterr().err
    assert cli.main(["pretrain", "--resume", str(tmp_path / "cut"), "--no-progress"]) == 0
    assert history_without_times(tmp_path / "cut") == history_without_times(tmp_path / "whole")
    ours, theirs = read_tensors(tmp_path / "cut" / "weights.safetensors"), read_tensors(tmp_path / "whole" / "weights.safetensors")
    for name in ours:
        np.testing.assert_array_equal(ours[name].numpy(), theirs[name].numpy(), err_msg=name)


def test_runs_written_before_safetensors_still_load_and_resume(uninterrupted, tmp_path, capsys):
    """An old run folder has weights.mg (and resume/tensors.mg): the same run with its files in the old format
    predicts the same, and an old incomplete run resumes to the same end."""
    import shutil

    from legacy_mg_files import write_legacy

    import minigrad as mg

    def to_old_format(folder):
        for new, old in run_folder.LEGACY_NAMES.items():
            for path in folder.rglob(new):
                write_legacy(mg.load(path), path.with_name(old))
                path.unlink()

    old = tmp_path / "old"
    shutil.copytree(uninterrupted, old)
    to_old_format(old)
    assert (old / "weights.mg").is_file() and not (old / "weights.safetensors").exists()
    capsys.readouterr()
    assert cli.main(["predict", str(old), "a fine film", "a dull film"]) == 0
    old_lines = capsys.readouterr().out
    assert cli.main(["predict", str(uninterrupted), "a fine film", "a dull film"]) == 0
    assert old_lines == capsys.readouterr().out and len(old_lines.splitlines()) == 2

    stopped = tmp_path / "stopped"
    assert cli.main(["train", "--out", str(stopped)] + TINY, step_hook=ctrl_c_at(14)) == 130
    to_old_format(stopped)
    assert (stopped / "resume" / "tensors.mg").is_file()
    assert cli.main(["train", "--resume", str(stopped), "--no-progress"]) == 0
    assert (stopped / "weights.safetensors").is_file() and not (stopped / "weights.mg").exists()
    ours, theirs = read_tensors(stopped / "weights.safetensors"), read_tensors(uninterrupted / "weights.safetensors")
    for name in ours:
        np.testing.assert_array_equal(ours[name].numpy(), theirs[name].numpy(), err_msg=name)
