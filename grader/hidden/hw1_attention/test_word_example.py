"""Hidden tests of word_example.py: the course's 'Put the cube on the table' example, step by step.

The word index may be dense (sorted distinct words numbered 0..n-1) or follow the course notebook's
{w: i for i, w in enumerate(sorted(words))}, in which the repeated 'the' gets 5: both are accepted. The
embedding table and the projection matrices are drawn from the test's generator.
"""

from __future__ import annotations

import math

import pytest
import torch

from grader.suite import assert_close, assert_equal, fail, heatmap

SENTENCE = "Put the cube on the table"


def _words(sentence: str) -> list[str]:
    return sentence.replace(",", "").split()


def _dense_index(sentence: str) -> dict[str, int]:
    return {word: i for i, word in enumerate(sorted(set(_words(sentence))))}


def _notebook_index(sentence: str) -> dict[str, int]:
    return {word: i for i, word in enumerate(sorted(_words(sentence)))}


def _sequence(got, n: int, what: str) -> list:
    if not isinstance(got, (list, tuple)) or len(got) != n:
        fail(f"{what} should return a tuple of {n} tensors, but returned {type(got).__name__}")
    return list(got)


def _setup(gen: torch.Generator):
    """The embedded course sentence (6, 16) and W_q (16, 12), W_k (16, 12), W_v (16, 10)."""
    index = _dense_index(SENTENCE)
    ids = torch.tensor([index[word] for word in _words(SENTENCE)])
    table = torch.randn(len(index), 16, generator=gen)  # an nn.Embedding's weight
    embedded = table[ids]  # (6, 16); the two 'the' rows are equal
    w_q, w_k = torch.randn(16, 12, generator=gen) / 4, torch.randn(16, 12, generator=gen) / 4
    w_v = torch.randn(16, 10, generator=gen) / 4
    return embedded, w_q, w_k, w_v


@pytest.mark.points(3)
def test_build_word_index(student, check):
    """build_word_index numbers the words in sorted order (dense ids or the notebook's numbering)"""
    sentences = (SENTENCE, "the dog saw the cat, and the cat saw a Dog")
    for sentence in sentences:
        with check.part(repr(sentence)):
            what = f"build_word_index({sentence!r})"
            got = student.call("word_example.build_word_index", sentence)
            dense, notebook = _dense_index(sentence), _notebook_index(sentence)
            if got in (dense, notebook):
                continue
            if not isinstance(got, dict):
                fail(f"{what} should return a dict {{word: id}}, but returned a {type(got).__name__}")
            if set(got) != set(dense):
                missing, extra = sorted(set(dense) - set(got)), sorted(set(got) - set(dense))
                fail(
                    f"{what} has the wrong words: missing {missing}, unexpected {extra}",
                    "remove commas, split on whitespace and keep the case ('Put' and 'put' are different "
                    "words)",
                )
            hint = "number the sorted distinct words 0, 1, ..., n-1"
            if got == {word: i + 1 for word, i in dense.items()}:
                hint = "the ids start at 1; number the sorted words from 0"
            elif got == {word: i + 1 for word, i in notebook.items()}:
                hint = "the ids start at 1; number the sorted words from 0 (enumerate starts at 0)"
            elif sorted(got.values()) == sorted(dense.values()):
                hint = "number the words in sorted order (sorted(...), where capitals come before lower case)"
            fail(f"{what}: expected {dense} (or the notebook's {notebook}), got {got}", hint)


@pytest.mark.points(2)
def test_encode_sentence(student, check):
    """encode_sentence gives an int64 tensor of the index's ids in sentence order"""
    cases = (
        (SENTENCE, _dense_index(SENTENCE)),
        ("the cube, the table", {"the": 7, "cube": 3, "table": 11, "Put": 0, "on": 2}),
    )
    for sentence, index in cases:
        with check.part(repr(sentence)):
            what = f"encode_sentence({sentence!r}, {index})"
            got = student.call("word_example.encode_sentence", sentence, index)
            expected = torch.tensor([index[word] for word in _words(sentence)], dtype=torch.long)
            assert_equal(
                got,
                expected,
                what=what,
                hint="look each word up in the given index (commas removed, "
                "split on whitespace), and return torch.tensor(ids, dtype=torch.long)",
            )


@pytest.mark.points(3)
def test_project_token(student, gen, check):
    """project_token gives the query of token `position` and the keys and values of every token"""
    embedded, w_q, w_k, w_v = _setup(gen)
    position = 1
    what = (
        "project_token(embedded, W_q, W_k, W_v, position=1) with embedded (6, 16), W_q, W_k (16, 12), "
        "W_v (16, 10)"
    )
    got = _sequence(student.call("word_example.project_token", embedded, w_q, w_k, w_v, position), 3, what)
    with check.part("query"):
        assert_close(
            got[0],
            embedded[position] @ w_q,
            what=f"the query of {what}",
            mistakes=[
                (embedded[position - 1] @ w_q, "position is 0-based: the query of x_2 is embedded[1] @ W_q"),
                (embedded[position + 1] @ w_q, "position is 0-based: the query of x_2 is embedded[1] @ W_q"),
                (embedded[position] @ w_k, "the query uses W_q, not W_k"),
            ],
        )
    with check.part("keys"):
        assert_close(
            got[1],
            embedded @ w_k,
            what=f"the keys of {what}",
            mistakes=[
                (embedded @ w_q, "the keys use W_k, not W_q"),
                (embedded @ w_v, "the keys use W_k, not W_v"),
            ],
        )
    with check.part("values"):
        assert_close(
            got[2], embedded @ w_v, what=f"the values of {what}", hint="every token's value: embedded @ W_v"
        )


@pytest.mark.points(4)
def test_token_attention(student, gen, check, figure):
    """token_attention gives omega = q · k_j, softmax(omega / sqrt(d_k)) and the context, for two tokens"""
    embedded, w_q, w_k, w_v = _setup(gen)
    keys, values = embedded @ w_k, embedded @ w_v
    results = []
    for position in (1, 4):
        what = f"token_attention(embedded, W_q, W_k, W_v, position={position}) with embedded (6, 16)"
        got = _sequence(
            student.call("word_example.token_attention", embedded, w_q, w_k, w_v, position), 3, what
        )
        scores = keys @ (embedded[position] @ w_q)
        weights = torch.softmax(scores / math.sqrt(12), dim=-1)
        near = [keys @ (embedded[i] @ w_q) for i in (position - 1, position + 1)]
        results.append((what, got, scores, weights, weights @ values, near))
    with check.part("scores (omega)", 0.3):
        for what, got, scores, _, _, near in results:
            assert_close(
                got[0],
                scores,
                what=f"the scores of {what}",
                mistakes=[
                    (
                        scores / math.sqrt(12),
                        "return omega before the scaling; divide by sqrt(d_k) only for the softmax",
                    ),
                    *[
                        (other, "position is 0-based: the query of x_2 is embedded[1] @ W_q")
                        for other in near
                    ],
                ],
            )
    with check.part("weights", 0.35):
        for what, got, scores, weights, _, _ in results:
            assert_close(
                got[1],
                weights,
                what=f"the weights of {what}",
                mistakes=[
                    (
                        torch.softmax(scores, dim=-1),
                        "looks like the 1/sqrt(d_k) scaling is missing before the softmax",
                    ),
                    (torch.softmax(scores / 12, dim=-1), "divide by sqrt(d_k), not by d_k"),
                ],
            )
    with check.part("context", 0.35):
        for what, got, scores, _, context, _ in results:
            assert_close(
                got[2],
                context,
                what=f"the context vector of {what}",
                mistakes=[
                    (
                        torch.softmax(scores, dim=-1) @ values,
                        "looks like the 1/sqrt(d_k) scaling is missing before the softmax",
                    )
                ],
            )
    with figure.attempt():
        words = _words(SENTENCE)
        yours = [
            student.call("word_example.token_attention", embedded, w_q, w_k, w_v, position)[1]
            for position in range(len(words))
        ]
        reference = torch.softmax((embedded @ w_q) @ keys.T / math.sqrt(12), dim=-1)
        figure.add(
            heatmap(
                "Attention weights on the course sentence",
                words,
                words,
                {"yours": torch.stack(yours), "reference": reference},
                caption="Row i: the weights token i's query gives every token (each row sums to 1); "
                "both 'the' rows are equal because the two words share an embedding.",
            )
        )
