"""minigrad.compression.low_rank: truncated SVDs of Linear and Embedding layers, the rank rules, and rebuilding a
factorized model's structure from its recorded ranks."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.compression import (LowRankEmbedding, LowRankLinear, choose_rank, empty_factorized, factorize,
                                  low_rank_embedding, low_rank_linear, rebuild, state_bytes)
from minigrad.sentiment.model import TransformerClassifier


def test_choose_rank_by_count_fraction_and_energy():
    s = np.array([4.0, 2.0, 1.0, 1.0])          # squares 16, 4, 1, 1: 22 in all
    assert choose_rank(s, rank=3) == 3 and choose_rank(s, rank=9) == 4
    assert choose_rank(s, rank=0.5) == 2 and choose_rank(s, rank=0.1) == 1
    assert choose_rank(s, energy=16 / 22) == 1 and choose_rank(s, energy=0.73) == 2 and choose_rank(s, energy=1.0) == 4
    for bad in (dict(), dict(rank=2, energy=0.5), dict(rank=0), dict(rank=1.5), dict(energy=0.0)):
        with pytest.raises(ValueError):
            choose_rank(s, **bad)


def test_the_truncated_svd_is_the_best_rank_r_approximation():
    mg.manual_seed(0)
    linear = nn.Linear(12, 9).double()
    w = linear.weight.detach().numpy()
    s = np.linalg.svd(w, compute_uv=False)
    for r in (1, 4, 9):
        layer = low_rank_linear(linear, rank=r)
        assert isinstance(layer, LowRankLinear) and layer.first.weight.shape == (r, 12) and layer.second.bias is not None
        error = np.linalg.norm(layer.weight.detach().numpy() - w)
        np.testing.assert_allclose(error, np.sqrt((s[r:] ** 2).sum()), atol=1e-10)     # Eckart-Young
    x = mg.randn(5, 12, dtype=mg.float64)
    np.testing.assert_allclose(low_rank_linear(linear, rank=9)(x).detach().numpy(), linear(x).detach().numpy(),
                               atol=1e-12)
    # the square root of s goes to each factor
    layer = low_rank_linear(linear, rank=3)
    np.testing.assert_allclose(np.linalg.norm(layer.first.weight.detach().numpy(), axis=1), np.sqrt(s[:3]))


def test_embeddings_factorize_and_keep_the_padding_row_zero():
    mg.manual_seed(1)
    embedding = nn.Embedding(30, 8, padding_idx=0)
    layer = low_rank_embedding(embedding, rank=8)
    assert isinstance(layer, LowRankEmbedding) and layer.first.padding_idx == 0
    ids = mg.tensor([[0, 3, 29]])
    np.testing.assert_allclose(layer(ids).detach().numpy(), embedding(ids).detach().numpy(), atol=1e-5)
    assert np.all(layer(mg.tensor([0])).detach().numpy() == 0)
    small = low_rank_embedding(embedding, energy=0.5)
    assert small.rank < 8
    loss = small(ids).sum()
    loss.backward()
    assert np.all(small.first.weight.grad.numpy()[0] == 0)        # the padding row learns nothing


def test_factorize_a_classifier_and_rebuild_it_from_its_ranks(tmp_path):
    mg.manual_seed(2)
    model = TransformerClassifier(300, d_model=32, n_heads=4, n_layers=1, d_ff=64, max_len=16, dropout=0.0).eval()
    ids, mask = mg.randint(1, 300, (3, 7)), mg.ones(3, 7, dtype=mg.bool)
    before = state_bytes(model.state_dict())
    ranks = factorize(model, rank=0.5, exclude=("head",))
    # 32 x 32 layers at rank 16 would not be smaller (16 * 64 = 32 * 32): they stay; 16 x 32 positions go to rank 8
    assert ranks == {"token_embedding": 16, "position_embedding": 8, "encoder.layers.0.linear1": 16,
                     "encoder.layers.0.linear2": 16}
    assert type(model.encoder.layers[0].self_attn.out_proj) is nn.Linear and type(model.head) is nn.Linear
    assert state_bytes(model.state_dict()) < 0.75 * before
    with mg.no_grad():
        logits = model(ids, mask).numpy()
    mg.save(model.state_dict(), tmp_path / "w.safetensors")
    mg.manual_seed(9)
    fresh = TransformerClassifier(300, d_model=32, n_heads=4, n_layers=1, d_ff=64, max_len=16, dropout=0.0).eval()
    rebuild(fresh, [{"method": "low-rank", "ranks": ranks}, {"method": "prune"}])
    fresh.load_state_dict(mg.load(tmp_path / "w.safetensors"))
    with mg.no_grad():
        np.testing.assert_array_equal(fresh(ids, mask).numpy(), logits)
    with pytest.raises(ValueError, match="unknown compression step"):
        rebuild(fresh, [{"method": "zip"}])
    with pytest.raises(ValueError, match="only Linear and Embedding"):
        empty_factorized(fresh, {"final_norm": 2})
