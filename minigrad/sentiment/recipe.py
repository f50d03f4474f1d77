"""The training recipe: every default of ``train`` and ``pretrain``, and how it follows from the data.

Two recipes:

* ``embedded``: the generated corpus, whose sentences follow templates: a short schedule and the
  ``<cls>`` position as the sentence summary are enough.
* ``text``: real sentences (SST-2, a GLUE-style folder, your own file): mean pooling, label smoothing,
  a moving average of the weights; on big data n-gram detectors beside the Transformer
  (``model.NGramDetectors``: 3-, 4- and 5-word filters, Kim (2014)); more dropout (and every word
  kept) and no n-gram detectors on small data; and a
  schedule **measured in optimizer steps**, sized to the data:

      epochs = clamp(ceil(TARGET_STEPS / steps_per_epoch), MIN_EPOCHS, MAX_EPOCHS)

  so 65,000 SST-2 rows get 3 epochs (~3,000 steps), while 6,000 sentences get many epochs over the
  same number of steps instead of the 20 seconds that left them under-trained.  The validation
  score is checked after every epoch: the best weights are kept, and training stops early after
  ``patience`` epochs without a better score.

Every value here is what ``--help`` prints; a value given on the command line wins.  The figures
the defaults reach are in the README ("Measured"), with the commands that reproduce them.
"""
from __future__ import annotations

import math

# The n-gram detectors (model.NGramDetectors) a run gets on big data, or when one of --ngram-widths/--ngram-channels
# is given: +2.9 points on SST-2 (60,000 rows), but -1 point on its 6,885 full sentences (README, "Measured").
NGRAMS = dict(ngram_widths=(3, 4, 5), ngram_channels=100)
NO_NGRAMS = dict(ngram_widths=(), ngram_channels=0)
EMBEDDED = dict(batch_size=32, lr=3e-3, pooling="cls", min_freq=1, label_smoothing=0.0, unk_dropout=0.1,
                d_model=64, layers=2, heads=4, dropout=0.1, ema=0.0, epochs=6, patience=None, **NO_NGRAMS)
TEXT = dict(batch_size=64, lr=2e-3, pooling="mean", label_smoothing=0.1, d_model=64, layers=2, heads=4, ema=0.998)
# Less data, more regularisation: below BIG_DATA rows the model learns its training set by heart (99.5% train
# accuracy on 6,000 sentences), so dropout and word dropout rise.  Measured on sentence-level SST-2 (README).
BIG_DATA_REGULARISATION = dict(dropout=0.1, unk_dropout=0.05, min_freq=2, **NGRAMS)
SMALL_DATA_REGULARISATION = dict(dropout=0.3, unk_dropout=0.1, min_freq=1, **NO_NGRAMS)
TARGET_STEPS, MIN_EPOCHS, MAX_EPOCHS = 3000, 3, 40
PATIENCE_STEPS = 1000      # early stopping waits this many steps (in whole epochs, at least 2) for a better score
BIG_DATA = 20_000          # from this many training rows on: words seen once become <unk>, less dropout

# Knowledge distillation (train --teacher): the softening temperature and the teacher's weight.  On SST-2 (a
# quarter-size student, 3 teachers, 3 seeds) alpha 0.9 gave 81.5% against 81.0% for alpha 0.5 and 80.9% alone
# (README, "Making it cheaper").
DISTILLATION = dict(temperature=2.0, alpha=0.9)

PRETRAIN = dict(batch_size=64, lr=2e-3, d_model=64, layers=2, heads=4, dropout=0.1, min_freq=1, span=1)
PRETRAIN_TARGET_STEPS = 4000   # masked-token prediction keeps learning long after a classifier has converged


def recipe_name(data: str) -> str:
    return "embedded" if data == "embedded" else "text"


def train_defaults(data: str, n_train: int) -> dict:
    """The default of every training setting for ``--data data`` with ``n_train`` training rows."""
    if recipe_name(data) == "embedded":
        return dict(EMBEDDED, d_ff=2 * EMBEDDED["d_model"])
    regularisation = BIG_DATA_REGULARISATION if n_train >= BIG_DATA else SMALL_DATA_REGULARISATION
    settings = dict(TEXT, d_ff=2 * TEXT["d_model"], **regularisation)
    steps_per_epoch = max(1, math.ceil(n_train / settings["batch_size"]))
    settings["epochs"] = min(MAX_EPOCHS, max(MIN_EPOCHS, round(TARGET_STEPS / steps_per_epoch)))
    settings["patience"] = min(settings["epochs"], max(2, math.ceil(PATIENCE_STEPS / steps_per_epoch)))
    # The average spans the last ~1/(1 - decay) steps: at most a fifth of a short run's steps.
    settings["ema"] = min(TEXT["ema"], round(1 - 5 / (steps_per_epoch * settings["epochs"]), 4))
    return settings


def pretrain_defaults(n_texts: int) -> dict:
    """The default of every ``pretrain`` setting for ``n_texts`` sentences: epochs for about
    ``PRETRAIN_TARGET_STEPS`` steps (at least 2, at most 200)."""
    steps_per_epoch = max(1, math.ceil(n_texts / PRETRAIN["batch_size"]))
    return dict(PRETRAIN, d_ff=2 * PRETRAIN["d_model"],
                epochs=min(200, max(2, round(PRETRAIN_TARGET_STEPS / steps_per_epoch))))


def describe_defaults() -> str:
    """The recipe in words, for ``train --help``."""
    import textwrap

    e, t, big, small = EMBEDDED, TEXT, BIG_DATA_REGULARISATION, SMALL_DATA_REGULARISATION
    examples = "; ".join(f"{n:,} rows: {train_defaults('text', n)['epochs']} epochs, patience "
                         f"{train_defaults('text', n)['patience']}" for n in (60_000, 6_000, 600))
    paragraphs = [
        "defaults, chosen from the data (an option given on the command line wins):",
        f"--data embedded: {e['epochs']} epochs, batch size {e['batch_size']}, lr {e['lr']}, pooling {e['pooling']}, "
        f"d_model {e['d_model']}, {e['layers']} layers, {e['heads']} heads, dropout {e['dropout']}, no label "
        f"smoothing, no weight average, every word kept (min-freq 1), {e['unk_dropout']:.0%} word dropout, no n-gram "
        "detectors, no early stopping.",
        f"any other data (SST-2, a folder, a file) with N training rows: batch size {t['batch_size']}, lr {t['lr']}, "
        f"pooling {t['pooling']}, d_model {t['d_model']}, {t['layers']} layers, {t['heads']} heads, label smoothing "
        f"{t['label_smoothing']}, weight average {t['ema']} (less for runs under {round(5 / (1 - t['ema'])):,} steps); "
        f"from {BIG_DATA:,} rows on dropout {big['dropout']}, {big['unk_dropout']:.0%} word dropout, min-freq "
        f"{big['min_freq']}, n-gram detectors of widths {','.join(map(str, big['ngram_widths']))} with "
        f"{big['ngram_channels']} filters each; below that dropout {small['dropout']}, {small['unk_dropout']:.0%} word "
        f"dropout, min-freq {small['min_freq']}, no n-gram detectors; epochs: about {TARGET_STEPS:,} steps' worth "
        f"(at least {MIN_EPOCHS}, at most {MAX_EPOCHS}); patience (early stopping): about {PATIENCE_STEPS:,} steps' "
        "worth of epochs (at least 2); the weights of the best validation score are kept. "
        f"For example {examples}.",
    ]
    return "\n".join(textwrap.fill(p, 100, initial_indent="" if i == 0 else "  ", subsequent_indent="    ")
                     for i, p in enumerate(paragraphs))
