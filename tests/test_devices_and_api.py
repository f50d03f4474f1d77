"""One device parser for everything, and the small API a CPU PyTorch program touches."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn


def test_device_objects_are_pytorch_shaped():
    d = mg.device("cuda:0")
    assert d == "cuda" and d.type == "cuda" and d.index == 0
    assert mg.device("cpu").type == "cpu" and mg.device("cpu").index is None
    assert mg.zeros(1).device == mg.device("cpu") == "cpu"
    assert repr(mg.device("cpu")) == "device(type='cpu')"


@pytest.mark.parametrize("target", ["cudaa", "gpu", "tpu"])
def test_tensor_and_module_to_report_unknown_devices_the_same_way(target):
    with pytest.raises(ValueError, match=f"unknown device '{target}'.*'cpu', 'cuda', 'cudasim'") as from_tensor:
        mg.zeros(1).to(target)
    with pytest.raises(ValueError) as from_module:
        nn.Linear(2, 2).to(target)
    assert str(from_tensor.value) == str(from_module.value)
    assert "dtype" not in str(from_tensor.value)


def test_gpu_is_not_a_device_name_and_says_what_to_use():
    with pytest.raises(ValueError, match="'gpu' is not a device name in PyTorch either: say 'cuda'"):
        mg.zeros(1).to("gpu")


def test_dtype_given_as_string_device_explains():
    with pytest.raises(ValueError, match="looks like a dtype: pass mg.float64"):
        mg.zeros(1).to("float64")


def test_load_map_location_uses_the_same_parser(tmp_path):
    path = tmp_path / "w.mgz"
    mg.save({"w": mg.ones(2)}, path)
    with pytest.raises(ValueError, match="unknown device 'cudaa'"):
        mg.load(path, map_location="cudaa")
    assert mg.load(path, map_location=mg.device("cpu"))["w"].device == "cpu"


def test_to_accepts_pytorchs_argument_forms():
    x = mg.zeros(2)
    assert x.to("cpu") is x
    assert x.to(mg.float64).dtype == mg.float64
    assert x.to("cpu", mg.float64).dtype == mg.float64
    assert x.to(device="cpu", dtype=mg.float64).dtype == mg.float64
    assert x.to(mg.zeros(1, dtype=mg.float64)).dtype == mg.float64
    model = nn.Linear(2, 2).to(dtype=mg.float64)
    assert model.weight.dtype == mg.float64


def test_cuda_glue_a_cpu_program_touches():
    assert mg.cuda.is_available() in (True, False)
    mg.cuda.manual_seed(0)
    mg.cuda.manual_seed_all(0)
    device = mg.device("cuda" if mg.cuda.is_available() else "cpu")
    assert mg.zeros(1, device=device).device == device
    mg.set_default_device("cpu")
    assert mg.get_default_device() == "cpu"


def test_generators_make_reproducible_streams():
    g = mg.Generator().manual_seed(3)
    a = mg.randn(4, generator=g)
    b = mg.randn(4, generator=mg.Generator().manual_seed(3))
    assert a.tolist() == b.tolist()
    mg.manual_seed(5)
    c = mg.rand(3)
    mg.manual_seed(5)
    assert mg.rand(3).tolist() == c.tolist()


def test_randint_is_parsed_as_pytorch_does():
    mg.manual_seed(0)
    assert mg.randint(10, (3,)).shape == (3,)
    assert mg.randint(5, 10, (2, 2)).shape == (2, 2)
    assert mg.randint(0, 3, size=(4,)).dtype == mg.int64
    values = mg.randint(5, 10, (1000,)).numpy()
    assert values.min() >= 5 and values.max() <= 9
    with pytest.raises(TypeError, match=r"randint\(high, size\)"):
        mg.randint(10)


def test_python_protocols():
    i = mg.tensor(2)
    assert [10, 20, 30][i] == 30 and list(range(i)) == [0, 1]
    assert f"{mg.tensor(3.14159):.2f}" == "3.14"
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        [1, 2][mg.tensor(1.0)]


def test_batched_matmul_errors_name_the_op_and_both_shapes():
    with pytest.raises(RuntimeError, match=r"matmul: \(2, 3, 4\) @ \(5, 4, 2\): the batch dimensions \(2,\) and \(5,\)"):
        mg.zeros(2, 3, 4) @ mg.zeros(5, 4, 2)
    with pytest.raises(RuntimeError, match=r"matmul: \(2, 3\) @ \(2, 3\): inner dimensions 3 and 2 differ"):
        mg.zeros(2, 3) @ mg.zeros(2, 3)


def test_from_numpy_shares_memory():
    array = np.zeros(3, dtype=np.float32)
    t = mg.from_numpy(array)
    t += 1
    assert array.tolist() == [1.0, 1.0, 1.0]
