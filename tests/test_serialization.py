"""mg.save / mg.load: safetensors round trips, what other tools see, old .mg files, and refusing pickle.

The damaged and crafted files (truncated, bit-flipped, oversized headers, zip bombs, ...) are in
test_serialization_fuzz.py."""
import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import safetensors
import safetensors.numpy
from legacy_mg_files import npy_bytes, rewrite_member, write_legacy

import minigrad as mg
from minigrad import nn, optim
from minigrad.serialization.legacy import HEADER_KEY

REPO = Path(__file__).resolve().parents[1]


def _nested_object():
    return {
        "weights": {"w": mg.randn(3, 4), "ids": mg.tensor([1, 2, 3]), "mask": mg.tensor([True, False])},
        "array": np.arange(6, dtype=np.int32).reshape(2, 3),
        "numbers": [1, 2.5, float("inf"), float("nan"), True, None, "text"],
        "pair": (0.1, -7),
        3: "int key",
        "f64": mg.randn(2, dtype=mg.float64),
        "i8": mg.tensor([-128, 5, 127], dtype=mg.int8),
        "scalar": mg.tensor(4.0),
        "empty": mg.zeros(0, 3),
        "c64": np.array([1 + 2j], dtype=np.complex64),
        "strided": np.arange(12.0).reshape(3, 4)[:, ::2],
    }


def _check_nested(back, obj):
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
    assert back["i8"].dtype == mg.int8 and back["i8"].tolist() == [-128, 5, 127]
    assert back["c64"].dtype == np.complex64 and back["c64"][0] == 1 + 2j
    np.testing.assert_array_equal(back["strided"], obj["strided"])


def test_nested_round_trip_keeps_types_values_and_order(tmp_path):
    obj = _nested_object()
    mg.save(obj, tmp_path / "obj.safetensors")
    _check_nested(mg.load(tmp_path / "obj.safetensors"), obj)


def test_the_file_is_plain_safetensors_with_the_state_dict_keys(tmp_path):
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.LayerNorm(8), nn.Linear(8, 2))
    path = str(tmp_path / "model.safetensors")
    mg.save(model.state_dict(), path)
    assert not os.path.exists(path + ".tmp")
    arrays = safetensors.numpy.load_file(path)           # what any other tool sees
    assert sorted(arrays) == sorted(model.state_dict())
    for name, tensor in model.state_dict().items():
        np.testing.assert_array_equal(arrays[name], tensor.numpy())
    with safetensors.safe_open(path, framework="np") as file:
        metadata = file.metadata()
    assert metadata["format"] == "minigrad" and json.loads(metadata["tree"])["kind"] == "dict"
    fresh = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.LayerNorm(8), nn.Linear(8, 2))
    fresh.load_state_dict(mg.load(path))
    x = mg.randn(3, 4)
    np.testing.assert_array_equal(fresh(x).numpy(), model(x).numpy())


def test_nested_names_are_dotted_paths_and_collisions_stay_apart(tmp_path):
    path = tmp_path / "nested.safetensors"
    mg.save({"model": {"layer.weight": mg.ones(2)}, "model.layer": {"weight": mg.zeros(2)}, "opt": [mg.ones(1)]}, path)
    names = set(safetensors.numpy.load_file(path))
    assert names == {"model.layer.weight", "model.layer.weight#2", "opt.0"}
    back = mg.load(path)
    assert back["model"]["layer.weight"].tolist() == [1, 1] and back["model.layer"]["weight"].tolist() == [0, 0]


def test_a_safetensors_file_from_another_tool_loads_as_a_flat_dict(tmp_path):
    path = tmp_path / "foreign.safetensors"
    safetensors.numpy.save_file({"b": np.ones((2, 2), np.float32), "a": np.arange(3)}, str(path))
    back = mg.load(path)
    assert list(back) == ["a", "b"] and back["b"].dtype == mg.float32 and back["a"].tolist() == [0, 1, 2]


def test_parameters_and_requires_grad_survive(tmp_path):
    p = nn.Parameter(mg.ones(2))
    t = mg.ones(2, requires_grad=True)
    mg.save({"p": p, "t": t, "plain": mg.ones(2)}, tmp_path / "p.safetensors")
    back = mg.load(tmp_path / "p.safetensors")
    assert isinstance(back["p"], nn.Parameter) and back["p"].requires_grad
    assert back["t"].requires_grad and not isinstance(back["t"], nn.Parameter)
    assert not back["plain"].requires_grad


def test_unsupported_objects_are_refused_at_save_time(tmp_path):
    with pytest.raises(TypeError, match="object"):
        mg.save({"bad": np.array([{"a": 1}], dtype=object)}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match=r"obj\['fn'\].*function"):
        mg.save({"fn": lambda: 0}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="key"):
        mg.save({(1, 2): 3}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match=r"obj\['z'\].*complex64"):
        mg.save({"z": np.zeros(2, np.complex128)}, tmp_path / "x.safetensors")
    assert not os.path.exists(tmp_path / "x.safetensors")


def test_optimizer_state_dict_with_int_keys_round_trips(tmp_path):
    p = nn.Parameter(mg.ones(3))
    opt = optim.Adam([p], lr=0.1, betas=(0.8, 0.9))
    p.grad = mg.ones(3)
    opt.step()
    mg.save(opt.state_dict(), tmp_path / "opt.safetensors")
    assert set(safetensors.numpy.load_file(tmp_path / "opt.safetensors")) >= {"state.0.exp_avg", "state.0.exp_avg_sq"}
    back = mg.load(tmp_path / "opt.safetensors")
    assert list(back["state"]) == [0]
    assert back["param_groups"][0]["betas"] == (0.8, 0.9)
    np.testing.assert_array_equal(back["state"][0]["exp_avg"].numpy(), opt.state[p]["exp_avg"].numpy())


def test_the_format_is_recognised_by_content_not_by_name(tmp_path):
    mg.save({"w": mg.ones(2)}, tmp_path / "weights.mg")               # a safetensors file with an old name
    assert mg.load(tmp_path / "weights.mg")["w"].tolist() == [1, 1]
    write_legacy({"w": mg.ones(2)}, tmp_path / "old.safetensors")      # an old file with a new name
    assert mg.load(tmp_path / "old.safetensors")["w"].tolist() == [1, 1]


# ------------------------------------------------------------------ the old .mg format still loads
def test_old_mg_files_still_load(tmp_path):
    obj = _nested_object()
    del obj["c64"]
    write_legacy(obj, tmp_path / "old.mg")
    obj["c64"] = np.array([1 + 2j], dtype=np.complex64)
    back = mg.load(tmp_path / "old.mg")
    back["c64"] = obj["c64"]
    _check_nested(back, obj)


def test_the_shipped_old_run_weights_load():
    state = mg.load(REPO / "lessons" / "trained" / "sentiment_embedded" / "weights.mg")
    assert state["token_embedding.weight"].shape[1] == 64 and state["head.weight"].shape == (2, 64)


def test_tampered_old_array_fails_checksum(tmp_path):
    path = tmp_path / "model.mg"
    write_legacy({"w": mg.zeros(4)}, path)
    rewrite_member(path, "w.npy", npy_bytes(np.array([0, 0, 1, 0], dtype=np.float32)))
    with pytest.raises(ValueError, match=r"model\.mg.*sha256"):
        mg.load(path)


def test_tampered_old_shape_is_caught(tmp_path):
    path = tmp_path / "model.mg"
    write_legacy({"w": mg.zeros(4)}, path)
    rewrite_member(path, "w.npy", npy_bytes(np.zeros(5, dtype=np.float32)))
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
        mg.load(tmp_path / "missing.safetensors")
    with pytest.raises(ValueError, match="folder"):
        mg.load(tmp_path)


def test_wrong_format_versions_are_explained(tmp_path):
    path = tmp_path / "future.mg"
    write_legacy({"w": mg.zeros(1)}, path, header={"format": "minigrad", "version": 99, "tree": {"kind": "none"}})
    with pytest.raises(ValueError, match="version 99"):
        mg.load(path)
    path = tmp_path / "future.safetensors"
    safetensors.numpy.save_file({"w": np.zeros(1)}, str(path), metadata={"format": "minigrad", "version": "7"})
    with pytest.raises(ValueError, match="version '7'.*upgrade"):
        mg.load(path)


class _Payload:
    """Unpickling this would create a marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_bearing_files_are_refused_without_running_code(tmp_path):
    marker = tmp_path / "pwned"
    evil = np.empty(1, dtype=object)
    evil[0] = _Payload(str(marker))
    path = tmp_path / "evil.mg"
    write_legacy({"w": mg.zeros(1)}, path)
    rewrite_member(path, "w.npy", npy_bytes(evil))  # the header still looks right
    with pytest.raises(ValueError, match="pickle"):
        mg.load(path)
    assert not marker.exists()

    raw_pickle = tmp_path / "evil.pkl"  # a bare pickle file, not even a zip
    raw_pickle.write_bytes(pickle.dumps(_Payload(str(marker))))
    with pytest.raises(ValueError, match="evil.pkl.*not a minigrad file"):
        mg.load(raw_pickle)
    assert not marker.exists()


def test_map_location(tmp_path):
    mg.save({"w": mg.ones(2)}, tmp_path / "w.safetensors")
    assert mg.load(tmp_path / "w.safetensors", map_location=None)["w"].device == "cpu"
    with pytest.raises(ValueError, match="unknown device"):
        mg.load(tmp_path / "w.safetensors", map_location="gpu")


def test_the_header_json_of_a_module_file_is_what_the_docs_say(tmp_path):
    path = tmp_path / "x.safetensors"
    mg.save({"weight": mg.ones(3, 4), "step": 7}, path)
    with safetensors.safe_open(str(path), framework="np") as file:
        tree = json.loads(file.metadata()["tree"])
    weight, step = tree["items"]
    assert weight[0] == {"kind": "str", "value": "weight"}
    assert weight[1]["array"] == "weight" and weight[1]["dtype"] == "<f4" and weight[1]["shape"] == [3, 4]
    assert step[1] == {"kind": "int", "value": 7}
    assert HEADER_KEY == "__minigrad_header__"
