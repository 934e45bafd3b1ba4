"""Hidden tests of scores.py: the six score functions against torch formulas, batched, broadcast, gradients.

Sizes are chosen so that the usual mistakes show: d != Tk (which dimension was used for the scaling),
d_q != d_k (a transposed W does not even fit), Tq != Tk (scores laid out (Tk, Tq) do not fit), and hints name
the mistake when the result reproduces it. The location-based score is also checked on numbers small enough to
verify by hand.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from grader.suite import assert_close, reproduces

FORWARD_WRONG = "the scores themselves are already wrong (see {}); fix the forward computation first"
LOCATION_TRANSPOSED = (
    "W_a is used transposed: the score is s @ W_a with W_a of shape (d, Tk), one column per source position"
)
LOCATION_SOFTMAX = (
    "location_score returns the scores s @ W_a before the softmax, like the other score functions; "
    "the lecture's alpha_t is softmax(location_score(s, W_a), dim=-1)"
)
LOCATION_LAYOUT = (
    "the scores come out as (..., Tk, Tq), the lecture's column vectors W_a s_t side by side; "
    "return (..., Tq, Tk): row t holds target t's scores for every source position"
)


def _location_mistakes(s: torch.Tensor, w_a: torch.Tensor) -> list[tuple[torch.Tensor, str]]:
    scores = s @ w_a
    mistakes = [(scores.softmax(dim=-1), LOCATION_SOFTMAX), (scores.transpose(-2, -1), LOCATION_LAYOUT)]
    if w_a.shape[0] == w_a.shape[1]:
        mistakes.append((s @ w_a.T, LOCATION_TRANSPOSED))
    return mistakes


def _randn(gen: torch.Generator, *shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=dtype)


@pytest.mark.points(2)
def test_dot_score(student, gen, check):
    """dot_score(q, k) = q @ k^T, batched and with broadcast leading dims"""
    with check.part("batched"):
        q, k = _randn(gen, 2, 3, 5, 8), _randn(gen, 2, 3, 6, 8)
        got = student.call("scores.dot_score", q, k)
        assert_close(
            got,
            q @ k.transpose(-2, -1),
            what="dot_score(q, k) with q (2, 3, 5, 8), k (2, 3, 6, 8)",
            mistakes=[
                (
                    (q @ k.transpose(-2, -1)) / math.sqrt(8),
                    "dot_score is not scaled; only scaled_dot_score divides by sqrt(d)",
                )
            ],
        )
    with check.part("broadcast leading dims"):
        q, k = _randn(gen, 2, 1, 5, 8), _randn(gen, 3, 6, 8)
        got = student.call("scores.dot_score", q, k)
        assert_close(
            got,
            torch.matmul(q, k.transpose(-2, -1)),
            what="dot_score(q, k) with q (2, 1, 5, 8), k (3, 6, 8)",
            hint="transpose only the last two dims of the key (key.transpose(-2, -1)) and let @ broadcast",
        )


@pytest.mark.points(2)
def test_scaled_dot_score(student, gen, check):
    """scaled_dot_score(q, k) = q @ k^T / sqrt(d), float32 and float64"""
    for dtype, (tq, tk, d) in ((torch.float32, (5, 9, 4)), (torch.float64, (7, 3, 12))):
        name = str(dtype).removeprefix("torch.")
        with check.part(name):
            q, k = _randn(gen, 2, tq, d, dtype=dtype), _randn(gen, 2, tk, d, dtype=dtype)
            raw = q @ k.transpose(-2, -1)
            got = student.call("scores.scaled_dot_score", q, k)
            assert_close(
                got,
                raw / math.sqrt(d),
                what=f"scaled_dot_score(q, k) with {name} q (2, {tq}, {d}), k (2, {tk}, {d})",
                mistakes=[
                    (raw, "looks like the 1/sqrt(d_k) scaling is missing"),
                    (raw / d, "divide by sqrt(d), not by d"),
                    (raw / math.sqrt(tk), "d is the feature size query.shape[-1], not the number of keys"),
                    (raw / math.sqrt(tq), "d is the feature size query.shape[-1], not the number of queries"),
                    (raw * math.sqrt(d), "divide by sqrt(d), do not multiply"),
                ],
            )


@pytest.mark.points(2)
def test_general_score(student, gen, check):
    """general_score(q, k, W) = q @ W @ k^T, for square and rectangular W"""
    with check.part("square W"):
        q, k, w = _randn(gen, 2, 5, 6), _randn(gen, 2, 7, 6), _randn(gen, 6, 6)
        got = student.call("scores.general_score", q, k, w)
        assert_close(
            got,
            q @ w @ k.transpose(-2, -1),
            what="general_score(q, k, W) with q (2, 5, 6), k (2, 7, 6), W (6, 6)",
            mistakes=[
                (
                    q @ w.T @ k.transpose(-2, -1),
                    "W is used transposed: the score is q @ W @ k^T with W of shape (d_q, d_k)",
                ),
                (q @ k.transpose(-2, -1), "W is not used"),
            ],
        )
    with check.part("rectangular W (d_q != d_k)"):
        q, k, w = _randn(gen, 3, 4, 6), _randn(gen, 3, 5, 4), _randn(gen, 6, 4)
        got = student.call("scores.general_score", q, k, w)
        assert_close(
            got,
            q @ w @ k.transpose(-2, -1),
            what="general_score(q, k, W) with q (3, 4, 6), k (3, 5, 4), W (6, 4)",
            hint="W has shape (d_q, d_k): compute (q @ W) @ k^T",
        )


@pytest.mark.points(3)
def test_additive_score(student, gen, check):
    """additive_score = v · tanh(q W_q + k W_k) for every (query, key) pair"""
    for dtype in (torch.float32, torch.float64):
        name = str(dtype).removeprefix("torch.")
        with check.part(name):
            q, k = _randn(gen, 2, 5, 6, dtype=dtype), _randn(gen, 2, 7, 4, dtype=dtype)
            w_q, w_k, v = (
                _randn(gen, 6, 10, dtype=dtype),
                _randn(gen, 4, 10, dtype=dtype),
                _randn(gen, 10, dtype=dtype),
            )
            hidden = (q @ w_q).unsqueeze(-2) + (k @ w_k).unsqueeze(-3)  # (2, 5, 7, 10)
            got = student.call("scores.additive_score", q, k, w_q, w_k, v)
            assert_close(
                got,
                hidden.tanh() @ v,
                what=f"additive_score(q, k, W_q, W_k, v) with {name} q (2, 5, 6), k (2, 7, 4), W_q (6, 10), "
                "W_k (4, 10), v (10,)",
                mistakes=[
                    (hidden @ v, "looks like the tanh is missing: v · tanh(q W_q + k W_k)"),
                    ((hidden @ v).tanh(), "tanh goes on q W_q + k W_k, before the dot product with v"),
                ],
            )


@pytest.mark.points(2)
def test_cosine_score(student, gen, check):
    """cosine_score is the cosine similarity of every (query, key) pair, and 0 for a zero vector"""
    q = _randn(gen, 2, 5, 8)
    k = _randn(gen, 2, 6, 8) * torch.rand(2, 6, 1, generator=gen).mul(20).add(0.1)  # keys of many lengths
    expected = F.cosine_similarity(q.unsqueeze(-2), k.unsqueeze(-3), dim=-1)
    with check.part("values"):
        got = student.call("scores.cosine_score", q, k)
        assert_close(
            got,
            expected,
            what="cosine_score(q, k) with q (2, 5, 8), k (2, 6, 8)",
            mistakes=[
                (q @ k.transpose(-2, -1), "normalise q and k to unit length before the dot product"),
                (
                    (q @ k.transpose(-2, -1)) / math.sqrt(8),
                    "cosine similarity divides by the norms of q and k, not by sqrt(d)",
                ),
            ],
        )
    with check.part("zero vectors"):
        q0, k0 = q.clone(), k.clone()
        q0[0, 1] = 0.0
        k0[1, 2] = 0.0
        got = student.call("scores.cosine_score", q0, k0)
        assert_close(
            got,
            F.cosine_similarity(q0.unsqueeze(-2), k0.unsqueeze(-3), dim=-1),
            what="cosine_score(q, k) with q (2, 5, 8), k (2, 6, 8), q[0, 1] and k[1, 2] all zeros",
            hint="clamp each norm to at least eps (norm.clamp_min(eps)) so a zero vector scores 0, "
            "not 0/0 = NaN",
        )


@pytest.mark.points(2)
def test_location_score(student, gen, check):
    """location_score(s, W_a) = s @ W_a: the target state alone scores every source position"""
    with check.part("by hand"):
        # Each state picks rows of W_a: [1, 0] the first, [0, 1] the second, [1, 1] their sum, [0, 0] nothing.
        s = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])  # (Tq, d) = (4, 2)
        w_a = torch.tensor([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])  # (d, Tk) = (2, 3)
        expected = torch.tensor([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0], [1.0, 1.0, 3.0], [0.0, 0.0, 0.0]])
        got = student.call("scores.location_score", s, w_a)
        assert_close(
            got,
            expected,
            what="location_score(s, W_a) with s [[1, 0], [0, 1], [1, 1], [0, 0]], "
            "W_a [[1, 2, 0], [0, -1, 3]]",
            mistakes=_location_mistakes(s, w_a),
        )
    with check.part("square W_a, float64"):
        s, w_a = _randn(gen, 3, 4, 5, dtype=torch.float64), _randn(gen, 5, 5, dtype=torch.float64)
        got = student.call("scores.location_score", s, w_a)
        assert_close(
            got,
            s @ w_a,
            what="location_score(s, W_a) with float64 s (3, 4, 5), W_a (5, 5)",
            mistakes=_location_mistakes(s, w_a),
        )
    with check.part("broadcast leading dims, d != Tk"):
        s, w_a = _randn(gen, 2, 3, 4, 6), _randn(gen, 6, 7)
        got = student.call("scores.location_score", s, w_a)
        assert_close(
            got,
            s @ w_a,
            what="location_score(s, W_a) with s (2, 3, 4, 6), W_a (6, 7)",
            hint="W_a has shape (d, Tk): compute s @ W_a and let @ broadcast over the leading dims",
            mistakes=_location_mistakes(s, w_a),
        )


@pytest.mark.points(2)
def test_score_gradients(student, gen, check):
    """gradients of scaled_dot_score, additive_score and location_score match torch autograd (float64)"""
    dtype = torch.float64
    q, k = _randn(gen, 2, 4, 6, dtype=dtype), _randn(gen, 2, 5, 6, dtype=dtype)
    with check.part("scaled_dot_score"):
        g = _randn(gen, 2, 4, 5, dtype=dtype)
        leaves = [t.clone().requires_grad_(True) for t in (q, k)]
        expected = leaves[0] @ leaves[1].transpose(-2, -1) / math.sqrt(6)
        expected.backward(g)
        got = student.call_with_grad("scores.scaled_dot_score", args=(q, k), grad_output=g, wrt_args=(0, 1))
        hint = (
            "" if reproduces(got.value, expected.detach()) else FORWARD_WRONG.format("test_scaled_dot_score")
        )
        for name, grad, leaf in zip(("query", "key"), got.args, leaves):
            assert_close(
                grad, leaf.grad, what=f"the gradient of scaled_dot_score(q, k) w.r.t. {name}", hint=hint
            )
    with check.part("additive_score"):
        k2 = _randn(gen, 2, 5, 3, dtype=dtype)
        w_q, w_k, v = (
            _randn(gen, 6, 7, dtype=dtype),
            _randn(gen, 3, 7, dtype=dtype),
            _randn(gen, 7, dtype=dtype),
        )
        g = _randn(gen, 2, 4, 5, dtype=dtype)
        inputs = (q, k2, w_q, w_k, v)
        leaves = [t.clone().requires_grad_(True) for t in inputs]
        lq, lk, lwq, lwk, lv = leaves
        expected = ((lq @ lwq).unsqueeze(-2) + (lk @ lwk).unsqueeze(-3)).tanh() @ lv
        expected.backward(g)
        got = student.call_with_grad(
            "scores.additive_score", args=inputs, grad_output=g, wrt_args=(0, 1, 2, 3, 4)
        )
        hint = "" if reproduces(got.value, expected.detach()) else FORWARD_WRONG.format("test_additive_score")
        for name, grad, leaf in zip(("query", "key", "w_query", "w_key", "v"), got.args, leaves):
            assert_close(
                grad,
                leaf.grad,
                what=f"the gradient of additive_score(q, k, W_q, W_k, v) w.r.t. {name}",
                hint=hint,
            )
    with check.part("location_score"):
        s, w_a = _randn(gen, 2, 4, 3, dtype=dtype), _randn(gen, 3, 5, dtype=dtype)
        g = _randn(gen, 2, 4, 5, dtype=dtype)
        leaves = [t.clone().requires_grad_(True) for t in (s, w_a)]
        expected = leaves[0] @ leaves[1]
        expected.backward(g)
        got = student.call_with_grad("scores.location_score", args=(s, w_a), grad_output=g, wrt_args=(0, 1))
        hint = "" if reproduces(got.value, expected.detach()) else FORWARD_WRONG.format("test_location_score")
        for name, grad, leaf in zip(("s", "W_a"), got.args, leaves):
            assert_close(
                grad, leaf.grad, what=f"the gradient of location_score(s, W_a) w.r.t. {name}", hint=hint
            )
