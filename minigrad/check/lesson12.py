"""Checkers for lesson 12 (sentiment classification end to end): encoding a batch, length buckets, predicting."""
import numpy as np

import minigrad as mg
from minigrad.check import ExerciseFailed, exercise, passed

_TEXTS = ["the film was good", "I didn't like it, it's DULL!", "a gem", "", "the plot was not boring at all , really ."]


def _vocab():
    from minigrad.sentiment.encoding import build_vocab
    return build_vocab(["the film was good", "the plot was boring", "i did n't like it", "a gem"])


@exercise("lesson12.exercise1")
def exercise1(encode_batch):
    """``encode_batch(texts, vocab, max_len) -> (ids, mask)`` as ``SentenceEncoder.batch(encode_all(...))``."""
    from minigrad.sentiment.encoding import SentenceEncoder
    vocab = _vocab()
    for max_len in (32, 4):
        reference = SentenceEncoder(vocab, max_len)
        expected_ids, expected_mask = reference.batch(reference.encode_all(_TEXTS))
        result = encode_batch(_TEXTS, vocab, max_len)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise ExerciseFailed(f"exercise1: return (ids, mask), got {type(result).__name__}")
        ids, mask = (np.asarray(r.numpy() if hasattr(r, "numpy") else r) for r in result)
        where = f"texts {_TEXTS}, max_len={max_len}"
        if ids.shape != expected_ids.shape:
            hint = ""
            if ids.shape[1] == expected_ids.shape[1] - 1:
                hint = " One column short: is <cls> missing in front of every sentence?"
            elif ids.shape[1] > max_len:
                hint = f" Rows must be cut to max_len = {max_len} ids, <cls> included."
            raise ExerciseFailed(f"exercise1 ({where}): ids shape {ids.shape}, expected {expected_ids.shape}.{hint}")
        if mask.dtype != np.bool_ or not np.array_equal(mask, expected_mask):
            hint = " True marks real tokens, False the padding." if np.array_equal(mask, ~expected_mask) else ""
            raise ExerciseFailed(f"exercise1 ({where}): mask =\n{mask.astype(int)}\nexpected (bool)\n"
                                 f"{expected_mask.astype(int)}.{hint}")
        if not np.array_equal(ids, expected_ids):
            row = int(np.argmax((ids != expected_ids).any(axis=1)))
            hint = ""
            if ids[row, 0] != vocab.cls_id:
                hint = f" Every row starts with <cls> (id {vocab.cls_id})."
            elif np.array_equal(ids[row][::-1][: expected_mask[row].sum()], expected_ids[row][: expected_mask[row].sum()]):
                hint = " Pad on the right, not the left."
            raise ExerciseFailed(f"exercise1 ({where}): row {row} ({_TEXTS[row]!r}) is {ids[row].tolist()}, "
                                 f"expected {expected_ids[row].tolist()}.{hint}")
    return passed("lesson12.exercise1", "<cls> first, <unk> for unknown words, cut to max_len, right-padded, "
                                        "mask True on real tokens (also for an empty sentence).")


def _padding_share(batches, lengths):
    real = sum(lengths[i] for batch in batches for i in batch)
    total = sum(len(batch) * max(lengths[i] for i in batch) for batch in batches)
    return 1 - real / total


@exercise("lesson12.exercise2")
def exercise2(length_buckets):
    """``length_buckets(lengths, batch_size, seed=0)``: batches of similar-length indices covering each index once."""
    rng = np.random.default_rng(12)
    lengths = list(rng.integers(3, 40, 2000))
    batch_size = 16
    batches = [list(map(int, b)) for b in length_buckets(lengths, batch_size, seed=0)]
    seen = sorted(i for b in batches for i in b)
    if seen != list(range(len(lengths))):
        missing = sorted(set(range(len(lengths))) - set(seen))
        twice = len(seen) - len(set(seen))
        raise ExerciseFailed(f"every index must appear exactly once: {len(missing)} missing, {twice} repeated "
                             "(slice each sorted chunk into batches without dropping the last, partial one)")
    if max(len(b) for b in batches) > batch_size:
        raise ExerciseFailed(f"a batch has {max(len(b) for b in batches)} indices; at most batch_size = {batch_size}")
    order = rng.permutation(len(lengths))
    random_share = _padding_share([order[i:i + batch_size] for i in range(0, len(order), batch_size)], lengths)
    share = _padding_share(batches, lengths)
    if share > 0.5 * random_share:
        raise ExerciseFailed(f"your batches are {share:.1%} padding, random batches {random_share:.1%}: sort each chunk "
                             "by length before cutting it into batches")
    first_lengths = [max(lengths[i] for i in b) for b in batches[:20]]
    if first_lengths == sorted(first_lengths) and len(set(first_lengths)) > 3:
        raise ExerciseFailed("the batches come out sorted from short to long: shuffle the list of batches, or every "
                             "epoch starts with the shortest sentences")
    again = [list(map(int, b)) for b in length_buckets(lengths, batch_size, seed=0)]
    other = [list(map(int, b)) for b in length_buckets(lengths, batch_size, seed=1)]
    if again != batches or other == batches:
        raise ExerciseFailed("the same seed must give the same batches, a different seed different ones: draw every "
                             "random choice from np.random.default_rng(seed)")
    return passed("lesson12.exercise2", f"every index once, {share:.1%} padding against {random_share:.1%} for random "
                  "batches, shuffled, and reproducible from the seed.")


@exercise("lesson12.exercise3")
def exercise3(predict_labels):
    """``predict_labels(model, encoder, texts)``: the eval-mode argmax, even when handed a training-mode model."""
    from minigrad.sentiment import TransformerClassifier
    from minigrad.sentiment.encoding import SentenceEncoder
    vocab = _vocab()
    encoder = SentenceEncoder(vocab, 16)
    mg.manual_seed(5)
    model = TransformerClassifier(len(vocab), d_model=16, n_heads=2, n_layers=1, d_ff=32, max_len=16,
                                  dropout=0.5, pooling="mean")
    texts = [f"the film was {w}" for w in ("good", "boring", "a gem", "not good")] * 5 + _TEXTS
    model.eval()
    with mg.no_grad():
        ids, mask = encoder.batch(encoder.encode_all(texts))
        expected = model(mg.tensor(ids), mg.tensor(mask)).numpy().argmax(axis=1).tolist()
    model.train()
    mg.manual_seed(6)
    got = predict_labels(model, encoder, texts)
    got = [int(g) for g in (got.tolist() if hasattr(got, "tolist") else got)]
    if len(got) != len(texts):
        raise ExerciseFailed(f"exercise3: {len(got)} predictions for {len(texts)} texts")
    if got != expected:
        wrong = [i for i, (g, e) in enumerate(zip(got, expected)) if g != e]
        hint = (" The model was handed over in training mode, so dropout was on: call model.eval() first."
                if model.training else "")
        raise ExerciseFailed(f"exercise3: {len(wrong)} of {len(texts)} predictions differ from the eval-mode model "
                             f"(first: {texts[wrong[0]]!r}: got {got[wrong[0]]}, expected {expected[wrong[0]]}).{hint}")
    return passed("lesson12.exercise3", f"{len(texts)} predictions equal the eval-mode model's argmax.")
