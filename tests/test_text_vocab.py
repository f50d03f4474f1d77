"""Vocab: building, lookups, JSON round trips and file errors."""
import json

import pytest

from minigrad.text import Vocab, basic_tokenize

SENTENCES = [["the", "film", "is", "good"], ["the", "film", "is", "bad"], ["the", "plot", "is", "good"], ["a", "zebra"]]


def test_specials_first_then_frequency_then_alphabetical():
    vocab = Vocab.build(SENTENCES)
    assert vocab.tokens()[:4] == ["<pad>", "<unk>", "<cls>", "<mask>"]
    assert (vocab.pad_id, vocab.unk_id, vocab.cls_id, vocab.mask_id) == (0, 1, 2, 3)
    # the x3, is x3 (alphabetical tie), film/good x2, then a, bad, plot, zebra x1.
    assert vocab.tokens()[4:] == ["is", "the", "film", "good", "a", "bad", "plot", "zebra"]
    assert len(vocab) == 12


def test_min_freq_and_max_size():
    assert Vocab.build(SENTENCES, min_freq=2).tokens()[4:] == ["is", "the", "film", "good"]
    assert Vocab.build(SENTENCES, max_size=6).tokens() == ["<pad>", "<unk>", "<cls>", "<mask>", "is", "the"]
    with pytest.raises(ValueError, match="max_size"):
        Vocab.build(SENTENCES, max_size=2)


def test_encode_decode_and_unknown_tokens():
    vocab = Vocab.build(SENTENCES)
    ids = vocab.encode(["the", "film", "is", "superb"])
    assert ids == [vocab.token_to_id("the"), vocab.token_to_id("film"), vocab.token_to_id("is"), vocab.unk_id]
    assert vocab.decode(ids) == ["the", "film", "is", "<unk>"]
    assert vocab.decode([vocab.pad_id, ids[0]]) == ["the"]
    assert vocab.decode([vocab.pad_id], skip_pad=False) == ["<pad>"]
    assert "film" in vocab and "superb" not in vocab
    assert vocab.id_to_token(vocab.token_to_id("plot")) == "plot"
    with pytest.raises(IndexError, match="out of range"):
        vocab.id_to_token(len(vocab))
    with pytest.raises(TypeError, match="tokenize"):
        vocab.encode("the film")


def test_deterministic_whatever_the_input_order():
    assert Vocab.build(SENTENCES) == Vocab.build(list(reversed(SENTENCES)))


def test_save_load_round_trip(tmp_path):
    vocab = Vocab.build([basic_tokenize("Ça n'est pas « génial », it's naïve")] + SENTENCES)
    path = tmp_path / "vocab.json"
    vocab.save(path)
    payload = json.loads(path.read_text(encoding="utf-8"))
    assert payload["format"] == "minigrad-vocab" and payload["version"] == 1
    loaded = Vocab.load(path)
    assert loaded == vocab and loaded.tokens() == vocab.tokens()
    assert loaded.encode(["naïve", "zebra", "nope"]) == vocab.encode(["naïve", "zebra", "nope"])


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON"),
        ('["a", "list"]', "not a minigrad-vocab file"),
        ('{"format": "something-else", "version": 1}', "not a minigrad-vocab file.*something-else"),
        ('{"format": "minigrad-vocab", "version": 99, "specials": [], "tokens": []}', "version 99"),
        ('{"format": "minigrad-vocab", "version": 1, "specials": ["<pad>"], "tokens": "abc"}', "string lists"),
        ('{"format": "minigrad-vocab", "version": 1, "specials": ["<pad>"], "tokens": ["x", "<pad>"]}', "corrupt"),
        ('{"format": "minigrad-vocab", "version": 1, "specials": [], "tokens": ["a", "a"]}', "corrupt"),
    ],
)
def test_corrupt_files_name_the_file(tmp_path, content, message):
    path = tmp_path / "broken_vocab.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as info:
        Vocab.load(path)
    assert "broken_vocab.json" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.json"):
        Vocab.load(tmp_path / "nowhere.json")
