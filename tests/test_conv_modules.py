"""nn.Conv1d/Conv2d, pooling, BatchNorm1d/2d and Dropout2d as modules: PyTorch's defaults,
initialisation, reprs and state_dict keys; running statistics step by step against PyTorch; a small
CNN with PyTorch's weights gives PyTorch's logits and gradients (cpu and the GPU device); every op's
backward against finite differences (gradcheck, float64); errors that say what to fix."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.autograd import gradcheck

torch = pytest.importorskip("torch")


def from_torch(module, ours):
    ours.load_state_dict({k: mg.tensor(v.detach().numpy()) for k, v in module.state_dict().items()})
    return ours


# ---------------------------------------------------------------------- construction, init, repr
@pytest.mark.parametrize("make", [
    lambda m: m.Conv2d(3, 8, 3),
    lambda m: m.Conv2d(4, 6, (2, 3), stride=2, padding=1, dilation=(2, 1), groups=2, bias=False),
    lambda m: m.Conv2d(2, 4, 3, padding="same"),
    lambda m: m.Conv1d(3, 5, 4, stride=2, padding=1),
    lambda m: m.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"),
    lambda m: m.MaxPool2d(2), lambda m: m.MaxPool2d(3, 1, 1, ceil_mode=True),
    lambda m: m.AvgPool2d(3, 2, 1), lambda m: m.AdaptiveAvgPool2d((2, 3)), lambda m: m.AdaptiveAvgPool2d(1),
    lambda m: m.BatchNorm2d(5), lambda m: m.BatchNorm1d(4, momentum=None, affine=False),
    lambda m: m.BatchNorm2d(3, track_running_stats=False, bias=False), lambda m: m.Dropout2d(0.25),
])
def test_repr_parameters_and_state_dict_keys_are_pytorchs(make):
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert ours.state_dict()[key].shape == tuple(value.shape), key
        assert str(ours.state_dict()[key].dtype) == str(value.dtype).replace("torch.", ""), key


def test_conv_initialisation_is_kaiming_uniform_with_a_sqrt5():
    mg.manual_seed(0)
    conv = nn.Conv2d(16, 64, 3)
    bound = 1 / math.sqrt(16 * 9)                    # fan_in = in_channels * kh * kw
    w, b = conv.weight.numpy(), conv.bias.numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.std() / (bound / math.sqrt(3)) - 1) < 0.03   # U(-b, b) has std b / sqrt(3)
    assert nn.Conv1d(2, 4, 3, groups=2).weight.shape == (4, 1, 3)


def test_constructor_errors_are_clear():
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("make, shape", [
    (lambda m, mode: m.Conv2d(2, 3, (3, 2), padding=(2, 1), padding_mode=mode), (2, 2, 5, 4)),
    (lambda m, mode: m.Conv2d(2, 3, (2, 3), padding="same", dilation=(1, 2), padding_mode=mode), (1, 2, 4, 6)),
    (lambda m, mode: m.Conv1d(2, 4, 3, stride=2, padding=2, padding_mode=mode), (2, 2, 7)),
])
def test_padding_modes_pad_first_as_pytorch_does(make, shape, mode):
    theirs = make(torch.nn, mode).double()
    ours = from_torch(theirs, make(nn, mode).double())
    x = np.random.default_rng(3).standard_normal(shape)
    ours_x, theirs_x = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours_y, theirs_y = ours(ours_x), theirs(theirs_x)
    np.testing.assert_allclose(ours_y.numpy(), theirs_y.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = np.random.default_rng(4).standard_normal(theirs_y.shape)
    ours_y.backward(mg.tensor(g))
    theirs_y.backward(torch.tensor(g))
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------- batch norm statistics
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
@pytest.mark.parametrize("module, shape", [("BatchNorm2d", (4, 3, 5, 2)), ("BatchNorm1d", (6, 3)),
                                           ("BatchNorm1d", (2, 3, 7))])
def test_running_statistics_follow_pytorch_step_by_step(module, shape, momentum):
    theirs = getattr(torch.nn, module)(3, momentum=momentum).double()
    ours = from_torch(theirs, getattr(nn, module)(3, momentum=momentum).double())
    rng = np.random.default_rng(0)
    for step in range(3):
        x = rng.standard_normal(shape) * (step + 1) + step
        np.testing.assert_allclose(ours(mg.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-6,
                                   atol=1e-10)
        for key, value in theirs.state_dict().items():
            np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-6, err_msg=key)
    ours.eval(), theirs.eval()
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(ours(mg.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-6,
                               atol=1e-10)
    assert ours.num_batches_tracked.item() == 3 and ours.num_batches_tracked.dtype == mg.int64


def test_without_running_statistics_eval_uses_the_batch():
    ours, theirs = nn.BatchNorm2d(2, track_running_stats=False).eval(), torch.nn.BatchNorm2d(2, track_running_stats=False).eval()
    x = np.random.default_rng(1).standard_normal((3, 2, 2, 2)).astype(np.float32)
    np.testing.assert_allclose(ours(mg.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)


def test_batch_norm_errors_are_clear():
    with pytest.raises(ValueError, match="expected 4D input \\(got 3D input\\)"):
        nn.BatchNorm2d(3)(mg.zeros(2, 3, 4))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(mg.zeros(1, 3))
    with pytest.raises(ValueError, match="got an input with 4 channels"):
        nn.BatchNorm1d(3)(mg.zeros(2, 4))


def test_double_keeps_the_batch_counter_an_integer():
    bn = nn.BatchNorm2d(2).double()
    assert bn.running_mean.dtype == mg.float64 and bn.num_batches_tracked.dtype == mg.int64


def test_dropout2d_module_trains_and_evaluates():
    layer = nn.Dropout2d(0.5)
    x = mg.ones(8, 16, 2, 2)
    assert (layer(x).numpy() == 0).any()
    assert layer.eval()(x) is x


# ---------------------------------------------------------------------- a small CNN, both frameworks
def tiny_cnn(lib):
    return lib.Sequential(lib.Conv2d(1, 4, 3, padding=1), lib.BatchNorm2d(4), lib.ReLU(), lib.MaxPool2d(2),
                          lib.Conv2d(4, 6, 3, padding=1, groups=2), lib.ReLU(), lib.AvgPool2d(2, 1),
                          lib.AdaptiveAvgPool2d(1))


@pytest.mark.parametrize("where", ["cpu", "gpu"])
def test_a_small_cnn_with_pytorchs_weights_gives_pytorchs_logits_and_gradients(where, gpu_device):
    device = "cpu" if where == "cpu" else gpu_device
    torch.manual_seed(0)
    theirs = tiny_cnn(torch.nn).double()
    ours = from_torch(theirs, tiny_cnn(nn).double()).to(device)
    x = np.random.default_rng(2).standard_normal((2, 1, 6, 6) if where == "cpu" else (1, 1, 4, 4))
    y_ours, y_theirs = ours(mg.tensor(x, device=device)), theirs(torch.tensor(x))
    np.testing.assert_allclose(y_ours.numpy(), y_theirs.detach().numpy(), rtol=1e-6, atol=1e-10)
    (y_ours ** 2).sum().backward()
    (y_theirs ** 2).sum().backward()
    theirs_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), theirs_params[name].grad.numpy(), rtol=1e-6, atol=1e-10,
                                   err_msg=name)


# ---------------------------------------------------------------------- gradcheck (finite differences)
def leaf(shape, seed, device="cpu"):
    return mg.tensor(np.random.default_rng(seed).standard_normal(shape), device=device, requires_grad=True)


GRADCHECK_CASES = {
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2),
               [(1, 4, 5, 5), (2, 2, 2, 2), (2,)]),
    "conv1d": (lambda x, w: F.conv1d(x, w, stride=2, padding=2, dilation=2), [(2, 2, 6), (3, 2, 2)]),
    "conv2d_same": (lambda x, w: F.conv2d(x, w, padding="same"), [(1, 1, 4, 3), (2, 1, 2, 2)]),
    "unfold": (lambda x: F.unfold(x, (2, 3), padding=1, stride=2), [(1, 2, 4, 4)]),
    "fold": (lambda c: F.fold(c, (4, 5), 2, stride=(2, 1)), [(1, 8, 8)]),
    "max_pool2d": (lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), [(1, 2, 5, 4)]),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), [(1, 2, 5, 4)]),
    "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x, (2, 3)), [(1, 2, 5, 4)]),
    "batch_norm": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [(3, 2, 2, 2), (2,), (2,)]),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK_CASES))
def test_gradcheck_on_the_cpu(name):
    fn, shapes = GRADCHECK_CASES[name]
    assert gradcheck(fn, tuple(leaf(s, i) for i, s in enumerate(shapes)))


def test_gradcheck_on_the_gpu(gpu_device):
    """One case through the GPU kernels (the simulator is slow: every other GPU gradient is compared
    with PyTorch's in test_conv_vs_torch.py instead of with finite differences)."""
    fn, _ = GRADCHECK_CASES["max_pool2d"]
    assert gradcheck(fn, (leaf((1, 1, 4, 3), 0, gpu_device),))


# ---------------------------------------------------------------------- argument errors
def test_functional_errors_say_what_to_fix():
    x = mg.zeros(2, 3, 5, 5)
    with pytest.raises(RuntimeError, match="expected input\\[2, 3, 5, 5\\] to have 4 channels, but got 3"):
        F.conv2d(x, mg.zeros(6, 2, 3, 3), groups=2)
    with pytest.raises(RuntimeError, match="smaller than the kernel"):
        F.conv2d(x, mg.zeros(1, 3, 7, 7))
    with pytest.raises(RuntimeError, match="expected a 3-D \\(unbatched\\) or 4-D"):
        F.conv2d(mg.zeros(5, 5), mg.zeros(1, 1, 3, 3))
    with pytest.raises(RuntimeError, match="same dtype"):
        F.conv2d(x, mg.zeros(1, 3, 3, 3, dtype=mg.float64))
    with pytest.raises(RuntimeError, match="pad should be at most half of kernel size"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        F.avg_pool2d(x, 2, stride=0)
    with pytest.raises(RuntimeError, match="calculated number of sliding blocks"):
        F.fold(mg.zeros(1, 4, 5), (3, 3), 2)
