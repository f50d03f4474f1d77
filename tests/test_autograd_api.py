"""The autograd API a PyTorch program uses: its own Functions, autograd.grad, hooks, grad modes."""
import numpy as np
import pytest

import minigrad as mg


class LegendreP3(mg.autograd.Function):
    """P3(x) = (5x^3 - 3x) / 2,   dP3/dx = (15x^2 - 3) / 2 — forward and backward on Tensors."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * (5 * x ** 3 - 3 * x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * x ** 2 - 1)


def test_user_function_on_tensors_gives_the_derived_gradient():
    x = mg.tensor([-0.5, 0.1, 0.9], dtype=mg.float64, requires_grad=True)
    y = LegendreP3.apply(x)
    assert isinstance(y, mg.Tensor) and y.grad_fn is LegendreP3
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1.5 * (5 * x.numpy() ** 2 - 1), rtol=1e-12)
    assert mg.autograd.gradcheck(LegendreP3.apply, (x.detach().requires_grad_(),))


def test_user_function_forward_records_no_graph_inside():
    seen = {}

    class Probe(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            inner = x * 2
            seen["inner records a graph"] = inner.requires_grad
            return inner

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = mg.ones(2, requires_grad=True)
    Probe.apply(x).sum().backward()
    assert seen["inner records a graph"] is False
    assert x.grad.tolist() == [2.0, 2.0]


def test_user_function_saved_input_changed_in_place_is_caught():
    x = mg.ones(3, requires_grad=True)
    h = x * 1
    y = LegendreP3.apply(h)
    with mg.no_grad():
        h.add_(1)
    with pytest.raises(RuntimeError, match="LegendreP3 saved for its backward was changed in place"):
        y.sum().backward()


def test_autograd_grad_returns_gradients_without_touching_dot_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    w = mg.tensor([3.0, 4.0], requires_grad=True)
    h = x * w
    (gx, gh) = mg.autograd.grad((h * h).sum(), (x, h))
    np.testing.assert_allclose(gx.numpy(), 2 * (x * w * w).detach().numpy())
    np.testing.assert_allclose(gh.numpy(), 2 * h.detach().numpy())
    assert x.grad is None and w.grad is None
    unused = mg.ones(1, requires_grad=True)
    with pytest.raises(RuntimeError, match="not used.*allow_unused=True"):
        mg.autograd.grad((x * 2).sum(), (unused,))
    assert mg.autograd.grad((x * 2).sum(), (unused,), allow_unused=True) == (None,)
    with pytest.raises(NotImplementedError, match="create_graph=True"):
        mg.autograd.grad((x * 2).sum(), x, create_graph=True)


def test_backward_with_inputs_accumulates_only_there():
    a = mg.ones(2, requires_grad=True)
    b = mg.ones(2, requires_grad=True)
    (a * b * 3).sum().backward(inputs=[a])
    assert a.grad.tolist() == [3.0, 3.0] and b.grad is None


def test_hooks_see_and_replace_gradients():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.tolist()))
    h = x * 3
    h.register_hook(lambda g: g * 10)  # replaces dL/dh
    h.sum().backward()
    assert seen == [[30.0, 30.0]] and x.grad.tolist() == [30.0, 30.0]
    handle.remove()
    x.grad = None
    (x * 1).sum().backward()
    assert seen == [[30.0, 30.0]]


def test_retain_grad_on_a_non_leaf():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    h.retain_grad()
    (h * 3).sum().backward()
    assert h.grad.tolist() == [3.0, 3.0]


def test_grad_modes():
    x = mg.ones(2, requires_grad=True)
    with mg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    with mg.inference_mode():
        assert not (x * 2).requires_grad

    @mg.no_grad  # bare, as PyTorch allows
    def bare(t):
        return t * 2

    @mg.no_grad()
    def called(t):
        return t * 2

    @mg.set_grad_enabled(False)
    def disabled(t):
        return t * 2

    assert not bare(x).requires_grad and not called(x).requires_grad and not disabled(x).requires_grad
    assert mg.is_grad_enabled()
    mg.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        mg.set_grad_enabled(True)


def test_leaf_gradient_accumulates_in_place():
    x = mg.ones(2, requires_grad=True)
    (x * 2).sum().backward()
    first = x.grad
    (x * 3).sum().backward()
    assert x.grad is first and first.tolist() == [5.0, 5.0]


def test_deep_chain_and_reused_tensor():
    x = mg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 1.0001 ** 5000, rtol=1e-3)
