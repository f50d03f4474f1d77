"""PyTorch programs run on minigrad with only their imports changed, and give PyTorch's numbers.

Each program in ``programs/`` is written the way a well-known PyTorch tutorial or example uses the
API (the code is our own).  The test runs it on minigrad and on PyTorch from the same starting
weights and compares every loss of the training run, and the final tensors it returns.
"""
import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

from harness import as_numpy, copy_parameters, copy_state, load, torch_source  # noqa: E402

# program -> how its starting point is built: from parameters in a dict, or a model
PARAMETER_PROGRAMS = ["polynomial_manual", "custom_function", "mlp_language_model"]
MODEL_PROGRAMS = ["nn_optim", "char_gpt", "transformer_encoder_lm"]


def run_both(name, dtype="float32"):
    ours, theirs = load(name, "minigrad"), load(name, "torch")
    torch.manual_seed(0)
    if dtype == "float64":
        torch.set_default_dtype(torch.float64)
        mg.set_default_dtype(mg.float64)
    try:
        if name in PARAMETER_PROGRAMS:
            torch_start = theirs.make_parameters()
            mg_start = copy_parameters(torch_start, mg)
        else:
            torch_start = theirs.make_model()
            mg_start = ours.make_model()
            copy_state(torch_start, mg_start)
        torch_losses, torch_result = theirs.train(torch_start)
        mg_losses, mg_result = ours.train(mg_start)
    finally:
        torch.set_default_dtype(torch.float32)
        mg.set_default_dtype(mg.float32)
    return (np.array(mg_losses), mg_result), (np.array(torch_losses), torch_result)


@pytest.mark.parametrize("name", PARAMETER_PROGRAMS + MODEL_PROGRAMS)
def test_program_matches_pytorch_in_float32(name):
    (mg_losses, mg_result), (torch_losses, torch_result) = run_both(name)
    assert len(mg_losses) >= 20 and len(mg_losses) == len(torch_losses)
    # float32 sums of thousands of terms round differently in NumPy and PyTorch (and between CPUs: the order of
    # the additions follows the SIMD width); once a loss has fallen 50-fold from where it started, that
    # rounding, which scales with the largest terms, is more than 1e-5 of it.  So rtol 1e-5, plus an atol of
    # float32 rounding (1e-6) of the run's largest loss.
    np.testing.assert_allclose(mg_losses, torch_losses, rtol=1e-5, atol=1e-6 * np.abs(torch_losses).max(),
                               err_msg=f"{name}: losses differ")
    assert mg_losses[-1] < mg_losses[0], f"{name}: the loss did not go down"
    for key in torch_result:
        np.testing.assert_allclose(as_numpy(mg_result[key]), as_numpy(torch_result[key]), rtol=1e-4, atol=1e-6,
                                   err_msg=f"{name}: {key} differs")


@pytest.mark.parametrize("name", ["nn_optim", "char_gpt", "transformer_encoder_lm", "mlp_language_model"])
def test_program_matches_pytorch_in_float64(name):
    (mg_losses, mg_result), (torch_losses, torch_result) = run_both(name, dtype="float64")
    np.testing.assert_allclose(mg_losses, torch_losses, rtol=1e-10, err_msg=f"{name}: losses differ")
    for key in torch_result:
        np.testing.assert_allclose(as_numpy(mg_result[key]), as_numpy(torch_result[key]), rtol=1e-9, atol=1e-12)


def test_only_the_import_lines_change():
    for name in PARAMETER_PROGRAMS + MODEL_PROGRAMS:
        source = load(name, "minigrad").__file__
        text = open(source).read()
        changed = [(a, b) for a, b in zip(text.splitlines(), torch_source(text).splitlines()) if a != b]
        assert changed and all(a.lstrip().startswith(("import minigrad", "from minigrad")) for a, _ in changed)


def test_gpt_samples_valid_characters_after_training():
    gpt = load("char_gpt", "minigrad")
    mg.manual_seed(0)
    model = gpt.make_model()
    gpt.train(model, steps=20)
    out = gpt.sample(model, n=30)
    assert out.shape == (1, 31) and out.dtype == mg.int64
    assert 0 <= out.min().item() and out.max().item() < len(gpt.CHARS)


def test_shuffled_loader_is_reproducible_with_a_generator():
    program = load("mlp_language_model", "minigrad")
    assert program.shuffled_epoch_order(1) == program.shuffled_epoch_order(1)
    assert program.shuffled_epoch_order(1) != program.shuffled_epoch_order(2)
