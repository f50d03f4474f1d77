"""basic_tokenize: PTB-style lower-case tokens."""
import pytest
from hypothesis import given, strategies as st

from minigrad.text.tokenize import basic_tokenize


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Hello World", ["hello", "world"]),
        ("I didn't like it, it's DULL!", ["i", "did", "n't", "like", "it", ",", "it", "'s", "dull", "!"]),
        ("i did n't like it", ["i", "did", "n't", "like", "it"]),            # already split: unchanged
        ("it 's good", ["it", "'s", "good"]),
        ("don't", ["do", "n't"]),
        ("can't won't", ["ca", "n't", "wo", "n't"]),
        ("you're we've they'll i'd i'm", ["you", "'re", "we", "'ve", "they", "'ll", "i", "'d", "i", "'m"]),
        ("a fifteen-year-old 's poetry", ["a", "fifteen-year-old", "'s", "poetry"]),
        ("wait... what -- really?", ["wait", "...", "what", "--", "really", "?"]),
        ("``quoted''", ["``", "quoted", "''"]),
        ("costs 3.5 or 10,000 dollars in 2002", ["costs", "3.5", "or", "10,000", "dollars", "in", "2002"]),
        ("(great)", ["(", "great", ")"]),
        ("'single quotes'", ["'", "single", "quotes", "'"]),
        ("  many \t spaces\n\nand lines  ", ["many", "spaces", "and", "lines"]),
        ("", []),
    ],
)
def test_examples(text, expected):
    assert basic_tokenize(text) == expected


def test_sst2_style_sentence_is_a_fixed_point():
    sentence = "that 's far too tragic to merit such superficial treatment"
    assert basic_tokenize(sentence) == sentence.split()


@given(st.text(max_size=60))
def test_tokens_are_lowercase_nonempty_without_whitespace(text):
    tokens = basic_tokenize(text)
    assert all(t and not any(c.isspace() for c in t) for t in tokens)
    assert tokens == basic_tokenize(text.lower())


@given(st.lists(st.sampled_from(["good", "movie", "n't", "'s", ",", ".", "!", "fifteen-year-old", "3.5"]), max_size=12))
def test_joined_tokens_tokenize_back_to_themselves(tokens):
    assert basic_tokenize(" ".join(tokens)) == tokens


def test_rejects_non_strings():
    with pytest.raises(TypeError, match="expects a str"):
        basic_tokenize(["a", "list"])
