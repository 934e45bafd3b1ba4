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
    ### BEGIN SOLUTION
    # pairwise yields (ids[0], ids[1]), (ids[1], ids[2]), ...: len(ids) - 1 pairs, overlapping, which is
    # how BPE counts ("aaa" holds the pair (a, a) twice).
    return list(itertools.pairwise(ids))
    ### END SOLUTION


def merge_pair(ids: list[int], pair: Pair, new_id: int) -> list[int]:
    """`ids` with each occurrence of `pair` replaced by `new_id`, scanning left to right without overlap.

    merge_pair([a, a, a], (a, a), n) == [n, a].
    """
    ### BEGIN SOLUTION
    # One left-to-right scan with an index we move ourselves: a for loop could not skip the second id of a
    # pair it has just merged.
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
    # Compare the tokens' BYTES, not their ids: ids depend on the order of earlier merges, bytes do not, so
    # two correct trainers agree. A tuple compares the left bytes first, then the right ones.
    return (vocab[pair[0]], vocab[pair[1]])
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    if vocab_size < 256:
        raise ValueError(f"vocab_size must be at least 256 (the byte tokens), got {vocab_size}")
    # 1. Cut the text into chunks with the pattern and each chunk into its UTF-8 bytes, ids 0..255. Pairs
    #    are counted inside a chunk only, so a token never spans two words: " the" may become a token,
    #    " the dog" never does.
    chunks = [list(chunk.encode("utf-8")) for chunk in regex.findall(pattern, text)]
    vocab = [bytes([b]) for b in range(256)]  # id -> bytes; grows by one token per merge
    merges: list[Merge] = []
    while len(vocab) < vocab_size:
        # 2. Count every adjacent pair of every chunk, from scratch.
        counts = Counter(pair for chunk in chunks for pair in adjacent_pairs(chunk))
        if not counts:
            break  # every chunk is a single token: nothing left to merge
        # 3. The most frequent pair; among equally frequent ones, the smallest tie key. One min() with a
        #    compound key says both at once: -count puts the most frequent first.
        pair = min(counts, key=lambda p: (-counts[p], tie_key(vocab, p)))
        # 4. Record the merge as bytes and give the new token the next id.
        new_id = len(vocab)
        merges.append((vocab[pair[0]], vocab[pair[1]]))
        vocab.append(vocab[pair[0]] + vocab[pair[1]])
        # 5. Rewrite every chunk with the new token, then go back to 2 and count again.
        chunks = [merge_pair(chunk, pair, new_id) for chunk in chunks]
    return merges
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    if vocab_size < 256:
        raise ValueError(f"vocab_size must be at least 256 (the byte tokens), got {vocab_size}")
    # 1. Pre-split and deduplicate: the same chunk always merges the same way, so it is stored once with
    #    its number of occurrences as weight. Natural text repeats its words: " the" appears thousands of
    #    times but is one entry here. words[i] and weights[i] describe distinct chunk i.
    chunk_counts = Counter(regex.findall(pattern, text))
    words = [list(chunk.encode("utf-8")) for chunk in chunk_counts]
    weights = list(chunk_counts.values())
    vocab = [bytes([b]) for b in range(256)]  # id -> bytes, as in train_simple

    # 2. Count every pair once, remembering which words contain it.
    #    `where` is the index that makes step 4 cheap: a merge only needs to visit the words it can change.
    #    It may list words that no longer hold the pair (entries are never removed); merge_pair then simply
    #    changes nothing there.
    counts: dict[Pair, int] = defaultdict(int)  # pair -> weighted count, the same numbers train_simple counts
    where: dict[Pair, set[int]] = defaultdict(set)  # pair -> indices of the words that contain it
    for index, (word, weight) in enumerate(zip(words, weights)):
        for pair in adjacent_pairs(word):
            counts[pair] += weight
            where[pair].add(index)

    # 3. A heap of (-count, tie key, pair). Entries go stale when a count changes; a popped entry is used
    #    only if its count is still the pair's current count (lazy deletion).
    #    heapq is a min-heap, so the count is negated: the smallest entry is the most frequent pair, and among
    #    equal counts the smallest tie key, exactly the pair train_simple's min() picks. A heap cannot change
    #    an entry in place, which is why old entries are skipped when popped instead of being removed.
    heap = [(-count, tie_key(vocab, pair), pair) for pair, count in counts.items()]
    heapq.heapify(heap)  # O(n), cheaper than n pushes

    merges: list[Merge] = []
    while len(vocab) < vocab_size and heap:
        negative, _, pair = heapq.heappop(heap)
        if counts.get(pair, 0) != -negative:
            continue  # stale: this pair's count changed since the entry was pushed
        # The same bookkeeping as train_simple's step 4.
        new_id = len(vocab)
        merges.append((vocab[pair[0]], vocab[pair[1]]))
        vocab.append(vocab[pair[0]] + vocab[pair[1]])

        # 4. Rewrite only the words that contain the pair, and collect how every pair count changes.
        delta: dict[Pair, int] = defaultdict(int)
        for index in where.pop(pair):
            word = words[index]
            new_word = merge_pair(word, pair, new_id)
            if len(new_word) == len(word):
                continue  # a stale `where` entry: an earlier merge already consumed the pair here
            # Simplest correct update: forget all of the word's old pairs and count all of its new ones.
            # Pairs away from the merge cancel out in `delta`; only the neighbours of the merge change.
            weight = weights[index]
            for old in adjacent_pairs(word):
                delta[old] -= weight
            for new in adjacent_pairs(new_word):
                delta[new] += weight
                where[new].add(index)
            words[index] = new_word

        # 5. Apply the changes; every changed count gets a fresh heap entry.
        #    The merged pair itself drops to 0 and leaves `counts`, so its old heap entries all go stale.
        for changed, difference in delta.items():
            if difference == 0:
                continue  # untouched by the merge (it left and came back): its heap entry is still valid
            count = counts.get(changed, 0) + difference
            if count > 0:
                counts[changed] = count
                heapq.heappush(heap, (-count, tie_key(vocab, changed), changed))
            else:
                counts.pop(changed, None)  # no longer occurs: every heap entry for it is now stale
    return merges
    ### END SOLUTION


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
        ### BEGIN SOLUTION
        # bytes(...): merges may arrive as lists of ints or bytearrays (e.g. from JSON); store one type.
        self.merges = [(bytes(left), bytes(right)) for left, right in merges]
        self.pattern = pattern
        self.compiled = regex.compile(pattern)  # compiled once, used on every encode
        self.special_tokens = dict(special_tokens or {})
        # id -> bytes for every id, and bytes -> id (the rank). If two merges produce the same bytes, the
        # bytes keep the first (lowest) id, as a dict built in rank order would in tiktoken.
        self.vocab = [bytes([b]) for b in range(256)] + [left + right for left, right in self.merges]
        self.ranks: dict[bytes, int] = {}
        for token_id, token in enumerate(self.vocab):
            self.ranks.setdefault(token, token_id)
        # Special ids -> their text's bytes, for decode_bytes (the inverse of special_tokens).
        self.special_bytes = {
            token_id: text.encode("utf-8") for text, token_id in self.special_tokens.items()
        }
        # chunk text -> its ids. Natural text repeats its words, so most chunks are encoded only once.
        self.cache: dict[str, list[int]] = {}
        ### END SOLUTION

    def _encode_chunk(self, chunk: bytes) -> list[int]:
        """The ids of one pre-split chunk, by tiktoken's lowest-rank-first rule."""
        ### BEGIN SOLUTION
        # (1) A whole chunk that is a token needs no search (tiktoken's shortcut, and its result).
        # (2) Otherwise start from single bytes (chunk[i : i + 1] is bytes; chunk[i] would be an int) and
        #     join the best adjacent pair until no join makes a token. Lowest rank = learned earliest, so the
        #     merges are re-applied roughly in the order training found them.
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
                break  # no adjacent concatenation is a token: the chunk is fully merged
            # Replace the two parts by their concatenation (a slice assignment: the list gets one shorter).
            parts[best_index : best_index + 2] = [parts[best_index] + parts[best_index + 1]]
        # Every part is a token: a single byte (always in ranks) or a concatenation we found in ranks.
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
        for chunk in self.compiled.findall(text):  # the same split as training: merges apply inside chunks
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
        # Why refuse by default: text from users may contain "<|endoftext|>"; silently turning it into the
        # real control token would let a user end a document or a turn for the model. tiktoken raises too.
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
        # A bytearray grows in place; joining bytes objects one by one with + would copy every time.
        out = bytearray()
        for token_id in ids:
            if token_id in self.special_bytes:
                out += self.special_bytes[token_id]
            elif 0 <= token_id < len(self.vocab):
                out += self.vocab[token_id]
            else:  # checked, because a negative id would silently index from the end of self.vocab
                raise KeyError(f"unknown token id {token_id}")
        return bytes(out)
        ### END SOLUTION

    def decode(self, ids: Iterable[int]) -> str:
        """The text of `ids`: the joined bytes decoded once, with U+FFFD for invalid or partial UTF-8."""
        ### BEGIN SOLUTION
        # Decoding token by token would break a character whose bytes span two tokens (byte-level merges
        # may split "é" = b"\xc3\xa9" between tokens). "replace" puts U+FFFD where bytes are not UTF-8,
        # e.g. a generated sequence that stops in the middle of a character.
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
        # Line 1 is a format tag, so load can refuse a file that is something else; json.dumps quotes the
        # pattern, whose backslashes and quotes would otherwise be ambiguous. Merges keep their learned
        # order: the order IS the ranks, and a sorted file would encode differently.
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
    # Lines 3.. are the merges in order: merge i -> id 256 + i again, as in the saved tokenizer.
    for line in lines[3:]:
        left, right = line.split(" ")
        merges.append((bytes.fromhex(left), bytes.fromhex(right)))
    return BPETokenizer(merges, pattern, special_tokens)
    ### END SOLUTION
