import numpy as np
import pytest
from kernel_testing import assert_close

from kernels import losses

DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "rows, classes, block_size, label_smoothing",
    [(1, 1, 32, 0.0), (4, 70, 32, 0.0), (3, 130, 128, 0.1), (3, 5, 32, 0.25)],
)
def test_cross_entropy_matches_reference(rng, rows, classes, block_size, label_smoothing, dtype):
    logits = (rng.standard_normal((rows, classes)) * 3).astype(dtype)
    targets = rng.integers(0, classes, rows).astype(np.int64)
    if rows > 1:
        targets[1] = -100  # an ignored row
    loss, grad = losses.cross_entropy_forward_backward(
        logits, targets, label_smoothing=label_smoothing, block_size=block_size
    )
    ref_loss, ref_grad = losses.cross_entropy_forward_backward_reference(
        logits, targets, label_smoothing=label_smoothing
    )
    assert_close(loss, ref_loss, dtype)
    assert_close(grad, ref_grad, dtype)
    if rows > 1:
        assert loss[1] == 0 and np.all(grad[1] == 0)


def test_cross_entropy_custom_ignore_index_and_extreme_logits():
    logits = np.array([[1e4, -1e4, 0.0], [5.0, 1.0, 2.0], [-1e4, 1e4, 3.0]])
    targets = np.array([1, 2, 1])
    loss, grad = losses.cross_entropy_forward_backward(logits, targets, ignore_index=2, block_size=4)
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))
    np.testing.assert_allclose(loss, [2e4, 0.0, 0.0], rtol=1e-12)  # row 1 ignored; row 2 certain and right
    np.testing.assert_allclose(grad[0], [1.0, -1.0, 0.0], atol=1e-12)
    np.testing.assert_array_equal(grad[1], 0.0)


def test_cross_entropy_reference_matches_independent_math(rng):
    logits = rng.standard_normal((4, 6))
    targets = np.array([0, 5, 2, 3])
    ls = 0.2
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    q = np.full((4, 6), ls / 6)
    q[np.arange(4), targets] += 1 - ls
    loss, grad = losses.cross_entropy_forward_backward_reference(logits, targets, label_smoothing=ls)
    np.testing.assert_allclose(loss, -(q * np.log(p)).sum(axis=1))
    # The gradient against central differences of the loss.
    h = 1e-6
    for j in range(6):
        bump = np.zeros_like(logits)
        bump[:, j] = h
        up = losses.cross_entropy_forward_backward_reference(logits + bump, targets, label_smoothing=ls)[0]
        down = losses.cross_entropy_forward_backward_reference(logits - bump, targets, label_smoothing=ls)[0]
        np.testing.assert_allclose(grad[:, j], (up - down) / (2 * h), atol=1e-8)


def test_cross_entropy_rejects_bad_targets():
    with pytest.raises(IndexError, match="targets\\[1\\] = 7"):
        losses.cross_entropy_forward_backward(np.zeros((2, 3)), np.array([0, 7]))
    with pytest.raises(ValueError, match="shape \\(2,\\)"):
        losses.cross_entropy_forward_backward(np.zeros((2, 3)), np.array([0, 1, 2]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_mse_and_hinge_match_reference(rng, dtype):
    pred = rng.standard_normal((3, 11)).astype(dtype)
    target = rng.standard_normal((3, 11)).astype(dtype)
    got = losses.mse_forward_backward(pred, target)
    want = losses.mse_forward_backward_reference(pred, target)
    assert_close(got[0], want[0], dtype)
    assert_close(got[1], want[1], dtype)
    y = rng.choice([-1.0, 1.0], size=(3, 11)).astype(dtype)
    scores = (rng.standard_normal((3, 11)) * 2).astype(dtype)
    scores[0, 0] = y[0, 0]  # exactly on the kink 1 - y*s = 0: loss 0, gradient 0
    loss, grad = losses.hinge_forward_backward(scores, y)
    ref_loss, ref_grad = losses.hinge_forward_backward_reference(scores, y)
    assert_close(loss, ref_loss, dtype)
    assert_close(grad, ref_grad, dtype)
    assert loss[0, 0] == 0 and grad[0, 0] == 0


def test_mse_and_hinge_references_match_independent_math():
    pred, target = np.array([1.0, -2.0, 0.5]), np.array([0.0, 1.0, 0.5])
    loss, grad = losses.mse_forward_backward_reference(pred, target)
    np.testing.assert_array_equal(loss, [1.0, 9.0, 0.0])
    np.testing.assert_array_equal(grad, [2.0, -6.0, 0.0])
    loss, grad = losses.hinge_forward_backward_reference(np.array([2.0, 0.5, -0.5]), np.array([1.0, 1.0, 1.0]))
    np.testing.assert_array_equal(loss, [0.0, 0.5, 1.5])
    np.testing.assert_array_equal(grad, [0.0, -1.0, -1.0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p, margin, classes, block_size", [(1, 1.0, 7, 32), (2, 0.5, 70, 32), (1, 2.0, 1, 32)])
def test_multi_margin_matches_reference(rng, p, margin, classes, block_size, dtype):
    x = rng.standard_normal((3, classes)).astype(dtype)
    target = rng.integers(0, classes, 3)
    loss, grad = losses.multi_margin_forward_backward(x, target, p=p, margin=margin, block_size=block_size)
    ref_loss, ref_grad = losses.multi_margin_forward_backward_reference(x, target, p=p, margin=margin)
    assert_close(loss, ref_loss, dtype)
    assert_close(grad, ref_grad, dtype)


def test_multi_margin_reference_matches_a_loop():
    x = np.array([[0.1, 0.2, 0.4, 0.8], [1.0, -1.0, 0.3, 0.1]])
    target = np.array([3, 0])
    for p in (1, 2):
        want = [
            sum(max(0.0, 1.0 - row[t] + row[j]) ** p for j in range(4) if j != t) / 4 for row, t in zip(x, target)
        ]
        loss, grad = losses.multi_margin_forward_backward_reference(x, target, p=p)
        np.testing.assert_allclose(loss, want)
        h = 1e-6
        for j in range(4):
            bump = np.zeros_like(x)
            bump[:, j] = h
            up = losses.multi_margin_forward_backward_reference(x + bump, target, p=p)[0]
            down = losses.multi_margin_forward_backward_reference(x - bump, target, p=p)[0]
            np.testing.assert_allclose(grad[:, j], (up - down) / (2 * h), atol=1e-8)
