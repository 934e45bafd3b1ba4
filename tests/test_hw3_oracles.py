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


def _textbook_encode(merges, text: str, pattern: str = bpe.GPT4_SPLIT_PATTERN) -> list[int]:
    """minbpe's encoder: in each chunk, repeatedly merge (everywhere) the pair of ids with the lowest rank."""
    ranks = {bytes([b]): b for b in range(256)}
    for rank, (left, right) in enumerate(merges):
        ranks.setdefault(left + right, 256 + rank)
    pair_ids: dict[tuple[int, int], int] = {}
    for rank, (left, right) in enumerate(merges):
        pair_ids.setdefault((ranks[left], ranks[right]), 256 + rank)
    ids: list[int] = []
    for chunk in bpe.regex.findall(pattern, bpe.without_surrogates(text)):
        chunk_ids = list(chunk.encode("utf-8"))
        while len(chunk_ids) >= 2:
            pair = min(bpe.adjacent_pairs(chunk_ids), key=lambda p: pair_ids.get(p, float("inf")))
            if pair not in pair_ids:
                break
            chunk_ids = bpe.merge_pair(chunk_ids, pair, pair_ids[pair])
        ids += chunk_ids
    return ids


def test_edge_tables_are_trained_and_the_textbook_encoder_agrees_on_them():
    """The hidden suite's rank tables are ones a trainer produces (but one, named), where tiktoken's rule and
    the textbook encoder agree: the handout accepts both encoders."""
    hidden = _hidden_bpe_module()
    trained_from = {
        "whole chunk": "\n".join(["abc"] * 5 + ["bcab"] * 3 + ["ab"] * 2),
        "leftmost of equal ranks": "aaa",
    }
    for name, text in trained_from.items():
        merges = hidden.EDGE_TABLES[name][0]
        assert bpe.train(text, 256 + len(merges)) == merges, name
    assert set(hidden.EDGE_TABLES) == {*trained_from, "same bytes twice"}
    for name, (merges, texts) in hidden.EDGE_TABLES.items():
        encoding = hidden._encoding(merges)
        for text in texts:
            assert _textbook_encode(merges, text) == encoding.encode(text), (name, text)


def test_textbook_encoder_matches_tiktoken_on_trained_tables():
    hidden = _hidden_bpe_module()
    for seed in range(3):
        text = hidden._text(random.Random(seed), 3000)
        merges = bpe.train(text, 600)
        assert _textbook_encode(merges, text) == hidden._encoding(merges).encode(text)


def test_reference_encodes_surrogates_and_unicode_edge_cases_like_tiktoken():
    """tiktoken joins surrogate pairs and turns a lone surrogate into U+FFFD; so does the reference."""
    hidden = _hidden_bpe_module()
    merges = bpe.train(hidden.UNICODE_TRAINING, 300)
    encoding, tokenizer = hidden._encoding(merges), bpe.BPETokenizer(merges)
    for text in hidden.UNICODE_CASES.values():
        assert tokenizer.encode(text) == encoding.encode(text), text
    assert tokenizer.encode("a\ud83db") == tokenizer.encode("a\ufffdb")
    assert tokenizer.decode(tokenizer.encode("\ud83d\ude00")) == "\U0001f600"
