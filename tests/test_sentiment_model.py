"""TransformerClassifier: padding never matters, odd inputs work, masking for pre-training is right;
its n-gram detectors compute their formula, have the right gradient and match PyTorch."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.sentiment.encoding import SentenceEncoder, build_vocab
from minigrad.sentiment.metrics import classification_metrics
from minigrad.sentiment.model import TransformerClassifier
from minigrad.sentiment.pretrain import IGNORE, mask_tokens
from minigrad.nn.utils import clip_grad_norm_
from minigrad.sentiment.train import predict_proba

TEXTS = ["the film was not good", "a joy", "the plot was dull but the acting was superb", "bad"]


def make(pooling, vocab_size=30, seed=0, ngrams=False):
    mg.manual_seed(seed)
    model = TransformerClassifier(vocab_size, d_model=16, n_heads=2, n_layers=2, d_ff=32, max_len=20,
                                  dropout=0.1, pooling=pooling, **(NGRAMS if ngrams else {}))
    model.eval()
    return model


NGRAMS = dict(ngram_widths=(2, 3), ngram_channels=5)


@pytest.mark.parametrize("pooling,ngrams", [("cls", False), ("mean", False), ("max", False), ("mean", True),
                                            ("cls", True)])
def test_extra_padding_never_changes_the_logits(pooling, ngrams):
    model = make(pooling, ngrams=ngrams)
    rng = np.random.default_rng(1)
    lengths = [3, 7, 1, 5]
    ids = np.zeros((4, 7), dtype=np.int64)
    mask = np.zeros((4, 7), dtype=bool)
    for row, n in enumerate(lengths):
        ids[row, 0] = 2
        ids[row, 1:n] = rng.integers(4, 30, n - 1)
        mask[row, :n] = True
    with mg.no_grad():
        reference = model(mg.tensor(ids), mg.tensor(mask)).numpy()
        for extra in (1, 6):
            padded_ids = np.concatenate([ids, np.zeros((4, extra), np.int64)], axis=1)
            padded_mask = np.concatenate([mask, np.zeros((4, extra), bool)], axis=1)
            # garbage in the padded positions must not matter either: only the mask decides
            padded_ids[:, 7:] = rng.integers(4, 30, (4, extra))
            logits = model(mg.tensor(padded_ids), mg.tensor(padded_mask)).numpy()
            np.testing.assert_allclose(logits, reference, rtol=1e-5, atol=1e-6)
        # each sentence alone (no padding at all) gives the same logits as inside the batch
        for row, n in enumerate(lengths):
            alone = model(mg.tensor(ids[row:row + 1, :n]), mg.tensor(mask[row:row + 1, :n])).numpy()
            np.testing.assert_allclose(alone[0], reference[row], rtol=1e-5, atol=1e-6)


def test_padding_changes_nothing_but_a_real_token_does():
    model = make("mean")
    ids = np.array([[2, 5, 6, 0]])
    with mg.no_grad():
        a = model(mg.tensor(ids), mg.tensor(ids != 0)).numpy()
        b = model(mg.tensor(np.array([[2, 5, 6, 7]])), mg.tensor(np.array([[True] * 4]))).numpy()
    assert not np.allclose(a, b), "a real fourth token should change the logits (else the test proves nothing)"


def test_empty_and_unknown_sentences_predict():
    vocab = build_vocab(TEXTS)
    encoder = SentenceEncoder(vocab, 20)
    model = make("mean", vocab_size=len(vocab))
    probabilities = predict_proba(model, encoder, ["", "   ", "zxq blorp wug", "the film"])
    assert probabilities.shape == (4, 2)
    assert np.all(np.isfinite(probabilities))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-9)
    assert encoder.encode("") == [vocab.cls_id]
    assert encoder.encode("zxq blorp") == [vocab.cls_id, vocab.unk_id, vocab.unk_id]


def test_long_sentences_are_truncated_to_max_len():
    vocab = build_vocab(TEXTS)
    encoder = SentenceEncoder(vocab, 20)
    model = make("cls", vocab_size=len(vocab))
    assert len(encoder.encode("good " * 100)) == 20
    assert predict_proba(model, encoder, ["good " * 100]).shape == (1, 2)


def test_attention_weights_per_layer_and_head():
    model = make("cls")
    ids = np.array([[2, 5, 6, 0, 0]])
    with mg.no_grad():
        logits, weights = model.attention_weights(mg.tensor(ids), mg.tensor(ids != 0))
    assert logits.shape == (1, 2) and len(weights) == 2
    for w in weights:
        w = w.numpy()
        assert w.shape == (1, 2, 5, 5)
        np.testing.assert_allclose(w.sum(axis=-1), 1.0, atol=1e-5)
        assert np.all(w[..., 3:] == 0), "padding keys must get exactly zero attention"
    assert all(layer.last_attention_weights is None for layer in model.encoder.layers)


def test_mlm_head_is_tied_to_the_embedding():
    model = make("cls")
    hidden = mg.randn(3, 16)
    logits = model.mlm_logits(hidden)
    assert logits.shape == (3, 30)
    expected = hidden.numpy() @ model.token_embedding.weight.numpy().T + model.mlm_bias.numpy()
    np.testing.assert_allclose(logits.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_mask_tokens_follows_the_15_80_10_10_recipe():
    rng = np.random.default_rng(0)
    ids = rng.integers(4, 1000, (400, 50))
    ids[:, 0] = 2
    mask = np.ones_like(ids, dtype=bool)
    mask[:, 40:] = False
    ids[:, 40:] = 0
    inputs, targets = mask_tokens(ids, mask, 1000, 3, rng)
    chosen = targets != IGNORE
    assert not chosen[:, 0].any() and not chosen[:, 40:].any(), "never <cls> or padding"
    assert abs(chosen.sum() / mask[:, 1:].sum() - 0.15) < 0.01
    np.testing.assert_array_equal(targets[chosen], ids[chosen])
    masked = (inputs == 3) & chosen
    kept = (inputs == ids) & chosen
    assert abs(masked.sum() / chosen.sum() - 0.8) < 0.02
    assert 0.08 < kept.sum() / chosen.sum() < 0.13          # 10% kept (+ a few random draws of the same id)
    np.testing.assert_array_equal(inputs[~chosen], ids[~chosen])
    assert inputs.min() >= 0 and not ((inputs < 4) & chosen & ~masked).any(), "random words are never specials"


def test_clip_grad_norm_scales_to_the_limit():
    a = mg.tensor([3.0, 0.0], requires_grad=True)
    b = mg.tensor([[4.0]], requires_grad=True)
    (a * mg.tensor([3.0, 0.0])).sum().backward()
    (b * 4.0).sum().backward()
    total = clip_grad_norm_([a, b], 1.0)
    assert isinstance(total, mg.Tensor) and abs(total.item() - 5.0) < 1e-5   # a Tensor, as in PyTorch
    np.testing.assert_allclose(a.grad.numpy(), [0.6, 0.0], atol=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), [[0.8]], atol=1e-5)


def test_metrics_match_a_count_by_hand():
    true = [1, 1, 1, 0, 0, 1, 0]
    pred = [1, 0, 1, 0, 1, 1, 0]
    m = classification_metrics(true, pred)
    tp = sum(t == 1 and p == 1 for t, p in zip(true, pred))
    fp = sum(t == 0 and p == 1 for t, p in zip(true, pred))
    fn = sum(t == 1 and p == 0 for t, p in zip(true, pred))
    assert m["confusion_matrix"] == [[2, 1], [1, 3]]
    assert m["accuracy"] == pytest.approx(5 / 7)
    assert m["precision"] == pytest.approx(tp / (tp + fp))
    assert m["recall"] == pytest.approx(tp / (tp + fn))
    assert m["f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))


def test_ngram_detectors_compute_their_formula():
    """response[b, t, c] = relu(bias_c + sum_i sum_k W_c[k, i] e[b, t + i, k]), zero past the sentence end."""
    from minigrad.sentiment.model import NGramDetectors

    mg.manual_seed(0)
    detectors = NGramDetectors(4, (1, 3), 2)
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(2, 5, 4)).astype(np.float32)
    mask = np.array([[True] * 3 + [False] * 2, [True] * 5])
    got = detectors(mg.tensor(vectors), mg.tensor(mask)).numpy()
    assert got.shape == (2, 5, 4)
    expected = np.zeros_like(got)
    for b in range(2):
        e = vectors[b] * mask[b][:, None]
        for j, (conv, w) in enumerate(zip(detectors.convs, (1, 3))):
            weight, bias = conv.weight.numpy(), conv.bias.numpy()        # (channels, d, w), (channels,)
            for t in range(int(mask[b].sum())):
                for c in range(2):
                    total = bias[c] + sum(weight[c, :, i] @ e[t + i] for i in range(w) if t + i < 5)
                    expected[b, t, 2 * j + c] = max(total, 0.0)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert (got[0, 3:] == 0).all(), "padding positions respond 0"


def test_ngram_model_gradient_matches_finite_differences():
    """The saliency path (token vectors -> logit) through both the Transformer and the detectors, in float64."""
    model = make("mean", ngrams=True).double()
    ids = np.array([[2, 5, 6, 7, 0], [2, 8, 9, 10, 11]])
    mask = mg.tensor(ids != 0)
    vectors = model.embed(mg.tensor(ids)).detach().requires_grad_()
    assert mg.autograd.gradcheck(lambda e: model.classify(model.encode(e, mask), mask)[:, 1], (vectors,))


@pytest.mark.parametrize("pooling", ["mean", "max"])
def test_ngram_model_matches_pytorch_logits_and_gradients(pooling):
    torch = pytest.importorskip("torch")
    from benchmarks.torch_twin import build_torch_twin

    model = make(pooling, ngrams=True)
    twin = build_torch_twin(model).eval()
    ids = np.array([[2, 5, 6, 7, 0, 0], [2, 8, 9, 10, 11, 12], [2, 4, 0, 0, 0, 0]])
    mask = ids != 0
    ours = model(mg.tensor(ids), mg.tensor(mask))
    theirs = twin(torch.tensor(ids), torch.tensor(mask))
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-4, atol=1e-5)
    weights = mg.tensor([[1.0, -2.0], [0.5, 3.0], [-1.0, 1.0]])
    (ours * weights).sum().backward()
    (theirs * torch.tensor(weights.numpy())).sum().backward()
    twin_parameters = dict(twin.named_parameters())
    for name, parameter in model.named_parameters():
        if name == "mlm_bias":
            continue
        np.testing.assert_allclose(parameter.grad.numpy(), twin_parameters[name].grad.numpy(), rtol=1e-3, atol=1e-5,
                                   err_msg=name)


def test_mlm_head_reads_only_the_transformer_features():
    model = make("mean", ngrams=True)
    hidden = mg.randn(3, 16 + 10)
    np.testing.assert_allclose(model.mlm_logits(hidden).numpy(), model.mlm_logits(hidden[:, :16]).numpy())
