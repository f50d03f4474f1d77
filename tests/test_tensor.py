"""Tensors themselves: creation, dtype rules, factories, conversions, repr and in-place ops."""
import numpy as np
import pytest

import minigrad as mg


# ---------------------------------------------------------------------- creation and dtype inference
def test_python_floats_become_float32():
    assert mg.tensor(1.5).dtype == mg.float32
    assert mg.tensor([1.0, 2.0]).dtype == mg.float32
    assert mg.tensor([[1, 2.5], [3, 4]]).dtype == mg.float32  # one float makes the whole list float


def test_python_ints_become_int64_and_bools_become_bool():
    assert mg.tensor(3).dtype == mg.int64
    assert mg.tensor([1, 2, 3]).dtype == mg.int64
    assert mg.tensor([True, False]).dtype == mg.bool


def test_numpy_arrays_keep_their_dtype():
    assert mg.tensor(np.zeros(3, dtype=np.float64)).dtype == mg.float64
    assert mg.tensor(np.zeros(3, dtype=np.float32)).dtype == mg.float32
    assert mg.tensor(np.float64(2.5)).dtype == mg.float64  # a NumPy scalar is NumPy data too
    assert mg.tensor(np.arange(3)).dtype == mg.int64


def test_numpy_arrays_keep_their_dtype_and_foreign_ones_are_refused():
    assert mg.tensor(np.zeros(2, dtype=np.float16)).dtype == mg.float16
    assert mg.tensor(np.zeros(2, dtype=np.int32)).dtype == mg.int32
    with pytest.raises(TypeError, match="uint16.*astype"):
        mg.tensor(np.zeros(2, dtype=np.uint16))
    with pytest.raises(TypeError, match="bfloat16.*NumPy has no bfloat16.*float16"):
        mg.zeros(2, dtype=mg.bfloat16)


def test_explicit_dtype_wins():
    t = mg.tensor([1, 2], dtype=mg.float64)
    assert t.dtype == mg.float64
    assert t.tolist() == [1.0, 2.0]
    assert mg.tensor([1.7], dtype="int64").tolist() == [1]


def test_mg_dtypes_are_numpy_dtypes():
    assert mg.float32 == np.dtype("float32")
    assert mg.float64 == np.dtype("float64")
    assert mg.int64 == np.dtype("int64")
    assert mg.bool == np.dtype("bool")


def test_unknown_dtype_is_rejected():
    with pytest.raises(TypeError, match="not supported"):
        mg.tensor([1.0], dtype=np.complex64)


def test_tensor_copies_its_input():
    source = np.array([1.0, 2.0])
    t = mg.tensor(source)
    source[0] = 100.0
    assert t.tolist() == [1.0, 2.0]
    u = mg.tensor(t)
    t.data[1] = 7.0
    assert u.tolist() == [1.0, 2.0]


def test_basic_facts():
    t = mg.tensor(np.zeros((2, 3, 4)))
    assert t.shape == (2, 3, 4)
    assert t.ndim == 3 and t.dim() == 3
    assert t.numel() == 24
    assert t.size() == (2, 3, 4) and t.size(1) == 3
    assert len(t) == 2
    assert t.device == "cpu"
    assert t.is_leaf and not t.requires_grad and t.grad is None


# ---------------------------------------------------------------------- factories
@pytest.mark.parametrize("factory, value", [(mg.zeros, 0.0), (mg.ones, 1.0), (mg.empty, 0.0)])
def test_constant_factories(factory, value):
    a = factory(2, 3)
    b = factory((2, 3))
    for t in (a, b):
        assert t.shape == (2, 3) and t.dtype == mg.float32
        assert np.all(t.numpy() == value)
    assert factory(4, dtype=mg.float64).dtype == mg.float64
    assert factory(2, requires_grad=True).requires_grad


def test_full_infers_dtype_from_fill_value():
    assert mg.full((2, 2), 3.5).dtype == mg.float32
    assert mg.full((2, 2), 3).dtype == mg.int64
    assert mg.full((2,), True).dtype == mg.bool
    assert np.all(mg.full((2, 3), 7.0).numpy() == 7.0)


def test_arange_and_linspace():
    assert mg.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert mg.arange(5).dtype == mg.int64
    assert mg.arange(1, 7, 2).tolist() == [1, 3, 5]
    np.testing.assert_allclose(mg.arange(0, 1, 0.25).numpy(), [0, 0.25, 0.5, 0.75])
    assert mg.arange(0.0, 1.0, 0.5).dtype == mg.float32
    np.testing.assert_allclose(mg.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1.0])


def test_like_factories_copy_shape_dtype_device():
    base = mg.tensor(np.ones((3, 2)))  # float64
    for t, value in [(mg.zeros_like(base), 0), (mg.ones_like(base), 1), (mg.full_like(base, 4.0), 4),
                     (mg.empty_like(base), 0)]:
        assert t.shape == (3, 2) and t.dtype == mg.float64 and t.device == "cpu"
        assert np.all(t.numpy() == value)
    assert mg.zeros_like(base, dtype=mg.float32).dtype == mg.float32
    r = mg.randn_like(base)
    assert r.shape == (3, 2) and r.dtype == mg.float64
    u = mg.rand_like(base)
    assert u.shape == (3, 2) and np.all((u.numpy() >= 0) & (u.numpy() < 1))


def test_random_factories_shapes_dtypes_and_ranges():
    mg.manual_seed(0)
    n = mg.randn(1000)
    assert n.dtype == mg.float32 and n.shape == (1000,)
    assert abs(float(n.mean())) < 0.15 and 0.85 < float(n.var()) < 1.15
    u = mg.rand(2, 500)
    assert u.shape == (2, 500) and u.numpy().min() >= 0 and u.numpy().max() < 1
    i = mg.randint(3, 9, size=(200,))
    assert i.dtype == mg.int64 and i.numpy().min() >= 3 and i.numpy().max() < 9
    assert sorted(mg.randperm(6).tolist()) == list(range(6))


def test_manual_seed_makes_random_numbers_reproducible():
    mg.manual_seed(123)
    first = (mg.randn(5).numpy(), mg.rand(3).numpy(), mg.randint(0, 100, size=(4,)).numpy())
    mg.manual_seed(123)
    second = (mg.randn(5).numpy(), mg.rand(3).numpy(), mg.randint(0, 100, size=(4,)).numpy())
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    mg.manual_seed(124)
    assert not np.array_equal(mg.randn(5).numpy(), first[0])


def test_manual_seed_covers_in_place_initialisers():
    t = mg.zeros(4)
    mg.manual_seed(7)
    a = t.uniform_(-2, 2).numpy().copy()
    mg.manual_seed(7)
    b = t.uniform_(-2, 2).numpy().copy()
    np.testing.assert_array_equal(a, b)
    assert a.min() >= -2 and a.max() < 2
    mg.manual_seed(7)
    c = mg.zeros(20000).normal_(3.0, 0.5).numpy()
    assert abs(c.mean() - 3.0) < 0.02 and abs(c.std() - 0.5) < 0.02


# ---------------------------------------------------------------------- conversions
def test_to_and_casts():
    t = mg.tensor([1.5, -2.5])
    assert t.to(mg.float64).dtype == mg.float64
    assert t.double().dtype == mg.float64
    assert t.double().float().dtype == mg.float32
    assert t.long().tolist() == [1, -2]  # truncation toward zero, as in PyTorch
    assert t.to("cpu") is t
    assert t.to("cpu", mg.float64).dtype == mg.float64
    assert t.float() is t  # no-op cast returns the same tensor


def test_cast_keeps_gradient_flowing():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.double() * 3).sum()
    y.backward()
    assert x.grad.dtype == mg.float32
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_numpy_item_tolist_array():
    t = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    a = t.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    np.testing.assert_array_equal(a, [[1, 2], [3, 4]])
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert mg.tensor([5.5]).item() == 5.5
    assert isinstance(mg.tensor(3).item(), int)
    np.testing.assert_array_equal(np.asarray(t), a)
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert float(mg.tensor(2.5)) == 2.5 and int(mg.tensor(4)) == 4


def test_item_needs_one_element():
    with pytest.raises(RuntimeError, match=r"one element.*shape \(2,\)"):
        mg.tensor([1.0, 2.0]).item()


def test_truth_value_of_many_elements_is_ambiguous():
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(mg.tensor([1.0, 2.0]))
    assert bool(mg.tensor([1.0]))


def test_repr():
    assert repr(mg.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(mg.tensor([1, 2])) == "tensor([1, 2])"
    assert "dtype=mg.float64" in repr(mg.tensor(np.array([1.0])))
    assert "requires_grad=True" in repr(mg.tensor([1.0], requires_grad=True))
    y = mg.tensor([1.0], requires_grad=True) * 2
    assert "grad_fn=<MulBackward>" in repr(y)


def test_clone_is_a_copy_with_gradient():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c._array is not x._array
    (c * c).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_comparisons_give_bool_tensors():
    a = mg.tensor([1.0, 2.0, 3.0])
    assert (a > 1.5).dtype == mg.bool
    assert (a > 1.5).tolist() == [False, True, True]
    assert (a == mg.tensor([1.0, 0.0, 3.0])).tolist() == [True, False, True]
    assert (~(a < 2)).tolist() == [False, True, True]


# ---------------------------------------------------------------------- in-place ops
def test_in_place_ops_change_values_and_return_self():
    t = mg.tensor([1.0, 2.0, 3.0])
    assert t.add_(1) is t
    assert t.tolist() == [2.0, 3.0, 4.0]
    t.add_(mg.tensor([1.0, 1.0, 1.0]), alpha=2)
    assert t.tolist() == [4.0, 5.0, 6.0]
    t.sub_(1)
    assert t.tolist() == [3.0, 4.0, 5.0]
    t.mul_(2)
    assert t.tolist() == [6.0, 8.0, 10.0]
    t.div_(2)
    assert t.tolist() == [3.0, 4.0, 5.0]
    t.clamp_(3.5, 4.5)
    assert t.tolist() == [3.5, 4.0, 4.5]
    t.copy_(mg.tensor([9.0, 8.0, 7.0]))
    assert t.tolist() == [9.0, 8.0, 7.0]
    t.fill_(2.0)
    assert t.tolist() == [2.0, 2.0, 2.0]
    t.zero_()
    assert t.tolist() == [0.0, 0.0, 0.0]
    t[1] = 5.0
    assert t.tolist() == [0.0, 5.0, 0.0]


def test_in_place_bumps_version():
    t = mg.zeros(2)
    v = t._version
    t.add_(1)
    t.zero_()
    assert t._version == v + 2


def test_in_place_on_tensor_requiring_grad_is_refused():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    for change in (lambda: w.add_(1), lambda: w.mul_(2), lambda: w.zero_(), lambda: w.fill_(0),
                   lambda: w.copy_(mg.zeros(2)), lambda: w.__setitem__(0, 3.0)):
        with pytest.raises(RuntimeError, match="leaf tensor that requires grad.*cannot be changed in place.*no_grad"):
            change()
    assert w.tolist() == [1.0, 2.0]


def test_in_place_allowed_under_no_grad():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    with mg.no_grad():
        w.sub_(mg.tensor([0.5, 0.5]))
    assert w.tolist() == [0.5, 1.5]
    assert w.requires_grad and w.is_leaf
