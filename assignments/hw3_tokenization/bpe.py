"""Byte-level byte-pair encoding (BPE): train merges on text, encode and decode exactly like tiktoken.

Implements: the tokenizer family of GPT-2 and GPT-4. Text is first cut into chunks by a regular expression
(words with their leading space, runs of 1-3 digits, punctuation, whitespace), so that no token ever spans
two chunks. Each chunk is UTF-8 bytes; ids 0..255 are the 256 single bytes. Training repeatedly finds the
most frequent adjacent pair of tokens (counted inside chunks, weighted by how often the chunk occurs) and
merges it into a new token; merge i (0-based) gets id 256 + i. Encoding re-applies the merges; decoding
joins the tokens' bytes and decodes UTF-8 once, at the end.

The file is built in the order of the handout, each part on top of the previous one:
  Part 1 (steps 3, 4a) the plain trainer: `adjacent_pairs`, `merge_pair`, `tie_key` and `train_simple`, which
          recounts every pair before every merge. Slow, and obviously correct: the oracle for part 2.
  Part 2 (step 4b)     the fast trainer: `train`, which must return exactly the merges of `train_simple`.
  Part 3 (steps 5, 6)  encoding and decoding: `BPETokenizer.encode_ordinary`, `decode_bytes`, `decode`.
  Part 4 (step 7)      special tokens, save and load: `BPETokenizer.encode`, `save`, and `load`.

Follows: tiktoken. For any merges, `BPETokenizer(merges, pattern, special_tokens).encode(text)` must equal
`tiktoken.Encoding(name, pat_str=pattern, mergeable_ranks=ranks, special_tokens=...).encode(text)` where
`ranks` maps each token's bytes to its id. Encoding a chunk therefore follows tiktoken's rule, not the
learned order of the pairs: (1) a chunk that is itself a token is that token; (2) otherwise start from its
bytes and repeatedly join the adjacent pair whose *concatenated bytes* have the lowest rank (the leftmost
such pair on a tie), until no adjacent concatenation is a token. On every table a trainer produces this gives
the same ids as the textbook encoder (minbpe's: repeatedly merge the pair with the lowest merge rank), which
the handout accepts too. Text with surrogates goes through `without_surrogates` first, as in tiktoken.
Decoding uses errors="replace", so a sequence that stops inside a UTF-8 character gives U+FFFD instead of
raising.

The fast trainer is fast because it never recounts: chunks are deduplicated (a word that occurs 1,000 times
is one entry with weight 1,000), pair counts are built once, and a merge updates only the counts of the words
that contain the merged pair. A heap with lazy deletion finds the most frequent pair.

Tie-breaking (the handout states it): among equally frequent pairs the one whose (left bytes, right bytes)
is lexicographically smallest wins. Choosing the smallest (left id, right id) instead is also accepted.

Leaves out: GPT-2's byte-to-unicode printable alphabet (tokens here are plain bytes), tiktoken's
`encode_with_unstable`, batching and threads.
"""

from __future__ import annotations

import heapq
import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable

import regex

# GPT-2's pre-tokenizer (Radford et al. 2019): contractions, letters, numbers, other symbols, each with an
# optional leading space; whitespace runs keep their last space for the next word.
GPT2_SPLIT_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

# GPT-4's (tiktoken cl100k_base): case-insensitive contractions, numbers in groups of at most three digits,
# newlines kept with the punctuation before them. `?+` and `++` are possessive: the `regex` package
# understands them, Python's `re` before 3.11 does not, and neither knows \p{L} (any letter).
GPT4_SPLIT_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]"""
    r"""|\s+(?!\S)|\s+"""
)

Pair = tuple[int, int]  # two adjacent token ids, e.g. (97, 98) for b"a", b"b"
Merge = tuple[bytes, bytes]  # a learned merge as (left bytes, right bytes), like tiktoken's byte-keyed ranks


# ---------------------------------------------------------------------------- part 1: the plain trainer


def adjacent_pairs(ids: list[int]) -> list[Pair]:
    """Every adjacent pair of `ids`, overlapping ones included: [a, a, a] has two pairs (a, a)."""
    raise NotImplementedError("adjacent_pairs: write this part (see its docstring)")


def merge_pair(ids: list[int], pair: Pair, new_id: int) -> list[int]:
    """`ids` with each occurrence of `pair` replaced by `new_id`, scanning left to right without overlap.

    merge_pair([a, a, a], (a, a), n) == [n, a].
    """
    raise NotImplementedError("merge_pair: write this part (see its docstring)")


def tie_key(vocab: list[bytes], pair: Pair) -> tuple:
    """Orders equally frequent pairs: the smallest key is merged first (the handout's tie-breaking rule)."""
    raise NotImplementedError("tie_key: write this part (see its docstring)")


def train_simple(text: str, vocab_size: int, pattern: str = GPT4_SPLIT_PATTERN) -> list[Merge]:
    """The plain trainer: count every pair, merge the most frequent one, repeat. Slow but obviously correct.

    Takes the same arguments and returns the same kind of result as `train` (below), with the same tie rule
    (`tie_key`): on every text the two return exactly the same merges. Write this one first and use it to
    check `train` on small texts. It recounts the pairs of every chunk of the text before every merge, so
    it is far too slow for large texts: the grader checks it on small texts and grades `train` on large ones.

    Args:
        text: the training text.
        vocab_size: 256 byte tokens + the number of merges wanted (>= 256).
        pattern: the pre-splitting regular expression (for the `regex` package).

    Returns:
        The merges in learned order, each (left bytes, right bytes); merge i creates token 256 + i.
        Fewer than vocab_size - 256 when no pair is left to merge.
    """
    raise NotImplementedError("train_simple: write this part (see its docstring)")


# ----------------------------------------------------------------------------- part 2: the fast trainer


def train(text: str, vocab_size: int, pattern: str = GPT4_SPLIT_PATTERN) -> list[Merge]:
    """Learn byte-level BPE merges on `text` until the vocabulary has `vocab_size` tokens, fast.

    Must return exactly what `train_simple` returns, within the grader's time budget. Two ideas get there:
    count each distinct chunk once, weighted by how often it occurs, and after a merge update only the
    counts of the chunks that contained the merged pair (the handout, step 4b).

    Args:
        text: the training text.
        vocab_size: 256 byte tokens + the number of merges wanted (>= 256).
        pattern: the pre-splitting regular expression (for the `regex` package).

    Returns:
        The merges in learned order, each (left bytes, right bytes); merge i creates token 256 + i with bytes
        left + right. Fewer than vocab_size - 256 when no pair is left to merge.
    """
    raise NotImplementedError("train: write this part (see its docstring)")


# ------------------------------------------------ parts 3 and 4: encoding, decoding, special tokens, saving


def without_surrogates(text: str) -> str:
    """`text` with surrogate pairs joined and lone surrogates replaced by U+FFFD, as tiktoken's encode does.

    Given, not an exercise: a Python str may hold surrogates (code points U+D800..U+DFFF), which UTF-8 cannot
    encode. without_surrogates("a\\ud83db") == "a\\ufffdb"; without_surrogates("\\ud83d\\ude00") == "😀".
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Only a surrogate makes UTF-8 fail. UTF-16 with surrogatepass turns a pair back into its character;
        # decoding with "replace" turns what is left (a lone surrogate) into U+FFFD.
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


class BPETokenizer:
    """Encodes and decodes with learned merges, tiktoken-compatible.

    Args:
        merges: (left bytes, right bytes) in learned order, as `train` returns them (lists of two bytes
            objects are accepted too). Merge i is token 256 + i.
        pattern: the pre-splitting regular expression used by `encode`.
        special_tokens: {text: id} for tokens such as "<|endoftext|>", with ids the caller chooses (usually
            after the last merge). They are never produced from ordinary text.
    """

    def __init__(
        self,
        merges: Iterable[Merge],
        pattern: str = GPT4_SPLIT_PATTERN,
        special_tokens: dict[str, int] | None = None,
    ) -> None:
        raise NotImplementedError("__init__: write this part (see its docstring)")

    def _encode_chunk(self, chunk: bytes) -> list[int]:
        """The ids of one pre-split chunk, by tiktoken's lowest-rank-first rule."""
        raise NotImplementedError("_encode_chunk: write this part (see its docstring)")

    def encode_ordinary(self, text: str) -> list[int]:
        """The ids of `text`, treating special-token text as ordinary text.

        Like tiktoken, the text first goes through without_surrogates: a surrogate pair becomes its
        character and a lone surrogate becomes U+FFFD, so "a\\ud83db" is encoded as "a\\ufffdb" and encoding
        never raises.
        """
        raise NotImplementedError("encode_ordinary: write this part (see its docstring)")

    def encode(
        self,
        text: str,
        allowed_special: str | Collection[str] = (),
        disallowed_special: str | Collection[str] = "all",
    ) -> list[int]:
        """The ids of `text`, with tiktoken's rules for special tokens.

        Args:
            text: the text to encode.
            allowed_special: "all" or the special tokens that become their own id where they occur.
            disallowed_special: "all" (every special token not allowed) or the ones whose presence in
                `text` raises ValueError. A special token neither allowed nor disallowed is ordinary text.

        Raises:
            ValueError: `text` contains a disallowed special token.
        """
        raise NotImplementedError("encode: write this part (see its docstring)")

    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        """The bytes of `ids` joined (special tokens as their UTF-8 text). Raises KeyError for unknown ids."""
        raise NotImplementedError("decode_bytes: write this part (see its docstring)")

    def decode(self, ids: Iterable[int]) -> str:
        """The text of `ids`: the joined bytes decoded once, with U+FFFD for invalid or partial UTF-8."""
        raise NotImplementedError("decode: write this part (see its docstring)")

    def save(self, path: str) -> None:
        """Write the pattern, the special tokens and the merges (in order) to the text file `path`."""
        raise NotImplementedError("save: write this part (see its docstring)")


def load(path: str) -> BPETokenizer:
    """The tokenizer that `BPETokenizer.save` wrote to `path`, with the same merges in the same order."""
    raise NotImplementedError("load: write this part (see its docstring)")
