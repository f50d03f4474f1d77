"""Convolutional-network ops against PyTorch (float64, 1e-6 relative): forward values and the
gradients of sum(w * output), on "cpu" and on the GPU device ("cudasim" without a GPU).

Configurations (stride, padding, dilation, groups, ceil_mode, ...) are drawn by hypothesis.  The
simulator runs every GPU thread in Python, so its cases are few and tiny; the CPU gets more.
"""
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import minigrad as mg
import minigrad.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RTOL, ATOL = 1e-6, 1e-10
CPU_EXAMPLES = settings(max_examples=25, deadline=None)
GPU_EXAMPLES = settings(max_examples=3, deadline=None)


def compare(mg_fn, torch_fn, arrays, device="cpu", seed=0):
    """Both functions on float64 copies of ``arrays``; outputs and input gradients must agree."""
    ours_in = [mg.tensor(a, device=device, requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours, theirs = mg_fn(*ours_in), torch_fn(*theirs_in)
    assert ours.device == device
    assert ours.shape == tuple(theirs.shape), f"shape {ours.shape} vs torch {tuple(theirs.shape)}"
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg="forward")
    w = np.random.default_rng(seed + 99).standard_normal(tuple(theirs.shape))
    (ours * mg.tensor(w, device=device)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()
    for i, (a, b) in enumerate(zip(ours_in, theirs_in)):
        expected = np.zeros(a.shape) if b.grad is None else b.grad.numpy()
        got = np.zeros(a.shape) if a.grad is None else a.grad.numpy()
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL, err_msg=f"gradient of input {i}")


def values(seed, shape):
    return np.random.default_rng(seed).standard_normal(shape)


# ---------------------------------------------------------------------- convolution
@st.composite
def conv_cases(draw, dims=2, max_extra=3, max_groups=3):
    """A convolution that has at least one output pixel: (x shape, weight shape, bias?, options)."""
    groups = draw(st.integers(1, max_groups))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    padding = tuple(draw(st.integers(0, 2)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    sides = tuple(max(1, d * (k - 1) + 1 - 2 * p) + draw(st.integers(0, max_extra))
                  for k, p, d in zip(kernel, padding, dilation))
    x_shape = (draw(st.integers(1, 2)), c_in) + sides
    w_shape = (c_out, c_in // groups) + kernel
    options = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return x_shape, w_shape, draw(st.booleans()), options, draw(st.integers(0, 2 ** 31 - 1))


def check_conv(case, device, dims):
    x_shape, w_shape, with_bias, options, seed = case
    ours_conv, their_conv = (F.conv2d, TF.conv2d) if dims == 2 else (F.conv1d, TF.conv1d)
    arrays = [values(seed, x_shape), values(seed + 1, w_shape)] + ([values(seed + 2, w_shape[0])] if with_bias else [])
    compare(lambda *t: ours_conv(*t, **options), lambda *t: their_conv(*t, **options), arrays, device, seed)


@CPU_EXAMPLES
@given(conv_cases())
def test_conv2d_matches_torch(case):
    check_conv(case, "cpu", 2)


@CPU_EXAMPLES
@given(conv_cases(dims=1))
def test_conv1d_matches_torch(case):
    check_conv(case, "cpu", 1)


@GPU_EXAMPLES
@given(case=conv_cases(max_extra=1, max_groups=2))
def test_conv2d_matches_torch_on_gpu(gpu_device, case):
    check_conv(case, gpu_device, 2)


@GPU_EXAMPLES
@given(case=conv_cases(dims=1, max_extra=2, max_groups=2))
def test_conv1d_matches_torch_on_gpu(gpu_device, case):
    check_conv(case, gpu_device, 1)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("padding, kernel, dilation", [("same", (3, 2), (1, 2)), ("same", (2, 4), (1, 1)),
                                                      ("valid", (3, 3), (2, 1))])
def test_string_padding_matches_torch(padding, kernel, dilation):
    arrays = [values(1, (2, 4, 6, 7)), values(2, (4, 2) + kernel), values(3, 4)]
    options = dict(padding=padding, dilation=dilation, groups=2)
    compare(lambda *t: F.conv2d(*t, **options), lambda *t: TF.conv2d(*t, **options), arrays)
    compare(lambda x, w: F.conv1d(x, w, padding=padding), lambda x, w: TF.conv1d(x, w, padding=padding),
            [values(4, (2, 3, 9)), values(5, (2, 3, kernel[1]))])


def test_unbatched_inputs_and_batch_of_one():
    x, w = values(1, (3, 5, 6)), values(2, (4, 3, 2, 2))
    compare(lambda a, b: F.conv2d(a, b, padding=1), lambda a, b: TF.conv2d(a, b, padding=1), [x, w])
    compare(lambda a, b: F.conv2d(a, b, stride=2), lambda a, b: TF.conv2d(a, b, stride=2), [x[None], w])
    compare(lambda a, b: F.conv1d(a, b), lambda a, b: TF.conv1d(a, b), [values(3, (3, 7)), values(4, (2, 3, 3))])


# ---------------------------------------------------------------------- unfold / fold
@st.composite
def window_cases(draw, max_extra=3):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    sides = tuple(max(1, d * (k - 1) + 1 - 2 * p) + draw(st.integers(0, max_extra))
                  for k, p, d in zip(kernel, padding, dilation))
    x_shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3))) + sides
    return x_shape, dict(kernel_size=kernel, dilation=dilation, padding=padding, stride=stride), \
        draw(st.integers(0, 2 ** 31 - 1))


def check_unfold_and_fold(case, device):
    x_shape, options, seed = case
    compare(lambda x: F.unfold(x, **options), lambda x: TF.unfold(x, **options), [values(seed, x_shape)], device, seed)
    cols_shape = tuple(TF.unfold(torch.zeros(x_shape, dtype=torch.float64), **options).shape)
    compare(lambda c: F.fold(c, x_shape[2:], **options), lambda c: TF.fold(c, x_shape[2:], **options),
            [values(seed + 1, cols_shape)], device, seed)


@CPU_EXAMPLES
@given(window_cases())
def test_unfold_and_fold_match_torch(case):
    check_unfold_and_fold(case, "cpu")


@GPU_EXAMPLES
@given(case=window_cases(max_extra=1))
def test_unfold_and_fold_match_torch_on_gpu(gpu_device, case):
    check_unfold_and_fold(case, gpu_device)


# ---------------------------------------------------------------------- pooling
@st.composite
def pool_cases(draw, max_extra=3, dilation=True):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilation else (1, 1)
    sides = tuple(max(1, d * (k - 1) + 1 - 2 * p) + draw(st.integers(0, max_extra))
                  for k, p, d in zip(kernel, padding, dil))
    x_shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) + sides
    options = dict(kernel_size=kernel, stride=stride, padding=padding, ceil_mode=draw(st.booleans()))
    assume(_every_window_overlaps_the_input(sides, kernel, stride or kernel, padding, dil, options["ceil_mode"]))
    if dilation:
        options["dilation"] = dil
    return x_shape, options, draw(st.integers(0, 2 ** 31 - 1))


def _every_window_overlaps_the_input(sides, kernel, stride, padding, dilation, ceil_mode):
    """False for the degenerate cases where a dilated window falls entirely into the padding
    (minigrad refuses them; PyTorch returns -inf with an out-of-range index)."""
    try:
        F.max_pool2d(mg.zeros(1, 1, *sides), kernel, stride, padding, dilation, ceil_mode)
    except RuntimeError as error:
        assert "padding only" in str(error)
        return False
    return True


def test_a_window_of_padding_only_is_refused():
    with pytest.raises(RuntimeError, match="holds padding only"):
        F.max_pool2d(mg.zeros(1, 1, 1, 1), (2, 1), padding=(1, 0), dilation=(2, 1))


def test_max_pool2d_with_padding_never_picks_a_padding_position():
    x = np.full((1, 1, 2, 2), -np.inf)
    _, ours = F.max_pool2d(mg.tensor(x), 2, 1, 1, return_indices=True)
    _, theirs = TF.max_pool2d(torch.tensor(x), 2, 1, 1, return_indices=True)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def check_max_pool(case, device):
    x_shape, options, seed = case
    x = values(seed, x_shape)
    compare(lambda t: F.max_pool2d(t, **options), lambda t: TF.max_pool2d(t, **options), [x], device, seed)
    _, ours = F.max_pool2d(mg.tensor(x, device=device), return_indices=True, **options)
    _, theirs = TF.max_pool2d(torch.tensor(x), return_indices=True, **options)
    assert ours.dtype == mg.int64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@st.composite
def avg_pool_cases(draw, max_extra=3):
    x_shape, options, seed = draw(pool_cases(max_extra=max_extra, dilation=False))
    options["count_include_pad"] = draw(st.booleans())
    options["divisor_override"] = draw(st.one_of(st.none(), st.integers(1, 5)))
    return x_shape, options, seed


def check_avg_pool(case, device):
    x_shape, options, seed = case
    compare(lambda t: F.avg_pool2d(t, **options), lambda t: TF.avg_pool2d(t, **options), [values(seed, x_shape)],
            device, seed)


@CPU_EXAMPLES
@given(pool_cases())
def test_max_pool2d_matches_torch(case):
    check_max_pool(case, "cpu")


@CPU_EXAMPLES
@given(avg_pool_cases())
def test_avg_pool2d_matches_torch(case):
    check_avg_pool(case, "cpu")


@GPU_EXAMPLES
@given(case=pool_cases(max_extra=2))
def test_max_pool2d_matches_torch_on_gpu(gpu_device, case):
    check_max_pool(case, gpu_device)


@GPU_EXAMPLES
@given(case=avg_pool_cases(max_extra=2))
def test_avg_pool2d_matches_torch_on_gpu(gpu_device, case):
    check_avg_pool(case, gpu_device)


def test_max_pool2d_ties_and_nan_pick_what_torch_picks():
    x = np.array([[[[1.0, 1.0, 0.0], [1.0, 1.0, 2.0], [2.0, 2.0, 2.0]]]])
    for options in (dict(kernel_size=2, stride=1), dict(kernel_size=2, stride=2, ceil_mode=True)):
        _, ours = F.max_pool2d(mg.tensor(x), return_indices=True, **options)
        _, theirs = TF.max_pool2d(torch.tensor(x), return_indices=True, **options)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    x[0, 0, 1, 0] = np.nan
    ours, ours_idx = F.max_pool2d(mg.tensor(x), 2, 1, return_indices=True)
    theirs, theirs_idx = TF.max_pool2d(torch.tensor(x), 2, 1, return_indices=True)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())  # NaN where torch has NaN
    np.testing.assert_array_equal(ours_idx.numpy(), theirs_idx.numpy())


@pytest.mark.parametrize("output_size", [1, (2, 3), (5, 4), (None, 2), (7, 1)])
def test_adaptive_avg_pool2d_matches_torch(output_size, gpu_device):
    x = values(3, (2, 3, 5, 4))
    compare(lambda t: F.adaptive_avg_pool2d(t, output_size), lambda t: TF.adaptive_avg_pool2d(t, output_size), [x])
    if output_size == (2, 3):
        compare(lambda t: F.adaptive_avg_pool2d(t, output_size), lambda t: TF.adaptive_avg_pool2d(t, output_size),
                [x[:1, :2]], gpu_device)


# ---------------------------------------------------------------------- batch norm
@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (2, 3, 4, 5), (1, 3, 2, 1)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_matches_torch_and_updates_running_estimates(shape, affine):
    c = shape[1]
    stats = {"ours": (mg.tensor(values(7, c)), mg.tensor(np.abs(values(8, c)) + 0.5)),
             "theirs": (torch.tensor(values(7, c)), torch.tensor(np.abs(values(8, c)) + 0.5))}
    arrays = [values(9, shape)] + ([values(10, c), values(11, c)] if affine else [])
    compare(lambda x, *wb: F.batch_norm(x, *stats["ours"], *wb, training=True, momentum=0.3, eps=1e-3),
            lambda x, *wb: TF.batch_norm(x, *stats["theirs"], *wb, training=True, momentum=0.3, eps=1e-3), arrays)
    for ours, theirs in zip(stats["ours"], stats["theirs"]):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=RTOL, atol=ATOL)


def test_batch_norm_eval_and_without_running_estimates_match_torch(gpu_device):
    x, w, b = values(1, (3, 4, 2, 2)), values(2, 4), values(3, 4)
    rm, rv = values(4, 4), np.abs(values(5, 4)) + 0.1
    compare(lambda x_, w_, b_: F.batch_norm(x_, mg.tensor(rm), mg.tensor(rv), w_, b_),
            lambda x_, w_, b_: TF.batch_norm(x_, torch.tensor(rm), torch.tensor(rv), w_, b_), [x, w, b])
    compare(lambda x_, w_, b_: F.batch_norm(x_, None, None, w_, b_, training=True),
            lambda x_, w_, b_: TF.batch_norm(x_, None, None, w_, b_, training=True), [x, w, b])
    # the training-mode kernels on the GPU device, with the running estimates updated there
    ours = mg.tensor(rm, device=gpu_device), mg.tensor(rv, device=gpu_device)
    theirs = torch.tensor(rm), torch.tensor(rv)
    compare(lambda x_, w_, b_: F.batch_norm(x_, *ours, w_, b_, training=True, momentum=0.5),
            lambda x_, w_, b_: TF.batch_norm(x_, *theirs, w_, b_, training=True, momentum=0.5), [x, w, b], gpu_device)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=RTOL)
    with pytest.raises(ValueError, match="both be None or neither"):
        F.batch_norm(mg.tensor(x), mg.tensor(rm), None, training=True)


def test_batch_norm_of_a_constant_channel_is_finite():
    x = np.zeros((4, 2, 3, 3))
    x[:, 1] = 5.0
    y = F.batch_norm(mg.tensor(x, requires_grad=True), None, None, training=True)
    assert np.all(np.isfinite(y.numpy())) and np.all(y.numpy() == 0)


# ---------------------------------------------------------------------- dropout2d
def test_dropout2d_zeroes_whole_channels_and_keeps_the_mean():
    mg.manual_seed(0)
    x = mg.ones(200, 30, 3, 3, requires_grad=True)
    y = F.dropout2d(x, p=0.4)
    planes = y.numpy()
    assert np.all(planes == planes[:, :, :1, :1])                 # one decision per (sample, channel)
    np.testing.assert_allclose(np.unique(planes), [0.0, 1 / 0.6], rtol=1e-6)
    assert abs(planes.mean() - 1) < 0.03
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), planes)            # the gradient is the same mask
    assert F.dropout2d(x, 0.4, training=False) is x
    assert np.all(F.dropout2d(x, 1.0).numpy() == 0)


def test_dropout2d_in_place():
    mg.manual_seed(1)
    x = mg.ones(4, 6, 2, 2)
    y = F.dropout2d(x, 0.5, inplace=True)
    assert y is x and set(np.unique(x.numpy())) <= {0.0, 2.0}
