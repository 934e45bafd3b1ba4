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
    ### BEGIN SOLUTION
    tokenizer = BPETokenizer(merges, pattern)
    # encode_ordinary: numbers never contain special tokens. Decoding one id at a time shows the model's
    # view, piece by piece ("9", ".", "11"), instead of the text joined back together.
    return [tokenizer.decode([token_id]) for token_id in tokenizer.encode_ordinary(text)]
    ### END SOLUTION


def tokenwise_greater(a: str, b: str, merges: Iterable[Merge], pattern: str = GPT4_SPLIT_PATTERN) -> bool:
    """Whether the lecture's piece-by-piece reading says decimal `a` is greater than decimal `b`.

    Walk the two piece lists together; at the first position where the pieces differ, compare them as
    integers if both are all digits, else as strings; if one list is a prefix of the other, the longer one
    is greater; equal lists are not greater.
    """
    ### BEGIN SOLUTION
    # list(): `merges` may be an iterator, and it is used twice below.
    merges = list(merges)
    pieces_a, pieces_b = number_pieces(merges, a, pattern), number_pieces(merges, b, pattern)
    for piece_a, piece_b in zip(pieces_a, pieces_b):
        if piece_a == piece_b:
            continue  # equal pieces say nothing: move on, as the lecture's reasoning did
        # The first difference decides. Digits are compared as numbers, which is exactly the mistake: "11" >
        # "9" as integers although .11 < .9 as decimals, because the pieces lost their place value.
        if piece_a.isdigit() and piece_b.isdigit():
            return int(piece_a) > int(piece_b)
        return piece_a > piece_b  # e.g. "." against a digit: plain string order
    # No difference in the common part: the one with more pieces is the "longer" number.
    return len(pieces_a) > len(pieces_b)
    ### END SOLUTION


def misjudged_fraction(
    pairs: Iterable[tuple[str, str]], merges: Iterable[Merge], pattern: str = GPT4_SPLIT_PATTERN
) -> float:
    """The fraction of decimal pairs (a, b) where tokenwise_greater(a, b) != (float(a) > float(b)).

    0.0 for no pairs.
    """
    ### BEGIN SOLUTION
    merges, pairs = list(merges), list(pairs)
    if not pairs:
        return 0.0  # no pairs, no mistakes (and no division by zero)
    # float() is the ground truth: real arithmetic on the decimals. True counts as 1 in the sum.
    wrong = sum(tokenwise_greater(a, b, merges, pattern) != (float(a) > float(b)) for a, b in pairs)
    return wrong / len(pairs)
    ### END SOLUTION
