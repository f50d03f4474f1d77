"""The lesson 12 checkers accept right answers and reject typical wrong ones with a useful hint."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.check import ExerciseFailed, lesson12, reference_solutions
from minigrad.text import basic_tokenize


def encode_batch(texts, vocab, max_len, with_cls=True, pad_left=False):
    start = [vocab.cls_id] if with_cls else []
    rows = [(start + vocab.encode(basic_tokenize(t)))[:max_len] for t in texts]
    width = max(len(r) for r in rows)
    ids = np.full((len(rows), width), vocab.pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=bool)
    for i, row in enumerate(rows):
        if pad_left:
            ids[i, width - len(row):], mask[i, width - len(row):] = row, True
        else:
            ids[i, :len(row)], mask[i, :len(row)] = row, True
    return ids, mask


def test_exercise1_accepts_correct_encoding(capsys):
    assert lesson12.exercise1(encode_batch) is True
    assert "correct" in capsys.readouterr().out


def test_exercise1_catches_missing_cls():
    with pytest.raises(ExerciseFailed, match="<cls>"):
        lesson12.exercise1(lambda t, v, m: encode_batch(t, v, m, with_cls=False))


def test_exercise1_catches_left_padding():
    with pytest.raises(ExerciseFailed, match="mask"):
        lesson12.exercise1(lambda t, v, m: encode_batch(t, v, m, pad_left=True))


def test_exercise1_catches_inverted_mask():
    def inverted(t, v, m):
        ids, mask = encode_batch(t, v, m)
        return ids, ~mask
    with pytest.raises(ExerciseFailed, match="True marks real tokens"):
        lesson12.exercise1(inverted)


SOLUTIONS = reference_solutions(12)


def test_exercise2_accepts_length_buckets():
    assert lesson12.exercise2(SOLUTIONS.length_buckets) is True


def test_exercise2_names_dropped_tails_unsorted_chunks_and_unshuffled_batches():
    def drops_tail(lengths, batch_size, seed=0):
        return [b for b in SOLUTIONS.length_buckets(lengths, batch_size, seed) if len(b) == batch_size][:-1]
    with pytest.raises(ExerciseFailed, match="exactly once"):
        lesson12.exercise2(drops_tail)
    def random_batches(lengths, batch_size, seed=0):
        order = np.random.default_rng(seed).permutation(len(lengths))
        return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    with pytest.raises(ExerciseFailed, match="sort each chunk"):
        lesson12.exercise2(random_batches)
    def globally_sorted(lengths, batch_size, seed=0):
        order = sorted(np.random.default_rng(seed).permutation(len(lengths)), key=lambda i: lengths[i])
        return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    with pytest.raises(ExerciseFailed, match="shuffle the list of batches"):
        lesson12.exercise2(globally_sorted)


def _predict(model, encoder, texts, use_eval=True):
    if use_eval:
        model.eval()
    ids, mask = encoder.batch(encoder.encode_all(texts))
    with mg.no_grad():
        return model(mg.tensor(ids), mg.tensor(mask)).argmax(dim=1).tolist()


def test_exercise3_accepts_eval_mode_prediction():
    assert lesson12.exercise3(_predict) is True


def test_exercise3_names_forgotten_eval():
    with pytest.raises(ExerciseFailed, match="model.eval"):
        lesson12.exercise3(lambda m, e, t: _predict(m, e, t, use_eval=False))
