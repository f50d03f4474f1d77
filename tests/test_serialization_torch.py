"""A minigrad file is a PyTorch file: the sentiment Transformer's state dict, saved by mg.save, loads into its
PyTorch twin (benchmarks/torch_twin.py) through safetensors.torch.load_file and gives the same logits; and back."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.sentiment.model import TransformerClassifier

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")


def _model(seed):
    mg.manual_seed(seed)
    return TransformerClassifier(50, d_model=16, n_heads=2, n_layers=2, d_ff=32, max_len=12, dropout=0.0,
                                 pooling="mean").eval()


def _batch():
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 50, (3, 9))
    mask = np.arange(9)[None, :] < np.array([[9], [5], [2]])
    return np.where(mask, ids, 0), mask


def test_a_minigrad_state_dict_loads_into_the_pytorch_twin(tmp_path):
    from benchmarks.torch_twin import build_torch_twin

    model = _model(0)
    path = tmp_path / "classifier.safetensors"
    mg.save(model.state_dict(), path)
    twin = build_torch_twin(_model(1)).eval()            # the same architecture, other weights
    state = safetensors_torch.load_file(str(path))
    assert set(state) == set(twin.state_dict()) and state["head.weight"].dtype == torch.float32
    twin.load_state_dict(state, strict=True)
    ids, mask = _batch()
    with mg.no_grad():
        ours = model(mg.tensor(ids), mg.tensor(mask)).numpy()
    with torch.no_grad():
        theirs = twin(torch.tensor(ids), torch.tensor(mask)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def test_a_pytorch_safetensors_file_loads_into_minigrad(tmp_path):
    from benchmarks.torch_twin import build_torch_twin

    twin = build_torch_twin(_model(2)).eval()
    path = tmp_path / "from_torch.safetensors"
    safetensors_torch.save_file(twin.state_dict(), str(path), metadata={"format": "pt"})   # as tools write it
    model = _model(3)
    model.load_state_dict(mg.load(path))
    ids, mask = _batch()
    with mg.no_grad():
        ours = model(mg.tensor(ids), mg.tensor(mask)).numpy()
    with torch.no_grad():
        theirs = twin(torch.tensor(ids), torch.tensor(mask)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
