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
        ### BEGIN SOLUTION
        # A Python str is a sequence of code points, so set(corpus) is exactly the distinct characters: no
        # splitting needed. Sorted for ids that do not depend on the order of first appearance; <unk> first.
        self.id_to_token = [UNK, *sorted(set(corpus))]
        # The reverse lookup for encode, built from the same list so the two always agree.
        self.token_to_id = {token: token_id for token_id, token in enumerate(self.id_to_token)}
        ### END SOLUTION

    def get_vocab(self) -> list[str]:
        """The vocabulary as a list: entry i is the token with id i; entry 0 is "<unk>"."""
        ### BEGIN SOLUTION
        # A copy: callers must not be able to change the tokenizer through it.
        return list(self.id_to_token)
        ### END SOLUTION

    def encode(self, text: str) -> list[int]:
        """One id per character of `text`; a character outside the vocabulary gets 0 (`<unk>`)."""
        ### BEGIN SOLUTION
        # Iterating a str gives its code points; an unseen one becomes 0 rather than raising.
        return [self.token_to_id.get(char, 0) for char in text]
        ### END SOLUTION

    def decode(self, ids: list[int]) -> str:
        """The characters of `ids` concatenated (id 0 gives "<unk>")."""
        ### BEGIN SOLUTION
        # Joined with nothing in between: spaces and newlines are characters like any other, which is why
        # the round trip is exact here and not for words.
        return "".join(self.id_to_token[token_id] for token_id in ids)
        ### END SOLUTION
