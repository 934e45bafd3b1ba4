"""Byte-level byte-pair encoding (BPE): train merges on text, encode and decode exactly like tiktoken.

Implements: the tokenizer family of GPT-2 and GPT-4. Text is first cut into chunks by a regular expression
(words with their leading space, runs of 1-3 digits, punctuation, whitespace), so that no token ever spans
two chunks. Each chunk is UTF-8 bytes; ids 0..255 are the 256 single bytes. Training repeatedly finds the
most frequent adjacent pair of tokens (counted inside chunks, weighted by how often the chunk occurs) and
merges it into a new token; merge i (0-based) gets id 256 + i. Encoding re-applies the merges; decoding
joins the tokens' bytes and decodes UTF-8 once, at the end.

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

Training is fast because it never recounts: chunks are deduplicated (a word that occurs 1,000 times is one
entry with weight 1,000), pair counts are built once, and a merge updates only the counts of the words that
contain the merged pair. A heap with lazy deletion finds the most frequent pair.

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

Pair = tuple[int, int]
Merge = tuple[bytes, bytes]


def adjacent_pairs(ids: list[int]) -> list[Pair]:
    """Every adjacent pair of `ids`, overlapping ones included: [a, a, a] has two pairs (a, a)."""
    ### BEGIN SOLUTION
    return list(itertools.pairwise(ids))
    ### END SOLUTION


def merge_pair(ids: list[int], pair: Pair, new_id: int) -> list[int]:
    """`ids` with each occurrence of `pair` replaced by `new_id`, scanning left to right without overlap.

    merge_pair([a, a, a], (a, a), n) == [n, a].
    """
    ### BEGIN SOLUTION
    out: list[int] = []
    i = 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2  # the two merged ids are consumed: "aaa" gives [aa, a], never [aa, aa]
        else:
            out.append(ids[i])
            i += 1
    return out
    ### END SOLUTION


def tie_key(vocab: list[bytes], pair: Pair) -> tuple:
    """Orders equally frequent pairs: the smallest key is merged first (the handout's tie-breaking rule)."""
    ### BEGIN SOLUTION
    return (vocab[pair[0]], vocab[pair[1]])
    ### END SOLUTION


def train(text: str, vocab_size: int, pattern: str = GPT4_SPLIT_PATTERN) -> list[Merge]:
    """Learn byte-level BPE merges on `text` until the vocabulary has `vocab_size` tokens.

    Args:
        text: the training text.
        vocab_size: 256 byte tokens + the number of merges wanted (>= 256).
        pattern: the pre-splitting regular expression (for the `regex` package).

    Returns:
        The merges in learned order, each (left bytes, right bytes); merge i creates token 256 + i with bytes
        left + right. Fewer than vocab_size - 256 when no pair is left to merge.
    """
    ### BEGIN SOLUTION
    if vocab_size < 256:
        raise ValueError(f"vocab_size must be at least 256 (the byte tokens), got {vocab_size}")
    # 1. Pre-split and deduplicate: the same chunk always merges the same way, so it is stored once with
    #    its number of occurrences as weight.
    chunk_counts = Counter(regex.findall(pattern, text))
    words = [list(chunk.encode("utf-8")) for chunk in chunk_counts]
    weights = list(chunk_counts.values())
    vocab = [bytes([b]) for b in range(256)]

    # 2. Count every pair once, remembering which words contain it.
    counts: dict[Pair, int] = defaultdict(int)
    where: dict[Pair, set[int]] = defaultdict(set)
    for index, (word, weight) in enumerate(zip(words, weights)):
        for pair in adjacent_pairs(word):
            counts[pair] += weight
            where[pair].add(index)

    # 3. A heap of (-count, tie key, pair). Entries go stale when a count changes; a popped entry is used
    #    only if its count is still the pair's current count (lazy deletion).
    heap = [(-count, tie_key(vocab, pair), pair) for pair, count in counts.items()]
    heapq.heapify(heap)

    merges: list[Merge] = []
    while len(vocab) < vocab_size and heap:
        negative, _, pair = heapq.heappop(heap)
        if counts.get(pair, 0) != -negative:
            continue  # stale: this pair's count changed since the entry was pushed
        new_id = len(vocab)
        merges.append((vocab[pair[0]], vocab[pair[1]]))
        vocab.append(vocab[pair[0]] + vocab[pair[1]])

        # 4. Rewrite only the words that contain the pair, and collect how every pair count changes.
        delta: dict[Pair, int] = defaultdict(int)
        for index in where.pop(pair):
            word = words[index]
            new_word = merge_pair(word, pair, new_id)
            if len(new_word) == len(word):
                continue
            weight = weights[index]
            for old in adjacent_pairs(word):
                delta[old] -= weight
            for new in adjacent_pairs(new_word):
                delta[new] += weight
                where[new].add(index)
            words[index] = new_word

        # 5. Apply the changes; every changed count gets a fresh heap entry.
        for changed, difference in delta.items():
            if difference == 0:
                continue
            count = counts.get(changed, 0) + difference
            if count > 0:
                counts[changed] = count
                heapq.heappush(heap, (-count, tie_key(vocab, changed), changed))
            else:
                counts.pop(changed, None)
    return merges
    ### END SOLUTION


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
        ### BEGIN SOLUTION
        self.merges = [(bytes(left), bytes(right)) for left, right in merges]
        self.pattern = pattern
        self.compiled = regex.compile(pattern)
        self.special_tokens = dict(special_tokens or {})
        # id -> bytes for every id, and bytes -> id (the rank). If two merges produce the same bytes, the
        # bytes keep the first (lowest) id, as a dict built in rank order would in tiktoken.
        self.vocab = [bytes([b]) for b in range(256)] + [left + right for left, right in self.merges]
        self.ranks: dict[bytes, int] = {}
        for token_id, token in enumerate(self.vocab):
            self.ranks.setdefault(token, token_id)
        self.special_bytes = {
            token_id: text.encode("utf-8") for text, token_id in self.special_tokens.items()
        }
        self.cache: dict[str, list[int]] = {}
        ### END SOLUTION

    def _encode_chunk(self, chunk: bytes) -> list[int]:
        """The ids of one pre-split chunk, by tiktoken's lowest-rank-first rule."""
        ### BEGIN SOLUTION
        if chunk in self.ranks:
            return [self.ranks[chunk]]
        parts = [chunk[i : i + 1] for i in range(len(chunk))]
        while len(parts) > 1:
            # Find the adjacent pair whose concatenation has the lowest rank; strict < keeps the leftmost.
            best_rank, best_index = None, -1
            for i in range(len(parts) - 1):
                rank = self.ranks.get(parts[i] + parts[i + 1])
                if rank is not None and (best_rank is None or rank < best_rank):
                    best_rank, best_index = rank, i
            if best_rank is None:
                break
            parts[best_index : best_index + 2] = [parts[best_index] + parts[best_index + 1]]
        return [self.ranks[part] for part in parts]
        ### END SOLUTION

    def encode_ordinary(self, text: str) -> list[int]:
        """The ids of `text`, treating special-token text as ordinary text.

        Like tiktoken, the text first goes through without_surrogates: a surrogate pair becomes its
        character and a lone surrogate becomes U+FFFD, so "a\\ud83db" is encoded as "a\\ufffdb" and encoding
        never raises.
        """
        ### BEGIN SOLUTION
        text = without_surrogates(text)
        ids: list[int] = []
        for chunk in self.compiled.findall(text):
            cached = self.cache.get(chunk)
            if cached is None:
                cached = self._encode_chunk(chunk.encode("utf-8"))
                self.cache[chunk] = cached
            ids.extend(cached)
        return ids
        ### END SOLUTION

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
        ### BEGIN SOLUTION
        # As in encode_ordinary, and first, so that the special tokens are cut from the text that is encoded.
        text = without_surrogates(text)
        allowed = set(self.special_tokens) if allowed_special == "all" else set(allowed_special)
        if disallowed_special == "all":
            disallowed = set(self.special_tokens) - allowed
        else:
            disallowed = set(disallowed_special)
        for token in disallowed:
            if token in text:
                raise ValueError(f"the text contains the disallowed special token {token!r}")
        if not allowed:
            return self.encode_ordinary(text)
        # Cut the text at the allowed special tokens (longest first where two start at the same place);
        # the pieces between them are encoded as ordinary text, so the regex never sees a special token.
        alternatives = "|".join(regex.escape(token) for token in sorted(allowed, key=len, reverse=True))
        ids: list[int] = []
        start = 0
        for match in regex.finditer(alternatives, text):
            ids.extend(self.encode_ordinary(text[start : match.start()]))
            ids.append(self.special_tokens[match.group()])
            start = match.end()
        ids.extend(self.encode_ordinary(text[start:]))
        return ids
        ### END SOLUTION

    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        """The bytes of `ids` joined (special tokens as their UTF-8 text). Raises KeyError for unknown ids."""
        ### BEGIN SOLUTION
        out = bytearray()
        for token_id in ids:
            if token_id in self.special_bytes:
                out += self.special_bytes[token_id]
            elif 0 <= token_id < len(self.vocab):
                out += self.vocab[token_id]
            else:
                raise KeyError(f"unknown token id {token_id}")
        return bytes(out)
        ### END SOLUTION

    def decode(self, ids: Iterable[int]) -> str:
        """The text of `ids`: the joined bytes decoded once, with U+FFFD for invalid or partial UTF-8."""
        ### BEGIN SOLUTION
        # Decoding token by token would break a character whose bytes span two tokens.
        return self.decode_bytes(ids).decode("utf-8", errors="replace")
        ### END SOLUTION

    def save(self, path: str) -> None:
        """Write the pattern, the special tokens and the merges (in order) to the text file `path`."""
        ### BEGIN SOLUTION
        lines = [
            "bpe v1",
            json.dumps(self.pattern),
            json.dumps(self.special_tokens, sort_keys=True),
            # One merge per line, both halves in hex: bytes may be anything, including newlines.
            *(f"{left.hex()} {right.hex()}" for left, right in self.merges),
        ]
        with open(path, "w", encoding="utf-8") as file:
            file.write("\n".join(lines) + "\n")
        ### END SOLUTION


def load(path: str) -> BPETokenizer:
    """The tokenizer that `BPETokenizer.save` wrote to `path`, with the same merges in the same order."""
    ### BEGIN SOLUTION
    with open(path, encoding="utf-8") as file:
        lines = file.read().splitlines()
    if not lines or lines[0] != "bpe v1":
        raise ValueError(f"{path} is not a file written by BPETokenizer.save")
    pattern, special_tokens = json.loads(lines[1]), json.loads(lines[2])
    merges = []
    for line in lines[3:]:
        left, right = line.split(" ")
        merges.append((bytes.fromhex(left), bytes.fromhex(right)))
    return BPETokenizer(merges, pattern, special_tokens)
    ### END SOLUTION
