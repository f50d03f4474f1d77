import numpy as np
import pytest
from kernel_testing import CPU, assert_close, reference

from kernels import losses

DTYPES = [np.float32, np.float64]
VERSIONS = losses.versions.names


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "rows, classes, block_size, label_smoothing",
    [(1, 1, 32, 0.0), (4, 70, 32, 0.0), (3, 130, 128, 0.1), (3, 5, 32, 0.25), (3, 9, 4, 0.1)],
)
@pytest.mark.parametrize("version", VERSIONS)
def test_every_cross_entropy_version_matches_the_cpu_formula(rng, version, rows, classes, block_size,
                                                             label_smoothing, dtype):
    logits = (rng.standard_normal((rows, classes)) * 3).astype(dtype)
    targets = rng.integers(0, classes, rows).astype(np.int64)
    if rows > 1:
        targets[1] = -100  # an ignored row
    loss, grad = losses.cross_entropy_forward_backward(
        logits, targets, label_smoothing=label_smoothing, version=version, block_size=block_size
    )
    ref_loss, ref_grad = reference("cross_entropy", logits, targets, label_smoothing=label_smoothing)
    assert_close(loss, ref_loss, dtype)
    assert_close(grad, ref_grad, dtype)
    if rows > 1:
        assert loss[1] == 0 and np.all(grad[1] == 0)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_of_huge_equal_logits_is_log_3(version, dtype):
    # The bug: logits - (max + log(sum)) rounds max + log(3) to 1e30, so loss 0 and gradient [0, 1, 1].
    logits = np.full((2, 3), 1e30, dtype=dtype)
    loss, grad = losses.cross_entropy_forward_backward(logits, np.array([0, 2]), version=version, block_size=4)
    np.testing.assert_allclose(loss, [np.log(3.0)] * 2, rtol=1e-6)
    np.testing.assert_allclose(grad, [[-2 / 3, 1 / 3, 1 / 3], [1 / 3, 1 / 3, -2 / 3]], rtol=1e-6)
    smoothed, _ = losses.cross_entropy_forward_backward(logits, np.array([0, 2]), label_smoothing=0.3,
                                                        version=version, block_size=4)
    np.testing.assert_allclose(smoothed, [np.log(3.0)] * 2, rtol=1e-6)  # q is spread, log p is log(1/3) for all
    want = reference("cross_entropy", logits, np.array([0, 2]), label_smoothing=0.3)
    np.testing.assert_allclose(smoothed, want[0], rtol=1e-6)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # the simulator's NumPy at -inf - (-inf)
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_with_minus_inf_logits_matches_the_cpu(version, label_smoothing):
    # Class 1 is ruled out (-inf): without smoothing it plays no part (finite loss, gradient 0 there);
    # with smoothing the target puts mass on it, so the loss is +inf, as on the CPU. The last row's
    # target itself is impossible: loss +inf.
    logits = np.array([[0.0, -np.inf, 1.0, 2.0], [3.0, -np.inf, -np.inf, 0.5], [0.0, 1.0, -np.inf, 2.0]],
                      dtype=np.float32)
    targets = np.array([2, 0, 2])
    loss, grad = losses.cross_entropy_forward_backward(logits, targets, label_smoothing=label_smoothing,
                                                       version=version, block_size=4)
    want_loss, want_grad = CPU.cross_entropy(logits, targets, label_smoothing=label_smoothing)
    np.testing.assert_allclose(loss, want_loss, rtol=1e-6)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-6, atol=1e-7)
    assert not np.isnan(loss).any() and not np.isnan(grad).any()
    assert np.isinf(loss[2]) and (np.isinf(loss[:2]).all() == (label_smoothing > 0))


def test_cross_entropy_custom_ignore_index_and_extreme_logits():
    logits = np.array([[1e4, -1e4, 0.0], [5.0, 1.0, 2.0], [-1e4, 1e4, 3.0]])
    targets = np.array([1, 2, 1])
    for version in VERSIONS:
        loss, grad = losses.cross_entropy_forward_backward(logits, targets, ignore_index=2, version=version,
                                                           block_size=4)
        assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))
        np.testing.assert_allclose(loss, [2e4, 0.0, 0.0], rtol=1e-12)  # row 1 ignored; row 2 certain and right
        np.testing.assert_allclose(grad[0], [1.0, -1.0, 0.0], atol=1e-12)
        np.testing.assert_array_equal(grad[1], 0.0)


def test_cpu_cross_entropy_matches_independent_math(rng):
    logits = rng.standard_normal((4, 6))
    targets = np.array([0, 5, 2, 3])
    ls = 0.2
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    q = np.full((4, 6), ls / 6)
    q[np.arange(4), targets] += 1 - ls
    loss, grad = CPU.cross_entropy(logits, targets, label_smoothing=ls)
    np.testing.assert_allclose(loss, -(q * np.log(p)).sum(axis=1))
    # The gradient against central differences of the loss.
    h = 1e-6
    for j in range(6):
        bump = np.zeros_like(logits)
        bump[:, j] = h
        up = CPU.cross_entropy(logits + bump, targets, label_smoothing=ls)[0]
        down = CPU.cross_entropy(logits - bump, targets, label_smoothing=ls)[0]
        np.testing.assert_allclose(grad[:, j], (up - down) / (2 * h), atol=1e-8)


def test_cross_entropy_rejects_bad_targets():
    with pytest.raises(IndexError, match="targets\\[1\\] = 7"):
        losses.cross_entropy_forward_backward(np.zeros((2, 3)), np.array([0, 7]))
    with pytest.raises(ValueError, match="shape \\(2,\\)"):
        losses.cross_entropy_forward_backward(np.zeros((2, 3)), np.array([0, 1, 2]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_mse_and_hinge_match_the_cpu_formula(rng, dtype):
    pred = rng.standard_normal((3, 11)).astype(dtype)
    target = rng.standard_normal((3, 11)).astype(dtype)
    got = losses.mse_forward_backward(pred, target)
    want = reference("mse", pred, target)
    assert_close(got[0], want[0], dtype)
    assert_close(got[1], want[1], dtype)
    y = rng.choice([-1.0, 1.0], size=(3, 11)).astype(dtype)
    scores = (rng.standard_normal((3, 11)) * 2).astype(dtype)
    scores[0, 0] = y[0, 0]  # exactly on the kink 1 - y*s = 0: loss 0, gradient 0
    loss, grad = losses.hinge_forward_backward(scores, y)
    ref_loss, ref_grad = reference("hinge", scores, y)
    assert_close(loss, ref_loss, dtype)
    assert_close(grad, ref_grad, dtype)
    assert loss[0, 0] == 0 and grad[0, 0] == 0


def test_cpu_mse_and_hinge_match_independent_math():
    pred, target = np.array([1.0, -2.0, 0.5]), np.array([0.0, 1.0, 0.5])
    loss, grad = CPU.mse(pred, target)
    np.testing.assert_array_equal(loss, [1.0, 9.0, 0.0])
    np.testing.assert_array_equal(grad, [2.0, -6.0, 0.0])
    loss, grad = CPU.hinge(np.array([2.0, 0.5, -0.5]), np.array([1.0, 1.0, 1.0]))
    np.testing.assert_array_equal(loss, [0.0, 0.5, 1.5])
    np.testing.assert_array_equal(grad, [0.0, -1.0, -1.0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p, margin, classes, block_size", [(1, 1.0, 7, 32), (2, 0.5, 70, 32), (1, 2.0, 1, 32),
                                                            (2, 1.0, 9, 4)])
def test_multi_margin_matches_the_cpu_formula(rng, p, margin, classes, block_size, dtype):
    x = rng.standard_normal((3, classes)).astype(dtype)
    target = rng.integers(0, classes, 3)
    loss, grad = losses.multi_margin_forward_backward(x, target, p=p, margin=margin, block_size=block_size)
    ref_loss, ref_grad = reference("multi_margin", x, target, p=p, margin=margin)
    assert_close(loss, ref_loss, dtype)
    assert_close(grad, ref_grad, dtype)


def test_cpu_multi_margin_matches_a_loop():
    x = np.array([[0.1, 0.2, 0.4, 0.8], [1.0, -1.0, 0.3, 0.1]])
    target = np.array([3, 0])
    for p in (1, 2):
        want = [
            sum(max(0.0, 1.0 - row[t] + row[j]) ** p for j in range(4) if j != t) / 4 for row, t in zip(x, target)
        ]
        loss, grad = CPU.multi_margin(x, target, p=p)
        np.testing.assert_allclose(loss, want)
        h = 1e-6
        for j in range(4):
            bump = np.zeros_like(x)
            bump[:, j] = h
            up = CPU.multi_margin(x + bump, target, p=p)[0]
            down = CPU.multi_margin(x - bump, target, p=p)[0]
            np.testing.assert_allclose(grad[:, j], (up - down) / (2 * h), atol=1e-8)
