"""Hidden tests of attention.py: causal and padding masks, and scaled dot-product attention.

Oracles: torch.tril for the causal mask (top-left aligned, like SDPA's is_causal), and
torch.nn.functional.scaled_dot_product_attention for attention outputs wherever no query is fully masked.
The weights come from the same formula written with torch.softmax; a fully masked query must get zero weights
and a zero output (the handout's convention), where torch gives NaN. Output and weights are separate parts, so
a correct output with wrong weights (or the reverse) earns part of the points.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from grader.suite import (
    assert_close,
    assert_equal,
    expect_tensor,
    fail,
    heatmap,
    mistake_hint,
    reproduces,
)

POLARITY = (
    "True means 'may attend' (as in F.scaled_dot_product_attention): fill the scores where the mask is False"
)


def _randn(gen: torch.Generator, *shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=dtype)


FILL_ZERO = (
    "masked scores must become -inf, so that they get weight exp(-inf) = 0; a score of 0 still gets the "
    "weight exp(0)"
)
FILL_LARGE_NEGATIVE = (
    "fill masked scores with -inf, not 0 or a large negative number such as -1e9: a query whose keys are all "
    "masked must get zero weights, not uniform ones"
)


def _attention(q, k, v, mask=None, *, scale=True, softmax_dim=-1, mask_after_softmax=False, fill=None):
    """(output, weights) of attention, optionally with one of the usual mistakes (for hints)."""
    scores = q @ k.transpose(-2, -1)
    if scale:
        scores = scores / math.sqrt(q.shape[-1])
    if mask is not None and not mask_after_softmax:
        scores = scores.masked_fill(~mask, float("-inf") if fill is None else fill)
    weights = torch.softmax(scores, dim=softmax_dim).nan_to_num(0.0)
    if mask is not None and mask_after_softmax:
        weights = weights.masked_fill(~mask, 0.0)
    return weights @ v, weights


def _mistakes(q, k, v, mask=None) -> dict[str, list]:
    """The outputs and weights of the usual mistakes, each with the hint that names it."""
    cases = [
        (dict(scale=False), "looks like the 1/sqrt(d_k) scaling is missing"),
        (
            dict(softmax_dim=-2),
            "the softmax runs over the queries (dim=-2); each query's weights over the keys "
            "(dim=-1) must sum to 1",
        ),
    ]
    if mask is not None:
        cases += [
            (dict(mask=~mask), "the mask is the wrong way round: " + POLARITY),
            (
                dict(mask_after_softmax=True),
                "the mask must be applied to the scores before the softmax (masked "
                "scores become -inf), not to the weights after it",
            ),
            # First: where every key is masked, filling with 0 or with -1e9 gives the same uniform weights.
            (dict(fill=-1e9), FILL_LARGE_NEGATIVE),
            (dict(fill=0.0), FILL_ZERO),
        ]
    found: dict[str, list] = {"output": [], "weights": []}
    for kwargs, message in cases:
        kwargs.setdefault("mask", mask)
        out, weights = _attention(q, k, v, **kwargs)
        found["output"].append((out, message))
        found["weights"].append((weights, message))
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    found["weights"].append((scores, "return the softmax weights, not the scores before the softmax"))
    return found


def _dead_row_mistakes(mistakes: list) -> list:
    """The mistakes that can be told apart on queries whose keys are all masked.

    There, filling with 0 gives what filling with -1e9 gives (FILL_LARGE_NEGATIVE names both), and other
    mistakes may coincide too (a flipped mask and no mask both attend to every key): those name none.
    """
    mistakes = [(c, m) for c, m in mistakes if m != FILL_ZERO]
    return [(c, m) for c, m in mistakes if not any(m2 != m and reproduces(c, c2) for c2, m2 in mistakes)]


def _pair(got, what: str) -> tuple:
    if not isinstance(got, (list, tuple)) or len(got) != 2:
        kind = type(got).__name__
        fail(
            f"{what} should return a pair (output, weights), but returned a {kind}", "return output, weights"
        )
    return got[0], got[1]


def _check_attention(
    check, got, qkv, mask, what: str, expected_out=None, weights_share: float = 0.5, figure=None
):
    """Two parts, output and weights, each compared with the oracle and diagnosed against the mistakes.

    When a part fails and `figure` is given, the first (batch, head) slice of the student's weights is drawn
    beside the expected ones, so the feedback page shows the failing case.
    """
    q, k, v = qkv
    out, weights = _attention(q, k, v, mask)
    if expected_out is None:
        expected_out = out
    mistakes = _mistakes(q, k, v, mask)
    got_out, got_weights = _pair(got, what)  # not a pair: no part can pass
    with check.part("output", 1 - weights_share):
        assert_close(got_out, expected_out, what=f"the output of {what}", mistakes=mistakes["output"])
    with check.part("weights", weights_share):
        assert_close(got_weights, weights, what=f"the weights of {what}", mistakes=mistakes["weights"])
    if figure is not None and not all(part.passed for part in check.parts[-2:]):
        with figure.attempt():
            yours, expected = (
                got_weights.reshape(-1, *weights.shape[-2:])[0],
                weights.reshape(-1, *weights.shape[-2:])[0],
            )
            figure.add(
                heatmap(
                    "Your attention weights beside the expected ones (first batch, first head)",
                    [f"q{i}" for i in range(expected.shape[0])],
                    [f"k{j}" for j in range(expected.shape[1])],
                    {"yours": yours, "expected": expected},
                    caption=f"{what.split(' with ')[0]}. Row i: the weights query i gives each key "
                    "(a row sums to 1; masked keys get 0).",
                )
            )


# -- masks ---------------------------------------------------------------------------------------------------


def _causal_mistakes(tq: int, tk: int) -> list:
    ones = torch.ones(tq, tk, dtype=torch.bool)
    return [
        (
            ones.triu(),
            "the mask is upper-triangular: query i may attend to keys 0..i, on and below the diagonal "
            "(tril), not above it",
        ),
        (~ones.tril(), "the mask is the wrong way round: True means 'may attend', on and below the diagonal"),
        (ones.tril(-1), "the diagonal must be True: a token may attend to itself (key j <= query i)"),
        (
            ones.tril(1),
            "one future token leaks: query i may attend to keys 0..i only (j <= i, not j <= i + 1)",
        ),
        (
            ones.tril(tk - tq),
            "the mask is aligned bottom-right; the handout fixes top-left, like SDPA's "
            "is_causal: row i allows keys 0..i whatever Tk is",
        ),
    ]


@pytest.mark.points(3)
def test_causal_mask_square(student, check):
    """causal_mask(T) is a bool (T, T) mask, True on and below the diagonal"""
    for args in ((6,), (6, 6), (1,)):
        t, shown = args[0], f"causal_mask({', '.join(map(str, args))})"
        with check.part(shown):
            got = student.call("attention.causal_mask", *args)
            assert_equal(
                got,
                torch.ones(t, t, dtype=torch.bool).tril(),
                what=shown,
                hint="build it with torch.arange(Tk)[None, :] <= torch.arange(Tq)[:, None], dtype bool",
                mistakes=_causal_mistakes(t, t),
            )


@pytest.mark.points(2)
def test_causal_mask_rectangular(student, check):
    """causal_mask(Tq, Tk) with Tq != Tk is aligned top-left: row i allows keys 0..i"""
    for tq, tk in ((3, 6), (6, 3)):
        with check.part(f"causal_mask({tq}, {tk})"):
            got = student.call("attention.causal_mask", tq, tk)
            assert_equal(
                got,
                torch.ones(tq, tk, dtype=torch.bool).tril(),
                what=f"causal_mask({tq}, {tk})",
                mistakes=_causal_mistakes(tq, tk),
            )


@pytest.mark.points(3)
def test_padding_mask(student, gen, check):
    """padding_mask(lengths, max_len) is bool (B, T), True at the real tokens, with max_len given or not"""
    lengths = torch.randint(1, 6, (4,), generator=gen)
    lengths[int(torch.randint(0, 4, (1,), generator=gen))] = 6  # the longest sets the default max_len
    cases = [
        ("max_len by default", lengths, None, 6),
        # max_len wider than every length: the mask has max_len columns, not lengths.max().
        ("max_len=8, with a length-0 row", torch.tensor([3, 0, 5]), 8, 8),
    ]
    for name, lens, max_len, t in cases:
        with check.part(name):
            expected = torch.arange(t)[None, :] < lens[:, None]
            args = (lens,) if max_len is None else (lens, max_len)
            what = f"padding_mask(lengths={lens.tolist()}" + (
                ")" if max_len is None else f", max_len={max_len})"
            )
            got = student.call("attention.padding_mask", *args)
            expect_tensor(
                got,
                what=what,
                shape=tuple(expected.shape),
                shape_hint=f"the mask has max_len columns when max_len is given ({t} here), "
                "lengths.max() only when it is None",
            )
            assert_equal(
                got,
                expected,
                what=what,
                mistakes=[
                    (
                        ~expected,
                        "the mask is the wrong way round: True at real tokens (position < length), False at "
                        "padding",
                    ),
                    (
                        torch.arange(t)[None, :] <= lens[:, None],
                        "position j is real when j < length (positions start at 0)",
                    ),
                ],
            )


# -- scaled dot-product attention ----------------------------------------------------------------------------

SDPA = "attention.scaled_dot_product_attention"


@pytest.mark.points(4)
def test_sdpa_no_mask(student, gen, check, figure):
    """scaled_dot_product_attention without a mask: output matches torch's, weights are the softmax"""
    q, k, v = _randn(gen, 2, 3, 5, 8), _randn(gen, 2, 3, 6, 8), _randn(gen, 2, 3, 6, 7)
    got = student.call(SDPA, q, k, v)
    _check_attention(
        check,
        got,
        (q, k, v),
        None,
        "scaled_dot_product_attention(q, k, v) with q (2, 3, 5, 8), k (2, 3, 6, 8), v (2, 3, 6, 7)",
        expected_out=F.scaled_dot_product_attention(q, k, v),
        figure=figure,
    )


@pytest.mark.points(2)
def test_sdpa_float64(student, gen, check, figure):
    """scaled_dot_product_attention keeps float64 and its precision, for 3-d inputs"""
    dtype = torch.float64
    q, k, v = (
        _randn(gen, 4, 6, 5, dtype=dtype),
        _randn(gen, 4, 7, 5, dtype=dtype),
        _randn(gen, 4, 7, 3, dtype=dtype),
    )
    got = student.call(SDPA, q, k, v)
    _check_attention(
        check,
        got,
        (q, k, v),
        None,
        "scaled_dot_product_attention(q, k, v) with float64 q (4, 6, 5), k (4, 7, 5), v (4, 7, 3)",
        figure=figure,
    )


@pytest.mark.points(3)
def test_sdpa_causal_mask(student, gen, check, figure):
    """scaled_dot_product_attention with a (T, T) causal mask broadcast over batch and heads"""
    t = 6
    q, k, v = _randn(gen, 2, 3, t, 8), _randn(gen, 2, 3, t, 8), _randn(gen, 2, 3, t, 8)
    mask = torch.ones(t, t, dtype=torch.bool).tril()
    got = student.call(SDPA, q, k, v, mask=mask)
    _check_attention(
        check,
        got,
        (q, k, v),
        mask,
        "scaled_dot_product_attention(q, k, v, mask) with q, k, v (2, 3, 6, 8) and a causal mask (6, 6)",
        expected_out=F.scaled_dot_product_attention(q, k, v, attn_mask=mask),
        figure=figure,
    )


@pytest.mark.points(3)
def test_sdpa_padding_mask(student, gen, check, figure):
    """scaled_dot_product_attention with a padding mask (B, 1, 1, Tk) broadcast over heads and queries"""
    b, tk = 3, 7
    lengths = torch.randint(1, tk, (b,), generator=gen)
    mask = (torch.arange(tk)[None, :] < lengths[:, None]).view(b, 1, 1, tk)
    q, k, v = _randn(gen, b, 2, 5, 4), _randn(gen, b, 2, tk, 4), _randn(gen, b, 2, tk, 6)
    got = student.call(SDPA, q, k, v, mask=mask)
    _check_attention(
        check,
        got,
        (q, k, v),
        mask,
        f"scaled_dot_product_attention(q, k, v, mask) with q (3, 2, 5, 4), "
        f"k (3, 2, 7, 4), v (3, 2, 7, 6) and a padding mask (3, 1, 1, 7) for lengths {lengths.tolist()}",
        expected_out=F.scaled_dot_product_attention(q, k, v, attn_mask=mask),
        figure=figure,
    )


@pytest.mark.points(3)
def test_sdpa_fully_masked_rows(student, gen, check):
    """a query whose keys are all masked gets zero weights and output, not NaN; other queries unaffected"""
    tq, tk = 6, 5
    q, k, v = _randn(gen, 2, tq, 4), _randn(gen, 2, tk, 4), _randn(gen, 2, tk, 3)
    mask = torch.rand(tq, tk, generator=gen) < 0.6
    mask[torch.arange(tq), torch.randint(0, tk, (tq,), generator=gen)] = True  # every row keeps one key ...
    dead = [1, 4]
    mask[dead] = False  # ... except these
    live = [i for i in range(tq) if i not in dead]
    what = (
        "scaled_dot_product_attention(q, k, v, mask) with q (2, 6, 4), k (2, 5, 4), v (2, 5, 3), mask (6, 5)"
    )
    out, weights = _attention(q, k, v, mask)
    got = student.call(SDPA, q, k, v, mask=mask)
    got_out, got_weights = _pair(got, what)
    got_out = expect_tensor(got_out, what=f"the output of {what}", shape=out.shape, dtype=out.dtype)
    got_weights = expect_tensor(
        got_weights, what=f"the weights of {what}", shape=weights.shape, dtype=weights.dtype
    )
    with check.part("fully masked queries give zeros", 0.5):
        for name, got_t, expected in (("output", got_out, out), ("weights", got_weights, weights)):
            part = got_t[:, dead]
            mistakes = _dead_row_mistakes([(c[:, dead], m) for c, m in _mistakes(q, k, v, mask)[name]])
            assert_close(
                part,
                expected[:, dead],
                what=f"the {name} of {what}, queries {dead} (every key masked)",
                hint="a query with no visible key must give zero weights and a zero output, not NaN: make "
                "your softmax return zeros for a row of all -inf"
                if bool(part.isnan().any())
                else "",
                mistakes=mistakes,
            )
    with check.part("other queries", 0.5):
        for name, got_t, expected in (("output", got_out, out), ("weights", got_weights, weights)):
            part = got_t[:, live]
            mistakes = [(c[:, live], m) for c, m in _mistakes(q, k, v, mask)[name]]
            assert_close(
                part, expected[:, live], what=f"the {name} of {what}, queries {live}", mistakes=mistakes
            )


@pytest.mark.points(4)
def test_sdpa_gradients(student, gen, check):
    """gradients of scaled_dot_product_attention w.r.t. query, key and value match torch (float64, masked)"""
    dtype = torch.float64
    q, k, v = (
        _randn(gen, 2, 5, 4, dtype=dtype),
        _randn(gen, 2, 6, 4, dtype=dtype),
        _randn(gen, 2, 6, 3, dtype=dtype),
    )
    mask = torch.ones(5, 6, dtype=torch.bool).tril(1)
    g = _randn(gen, 2, 5, 3, dtype=dtype)
    leaves = [t.clone().requires_grad_(True) for t in (q, k, v)]
    F.scaled_dot_product_attention(*leaves, attn_mask=mask).backward(g)
    got = student.call_with_grad(
        SDPA, args=(q, k, v), kwargs={"mask": mask}, grad_output=g, wrt_args=(0, 1, 2), output=0
    )
    value = got.value[0] if isinstance(got.value, (list, tuple)) and got.value else got.value
    hint = mistake_hint(value, _attention(q, k, v, mask)[0], _mistakes(q, k, v, mask)["output"], "")
    if hint:
        hint = "the output itself is wrong: " + hint
    elif not reproduces(value, _attention(q, k, v, mask)[0]):
        hint = (
            "the output itself is already wrong (see the other attention tests); fix the forward pass first"
        )
    else:
        hint = (
            "build the output from differentiable torch operations only (no .item(), numpy, or .detach() "
            "outside the softmax's max shift)"
        )
    for index, name in enumerate(("query", "key", "value")):
        with check.part(f"d {name}"):
            grad = got.args[index] if len(got.args) > index else None
            assert_close(
                grad,
                leaves[index].grad,
                what=f"the gradient of scaled_dot_product_attention(q, k, v, "
                f"mask)[0] w.r.t. {name}, with q (2, 5, 4), k (2, 6, 4), v (2, 6, 3), mask (5, 6)",
                hint=hint,
            )


@pytest.mark.points(3)
def test_sdpa_dropout(student, gen, check):
    """dropout_p drops a fraction p of the weights (all of them for p = 1), scales survivors by 1/(1-p), and
    follows `generator`"""
    p, b, t = 0.3, 4, 32
    q, k = _randn(gen, b, t, 8), _randn(gen, b, t, 8)
    v = (
        torch.eye(t).expand(b, t, t).contiguous()
    )  # value = identity, so the output is the dropped-out weights
    _, weights = _attention(q, k, v)
    what = (
        f"scaled_dot_product_attention(q, k, v, dropout_p={p}) with q, k (4, 32, 8) and "
        "v = identity (4, 32, 32)"
    )
    got = student.call(SDPA, q, k, v, dropout_p=p)
    got_out, got_weights = _pair(got, what)
    mixing = expect_tensor(got_out, what=f"the output of {what}", shape=(b, t, t), dtype=torch.float32)
    with check.part("weights are returned before dropout", 0.2):
        returned_dropped = (
            "return the softmax weights before dropout; dropout acts only on the weights that multiply the "
            "values"
        )
        assert_close(
            got_weights,
            weights,
            what=f"the weights of {what}",
            # With value = identity the output is the weights after dropout: returning those is the mistake.
            mistakes=[(mixing, returned_dropped), *_mistakes(q, k, v)["weights"]],
        )
    dropped = mixing == 0
    with check.part("fraction dropped", 0.25):
        fraction = dropped.double().mean().item()
        if abs(fraction - p) > 0.05:
            fail(
                f"{what}: {fraction:.1%} of the attention weights were dropped, expected about {p:.0%}",
                "keep each weight with probability 1 - p (e.g. torch.rand(...) >= p) and zero the others",
            )
    with check.part("survivors scaled by 1/(1-p)", 0.25):
        kept = ~dropped
        if not kept.any():
            fail(f"{what}: every attention weight was dropped")
        assert_close(
            mixing[kept],
            weights[kept] / (1 - p),
            what=f"the kept weights (the output) of {what}",
            mistakes=[(weights[kept], "inverted dropout scales the kept weights by 1 / (1 - p)")],
        )
    with check.part("dropout_p=1 drops everything", 0.1):
        shown = what.replace(f"dropout_p={p}", "dropout_p=1.0")
        out = expect_tensor(
            _pair(student.call(SDPA, q, k, v, dropout_p=1.0), shown)[0],
            what=f"the output of {shown}",
            shape=(b, t, t),
            dtype=torch.float32,
        )
        assert_close(
            out,
            torch.zeros(b, t, t),
            what=f"the output of {shown}",
            hint="dropout_p = 1 drops every weight, so the output is zero; do not divide by 1 - p = 0 "
            "(0 / 0 is NaN)"
            if bool(out.isnan().any())
            else "",
        )
    with check.part("generator makes it reproducible", 0.2):
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen))
        runs = []
        for s in (seed, seed, seed + 1):
            generator = student.generator(s)
            got = student.call(SDPA, q, k, v, dropout_p=p, generator=generator.handle)
            runs.append(expect_tensor(_pair(got, what)[0], what=f"the output of {what}", shape=(b, t, t)))
        if not torch.equal(runs[0], runs[1]):
            fail(
                f"{what} with two generators seeded alike gave different outputs",
                "draw the dropout mask from `generator` (torch.rand(..., generator=generator))",
            )
        if torch.equal(runs[0], runs[2]):
            fail(
                f"{what} with generators seeded differently gave the same output",
                "draw the dropout mask from `generator` (torch.rand(..., generator=generator))",
            )
