"""Hidden tests of bpe.py: training against the reference, encoding against tiktoken, decoding, specials.

Oracles. Training: the reference's merges (ties to the lexicographically smallest pair of bytes) or, the
other accepted rule, an independent recount-every-merge trainer with ties to the smallest pair of ids.
Encoding: tiktoken.Encoding built offline from the merges under test (the student's own, the
reference's, or small tables a trainer produces), token for token. Decoding: the joined bytes decoded with
errors="replace". Property tests run hypothesis here, in the grader, seeded from the grading seed, with
the student called through the sandbox for each example.
"""

from __future__ import annotations

import itertools
import random
import tempfile
from collections import Counter
from pathlib import Path

import hypothesis
import hypothesis.configuration
import pytest
import regex
import tiktoken
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from grader.suite import StudentRaised, fail, token_split
from solutions.hw3_tokenization import bpe as reference

# hypothesis keeps caches in ./.hypothesis by default; grading must not write into the instructor's folder.
hypothesis.configuration.set_hypothesis_home_dir(str(Path(tempfile.gettempdir()) / "grader-hypothesis"))

GPT2, GPT4 = reference.GPT2_SPLIT_PATTERN, reference.GPT4_SPLIT_PATTERN
SAMPLE = "Put the cube on the table. Is 9.9 bigger than 9.11? Ça dépend 🙂"
PIECES = (
    "the",
    " the",
    " cube",
    " on",
    " table",
    "Hello",
    " world",
    ",",
    ".",
    "!",
    "?",
    " it's",
    " don't",
    " über",
    " straße",
    " naïve",
    " café",
    " 東京",
    " 東京タワー",
    " мир",
    " λόγος",
    " 🙂",
    "🙂🙂",
    " 👍🏽",
    " 9",
    ".9",
    " 9.11",
    " 2024",
    " 1234567",
    " 000",
    " 111",
    " aaaa",
    " aaaaa",
    "    ",
    "  ",
    "\n",
    "\n\n",
    "\t",
    " \t ",
    "\r\n",
    "   \n",
    "(x)",
    " -> ",
    " <= ",
    " #",
    "@",
    " 3.14159",
)


def _text(rng: random.Random, n: int) -> str:
    """n random pieces: non-ASCII, emoji, whitespace runs, digits; Zipf-like so that merges are clear."""
    weights = [1.0 / (rank + 1) ** 0.7 for rank in range(len(PIECES))]
    order = list(PIECES)
    rng.shuffle(order)
    return "".join(rng.choices(order, weights=weights, k=n))


def _pairs(ids: list[int]) -> list[tuple[int, int]]:
    return list(itertools.pairwise(ids))


def _merge(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def recount_train(text: str, vocab_size: int, pattern: str, ties: str = "bytes") -> list[tuple[bytes, bytes]]:
    """The straightforward algorithm: recount every pair before every merge (independent of the reference)."""
    words = Counter(tuple(chunk.encode("utf-8")) for chunk in regex.findall(pattern, text))
    items = [(list(word), count) for word, count in words.items()]
    vocab = [bytes([b]) for b in range(256)]
    merges = []
    while len(vocab) < vocab_size:
        counts: Counter = Counter()
        for word, count in items:
            for pair in _pairs(word):
                counts[pair] += count
        if not counts:
            break
        top = max(counts.values())
        tied = [pair for pair, count in counts.items() if count == top]
        best = min(tied, key=(lambda p: (vocab[p[0]], vocab[p[1]])) if ties == "bytes" else (lambda p: p))
        merges.append((vocab[best[0]], vocab[best[1]]))
        vocab.append(vocab[best[0]] + vocab[best[1]])
        items = [(_merge(word, best, len(vocab) - 1), count) for word, count in items]
    return merges


def _merges(got, what: str) -> list[tuple[bytes, bytes]]:
    if not isinstance(got, list) or not all(
        isinstance(m, list) and len(m) == 2 and all(isinstance(b, bytes) for b in m) for m in got
    ):
        fail(f"{what} should return a list of (bytes, bytes) pairs, got {str(got)[:200]}")
    return [(left, right) for left, right in got]


def _encoding(merges, pattern: str = GPT4, special: dict[str, int] | None = None) -> tiktoken.Encoding:
    ranks = {bytes([b]): b for b in range(256)}
    for rank, (left, right) in enumerate(merges):
        ranks.setdefault(left + right, 256 + rank)
    return tiktoken.Encoding(
        name=f"hw3-{len(merges)}", pat_str=pattern, mergeable_ranks=ranks, special_tokens=special or {}
    )


def _vocab(merges) -> list[bytes]:
    return [bytes([b]) for b in range(256)] + [left + right for left, right in merges]


def _first_difference(got: list, expected: list) -> str:
    for i, (a, b) in enumerate(zip(got, expected)):
        if a != b:
            return f"first difference at position {i}: {a!r} instead of {b!r}"
    return f"lengths differ: {len(got)} instead of {len(expected)}"


def _check_merges(got, text: str, vocab_size: int, pattern: str, what: str) -> None:
    got = _merges(got, what)
    expected = reference.train(text, vocab_size, pattern)
    if got == expected:
        return
    if got == recount_train(text, vocab_size, pattern, ties="ids"):
        return  # the other accepted tie-breaking rule
    hint = (
        "count every adjacent pair inside each regex chunk (overlapping ones too: 'aaa' has two (a, a)), "
        "weighted by the chunk's count; merge the most frequent; break ties by the smallest (left bytes, "
        "right bytes)"
    )
    fail(f"{what}: {len(got)} merges, expected {len(expected)}; {_first_difference(got, expected)}", hint)


def _hidden_texts(seed: int) -> list[str]:
    rng = random.Random(seed)
    return [_text(rng, 600), _text(rng, 900), " 9.9 vs 9.11 " * 3 + _text(rng, 400)]


# -- helpers -------------------------------------------------------------------------------------------------


@pytest.mark.points(4)
def test_adjacent_pairs_and_merge_pair(student, check):
    """adjacent_pairs counts overlapping pairs and merge_pair merges left to right without overlap"""
    with check.part("adjacent_pairs"):
        for ids in ([1, 2, 3], [7, 7, 7], [5], []):
            got = student.call("bpe.adjacent_pairs", ids)
            if [tuple(p) for p in got or []] != _pairs(ids) or not isinstance(got, list):
                fail(f"adjacent_pairs({ids}) gave {got}, expected {_pairs(ids)}", "[a, a, a] has two (a, a)")
    with check.part("merge_pair"):
        cases = [
            ([97, 97, 97], (97, 97)),
            ([97, 97, 97, 97], (97, 97)),
            ([1, 2, 3, 1, 2], (1, 2)),
            ([3], (1, 2)),
        ]
        for ids, pair in cases:
            got = student.call("bpe.merge_pair", ids, pair, 300)
            if got != _merge(ids, pair, 300):
                fail(f"merge_pair({ids}, {pair}, 300) gave {got}, expected {_merge(ids, pair, 300)}")


# -- training ------------------------------------------------------------------------------------------------


@pytest.mark.points(3)
@pytest.mark.timeout(20)
def test_train_simple_matches_reference(student, seed, check):
    """train_simple, the plain recount-every-merge trainer, gives the accepted merges on small texts"""
    with check.part("texts of tied pairs"):
        for text in TIE_TEXTS:
            got = student.call("bpe.train_simple", text, 262)
            _check_merges(got, text, 262, GPT4, f"train_simple({text!r}, 262)")
    with check.part("a hidden text"):
        text = _hidden_texts(seed)[0][:300]
        got = student.call("bpe.train_simple", text, 276)
        _check_merges(got, text, 276, GPT4, "train_simple(a 300-character text, 276)")


@pytest.mark.points(5)
@pytest.mark.timeout(20)
def test_train_matches_reference(student, seed, check):
    """train's merges equal the reference's on hidden texts (non-ASCII, emoji, whitespace runs, digits)"""
    for number, text in enumerate(_hidden_texts(seed)):
        with check.part(f"text {number + 1}"):
            vocab_size = 256 + 60 + 20 * number
            got = student.call("bpe.train", text, vocab_size)
            _check_merges(got, text, vocab_size, GPT4, f"train(text {number + 1}, {vocab_size})")


@pytest.mark.points(4)
@pytest.mark.timeout(20)
def test_train_gpt2_pattern(student, seed):
    """train(text, vocab_size, pattern=GPT-2's) pre-splits with the pattern it is given"""
    text = _hidden_texts(seed)[1]
    got = student.call("bpe.train", text, 330, GPT2)
    _check_merges(got, text, 330, GPT2, "train(text, 330, pattern=GPT2_SPLIT_PATTERN)")


@pytest.mark.points(5)
@pytest.mark.timeout(20)
def test_train_runs_of_one_symbol(student, check):
    """train counts overlapping pairs in runs ('aaaa', spaces, digits) as the handout says"""
    texts = {
        "letters": "aaaa aaa aaaaa " * 7 + "ab " * 9 + "aaaaaaa",
        "spaces and digits": "x        y" * 5 + " 1111 111 11111 000000" * 4 + "\n\n\n\n",
    }
    for name, text in texts.items():
        with check.part(name):
            got = student.call("bpe.train", text, 270)
            _check_merges(got, text, 270, GPT4, f"train({text[:24]!r}..., 270)")


# Texts of a few words in which many pairs tie. On each, the usual wrong rules (the pair counted first, as
# max(counts, key=counts.get) picks it; the largest pair; the concatenated bytes; the right half first) give
# merges that differ from both accepted rules' (found by search with the hidden recount trainer).
TIE_TEXTS = ("bzzb abzb ab ba aa", "zbaz zz abz aab", "zz bza azz")


@pytest.mark.points(5)
@pytest.mark.timeout(20)
def test_train_ties(student, seed, check):
    """train breaks ties between equally frequent pairs by the documented rule, every time"""
    with check.part("fixed texts of tied pairs", 2):
        for text in TIE_TEXTS:
            got = student.call("bpe.train", text, 262)
            _check_merges(got, text, 262, GPT4, f"train({text!r}, 262)")
    rng = random.Random(seed)
    for number in range(2):
        # Every word once: nearly every count is tied, so the order depends on the tie rule alone.
        words = {"".join(rng.choices("abcdexyzé", k=rng.randint(2, 6))) for _ in range(60)}
        text = " ".join(sorted(words, key=lambda _: rng.random()))
        with check.part(f"text {number + 1}"):
            got = student.call("bpe.train", text, 290)
            _check_merges(got, text, 290, GPT4, f"train(text of tied pairs {number + 1}, 290)")


@pytest.mark.points(4)
@pytest.mark.timeout(15, speed=True)
def test_train_within_budget(student, seed):
    """train on 300 KB to 512 tokens finishes within the handout's 15 s budget"""
    text = _text(random.Random(seed), 120_000)[:300_000]
    got = student.call("bpe.train", text, 512)
    merges = _merges(got, "train(300 KB, 512)")
    if len(merges) != 256:
        fail(f"train(300 KB, 512) returned {len(merges)} merges, expected 256")


# -- encoding ------------------------------------------------------------------------------------------------


Difference = tuple[str, list, list]  # (text, the student's ids, tiktoken's ids)


def _check_encode(
    tokenizer, encoding: tiktoken.Encoding, texts: list[str], check, what: str
) -> Difference | None:
    """One part per text; returns the first text on which the student's ids differ from tiktoken's."""
    first = None
    for number, text in enumerate(texts):
        with check.part(f"text {number + 1}"):
            got = tokenizer.call("encode", text)
            expected = encoding.encode(text)
            if got != expected:
                first = first or (text, got, expected)
                fail(
                    f"{what}.encode(text {number + 1}, {text[:40]!r}...) differs from tiktoken's with the "
                    f"same merges: {_first_difference(got, expected)}",
                    "pre-split with the pattern; in each chunk join the adjacent pair whose concatenated "
                    "bytes have the lowest rank, until none is a token",
                )
    return first


def _picture_difference(figure, merges, difference: Difference, where: str, *, context: int = 60) -> None:
    """The student's split beside tiktoken's around the first token where they differ, the differing tokens
    marked. Drawn only when the student's ids are plain ints of the vocabulary (else nothing)."""
    text, got, expected = difference
    with figure.attempt():
        vocab = _vocab(merges)
        if not isinstance(got, list) or not all(type(i) is int and 0 <= i < len(vocab) for i in got):
            return
        yours, theirs = [vocab[i] for i in got], [vocab[i] for i in expected]
        first = next(
            (i for i, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected))
        )
        start = max(0, first - 12)  # the tokens before `first` are the same in both splits
        offset = sum(len(token) for token in theirs[start:first])

        def window(tokens: list[bytes]) -> list[bytes]:
            kept, at = [], 0
            for token in tokens[start:]:
                if at >= offset + context:
                    break
                kept.append(token)
                at += len(token)
            return kept

        shown = text if len(text) <= 50 else text[:47] + "..."
        figure.add(
            token_split(
                "Where your tokenizer's split first differs from tiktoken's",
                {"yours": window(yours), "tiktoken, same merges": window(theirs)},
                compare=("yours", "tiktoken, same merges"),
                caption=f"{where}: encode({shown!r}), from token {start} (the first difference is token "
                f"{first}, of {len(theirs)} tiktoken tokens). Marked: tokens the other split does not have; "
                "a byte that is part of a character shows as �.",
            )
        )


@pytest.mark.points(6)
@pytest.mark.timeout(20)
def test_encode_matches_tiktoken_own_merges(student, seed, check, figure):
    """encode equals tiktoken built from the student's own merges, token for token"""
    texts = _hidden_texts(seed + 1)
    merges = _merges(student.call("bpe.train", texts[0] + texts[1], 400), "train(text, 400)")
    tokenizer = student.new("bpe.BPETokenizer", merges)
    encoding = _encoding(merges)
    difference = _check_encode(
        tokenizer, encoding, [*texts, "plain ascii only"], check, "BPETokenizer(your merges)"
    )
    if difference is not None:
        _picture_difference(figure, merges, difference, "Trained with your train(text, 400)")
        return
    with figure.attempt():
        yours = [tokenizer.call("decode", [token]) for token in tokenizer.call("encode", SAMPLE)]
        tiktokens = [
            encoding.decode_single_token_bytes(token).decode("utf-8", errors="replace")
            for token in encoding.encode(SAMPLE)
        ]
        figure.add(
            token_split(
                "How your tokenizer cut a sample text",
                {"yours": yours, "tiktoken, same merges": tiktokens},
                caption="Trained with your train(text, 400); a byte that is part of a character shows as �.",
            )
        )


@pytest.mark.points(4)
def test_encode_matches_tiktoken_reference_merges(student, seed, check, figure):
    """encode equals tiktoken with the reference's merges, for the GPT-4 and GPT-2 patterns"""
    texts = _hidden_texts(seed + 2)
    for pattern, name in ((GPT4, "GPT-4"), (GPT2, "GPT-2")):
        merges = reference.train(texts[0] + texts[2], 420, pattern)
        tokenizer = student.new("bpe.BPETokenizer", merges, pattern)
        with check.part(name):
            inner = type(check)()
            encoding = _encoding(merges, pattern)
            difference = _check_encode(tokenizer, encoding, texts, inner, f"BPETokenizer({name})")
            if difference is not None and not figure.items:
                _picture_difference(figure, merges, difference, f"The reference's merges, {name} pattern")
            failed = [part for part in inner.parts if not part.passed]
            if failed:
                fail(failed[0].message, failed[0].hint)


# Tables where the order of merges and the concatenated-bytes rule matter. The textbook encoder (repeatedly
# merge the lowest-ranked pair, as minbpe does) and tiktoken's rule agree on every table a trainer produces,
# and the handout accepts both; so the tables are trained ones (tests/test_hw3_oracles.py checks it), except
# one on which the two agree anyway.
EDGE_TABLES = {
    # Trained on "abc" x5, "bcab" x3, "ab" x2 (one per line): "abc" and "bcab" are whole tokens, and "bcab" is
    # reached through (bc, ab) although (a, b) has the lowest rank.
    "whole chunk": (
        [(b"a", b"b"), (b"ab", b"c"), (b"b", b"c"), (b"bc", b"ab")],
        ["abc", " abcabc", "ab", "bcab", "bcabc", "cab"],
    ),
    # Two merges make "xyz"; the bytes keep the lower id, and the later id is never produced. (Hand-made: no
    # trainer learns (xy, z) after (y, z); but both encoders give the lower id here.)
    "same bytes twice": (
        [(b"y", b"z"), (b"x", b"y"), (b"x", b"yz"), (b"xy", b"z")],
        ["xyzz", "xyz", "xyzzxyz", "zxy"],
    ),
    "leftmost of equal ranks": ([(b"a", b"a"), (b"aa", b"a")], ["aaaaa", "aaaa", "aaa"]),
}


@pytest.mark.points(4)
def test_encode_rank_table_edge_cases(student, check, figure):
    """encode follows tiktoken on small tables: whole-chunk tokens, concatenated-bytes ranks, ties"""
    for name, (merges, texts) in EDGE_TABLES.items():
        with check.part(name):
            tokenizer = student.new("bpe.BPETokenizer", merges)
            encoding = _encoding(merges)
            for text in texts:
                got, expected = tokenizer.call("encode", text), encoding.encode(text)
                if got != expected:
                    if not figure.items:
                        where = "Merges " + ", ".join(f"{a.decode()}+{b.decode()}" for a, b in merges)
                        _picture_difference(figure, merges, (text, got, expected), where)
                    fail(
                        f"with merges {merges}, encode({text!r}) gave {got}, tiktoken gives {expected}",
                        "tiktoken's rule: a chunk that is a token is that token; otherwise join the adjacent "
                        "pair whose concatenated bytes have the lowest rank (leftmost on a tie), repeatedly",
                    )


UNICODE_TRAINING = "ab ba 😀😀 e\u0301te\u0301 東京 ١٢٣٤ " * 4 + "a\ufffdb \ufffd\ufffd "
# Text that UTF-8 and the split pattern find awkward, and what each case checks.
UNICODE_CASES = {
    "a lone surrogate": "a\ud83db",  # tiktoken encodes U+FFFD in its place
    "lone surrogates at the ends": "\udc00x y\ud83d",
    "a surrogate pair as two code points": "\ud83d\ude00\ud83d\ude00 ok",  # joined into 😀 first
    "combining accents and ZWJ emoji": "e\u0301te\u0301 👩\u200d👩\u200d👧 🇫🇷 ☺\ufe0f",
    "BOM, NUL and line separators": "\ufeffab\x00ba\u2028ab\u0085 \r\n",
    "non-Latin digits and scripts": "١٢٣٤٥ ½ Ⅻ 𠀀東京 שלום",
}


SURROGATE_HINT = "encode_ordinary gets text with surrogates too: pass it through without_surrogates first"


@pytest.mark.points(4)
def test_encode_unicode_edge_cases(student, check, figure):
    """encode equals tiktoken on surrogates (lone and paired), combining marks, ZWJ emoji, BOM, NUL, digits"""
    merges = reference.train(UNICODE_TRAINING, 300)
    tokenizer = student.new("bpe.BPETokenizer", merges)
    encoding = _encoding(merges)
    for name, text in UNICODE_CASES.items():
        with check.part(name):
            expected = encoding.encode(text)
            try:
                got = tokenizer.call("encode", text)
            except StudentRaised as exc:
                surrogates = any("\ud800" <= char <= "\udfff" for char in text)
                fail(
                    f"encode({text!r}) ({name}) raised {exc.error_type}: {exc.error_message[:200]}",
                    "a str may hold surrogates, which UTF-8 cannot encode: pass the text through "
                    "without_surrogates (given in bpe.py) first, as tiktoken does"
                    if surrogates and exc.error_type == "UnicodeEncodeError"
                    else "",
                )
            if got != expected:
                if not figure.items:
                    _picture_difference(figure, merges, (text, got, expected), f"Unicode edge case: {name}")
                replaced = text.encode("utf-8", "replace").decode("utf-8")
                hint = ""
                if replaced != text and got == encoding.encode(replaced):
                    hint = (
                        "a lone surrogate becomes U+FFFD (3 bytes), and a surrogate pair its character, not "
                        "'?': pass the text through without_surrogates (given in bpe.py) first"
                    )
                fail(
                    f"encode({text!r}) ({name}) gave {got}, tiktoken gives {expected}",
                    hint,
                )
    # encode_ordinary is public too, and tiktoken's replaces surrogates as its encode does.
    lone = next(text for text in UNICODE_CASES.values() if any("\ud800" <= char <= "\udfff" for char in text))
    with check.part("encode_ordinary with a surrogate"):
        expected = encoding.encode_ordinary(lone)
        try:
            got = tokenizer.call("encode_ordinary", lone)
        except StudentRaised as exc:
            fail(
                f"encode_ordinary({lone!r}) raised {exc.error_type}: {exc.error_message[:200]}",
                SURROGATE_HINT if exc.error_type == "UnicodeEncodeError" else "",
            )
        if got != expected:
            replaced = lone.encode("utf-8", "replace").decode("utf-8")
            fail(
                f"encode_ordinary({lone!r}) gave {got}, tiktoken gives {expected}",
                SURROGATE_HINT if got == encoding.encode_ordinary(replaced) else "",
            )


# -- decoding ------------------------------------------------------------------------------------------------


@pytest.mark.points(3)
def test_decode_round_trip(student, seed, check):
    """decode(encode(text)) == text on the hidden texts, and on characters no merge covers"""
    texts = _hidden_texts(seed + 3)
    merges = reference.train(texts[0], 380)
    # Characters the training text never has: their bytes stay single tokens, whatever the seed.
    texts.append("𝄞 ẞ ꙮ ☃\u0301 Ωμέγα")
    tokenizer = student.new("bpe.BPETokenizer", merges)
    encoding = _encoding(merges)
    for number, text in enumerate(texts):
        with check.part(f"text {number + 1}"):
            ids = encoding.encode(text)
            got = tokenizer.call("decode", ids)
            if got != text:
                vocab = _vocab(merges)
                token_by_token = "".join(vocab[i].decode("utf-8", errors="replace") for i in ids)
                fail(
                    f"decode(ids of text {number + 1}) differs from the text: {_first_difference(got, text)}",
                    "join the bytes of all tokens first, then decode UTF-8 once"
                    if got == token_by_token
                    else "",
                )


@pytest.mark.points(4)
def test_decode_partial_utf8(student, check):
    """decode never raises on ids that cut a UTF-8 character; it gives U+FFFD like tiktoken"""
    merges = [(b"\xe6", b"\x9d"), (b"\xf0", b"\x9f")]
    tokenizer = student.new("bpe.BPETokenizer", merges)
    vocab = _vocab(merges)
    cases = {
        "first two bytes of 東": [256],
        "one byte of é": [0xC3],
        "half an emoji, then text": [257, ord("o"), ord("k")],
        "character across two tokens": [256, 0xB1],  # 東 = e6 9d b1
        "a lone continuation byte": [0x80, ord("a")],
    }
    for name, ids in cases.items():
        with check.part(name):
            expected = b"".join(vocab[i] for i in ids).decode("utf-8", errors="replace")
            try:
                got = tokenizer.call("decode", ids)
            except StudentRaised as exc:
                fail(
                    f"decode({ids}) ({name}) raised {exc.error_type}: {exc.error_message[:200]}",
                    'decode the joined bytes with errors="replace"',
                )
            if got != expected:
                fail(f"decode({ids}) ({name}) gave {got!r}, expected {expected!r}")


# -- special tokens ------------------------------------------------------------------------------------------

SPECIAL = {"<|endoftext|>": 400, "<|fim_prefix|>": 401}


@pytest.mark.points(5)
def test_special_tokens(student, seed, check):
    """special tokens: allowed ones become their id (never split), disallowed ones raise, decode keeps them"""
    texts = _hidden_texts(seed + 4)
    merges = reference.train(texts[0], 400)
    tokenizer = student.new("bpe.BPETokenizer", merges, GPT4, SPECIAL)
    encoding = _encoding(merges, GPT4, SPECIAL)
    text = f"{texts[1][:200]}<|endoftext|>{texts[2][:100]}<|fim_prefix|> x<|endoftext|>"
    with check.part("allowed_special='all'"):
        got, expected = (
            tokenizer.call("encode", text, allowed_special="all"),
            encoding.encode(text, allowed_special="all"),
        )
        if got != expected:
            fail(
                "encode(text with special tokens, allowed_special='all'): "
                + _first_difference(got, expected),
                "cut the text at the special tokens first; the regex must never see them"
                if got == encoding.encode_ordinary(text)
                else "",
            )
    with check.part("one allowed, the other ordinary text"):
        got = tokenizer.call("encode", text, allowed_special=["<|endoftext|>"], disallowed_special=[])
        expected = encoding.encode(text, allowed_special={"<|endoftext|>"}, disallowed_special=())
        if got != expected:
            fail(
                f"encode(..., allowed_special=['<|endoftext|>'], disallowed_special=[]): "
                f"{_first_difference(got, expected)}"
            )
    with check.part("disallowed raises ValueError"):
        try:
            got = tokenizer.call("encode", text)
        except StudentRaised as exc:
            if exc.error_type != "ValueError":
                fail(f"encode(text with '<|endoftext|>') raised {exc.error_type}, expected ValueError")
        else:
            fail(
                "encode(text with '<|endoftext|>') with the default disallowed_special='all' should raise "
                f"ValueError, but returned {str(got)[:80]}",
                "like tiktoken: a special token in the text that is not allowed is an error by default",
            )
    with check.part("decode"):
        ids = encoding.encode(text, allowed_special="all")
        got = tokenizer.call("decode", ids)
        if got != text:
            fail(f"decode of ids with special tokens gave {got[-60:]!r}, expected {text[-60:]!r}")


# -- save and load -------------------------------------------------------------------------------------------


@pytest.mark.points(4)
def test_save_load_round_trip(student, seed, check):
    """save then load gives a tokenizer with the same merges, pattern and special tokens"""
    texts = _hidden_texts(seed + 5)
    # Merges with newline, space and non-UTF-8 bytes, which a naive text format would corrupt.
    merges = [(b"\n", b"\n"), (b" ", b" "), (b"\xe6", b"\x9d"), *reference.train(texts[0], 350, GPT2)]
    merges = list(dict.fromkeys(merges))
    tokenizer = student.new("bpe.BPETokenizer", merges, GPT2, {"<|endoftext|>": 1000})
    tokenizer.call("save", "hw3_tokenizer.bpe")
    loaded = student.new("bpe.load", "hw3_tokenizer.bpe")
    text = texts[1] + "<|endoftext|>" + "\n\n\n  東京"
    # The loaded tokenizer is compared with the saved one, so that only saving and loading count here.
    with check.part("encode"):
        expected = tokenizer.call("encode", text, allowed_special="all")
        got = loaded.call("encode", text, allowed_special="all")
        if got != expected:
            fail(
                "the loaded tokenizer encodes differently from the saved one: "
                + _first_difference(got, expected),
                "save every merge in order, bytes exactly (hex or base64), the pattern, the special tokens",
            )
    with check.part("decode"):
        # The saved tokenizer's ids of the text (valid UTF-8 as a whole), decoded by both.
        ids = [*tokenizer.call("encode", text, allowed_special="all"), 1000]
        expected = tokenizer.call("decode", ids)
        got = loaded.call("decode", ids)
        if got != expected:
            fail(
                "the loaded tokenizer decodes differently from the saved one: the merges or specials changed"
            )


# -- properties ----------------------------------------------------------------------------------------------

PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=list(HealthCheck),
)
TEXT = st.text(st.characters(codec="utf-8"), max_size=40) | st.text("ab 9.\n🙂é東", max_size=40)


# Lines of "jv" and "qj" make (j, v) and then (q, j) merges at every seed, so that "qjv" (an explicit example
# below) is [q, jv] by the lowest rank but [qj, v] by the leftmost pair.
PROPERTY_EXTRA = "\n".join(["jv"] * 60 + ["qj"] * 40) + "\n"


def _property_tokenizer(student, seed: int):
    merges = reference.train(_text(random.Random(seed), 800) + PROPERTY_EXTRA, 360)
    return merges, student.new("bpe.BPETokenizer", merges)


@pytest.mark.points(3)
def test_property_decode_encode_is_identity(student, seed):
    """property: decode(encode(s)) == s for arbitrary Unicode strings"""
    _, tokenizer = _property_tokenizer(student, seed)

    @PROPERTY_SETTINGS
    @given(TEXT)
    @example("".join(PIECES))
    def round_trip(text: str) -> None:
        got = tokenizer.call("decode", tokenizer.call("encode", text))
        if got != text:
            fail(f"decode(encode({text!r})) gave {got!r}")

    hypothesis.seed(seed)(round_trip)()


@pytest.mark.points(3)
def test_property_ids_are_in_the_vocabulary(student, seed):
    """property: encode gives ids in 0..255+len(merges), the ids tiktoken gives, for arbitrary strings"""
    merges, tokenizer = _property_tokenizer(student, seed)
    encoding = _encoding(merges)

    @PROPERTY_SETTINGS
    @given(TEXT)
    @example("qjv")
    @example("".join(PIECES))
    def in_vocabulary(text: str) -> None:
        got = tokenizer.call("encode", text)
        outside = [i for i in got if not isinstance(i, int) or not 0 <= i < 256 + len(merges)]
        if outside:
            fail(f"encode({text!r}) gave ids outside the vocabulary: {outside[:5]}")
        if got != encoding.encode(text):
            fail(f"encode({text!r}) gave {got}, tiktoken gives {encoding.encode(text)}")

    hypothesis.seed(seed)(in_vocabulary)()
