"""mg.save / mg.load: round trips, integrity checks, and refusing pickle."""
import io
import json
import os
import zipfile

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.serialization import HEADER_KEY


def test_nested_round_trip_keeps_types_values_and_order(tmp_path):
    obj = {
        "weights": {"w": mg.randn(3, 4), "ids": mg.tensor([1, 2, 3]), "mask": mg.tensor([True, False])},
        "array": np.arange(6, dtype=np.int32).reshape(2, 3),
        "numbers": [1, 2.5, float("inf"), float("nan"), True, None, "text"],
        "pair": (0.1, -7),
        3: "int key",
        "f64": mg.randn(2, dtype=mg.float64),
        "scalar": mg.tensor(4.0),
        "empty": mg.zeros(0, 3),
    }
    mg.save(obj, tmp_path / "obj.mg")
    back = mg.load(tmp_path / "obj.mg")
    assert list(back) == list(obj)
    assert isinstance(back["weights"]["w"], mg.Tensor)
    for key in ("w", "ids", "mask"):
        assert back["weights"][key].dtype == obj["weights"][key].dtype
        np.testing.assert_array_equal(back["weights"][key].numpy(), obj["weights"][key].numpy())
    assert isinstance(back["array"], np.ndarray) and back["array"].dtype == np.int32
    np.testing.assert_array_equal(back["array"], obj["array"])
    assert back["numbers"][:3] == [1, 2.5, float("inf")] and np.isnan(back["numbers"][3])
    assert back["numbers"][4:] == [True, None, "text"] and type(back["numbers"][4]) is bool
    assert back["pair"] == (0.1, -7) and back[3] == "int key"
    assert back["f64"].dtype == mg.float64 and back["scalar"].shape == () and back["empty"].shape == (0, 3)


def test_module_state_dict_round_trip(tmp_path):
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.LayerNorm(8), nn.Linear(8, 2))
    path = str(tmp_path / "model.mg")
    mg.save(model.state_dict(), path)
    assert not os.path.exists(path + ".tmp") and not os.path.exists(path + ".npz")
    fresh = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.LayerNorm(8), nn.Linear(8, 2))
    fresh.load_state_dict(mg.load(path))
    x = mg.randn(3, 4)
    np.testing.assert_array_equal(fresh(x).numpy(), model(x).numpy())


def test_parameters_and_requires_grad_survive(tmp_path):
    p = nn.Parameter(mg.ones(2))
    t = mg.ones(2, requires_grad=True)
    mg.save({"p": p, "t": t, "plain": mg.ones(2)}, tmp_path / "p.mg")
    back = mg.load(tmp_path / "p.mg")
    assert isinstance(back["p"], nn.Parameter) and back["p"].requires_grad
    assert back["t"].requires_grad and not isinstance(back["t"], nn.Parameter)
    assert not back["plain"].requires_grad


def test_unsupported_objects_are_refused_at_save_time(tmp_path):
    with pytest.raises(TypeError, match="object"):
        mg.save({"bad": np.array([{"a": 1}], dtype=object)}, tmp_path / "x.mg")
    with pytest.raises(TypeError, match=r"obj\['fn'\].*function"):
        mg.save({"fn": lambda: 0}, tmp_path / "x.mg")
    with pytest.raises(TypeError, match="key"):
        mg.save({(1, 2): 3}, tmp_path / "x.mg")
    assert not os.path.exists(tmp_path / "x.mg")


def test_truncated_file_is_rejected_with_its_name(tmp_path):
    path = tmp_path / "model.mg"
    mg.save({"w": mg.randn(100, 100)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="model.mg"):
        mg.load(path)


def _rewrite_member(path, member, new_bytes):
    """Replace one member of the zip (zip's own CRC is recomputed, so only our checks can notice)."""
    with zipfile.ZipFile(path) as source:
        contents = {name: source.read(name) for name in source.namelist()}
    contents[member] = new_bytes
    with zipfile.ZipFile(path, "w") as target:
        for name, data in contents.items():
            target.writestr(name, data)


def _npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def test_tampered_array_fails_checksum(tmp_path):
    path = tmp_path / "model.mg"
    mg.save({"w": mg.zeros(4)}, path)
    _rewrite_member(path, "a0.npy", _npy_bytes(np.array([0, 0, 1, 0], dtype=np.float32)))
    with pytest.raises(ValueError, match=r"model\.mg.*sha256"):
        mg.load(path)


def test_tampered_shape_is_caught(tmp_path):
    path = tmp_path / "model.mg"
    mg.save({"w": mg.zeros(4)}, path)
    _rewrite_member(path, "a0.npy", _npy_bytes(np.zeros(5, dtype=np.float32)))
    with pytest.raises(ValueError, match="altered"):
        mg.load(path)


def test_plain_npz_and_other_files_are_not_minigrad_files(tmp_path):
    npz = tmp_path / "plain.npz"
    np.savez(npz, x=np.zeros(3))
    with pytest.raises(ValueError, match=r"plain\.npz.*not a minigrad file"):
        mg.load(npz)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match=r"notes\.txt.*not a minigrad file"):
        mg.load(text)
    with pytest.raises(FileNotFoundError):
        mg.load(tmp_path / "missing.mg")


def test_wrong_format_version_is_explained(tmp_path):
    path = tmp_path / "future.mg"
    mg.save({"w": mg.zeros(1)}, path)
    header = json.dumps({"format": "minigrad", "version": 99, "tree": {"kind": "none"}}).encode()
    _rewrite_member(path, HEADER_KEY + ".npy", _npy_bytes(np.frombuffer(header, dtype=np.uint8)))
    with pytest.raises(ValueError, match="version 99"):
        mg.load(path)


class _Payload:
    """Unpickling this would create a marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_bearing_file_is_refused_without_running_code(tmp_path):
    marker = tmp_path / "pwned"
    evil = np.empty(1, dtype=object)
    evil[0] = _Payload(str(marker))
    path = tmp_path / "evil.mg"
    mg.save({"w": mg.zeros(1)}, path)
    _rewrite_member(path, "a0.npy", _npy_bytes(evil))  # the header still looks right
    with pytest.raises(ValueError, match="pickle"):
        mg.load(path)
    assert not marker.exists()

    raw_pickle = tmp_path / "evil.pkl"  # a bare pickle file, not even a zip
    import pickle
    raw_pickle.write_bytes(pickle.dumps(_Payload(str(marker))))
    with pytest.raises(ValueError, match="not a minigrad file"):
        mg.load(raw_pickle)
    assert not marker.exists()


def test_optimizer_state_dict_with_int_keys_round_trips(tmp_path):
    p = nn.Parameter(mg.ones(3))
    opt = optim.Adam([p], lr=0.1, betas=(0.8, 0.9))
    p.grad = mg.ones(3)
    opt.step()
    mg.save(opt.state_dict(), tmp_path / "opt.mg")
    back = mg.load(tmp_path / "opt.mg")
    assert list(back["state"]) == [0]
    assert back["param_groups"][0]["betas"] == (0.8, 0.9)
    np.testing.assert_array_equal(back["state"][0]["exp_avg"].numpy(), opt.state[p]["exp_avg"].numpy())
