"""The backward pass: graph walking, accumulation, retain_graph, grad modes and their errors."""
import numpy as np
import pytest

import minigrad as mg


def test_simple_chain_rule():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x * 3 + x).sum()  # dy/dx = 6x + 1
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [7.0, 13.0, 19.0])


def test_backward_is_iterative_on_a_10000_op_chain():
    x = mg.tensor(1.0, dtype=mg.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001  # y = x * 1.0001^10000
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 1.0001 ** 10_000, rtol=1e-9)


def test_gradients_accumulate_on_leaves_across_backward_calls():
    x = mg.tensor([1.0, -2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2 * 1.0, 3 + 2 * -2.0])
    x.grad = None
    (x * 5).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 5.0])


def test_tensor_used_twice_receives_both_contributions():
    x = mg.tensor([2.0], requires_grad=True)
    a = x * 3
    y = (a * a + a).sum()  # y = 9x^2 + 3x  ->  18x + 3
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [39.0])


def test_diamond_graph():
    x = mg.tensor([1.5], requires_grad=True)
    a = x.exp()
    b = a * 2
    c = a.log()  # = x
    (b + c).sum().backward()  # d/dx = 2 e^x + 1
    np.testing.assert_allclose(x.grad.numpy(), [2 * np.exp(1.5) + 1], rtol=1e-6)


def test_leaf_grad_is_not_aliased_to_graph_arrays():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x + 0  # Add passes g through unchanged
    y.sum().backward()
    first = x.grad.numpy().copy()
    y2 = x + 0
    y2.sum().backward()
    np.testing.assert_allclose(first, [1.0, 1.0])  # the first grad array was not modified in place
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_retain_graph_allows_second_backward():
    x = mg.tensor([3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [12.0])


def test_second_backward_through_freed_graph_raises():
    x = mg.tensor([3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_backward_with_explicit_gradient():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.backward(mg.tensor([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 30.0])


def test_backward_gradient_shape_must_match():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\) but the output has shape \(2,\)"):
        (x * 3).backward(mg.ones(3))


def test_backward_on_non_scalar_needs_gradient():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"non-scalar output \(shape \(2,\)\).*loss.sum\(\)"):
        (x * 2).backward()


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.tensor([1.0]).sum().backward()


# ---------------------------------------------------------------------- grad modes
def test_no_grad_context_manager():
    x = mg.tensor([1.0], requires_grad=True)
    with mg.no_grad():
        assert not mg.is_grad_enabled()
        y = x * 2
    assert mg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_no_grad_decorator():
    @mg.no_grad()
    def double(t):
        assert not mg.is_grad_enabled()
        return t * 2

    x = mg.tensor([1.0], requires_grad=True)
    y = double(x)
    assert not y.requires_grad
    assert mg.is_grad_enabled()


def test_enable_grad_inside_no_grad_and_restoration_after_exception():
    x = mg.tensor([1.0], requires_grad=True)
    with mg.no_grad():
        with mg.enable_grad():
            y = x * 2
        assert not mg.is_grad_enabled()
    assert y.requires_grad
    with pytest.raises(ValueError):
        with mg.no_grad():
            raise ValueError("boom")
    assert mg.is_grad_enabled()


def test_detach_cuts_the_graph_and_shares_storage():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf
    assert d._array is y._array
    z = (d * x).sum()
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])  # only the direct path counts


def test_requires_grad_():
    x = mg.tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    x.requires_grad_(False)
    assert not x.requires_grad
    with pytest.raises(RuntimeError, match="floating-point"):
        mg.tensor([1, 2]).requires_grad_()
    y = mg.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


def test_retain_grad_keeps_grad_of_intermediate():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    other = x * 3
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.numpy())
    np.testing.assert_allclose(x.grad.numpy(), 18 * x.numpy())
    assert other.grad is None


def test_non_leaf_grad_is_none_without_retain_grad():
    x = mg.tensor([1.0], requires_grad=True)
    h = x * 3
    (h * h).sum().backward()
    assert h.grad is None and not h.is_leaf


def test_in_place_change_of_saved_value_is_detected():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    b = mg.tensor([3.0, 4.0])  # does not require grad, so in-place is allowed...
    y = (w * b).sum()  # ...but Mul saved b for its backward
    b.add_(1)
    with pytest.raises(RuntimeError, match=r"changed in place afterwards \(version 0 -> 1\).*clone"):
        y.backward()


def test_in_place_before_use_is_fine():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    b = mg.tensor([3.0, 4.0])
    b.add_(1)
    (w * b).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [4.0, 5.0])


# ---------------------------------------------------------------------- broadcasting and gradients
def test_broadcast_gradient_is_summed_back_to_input_shape():
    a = mg.tensor(np.ones((2, 3, 4)), requires_grad=True)
    b = mg.tensor(np.ones((3, 1)), requires_grad=True)  # broadcast over axis 0 (new) and axis 2 (size 1)
    c = mg.tensor(np.ones((1, 1, 4)) * 2, requires_grad=True)
    ((a + b) * c).sum().backward()
    assert a.grad.shape == (2, 3, 4) and b.grad.shape == (3, 1) and c.grad.shape == (1, 1, 4)
    np.testing.assert_allclose(a.grad.numpy(), 2.0)
    np.testing.assert_allclose(b.grad.numpy(), 2 * 2 * 4)  # 2 batches x 4 columns, times c = 2
    np.testing.assert_allclose(c.grad.numpy(), 2 * 3 * 2)  # (a + b) = 2, 2 x 3 copies


def test_scalar_tensor_broadcast_gradient():
    s = mg.tensor(2.0, requires_grad=True)
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    (s * x).sum().backward()
    assert s.grad.shape == ()
    assert s.grad.item() == 10.0


def test_grad_has_param_dtype_and_shape():
    w = mg.tensor(np.ones((3, 2)), requires_grad=True)  # float64
    (w * mg.tensor([1.0, 2.0]).double()).sum().backward()
    assert w.grad.dtype == mg.float64 and w.grad.shape == (3, 2)


def test_int_and_bool_inputs_get_no_gradient():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    idx = mg.tensor([2, 0])
    (x[idx] * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.0, 2.0])
    assert idx.grad is None
