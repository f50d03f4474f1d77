"""Text processing: a PTB-style word tokenizer, a word vocabulary and a BPE sub-word tokenizer."""
from .bpe import END_OF_WORD, BPETokenizer
from .tokenize import basic_tokenize
from .vocab import DEFAULT_SPECIALS, Vocab

__all__ = ["basic_tokenize", "Vocab", "DEFAULT_SPECIALS", "BPETokenizer", "END_OF_WORD"]
