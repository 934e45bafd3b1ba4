"""Benchmarks for hw3's reference BPE: training speed against the recount-every-merge algorithm and Hugging
Face `tokenizers`, and encoding throughput against tiktoken on the same merges (identical ids required).

The corpus is built at run time, offline: the docstrings of the CPython standard library (read with `ast`,
never imported), in sorted file order, up to 1 MiB. Ratios are same-run ratios; these machines vary by
10-15% between processes.

    python bench/bench_hw3.py                 # everything, recount on a 64 KiB slice
    python bench/bench_hw3.py --only train --slice-kib 1024 --slice-vocab 2048 --no-textbook   # same input
"""

from __future__ import annotations

import argparse
import ast
import itertools
import sysconfig
import time
from collections import Counter
from pathlib import Path

import regex
import tiktoken

from solutions.hw3_tokenization import bpe

MIB = 1 << 20


def stdlib_docstrings(limit_bytes: int = MIB) -> str:
    """Docstrings of the stdlib's modules, classes and functions, joined by blank lines, to limit_bytes."""
    root = Path(sysconfig.get_paths()["stdlib"])
    parts: list[str] = []
    size = 0
    for path in sorted(root.rglob("*.py")):
        if "site-packages" in path.parts or "test" in path.parts or "tests" in path.parts:
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node)
                if doc:
                    parts.append(doc)
                    size += len(doc.encode("utf-8")) + 2
                    if size >= limit_bytes:
                        text = "\n\n".join(parts).encode("utf-8")[:limit_bytes]
                        return text.decode("utf-8", errors="ignore")
    return "\n\n".join(parts)


def recount_train(text: str, vocab_size: int, pattern: str, dedup: bool) -> list[tuple[bytes, bytes]]:
    """The straightforward algorithm: count every pair again before every merge.

    dedup=False is the textbook version (every chunk of the text kept, as minbpe's RegexTokenizer does);
    dedup=True counts each distinct chunk once with its weight, but still recounts everything per merge.
    """
    chunks = regex.findall(pattern, text)
    counted = Counter(chunks) if dedup else Counter({i: 1 for i in range(len(chunks))})
    words = [list(c.encode("utf-8")) for c in (counted if dedup else chunks)]
    weights = list(counted.values())
    vocab = [bytes([b]) for b in range(256)]
    merges = []
    while len(vocab) < vocab_size:
        counts: Counter = Counter()
        for word, weight in zip(words, weights):
            for pair in itertools.pairwise(word):
                counts[pair] += weight
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], vocab[p[0]], vocab[p[1]]))
        merges.append((vocab[best[0]], vocab[best[1]]))
        vocab.append(vocab[best[0]] + vocab[best[1]])
        new_id = len(vocab) - 1
        words = [bpe.merge_pair(word, best, new_id) if len(word) > 1 else word for word in words]
    return merges


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def bench_train(text: str, vocab_size: int, slice_kib: int, slice_vocab: int, textbook: bool) -> None:
    print(f"## training, GPT-4 pattern, {len(text.encode()) / MIB:.2f} MiB of stdlib docstrings")
    _, full_s = timed(bpe.train, text, vocab_size)
    print(f"reference (incremental)       {vocab_size} tokens on 1 MiB: {full_s:8.2f} s")

    part = text.encode("utf-8")[: slice_kib * 1024].decode("utf-8", errors="ignore")
    ref, ref_s = timed(bpe.train, part, slice_vocab)
    print(f"\n### on a {slice_kib} KiB slice to {slice_vocab} tokens ")
    print(f"reference (incremental)       {ref_s:8.3f} s")
    variants = ((True, "recount, chunks deduplicated"), (False, "recount, textbook (no dedup)"))
    for dedup, name in variants[: 2 if textbook else 1]:
        got, seconds = timed(recount_train, part, slice_vocab, bpe.GPT4_SPLIT_PATTERN, dedup)
        same = "same merges" if got == ref else "DIFFERENT merges"
        print(f"{name:29s} {seconds:8.3f} s   {seconds / ref_s:6.1f}x the reference   ({same})")

    try:
        from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    except ImportError:
        print("Hugging Face tokenizers: not installed")
        return
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=0,
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    _, hf_s = timed(tokenizer.train_from_iterator, [text], trainer)
    print(
        f"\nHF tokenizers (Rust, ByteLevel: GPT-2 regex)  {vocab_size} tokens on 1 MiB: {hf_s:8.2f} s; "
        f"reference / HF = {full_s / hf_s:.1f}x"
    )
    print("  (not an exact comparison: HF's ByteLevel uses GPT-2's regex and its own tie order)")


def bench_encode(text: str, vocab_size: int) -> None:
    print(f"\n## encoding {len(text.encode()) / MIB:.2f} MiB, {vocab_size}-token merges, GPT-4 pattern")
    merges = bpe.train(text, vocab_size)
    ranks = {bytes([b]): b for b in range(256)}
    for rank, (left, right) in enumerate(merges):
        ranks.setdefault(left + right, 256 + rank)
    encoding = tiktoken.Encoding(
        name="bench", pat_str=bpe.GPT4_SPLIT_PATTERN, mergeable_ranks=ranks, special_tokens={}
    )
    megabytes = len(text.encode("utf-8")) / 1e6
    cold = bpe.BPETokenizer(merges)
    ours, cold_s = timed(cold.encode_ordinary, text)
    _, warm_s = timed(cold.encode_ordinary, text)
    theirs, tik_s = timed(encoding.encode_ordinary, text)
    identical = "identical ids" if ours == theirs else "IDS DIFFER"
    print(f"reference, empty cache   {megabytes / cold_s:7.2f} MB/s")
    print(f"reference, warm cache    {megabytes / warm_s:7.2f} MB/s")
    print(f"tiktoken                 {megabytes / tik_s:7.2f} MB/s   ({identical}, {len(ours)} tokens)")
    print(f"tiktoken / reference     {cold_s / tik_s:7.1f}x (empty cache), {warm_s / tik_s:.1f}x (warm)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["train", "encode"])
    parser.add_argument("--vocab", type=int, default=2048)
    parser.add_argument("--slice-kib", type=int, default=64)
    parser.add_argument("--slice-vocab", type=int, default=512)
    parser.add_argument("--no-textbook", action="store_true", help="skip the recount without dedup")
    args = parser.parse_args()
    text, build_s = timed(stdlib_docstrings)
    print(f"corpus: {len(text.encode('utf-8'))} bytes of stdlib docstrings, built in {build_s:.1f} s\n")
    if args.only in (None, "train"):
        bench_train(text, args.vocab, args.slice_kib, args.slice_vocab, not args.no_textbook)
    if args.only in (None, "encode"):
        bench_encode(text, args.vocab)


if __name__ == "__main__":
    main()
