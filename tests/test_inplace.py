"""In-place ops change the tensor itself, as in PyTorch: the same object, its storage, its version.

Each test states the PyTorch behaviour it checks; the ones that compare numbers run the same
program in PyTorch (when installed) and require the same gradients.
"""
import numpy as np
import pytest

import minigrad as mg


def test_manual_sgd_step_under_no_grad_changes_the_parameter():
    # The textbook update `with no_grad(): w -= lr * w.grad` used to rebind w to a new tensor.
    w = mg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    same = w
    loss = (w * w).sum()
    loss.backward()
    with mg.no_grad():
        w -= 0.1 * w.grad
    assert w is same and w.requires_grad and w.is_leaf
    np.testing.assert_allclose(w.numpy(), [0.8, -1.6, 2.4], rtol=1e-6)
    assert w._version == 1


def test_manual_sgd_loop_decreases_the_loss():
    mg.manual_seed(0)
    x = mg.linspace(-1, 1, 50)
    y = 3 * x - 1
    a = mg.zeros((), requires_grad=True)
    b = mg.zeros((), requires_grad=True)
    losses = []
    for _ in range(100):
        loss = ((a * x + b - y) ** 2).mean()
        losses.append(loss.item())
        loss.backward()
        with mg.no_grad():
            a -= 0.1 * a.grad
            b -= 0.1 * b.grad
            a.grad = None
            b.grad = None
    assert losses[-1] < 1e-3 * losses[0]
    assert abs(a.item() - 3) < 0.05 and abs(b.item() + 1) < 0.01


def test_iadd_changes_every_name_bound_to_the_tensor():
    x = mg.tensor([1.0, 2.0])
    alias = x
    x += 1
    assert alias is x and alias.tolist() == [2.0, 3.0]
    x *= 2
    x -= 1
    x /= 5
    x **= 2
    np.testing.assert_allclose(alias.numpy(), ((np.array([2.0, 3.0]) * 2 - 1) / 5) ** 2, rtol=1e-6)


def test_data_is_a_detached_tensor_sharing_storage():
    p = mg.tensor([1.0, 2.0], requires_grad=True)
    d = p.data
    assert isinstance(d, mg.Tensor) and not d.requires_grad and d.is_leaf
    d.uniform_(-0.1, 0.1)  # the PyTorch idiom p.data.uniform_(...): p changes
    assert np.all(np.abs(p.numpy()) <= 0.1)
    p.grad = mg.tensor([1.0, 1.0])
    p.data -= 0.5 * p.grad.data
    np.testing.assert_allclose(p.numpy(), d.numpy())
    p.data = mg.tensor([7.0, 8.0, 9.0])  # assigning .data replaces the storage
    assert p.shape == (3,) and p.requires_grad


def test_in_place_on_a_leaf_requiring_grad_is_refused_and_changes_nothing():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    for change in (lambda: w.add_(1), lambda: w.__iadd__(1), lambda: w.mul_(2), lambda: w.zero_(),
                   lambda: w.uniform_(), lambda: w.copy_(mg.zeros(2)), lambda: w.__setitem__(0, 3.0)):
        with pytest.raises(RuntimeError, match="leaf tensor that requires grad.*in place.*mg.no_grad"):
            change()
    assert w.tolist() == [1.0, 2.0] and w._version == 0


def test_int_tensor_cannot_receive_floats_in_place():
    x = mg.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="result type float32 can't be cast to this tensor's dtype int64"):
        x += 1.5
    assert x.tolist() == [1, 2, 3]
    x += 2  # an int stays possible
    assert x.tolist() == [3, 4, 5] and x.dtype == mg.int64


def test_in_place_cannot_grow_the_shape():
    y = mg.zeros(3)
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\) but this tensor has shape \(3,\)"):
        y += mg.ones(2, 3)
    y += mg.ones(1)  # broadcasting *to* y is fine
    assert y.tolist() == [1.0, 1.0, 1.0]


def test_expanded_view_cannot_be_written():
    e = mg.zeros(1, 3).expand(4, 3)
    with pytest.raises(RuntimeError, match="expanded view.*clone"):
        e.add_(1)


def test_saved_value_changed_in_place_is_caught_at_backward():
    x = mg.randn(3, requires_grad=True)
    y = x.exp()          # exp saves its output for the backward
    y.add_(1)
    with pytest.raises(RuntimeError, match="Exp saved for its backward was changed in place"):
        y.sum().backward()


def test_change_through_detach_is_caught_too():
    # detach() shares the version counter (as in PyTorch); .data does not.
    x = mg.randn(3, requires_grad=True)
    h = x * 1
    y = h.sigmoid()      # saves its output y
    y.detach().zero_()
    with pytest.raises(RuntimeError, match="Sigmoid saved"):
        y.sum().backward()


def test_change_through_a_view_is_caught():
    x = mg.randn(2, 3, requires_grad=True)
    y = x.exp()
    with mg.no_grad():
        y[0].mul_(2)     # basic indexing gives a view sharing y's memory and version counter
    with pytest.raises(RuntimeError, match="Exp saved"):
        y.sum().backward()


def _same_program(lib, values, program):
    x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
    out = program(lib, x)
    out.backward()
    return out.item(), x.grad.numpy() if lib is mg else x.grad.detach().numpy()


PROGRAMS = {
    # non-leaf changed in place, with results computed before and after the change
    "add_ between uses": lambda lib, x: (lambda y: (lambda z: (y.add_(1), (z + y * y).sum())[1])(y * 3))(x * 2),
    "mul_ by a tensor needing grad": lambda lib, x: (lambda b: (lambda c: (b.mul_(x), (c + b).sum())[1])(b * 3))(x * 2),
    "exp_ then use": lambda lib, x: (lambda y: (y.exp_(), (y * x).sum())[1])(x * 1),
    "pow_": lambda lib, x: (lambda y: (y.pow_(2), y.sum())[1])(x * 1),
    "relu_ (inplace activation)": lambda lib, x: (lambda y: (y.relu_(), (y * y).sum())[1])(x - 0.2),
    "clamp_": lambda lib, x: (lambda y: (y.clamp_(-0.5, 0.5), (y * x).sum())[1])(x * 1),
    "setitem from a tensor needing grad": lambda lib, x: (lambda h: (h.__setitem__(0, x[1] * 5), (h * h).sum())[1])(x * 1),
    "slice += (view of a non-leaf)": lambda lib, x: (lambda h: (h[1:3].__iadd__(x[0:2] * 2), (h * h).sum())[1])(x * 1),
    "buffer filled from graph values": lambda lib, x: (lambda out: (out.__setitem__(slice(0, 2), x[1:3] ** 2), (out * out).sum())[1])(lib.zeros(4, dtype=lib.float64)),
    "zero_ cuts the earlier graph": lambda lib, x: (lambda y: (y.zero_(), (y + x).sum())[1])(x * 7),
    "masked_fill_": lambda lib, x: (lambda y: (y.masked_fill_(x > 0, 0.0), (y * y).sum())[1])(x * 3),
    "copy_ from a tensor needing grad": lambda lib, x: (lambda y: (y.copy_(x * x), y.sum())[1])(lib.zeros(4, dtype=lib.float64)),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_in_place_graph_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    values = [0.3, -1.2, 0.7, 2.0]
    ours = _same_program(mg, values, PROGRAMS[name])
    theirs = _same_program(torch, values, PROGRAMS[name])
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12, atol=1e-14)


def test_in_place_on_a_reshaped_view_of_a_live_tensor_is_refused_while_recording():
    x = mg.randn(2, 3, requires_grad=True)
    h = x * 1
    v = h.reshape(6)
    with pytest.raises(RuntimeError, match="view.*reshape.*clone"):
        v.add_(mg.ones(6, requires_grad=True))
