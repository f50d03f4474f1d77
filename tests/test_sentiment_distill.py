"""Knowledge distillation: the loss against its formula and PyTorch, the loop's loss hook, ``train --teacher``
(an ensemble, a resume that ends bit for bit, every mistake as one error line)."""
import json

import numpy as np
import pytest

import minigrad as mg
from minigrad.compression import distillation_loss, soften
from minigrad.nn import functional as F
from minigrad.sentiment import cli
from minigrad.sentiment.distill import DistillationHook
from minigrad.sentiment.run_folder import read_tensors

TINY = ["--max-train", "200", "--epochs", "2", "--d-model", "16", "--heads", "2", "--layers", "1", "--no-progress",
        "--lr", "0.01"]
STUDENT = ["--max-train", "200", "--epochs", "2", "--d-model", "8", "--heads", "2", "--layers", "1", "--d-ff", "8",
           "--no-progress", "--lr", "0.01"]


def test_soften_averages_an_ensembles_softened_probabilities():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((5, 3)) * 4, rng.standard_normal((5, 3)) * 4
    softened = np.exp(soften([a, b], 2.0))
    expected = (np.exp(a / 2) / np.exp(a / 2).sum(1, keepdims=True) + np.exp(b / 2) / np.exp(b / 2).sum(1, keepdims=True)) / 2
    np.testing.assert_allclose(softened, expected, rtol=1e-12)
    np.testing.assert_allclose(np.exp(soften(a, 1.0)).sum(axis=1), 1.0)
    assert np.isfinite(soften(np.array([[1000.0, -1000.0]]), 1.0)).all()   # no log(0)


def test_distillation_loss_is_the_formula_and_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    student, teacher, labels = rng.standard_normal((6, 3)), rng.standard_normal((6, 3)) * 3, rng.integers(0, 3, 6)
    T, alpha = 3.0, 0.7
    ours = mg.tensor(student, requires_grad=True)
    hard = F.cross_entropy(ours, mg.tensor(labels))
    loss = distillation_loss(ours, mg.tensor(soften(teacher, T)), hard, T, alpha)
    loss.backward()
    theirs = torch.tensor(student, requires_grad=True)
    t_soft = torch.log_softmax(torch.tensor(teacher) / T, -1)
    t_loss = (alpha * T * T * torch.nn.functional.kl_div(torch.log_softmax(theirs / T, -1), t_soft,
                                                          reduction="batchmean", log_target=True)
              + (1 - alpha) * torch.nn.functional.cross_entropy(theirs, torch.tensor(labels)))
    t_loss.backward()
    np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-12)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-14)
    # the soft term alone is 0 exactly when the student already agrees with the teacher
    same = distillation_loss(mg.tensor(teacher), mg.tensor(soften(teacher, T)), mg.tensor(0.0), T, 1.0)
    assert abs(same.item()) < 1e-12


def test_the_hook_reads_its_batchs_rows_and_alpha_zero_is_the_plain_loss():
    table = soften(np.array([[2.0, -2.0], [-3.0, 3.0], [0.0, 0.0]]), 2.0).astype(np.float32)
    logits = mg.tensor([[0.5, 0.1], [0.2, 0.3]])
    hard = F.cross_entropy(logits, mg.tensor([0, 1]))
    batch = (None, None, None, np.array([2, 0]))
    expected = distillation_loss(logits, mg.tensor(table[[2, 0]]), hard, 2.0, 0.4)
    assert DistillationHook(table, 2.0, 0.4)(hard, logits, batch).item() == pytest.approx(expected.item(), rel=1e-6)
    assert DistillationHook(table, 2.0, 0.0)(hard, logits, batch).item() == pytest.approx(hard.item(), rel=1e-7)


@pytest.fixture(scope="module")
def teacher(tmp_path_factory):
    out = tmp_path_factory.mktemp("teacher") / "teacher"
    assert cli.main(["train", "--out", str(out)] + TINY) == 0
    return out


def test_train_with_an_ensemble_of_teachers_and_resume_bit_for_bit(teacher, tmp_path, capsys):
    import os
    import signal

    whole = tmp_path / "whole"
    options = STUDENT + ["--teacher", str(teacher), "--teacher", str(teacher), "--temperature", "3", "--alpha", "0.8"]
    assert cli.main(["train", "--out", str(whole)] + options) == 0
    out = capsys.readouterr().out
    assert "distilling from 2 teacher(s) at temperature 3.0, alpha 0.8" in out
    spec = json.loads((whole / "config.json").read_text())["training"]["spec"]
    assert spec["teachers"] == [str(teacher)] * 2 and spec["temperature"] == 3.0 and spec["alpha"] == 0.8
    alone = tmp_path / "alone"
    assert cli.main(["train", "--out", str(alone)] + STUDENT) == 0
    assert json.loads((whole / "metrics.json").read_text())["history"]["step_loss"] != \
        json.loads((alone / "metrics.json").read_text())["history"]["step_loss"]   # the teachers did change training

    def stop_at(step):
        def hook(current):
            if current == step:
                os.kill(os.getpid(), signal.SIGINT)
        return hook

    cut = tmp_path / "cut"
    assert cli.main(["train", "--out", str(cut)] + options, step_hook=stop_at(5)) == 130
    assert cli.main(["train", "--resume", str(cut), "--no-progress"]) == 0
    ours, theirs = read_tensors(cut / "weights.safetensors"), read_tensors(whole / "weights.safetensors")
    for name in ours:
        np.testing.assert_array_equal(ours[name].numpy(), theirs[name].numpy(), err_msg=name)


def one_error_line(capsys):
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_distillation_mistakes_are_one_error_line(teacher, tmp_path, capsys):
    out = str(tmp_path / "run")
    assert cli.main(["train", "--out", out, "--alpha", "0.5"] + STUDENT) == 2
    assert "--alpha is a setting of knowledge distillation: give a trained run with --teacher" in one_error_line(capsys)
    assert cli.main(["train", "--out", out, "--teacher", str(tmp_path / "nowhere")] + STUDENT) == 2
    assert "does not exist" in one_error_line(capsys)
    assert cli.main(["train", "--out", out, "--teacher", str(teacher), "--alpha", "1.5"] + STUDENT) == 2
    assert "argument --alpha: must be between 0 and 1, got 1.5" in one_error_line(capsys)
    other = tmp_path / "three.tsv"
    other.write_text("sentence\tlabel\n" + "".join(f"good film {i}\t{i % 3}\n" for i in range(60)))
    assert cli.main(["train", "--data", str(other), "--out", out, "--teacher", str(teacher)] + STUDENT[2:]) == 2
    assert "distil from a teacher of the same task" in one_error_line(capsys)
