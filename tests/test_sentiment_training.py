"""A short training run on the embedded corpus must clearly beat chance (and do it quickly)."""
import time

import minigrad as mg
from minigrad.sentiment.datasets import load_sentiment_data
from minigrad.sentiment.encoding import SentenceEncoder, build_vocab
from minigrad.sentiment.model import TransformerClassifier
from minigrad.sentiment.train import TrainOptions, evaluate, fit

from threadpoolctl import threadpool_limits

# One BLAS thread: this small model gains nothing from more, and on a busy machine more can make
# every matmul ~10x slower, which would break the time limit.
threadpool_limits(1, user_api="blas")


def test_short_training_run_beats_chance_on_held_out_sentences():
    began = time.perf_counter()
    mg.manual_seed(0)
    data = load_sentiment_data("embedded", max_train=1500, embedded_sizes=(1700, 400))
    vocab = build_vocab(data.train.texts)
    encoder = SentenceEncoder(vocab, 48)
    model = TransformerClassifier(len(vocab), d_model=32, n_heads=2, n_layers=2, d_ff=64, max_len=48,
                                  dropout=0.0, pooling="cls")
    before = evaluate(model, encoder, data.test)["accuracy"]
    history = fit(model, encoder, data.train, data.val,
                  TrainOptions(epochs=6, batch_size=32, lr=3e-3, unk_dropout=0.0, progress=False), log=lambda s: None)
    after = evaluate(model, encoder, data.test)
    assert history["step_loss"][-1] < history["step_loss"][0]
    # 400 balanced test sentences: chance is 50% +- 2.5%; 70% is eight standard deviations above it.
    assert after["accuracy"] >= 0.70, (before, after)
    assert after["per_kind"]["plain"] >= 0.80
    assert time.perf_counter() - began < 60


def test_the_schedule_is_sized_to_the_data():
    from minigrad.sentiment.recipe import MAX_EPOCHS, TARGET_STEPS, train_defaults

    sst2, sentences, tiny = (train_defaults("sst2", n) for n in (60_365, 6_196, 54))
    assert sst2["epochs"] == 3 and sst2["min_freq"] == 2 and sst2["ema"] == 0.998
    # ~10x less data: ~10x more epochs, so both get about TARGET_STEPS optimizer steps
    for settings, n in ((sst2, 60_365), (sentences, 6_196)):
        steps = settings["epochs"] * -(-n // settings["batch_size"])
        assert 0.8 * TARGET_STEPS <= steps <= 1.2 * TARGET_STEPS
    assert sentences["patience"] >= 10 and sentences["min_freq"] == 1
    assert tiny["epochs"] == MAX_EPOCHS and tiny["ema"] < 0.99  # a short run averages over fewer steps
    assert train_defaults("embedded", 7200)["epochs"] == 6
    # n-gram detectors on big data only (on 6,885 sentences they cost a point: README, "Measured")
    assert sst2["ngram_widths"] == (3, 4, 5) and sst2["ngram_channels"] == 100
    assert sentences["ngram_channels"] == tiny["ngram_channels"] == train_defaults("embedded", 7200)["ngram_channels"] == 0
