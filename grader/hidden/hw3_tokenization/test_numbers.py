"""Hidden tests of number_tokens.py: the lecture's "is 9.9 greater than 9.11?" as pieces and a measure.

The merges are hand-made so that the digit groups are known: every two-digit string is a token, and so is
"9.", which the GPT-4 pattern never lets form (the regex cuts "9" from "."). The expected values come from
the reference on the same merges.
"""

from __future__ import annotations

import random

import pytest

from grader.suite import fail
from solutions.hw3_tokenization import bpe as reference_bpe
from solutions.hw3_tokenization import number_tokens as reference

TWO_DIGITS = [(str(a).encode(), str(b).encode()) for a in range(10) for b in range(10)]
MERGES = [*TWO_DIGITS, (b"9", b"."), (b"1", b"11")]


def _decimals(seed: int, n: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    # The course's pairs, then two whose verdicts do not depend on the seed: "310" is [3, 10] (the lower rank
    # wins over the leftmost pair), and [3, ., 12] is a prefix of [3, ., 12, 3].
    pairs = [
        ("9.9", "9.11"),
        ("3.5", "3.14"),
        ("10.2", "10.12"),
        ("2.1", "2.10"),
        ("2.310", "2.4"),
        ("3.12", "3.123"),
    ]
    while len(pairs) < n:
        whole = str(rng.randint(0, 120))
        pairs.append((f"{whole}.{rng.randint(0, 99)}", f"{whole}.{rng.randint(0, 999)}"))
    return pairs


@pytest.mark.points(3)
def test_number_pieces(student, check):
    """number_pieces shows how the tokenizer cuts numbers, for the GPT-4 and GPT-2 patterns"""
    text = "Is 9.9 greater than 9.11? 1234567 and 3.14159"
    for pattern, name in (
        (reference_bpe.GPT4_SPLIT_PATTERN, "GPT-4"),
        (reference_bpe.GPT2_SPLIT_PATTERN, "GPT-2"),
    ):
        with check.part(name):
            got = student.call("number_tokens.number_pieces", MERGES, text, pattern)
            expected = reference.number_pieces(MERGES, text, pattern)
            if got != expected:
                fail(
                    f"number_pieces(two-digit merges, {text!r}, {name} pattern) gave {got}, "
                    f"expected {expected}",
                    "encode with BPETokenizer(merges, pattern), with the pattern given"
                    if got == reference.number_pieces(MERGES, text)
                    else "",
                )


def _tokenwise_hint(student, a: str, b: str) -> str:
    """The hint for a wrong verdict on (a, b): which misreading of the right pieces gives it, if one does."""
    pieces_a, pieces_b = reference.number_pieces(MERGES, a), reference.number_pieces(MERGES, b)
    theirs = [student.call("number_tokens.number_pieces", MERGES, number) for number in (a, b)]
    if theirs != [pieces_a, pieces_b]:
        return ""  # the pieces are already wrong (test_number_pieces): no reading of them to blame
    for piece_a, piece_b in zip(pieces_a, pieces_b):
        if piece_a != piece_b:
            if (
                piece_a.isdigit()
                and piece_b.isdigit()
                and (piece_a > piece_b) != (int(piece_a) > int(piece_b))
            ):
                return "at the first differing pieces compare them as integers when both are digits"
            return ""
    return "when one piece list is a prefix of the other, the longer one is greater"


@pytest.mark.points(3)
def test_tokenwise_greater(student, seed, check):
    """tokenwise_greater compares piece by piece as the lecture did (9.11 'wins' over 9.9)"""
    # Besides random pairs: equal numbers (equal lists are not greater), and pieces that differ as strings but
    # not as integers ("05" and "5": compared as integers, neither is greater), and a digit piece against a
    # "." ("12" "." "5" against "12" "5" "." "0": compared as strings, since "." is not a number).
    for a, b in [*_decimals(seed, 10), ("3.14", "3.14"), ("2.05", "2.5"), ("12.5", "125.0")]:
        with check.part(f"{a} vs {b}"):
            for x, y in ((a, b), (b, a)):
                got = student.call("number_tokens.tokenwise_greater", x, y, MERGES)
                expected = reference.tokenwise_greater(x, y, MERGES)
                if got is not expected:
                    fail(
                        f"tokenwise_greater({x!r}, {y!r}, two-digit merges) gave {got!r}, "
                        f"expected {expected!r}",
                        _tokenwise_hint(student, x, y),
                    )


@pytest.mark.points(3)
def test_misjudged_fraction(student, seed, check):
    """misjudged_fraction measures how often the piece-wise reading gets a comparison wrong"""
    cases = {"course pairs": _decimals(seed, 4), "random decimals": _decimals(seed, 60), "none": []}
    for name, pairs in cases.items():
        with check.part(name):
            got = student.call("number_tokens.misjudged_fraction", pairs, MERGES)
            expected = reference.misjudged_fraction(pairs, MERGES)
            if not isinstance(got, (int, float)) or abs(got - expected) > 1e-9:
                fail(f"misjudged_fraction({name}, two-digit merges) gave {got!r}, expected {expected!r}")
