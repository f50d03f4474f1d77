"""BPETokenizer: learned merges, encoding, decoding, files, speed on SST-2."""
import json
import time

import pytest
from hypothesis import given, settings, strategies as st

from minigrad.text import END_OF_WORD, BPETokenizer, basic_tokenize

# "abc" x3, "abd" x2, "bc" x1.  Worked by hand (see test below).
TINY = ["abc abc abc", "abd abd", "bc"]


def test_merge_order_on_a_handcrafted_corpus():
    # Pair counts: (a,b)=5 (b,c)=4 (c,</w>)=4 (b,d)=2 (d,</w>)=2
    #  1. (a,b) 5 -> words: ab c </w> x3, ab d </w> x2, b c </w> x1
    #  2. (c,</w>) 4 -> ab c</w> x3, ab d </w> x2, b c</w> x1
    #  3. (ab,c</w>) 3
    #  4. (ab,d)=2 ties with (d,</w>)=2: the alphabetically smaller pair ("ab" < "d") wins
    #  5. (abd,</w>) 2;  then only (b,c</w>)=1 is left, below min_frequency=2.
    bpe = BPETokenizer.train(TINY, vocab_size=100, min_frequency=2)
    assert bpe.merges == [("a", "b"), ("c", END_OF_WORD), ("ab", "c" + END_OF_WORD), ("ab", "d"), ("abd", END_OF_WORD)]
    assert bpe.alphabet == ["a", "b", "c", "d"]
    assert bpe.encode("abc abd bc") == ["abc</w>", "abd</w>", "b", "c</w>"]


def test_vocab_size_caps_the_merges():
    bpe = BPETokenizer.train(TINY, vocab_size=11)  # 4 specials + </w> + 4 letters = 9, so 2 merges
    assert len(bpe) == 11 and bpe.merges == [("a", "b"), ("c", END_OF_WORD)]
    with pytest.raises(ValueError, match="vocab_size >= 9"):
        BPETokenizer.train(TINY, vocab_size=5)


def test_ids_and_specials():
    bpe = BPETokenizer.train(TINY, vocab_size=100)
    assert (bpe.pad_id, bpe.unk_id, bpe.cls_id, bpe.mask_id) == (0, 1, 2, 3)
    ids = bpe.encode_ids("abc bc")
    assert [bpe.id_to_piece(i) for i in ids] == bpe.encode("abc bc")
    assert bpe.decode(ids) == "abc bc"
    assert bpe.decode([bpe.cls_id] + ids + [bpe.pad_id, bpe.pad_id]) == "abc bc"


TRAIN_TEXTS = [
    "the watching was fun", "watch it", "a watchable film", "unbelievable and unreadable", "readable enough",
    "we were watching and reading", "an able cast", "it is unwatched", "lovable , lovely , loving",
] * 3


def test_unseen_word_gets_known_pieces():
    bpe = BPETokenizer.train(TRAIN_TEXTS, vocab_size=200)
    pieces = bpe.encode("unwatchable")
    assert "<unk>" not in pieces
    assert "".join(pieces) == "unwatchable" + END_OF_WORD
    assert len(pieces) < len("unwatchable")  # merged into pieces, not single characters
    assert all(p in bpe for p in pieces)


def test_unknown_characters_become_unk_but_word_boundaries_survive():
    bpe = BPETokenizer.train(TRAIN_TEXTS, vocab_size=200)
    pieces = bpe.encode("fun ☃ zz")
    assert pieces.count("<unk>") == 3
    assert bpe.decode(pieces) == "fun <unk> <unk><unk>"
    assert bpe.encode_ids("☃")[0] == bpe.unk_id


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="abcdefghilnorstuvw ',.!", max_size=40))
def test_round_trip_gives_the_normalised_text(text):
    bpe = _trained_once()
    assert bpe.decode(bpe.encode(text)) == " ".join(basic_tokenize(text))
    assert bpe.decode(bpe.encode_ids(text)) == " ".join(basic_tokenize(text))


_CACHE = {}


def _trained_once():
    if "bpe" not in _CACHE:
        _CACHE["bpe"] = BPETokenizer.train(TRAIN_TEXTS + ["it's a cool, big voice! hello ,.'"], vocab_size=150, min_frequency=1)
    return _CACHE["bpe"]


def test_deterministic_training():
    a = BPETokenizer.train(TRAIN_TEXTS, vocab_size=120)
    b = BPETokenizer.train(list(reversed(TRAIN_TEXTS)), vocab_size=120)
    assert a.merges == b.merges and a.pieces == b.pieces


def test_save_load_round_trip(tmp_path):
    bpe = BPETokenizer.train(TRAIN_TEXTS, vocab_size=120)
    path = tmp_path / "bpe.json"
    bpe.save(path)
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == "minigrad-bpe"
    loaded = BPETokenizer.load(path)
    assert loaded.pieces == bpe.pieces and loaded.merges == bpe.merges
    text = "an unwatchable and lovely film"
    assert loaded.encode_ids(text) == bpe.encode_ids(text)


@pytest.mark.parametrize(
    "content, message",
    [
        ("not json at all", "not valid JSON"),
        ('{"format": "minigrad-vocab"}', "not a minigrad-bpe file"),
        ('{"format": "minigrad-bpe", "version": 7, "end_of_word": "</w>"}', "version 7"),
        ('{"format": "minigrad-bpe", "version": 1, "end_of_word": "</w>", "specials": ["<unk>"],'
         ' "alphabet": ["ab"], "merges": []}', "corrupt"),
        ('{"format": "minigrad-bpe", "version": 1, "end_of_word": "</w>", "specials": ["<unk>"],'
         ' "alphabet": ["a"], "merges": [["a"]]}', "corrupt"),
    ],
)
def test_corrupt_files_name_the_file(tmp_path, content, message):
    path = tmp_path / "bad_bpe.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as info:
        BPETokenizer.load(path)
    assert "bad_bpe.json" in str(info.value)


def test_trains_on_all_of_sst2_quickly(sst2_dir):
    lines = (sst2_dir / "train.tsv").read_text(encoding="utf-8").splitlines()[1:]
    texts = [line.split("\t")[0] for line in lines]
    assert len(texts) == 67349
    start = time.perf_counter()
    bpe = BPETokenizer.train(texts, vocab_size=8000)
    seconds = time.perf_counter() - start
    assert len(bpe) == 8000
    assert seconds < 30, f"BPE training took {seconds:.1f} s"
    dev = [line.split("\t")[0] for line in (sst2_dir / "dev.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    for sentence in dev[:300]:
        assert bpe.decode(bpe.encode_ids(sentence)) == " ".join(basic_tokenize(sentence))
    # Frequent words are single pieces; the sub-word pieces are shorter than characters.
    assert bpe.encode("the film") == ["the</w>", "film</w>"]
    mean_pieces = sum(len(bpe.encode(s)) for s in dev) / sum(len(basic_tokenize(s)) for s in dev)
    assert mean_pieces < 1.5
