"""A small rule-based word tokenizer in the style of the Penn Treebank (PTB).

The GLUE SST-2 sentences are already tokenized this way: lower case, punctuation
split off, and contractions split as ``do n't`` / ``it 's``.  ``basic_tokenize``
produces the same kind of tokens from raw text, so text typed by a user and the
SST-2 training text end up in one consistent vocabulary.

    >>> basic_tokenize("I didn't like it, it's DULL!")
    ['i', 'did', "n't", 'like', 'it', ',', 'it', "'s", 'dull', '!']
    >>> basic_tokenize("i did n't like it")          # already PTB-style: unchanged
    ['i', 'did', "n't", 'like', 'it']

The work is done in two steps:

1. split contractions that are still glued to their word ("didn't" -> "did n't");
2. scan the text left to right and pick the next token with one regex whose
   alternatives are tried in order (contraction pieces first, then multi-character
   punctuation, then numbers and words, then any other single character).
"""
from __future__ import annotations

import re

# Step 1: contractions glued to their word.
# "didn't" -> "did n't", "can't" -> "ca n't" (PTB keeps the "ca"), "won't" -> "wo n't".
_GLUED_NOT = re.compile(r"(\w)n't\b")
# "it's" -> "it 's", "you're" -> "you 're", "we've", "they'll", "i'd", "i'm".
_GLUED_CLITIC = re.compile(r"(\w)'(s|re|ve|ll|d|m)\b")

# Step 2: one token at a time.  Alternatives are tried from top to bottom.
_TOKEN = re.compile(
    r"""
      n't                       # the negation clitic, already split off:  do n't
    | '(?:s|re|ve|ll|d|m)\b     # the other clitics:  it 's, you 're, we 've, they 'll, i 'd, i 'm
    | \.\.\.                    # an ellipsis stays one token
    | --                        # a PTB dash
    | ``|''                     # PTB-style opening and closing double quotes
    | \d+(?:[.,]\d+)+           # numbers with a decimal point or thousands separator: 3.5  10,000
    | \w+(?:-\w+)*              # words and plain numbers, keeping inner hyphens: fifteen-year-old  3d  2002
    | \S                        # any other single visible character: , . ! ? ( ) " ' ; : ...
    """,
    re.VERBOSE,
)


def basic_tokenize(text: str) -> list[str]:
    """Split ``text`` into lower-case PTB-style tokens.

    Whitespace of any kind and amount only separates tokens; it never becomes
    a token itself, so ``"a \\t  b"`` gives ``["a", "b"]``.
    """
    if not isinstance(text, str):
        raise TypeError(f"basic_tokenize expects a str, got {type(text).__name__}")
    text = text.lower()
    text = _GLUED_NOT.sub(r"\1 n't", text)
    text = _GLUED_CLITIC.sub(r"\1 '\2", text)
    return _TOKEN.findall(text)
