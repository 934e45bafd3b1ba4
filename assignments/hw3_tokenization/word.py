"""A word-level tokenizer: a vocabulary of whole words counted in a corpus, and `<unk>` for the rest.

Implements: the first tokenizer of the course. Text is cut into words and punctuation marks
(`split_words`), the vocabulary keeps every word that occurs at least `min_freq` times in the corpus, and
any other word becomes the unknown token `<unk>`, id 0. The cut-off keeps the vocabulary (and the model's
embedding table) small, at the price of losing rare words.

Round trips, and what they cannot promise: `decode` joins words with single spaces, so
decode(encode(text)) == " ".join(split_words(text)) holds only when every word is in the vocabulary; the
original spacing, and every unknown word, are lost. Byte-level BPE (bpe.py) has no such loss.

Leaves out: lower-casing, stemming, sub-word pieces, and a maximum vocabulary size.
"""

from __future__ import annotations

import re
from collections import Counter

# Every word outside the vocabulary maps here, so encode never fails: the price is that all unknown words
# look the same to the model.
UNK = "<unk>"

# A word is a run of letters, digits or underscores; every other non-space character is its own token.
# Whitespace matches neither alternative, so it is dropped: that is why decode cannot restore the spacing.
WORD_PATTERN = re.compile(r"\w+|[^\w\s]")


def split_words(text: str) -> list[str]:
    """The words and punctuation marks of `text`, in order: "Hi, you!" -> ["Hi", ",", "you", "!"]."""
    raise NotImplementedError("split_words: write this part (see its docstring)")


class WordTokenizer:
    """Word ids learned from `corpus`.

    Args:
        corpus: the text the vocabulary is counted on.
        min_freq: a word enters the vocabulary when it occurs at least this many times.

    Id 0 is `<unk>`; the kept words get ids 1..n-1 (the handout suggests sorted order; any order is fine as
    long as encode and decode agree with get_vocab()).
    """

    def __init__(self, corpus: str, min_freq: int = 1) -> None:
        raise NotImplementedError("__init__: write this part (see its docstring)")

    def get_vocab(self) -> list[str]:
        """The vocabulary as a list: entry i is the token with id i; entry 0 is "<unk>"."""
        raise NotImplementedError("get_vocab: write this part (see its docstring)")

    def encode(self, text: str) -> list[int]:
        """One id per word of split_words(text); a word outside the vocabulary gets 0 (`<unk>`)."""
        raise NotImplementedError("encode: write this part (see its docstring)")

    def decode(self, ids: list[int]) -> str:
        """The tokens of `ids` joined by single spaces (id 0 gives "<unk>")."""
        raise NotImplementedError("decode: write this part (see its docstring)")
