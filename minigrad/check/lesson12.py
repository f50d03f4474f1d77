"""Checkers for lesson 12 (sentiment classification end to end)."""
import numpy as np

import minigrad as mg
from minigrad.check import ExerciseFailed, passed

_TEXTS = ["the film was good", "I didn't like it, it's DULL!", "a gem", "", "the plot was not boring at all , really ."]


def _vocab():
    from minigrad.sentiment.encoding import build_vocab
    return build_vocab(["the film was good", "the plot was boring", "i did n't like it", "a gem"])


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


def exercise2(confusion):
    """``confusion(true, pred, num_classes)``: rows = truth, columns = prediction."""
    from minigrad.sentiment.metrics import confusion_matrix
    rng = np.random.default_rng(12)
    cases = [(np.array([0, 0, 1, 1, 1]), np.array([0, 1, 1, 1, 0]), 2),
             (rng.integers(0, 3, 40), rng.integers(0, 3, 40), 3),
             (np.array([1, 1, 1]), np.array([1, 1, 1]), 2)]
    for true, pred, classes in cases:
        expected = confusion_matrix(true, pred, classes)
        got = np.asarray(confusion(true, pred, classes))
        if got.shape != expected.shape:
            raise ExerciseFailed(f"exercise2: shape {got.shape}, expected {expected.shape} "
                                 "(num_classes x num_classes, even when a class never occurs)")
        if not np.array_equal(got, expected):
            hint = " Rows and columns are swapped: M[true, predicted]." if np.array_equal(got, expected.T) else ""
            raise ExerciseFailed(f"exercise2: true={true.tolist()}, pred={pred.tolist()}: got\n{got}\nexpected\n"
                                 f"{expected}.{hint}")
    return passed("lesson12.exercise2", "M[true, predicted] on 2- and 3-class examples.")


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
