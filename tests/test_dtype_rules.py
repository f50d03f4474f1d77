"""PyTorch's dtype rules: which dtype a new tensor gets, and which dtype an operation returns."""
import numpy as np
import pytest

import minigrad as mg

# (expression, expected dtype) — each one's PyTorch answer is checked below when PyTorch is installed
CASES = {
    "int tensor / int": (lambda lib: lib.tensor([1, 2, 3]) / 2, "float32"),
    "int tensor * Python float": (lambda lib: lib.tensor([1, 2, 3]) * 2.5, "float32"),
    "float32 tensor * NumPy float64 scalar": (lambda lib: lib.ones(2) * np.float64(2.0), "float32"),
    "float32 tensor + 0-d float64 tensor": (lambda lib: lib.ones(2) + lib.tensor(1.0, dtype=lib.float64), "float32"),
    "int tensor + 0-d float64 tensor": (lambda lib: lib.tensor([1, 2]) + lib.tensor(1.5, dtype=lib.float64), "float64"),
    "float32 + float64 tensors": (lambda lib: lib.ones(2) + lib.ones(2, dtype=lib.float64), "float64"),
    "float16 + float32 tensors": (lambda lib: lib.ones(2, dtype=lib.float16) + lib.ones(2), "float32"),
    "uint8 + int8": (lambda lib: lib.ones(2, dtype=lib.uint8) + lib.ones(2, dtype=lib.int8), "int16"),
    "bool + Python int": (lambda lib: lib.tensor([True, False]) + 1, "int64"),
    "int tensor ** Python float": (lambda lib: lib.tensor([1, 2]) ** 2.0, "float32"),
    "int32 tensor + Python int": (lambda lib: lib.tensor([1, 2], dtype=lib.int32) + 5, "int32"),
    "sum of bools": (lambda lib: lib.tensor([True, False, True]).sum(), "int64"),
    "sum of int32": (lambda lib: lib.tensor([1, 2], dtype=lib.int32).sum(), "int64"),
    "mg.Tensor(list)": (lambda lib: lib.Tensor([1, 2]), "float32"),
    "tensor of Python floats": (lambda lib: lib.tensor([1.5, 2.0]), "float32"),
    "tensor of a float64 array": (lambda lib: lib.tensor(np.zeros(2)), "float64"),
    "tensor of an int32 array": (lambda lib: lib.tensor(np.zeros(2, dtype=np.int32)), "int32"),
    "cat of float32 and float64": (lambda lib: lib.cat([lib.ones(2), lib.ones(2, dtype=lib.float64)]), "float64"),
    "where with int and float": (lambda lib: lib.where(lib.tensor([True, False]), lib.tensor([1, 2]), lib.ones(2)), "float32"),
    "arange of ints": (lambda lib: lib.arange(5), "int64"),
    "arange with a float step": (lambda lib: lib.arange(0, 1, 0.25), "float32"),
    "FloatTensor": (lambda lib: lib.FloatTensor([1, 2]), "float32"),
    "LongTensor": (lambda lib: lib.LongTensor([1, 2]), "int64"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_result_dtype(name):
    expression, expected = CASES[name]
    assert str(expression(mg).dtype) == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_result_dtype_is_pytorchs(name):
    torch = pytest.importorskip("torch")
    expression, expected = CASES[name]
    assert str(expression(torch).dtype) == f"torch.{expected}"


def test_default_dtype_can_be_changed_and_restored():
    assert mg.get_default_dtype() == mg.float32
    try:
        mg.set_default_dtype(mg.float64)
        assert mg.tensor([1.5]).dtype == mg.float64
        assert mg.zeros(2).dtype == mg.float64 and mg.randn(2).dtype == mg.float64
        assert (mg.tensor([1, 2]) / 2).dtype == mg.float64
    finally:
        mg.set_default_dtype(mg.float32)
    with pytest.raises(TypeError, match="only floating dtypes"):
        mg.set_default_dtype(mg.int64)


def test_float16_is_a_real_dtype():
    h = mg.tensor([1.0, 2.0], dtype=mg.float16)
    assert h.dtype == mg.half == np.float16
    assert h.half().dtype == mg.float16 and h.float().dtype == mg.float32
    assert (h * 2).dtype == mg.float16


def test_bfloat16_raises_a_clear_error():
    with pytest.raises(TypeError, match="bfloat16.*NumPy has no bfloat16.*mg.float16"):
        mg.zeros(2, dtype=mg.bfloat16)
    with pytest.raises(TypeError, match="bfloat16"):
        mg.ones(2).to(mg.bfloat16)


def test_tensor_constructor_with_sizes():
    t = mg.Tensor(2, 3)
    assert t.shape == (2, 3) and t.dtype == mg.float32
    assert mg.Tensor().shape == (0,)
    assert mg.Tensor(np.array([1, 2])).dtype == mg.float32


def test_type_names_as_pytorch():
    assert mg.zeros(1).type() == "torch.FloatTensor"
    assert mg.zeros(1, dtype=mg.int64).type() == "torch.LongTensor"
    assert mg.zeros(1).type(mg.float64).dtype == mg.float64
