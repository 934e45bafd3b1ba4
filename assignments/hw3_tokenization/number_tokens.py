"""Why "is 9.9 greater than 9.11?" trips a language model: how a BPE tokenizer cuts numbers, measured.

Implements: the lecture's observation that many apparent reasoning failures are tokenization. A model does
not see 9.11 as a number; it sees tokens, e.g. "9", ".", "11". Comparing the pieces one by one, as the
lecture's chain of thought did ("compare 9 and 9, compare '.', compare 9 and 11: 11 is greater"), concludes
that 9.11 > 9.9. This file shows the pieces (`number_pieces`), performs that piece-wise comparison
(`tokenwise_greater`), and measures how often it disagrees with real arithmetic (`misjudged_fraction`).

Follows: the BPETokenizer of bpe.py with the given merges and pattern; GPT-4's pattern cuts digit runs into
groups of at most three, GPT-2's keeps them whole, and the merges decide what happens inside a group.

Leaves out: numbers with signs, exponents or thousands separators.
"""

from __future__ import annotations

from collections.abc import Iterable

from .bpe import GPT4_SPLIT_PATTERN, BPETokenizer, Merge


def number_pieces(merges: Iterable[Merge], text: str, pattern: str = GPT4_SPLIT_PATTERN) -> list[str]:
    """The text of each token of `text` under BPETokenizer(merges, pattern), in order.

    Each token's bytes are decoded on their own with errors="replace" (for digits and ASCII this is exact).
    """
    raise NotImplementedError("number_pieces: write this part (see its docstring)")


def tokenwise_greater(a: str, b: str, merges: Iterable[Merge], pattern: str = GPT4_SPLIT_PATTERN) -> bool:
    """Whether the lecture's piece-by-piece reading says decimal `a` is greater than decimal `b`.

    Walk the two piece lists together; at the first position where the pieces differ, compare them as
    integers if both are all digits, else as strings; if one list is a prefix of the other, the longer one
    is greater; equal lists are not greater.
    """
    raise NotImplementedError("tokenwise_greater: write this part (see its docstring)")


def misjudged_fraction(
    pairs: Iterable[tuple[str, str]], merges: Iterable[Merge], pattern: str = GPT4_SPLIT_PATTERN
) -> float:
    """The fraction of decimal pairs (a, b) where tokenwise_greater(a, b) != (float(a) > float(b)).

    0.0 for no pairs.
    """
    raise NotImplementedError("misjudged_fraction: write this part (see its docstring)")
