"""hw3's reference against the oracles: an independent recount-every-merge trainer (kept in the hidden suite)
and tiktoken built from the same merges; and the reference trainer's speed on the students' time budget."""

from __future__ import annotations

import importlib.util
import random
import time

import pytest
import tiktoken

from grader.assignments import get_assignment
from solutions.hw3_tokenization import bpe

HW3 = get_assignment("hw3_tokenization")


def _hidden_bpe_module():
    """The hidden BPE test module (for its independent recount trainer and text generator)."""
    spec = importlib.util.spec_from_file_location("hw3_hidden_bpe", HW3.suite_dir / "test_bpe.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("pattern", [bpe.GPT4_SPLIT_PATTERN, bpe.GPT2_SPLIT_PATTERN], ids=["gpt4", "gpt2"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reference_trainer_matches_an_independent_recount(pattern: str, seed: int):
    """The incremental trainer learns exactly the merges of the recount-every-merge algorithm."""
    hidden = _hidden_bpe_module()
    text = hidden._text(random.Random(seed), 1500) + "aaaa aaaaa  1111 000000\n\n\n"
    assert bpe.train(text, 420, pattern) == hidden.recount_train(text, 420, pattern, ties="bytes")


def test_reference_encoding_matches_tiktoken_and_round_trips():
    text = _hidden_bpe_module()._text(random.Random(7), 20_000)
    merges = bpe.train(text, 1024)
    ranks = {bytes([b]): b for b in range(256)}
    for rank, (left, right) in enumerate(merges):
        ranks.setdefault(left + right, 256 + rank)
    encoding = tiktoken.Encoding(
        name="hw3", pat_str=bpe.GPT4_SPLIT_PATTERN, mergeable_ranks=ranks, special_tokens={}
    )
    tokenizer = bpe.BPETokenizer(merges)
    sample = text + "🚀 unseen Zürich 12345 \r\n\t "
    ids = tokenizer.encode(sample)
    assert ids == encoding.encode(sample)
    assert tokenizer.decode(ids) == sample


def test_reference_trainer_is_fast():
    """300 KB to 512 tokens (the students get 15 s for it) takes the reference well under 2 s."""
    text = _hidden_bpe_module()._text(random.Random(3), 120_000)[:300_000]
    start = time.perf_counter()
    assert len(bpe.train(text, 512)) == 256
    assert time.perf_counter() - start < 2.0
