"""A character-level tokenizer: one id per Unicode code point seen in a corpus, `<unk>` for the rest.

Implements: the smallest useful vocabulary. Every distinct character (code point) of the corpus gets an id;
characters the corpus never showed become `<unk>`, id 0. Unlike words, almost every text of the same language
is covered, so decode(encode(text)) == text exactly whenever every character of `text` is in the corpus,
spaces and newlines included. The price is length: one id per character, so a model sees long sequences.

Leaves out: Unicode normalisation (é as one code point and e + U+0301 are different characters here) and
grapheme clusters (an emoji with a skin-tone modifier is two code points, hence two ids).
"""

from __future__ import annotations

# The same convention as word.py: id 0 for anything the corpus never showed.
UNK = "<unk>"


class CharTokenizer:
    """Character ids learned from `corpus`.

    Args:
        corpus: the text whose characters form the vocabulary.

    Id 0 is `<unk>`; the distinct characters get ids 1..n-1 (the handout suggests sorted order; any order is
    fine as long as encode and decode agree with get_vocab()).
    """

    def __init__(self, corpus: str) -> None:
        raise NotImplementedError("__init__: write this part (see its docstring)")

    def get_vocab(self) -> list[str]:
        """The vocabulary as a list: entry i is the token with id i; entry 0 is "<unk>"."""
        raise NotImplementedError("get_vocab: write this part (see its docstring)")

    def encode(self, text: str) -> list[int]:
        """One id per character of `text`; a character outside the vocabulary gets 0 (`<unk>`)."""
        raise NotImplementedError("encode: write this part (see its docstring)")

    def decode(self, ids: list[int]) -> str:
        """The characters of `ids` concatenated (id 0 gives "<unk>")."""
        raise NotImplementedError("decode: write this part (see its docstring)")
