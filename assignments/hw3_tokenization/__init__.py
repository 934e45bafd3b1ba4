"""Assignment 3: tokenization, from words and characters to byte-level BPE that agrees with tiktoken."""

from .bpe import (
    GPT2_SPLIT_PATTERN,
    GPT4_SPLIT_PATTERN,
    BPETokenizer,
    load,
    train,
    train_simple,
    without_surrogates,
)
from .char import CharTokenizer
from .number_tokens import misjudged_fraction, number_pieces, tokenwise_greater
from .word import WordTokenizer, split_words

__all__ = [
    "GPT2_SPLIT_PATTERN",
    "GPT4_SPLIT_PATTERN",
    "BPETokenizer",
    "CharTokenizer",
    "WordTokenizer",
    "load",
    "misjudged_fraction",
    "number_pieces",
    "split_words",
    "tokenwise_greater",
    "train",
    "train_simple",
    "without_surrogates",
]
