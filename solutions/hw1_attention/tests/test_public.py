"""Public tests for assignment 1 (attention): run them with `python check.py` in the assignment folder.

Every test compares your code with PyTorch (torch.softmax, F.scaled_dot_product_attention,
nn.MultiheadAttention with the same weights) or checks a property any correct answer has (rows sum to 1,
shapes, masked positions get zero weight). The hidden tests do the same on more shapes, masks, dtypes and
gradients, so passing these is necessary but not sufficient.

Test names start with the step of the handout they check: `-k step3` runs the softmax tests only.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hw1_attention.attention import causal_mask, padding_mask, scaled_dot_product_attention
from hw1_attention.multihead import MultiHeadAttention
from hw1_attention.scores import (
    additive_score,
    cosine_score,
    dot_score,
    general_score,
    location_score,
    scaled_dot_score,
)
from hw1_attention.softmax import softmax
from hw1_attention.word_example import build_word_index, encode_sentence, project_token, token_attention

DTYPES = [pytest.param(torch.float32, id="float32"), pytest.param(torch.float64, id="float64")]
# Float rounding differs between any two correct implementations; these bounds are far above it and far
# below any real mistake.
ATOL = {torch.float32: 1e-5, torch.float64: 1e-10}
SENTENCE = "Put the cube on the table"


def assert_close(actual: torch.Tensor, expected: torch.Tensor, dtype: torch.dtype) -> None:
    torch.testing.assert_close(actual, expected, atol=ATOL[dtype], rtol=ATOL[dtype])


# ---------------------------------------------------------------- step 1-2: the sentence, one token's q, k, v


def test_step1_word_index_numbers_words_in_sorted_order() -> None:
    index = build_word_index(SENTENCE)
    assert set(index) == {"Put", "cube", "on", "table", "the"}
    assert len(set(index.values())) == len(index)  # different words, different ids
    # Dense ids (the handout's) or the notebook's ids both keep the sorted order of the words.
    assert [index[w] for w in sorted(index)] == sorted(index.values())
    ids = encode_sentence(SENTENCE, index)
    assert ids.dtype == torch.long and ids.shape == (6,)
    assert ids.tolist() == [index[w] for w in SENTENCE.split()]


def test_step2_project_token_shapes_and_values() -> None:
    gen = torch.Generator().manual_seed(0)
    embedded = torch.randn(6, 3, generator=gen)
    w_q, w_k, w_v = (torch.rand(3, n, generator=gen) for n in (2, 2, 4))
    query, keys, values = project_token(embedded, w_q, w_k, w_v, position=1)
    assert query.shape == (2,) and keys.shape == (6, 2) and values.shape == (6, 4)
    torch.testing.assert_close(query, torch.mv(w_q.T, embedded[1]))
    torch.testing.assert_close(keys, torch.mm(embedded, w_k))


# ---------------------------------------------------------------- step 3: softmax


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_step3_softmax_matches_torch_values_and_gradients(dtype: torch.dtype, dim: int) -> None:
    x = (torch.randn(4, 5, 6, dtype=dtype) * 3).requires_grad_()
    ours, theirs = softmax(x, dim=dim), torch.softmax(x, dim=dim)
    assert_close(ours, theirs, dtype)
    grad = torch.randn_like(theirs)
    (g_ours,) = torch.autograd.grad(ours, x, grad)
    (g_theirs,) = torch.autograd.grad(theirs, x, grad)
    assert_close(g_ours, g_theirs, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_step3_softmax_huge_and_infinite_logits(dtype: torch.dtype) -> None:
    x = torch.tensor([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]], dtype=dtype)
    assert_close(softmax(x), torch.softmax(x, dim=-1), dtype)
    inf = math.inf
    x = torch.tensor([[0.0, -inf, 1.0], [-inf, -inf, -inf]], dtype=dtype)
    out = softmax(x)
    assert_close(out[0], torch.softmax(x[0], dim=-1), dtype)  # -inf is weight 0
    assert torch.equal(out[1], torch.zeros(3, dtype=dtype))  # all -inf: zeros, not NaN


# ---------------------------------------------------------------- step 4: one token attends to the sentence


def test_step4_token_attention_matches_torch() -> None:
    gen = torch.Generator().manual_seed(1)
    embedded = torch.randn(6, 3, generator=gen)
    w_q, w_k, w_v = (torch.rand(3, n, generator=gen) for n in (2, 2, 4))
    scores, weights, context = token_attention(embedded, w_q, w_k, w_v, position=1)
    query, keys, values = embedded[1] @ w_q, embedded @ w_k, embedded @ w_v
    torch.testing.assert_close(scores, torch.mv(keys, query))
    torch.testing.assert_close(weights, torch.softmax(scores / math.sqrt(2), dim=-1))
    expected = F.scaled_dot_product_attention(query[None], keys, values)[0]
    torch.testing.assert_close(context, expected)


# ---------------------------------------------------------------- step 5: alignment scores


@pytest.mark.parametrize("dtype", DTYPES)
def test_step5_scores_shapes_and_values(dtype: torch.dtype) -> None:
    gen = torch.Generator().manual_seed(2)
    q = torch.randn(2, 3, 4, 8, generator=gen, dtype=dtype)  # (B, h, Tq, d)
    k = torch.randn(2, 1, 5, 8, generator=gen, dtype=dtype)  # (B, 1, Tk, d): broadcasts over heads
    dot = dot_score(q, k)
    assert dot.shape == (2, 3, 4, 5)
    assert_close(dot[1, 2, 3, 4], torch.dot(q[1, 2, 3], k[1, 0, 4]), dtype)
    assert_close(scaled_dot_score(q, k), dot / math.sqrt(8), dtype)
    assert_close(general_score(q, k, torch.eye(8, dtype=dtype)), dot, dtype)
    expected = F.cosine_similarity(q.unsqueeze(-2), k.unsqueeze(-3), dim=-1)
    assert_close(cosine_score(q, k), expected, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_step5_additive_score_one_pair_at_a_time(dtype: torch.dtype) -> None:
    gen = torch.Generator().manual_seed(3)
    q, k = torch.randn(3, 4, generator=gen, dtype=dtype), torch.randn(5, 6, generator=gen, dtype=dtype)
    w_q, w_k = torch.randn(4, 7, generator=gen, dtype=dtype), torch.randn(6, 7, generator=gen, dtype=dtype)
    v = torch.randn(7, generator=gen, dtype=dtype)
    scores = additive_score(q, k, w_q, w_k, v)
    assert scores.shape == (3, 5)
    for i, j in [(0, 0), (2, 4), (1, 3)]:
        assert_close(scores[i, j], torch.dot(v, torch.tanh(q[i] @ w_q + k[j] @ w_k)), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_step5_location_score_by_hand_and_batched(dtype: torch.dtype) -> None:
    # Two-dimensional states, three source positions: each row of s picks and adds rows of W_a.
    s = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]], dtype=dtype)  # (Tq, d)
    w_a = torch.tensor([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]], dtype=dtype)  # (d, Tk)
    expected = torch.tensor(
        [[1.0, 2.0, 0.0], [0.0, -1.0, 3.0], [1.0, 1.0, 3.0], [0.0, 0.0, 0.0]], dtype=dtype
    )
    assert_close(location_score(s, w_a), expected, dtype)
    gen = torch.Generator().manual_seed(4)
    s = torch.randn(2, 3, 4, 6, generator=gen, dtype=dtype)  # (B, h, Tq, d)
    w_a = torch.randn(6, 7, generator=gen, dtype=dtype)  # (d, Tk)
    scores = location_score(s, w_a)
    assert scores.shape == (2, 3, 4, 7)
    assert_close(
        scores[1, 2, 3], w_a.T @ s[1, 2, 3], dtype
    )  # the lecture's W_a s_t; its W_a (Tk, d) is w_a.T


# ---------------------------------------------------------------- step 6: masks


def test_step6_masks() -> None:
    for tq, tk in [(4, 4), (3, 6), (6, 3)]:
        assert torch.equal(causal_mask(tq, tk), torch.ones(tq, tk).tril().bool())
    assert torch.equal(causal_mask(5), torch.ones(5, 5).tril().bool())
    mask = padding_mask(torch.tensor([3, 1, 2]))
    assert mask.dtype == torch.bool and mask.shape == (3, 3)
    assert mask.sum(dim=-1).tolist() == [3, 1, 2]
    assert mask[:, 0].all()  # real tokens come first
    assert padding_mask(torch.tensor([2]), max_len=4).shape == (1, 4)


# ---------------------------------------------------------------- step 7: scaled dot-product attention


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mask_kind", ["none", "causal", "padding"])
def test_step7_sdpa_matches_torch(dtype: torch.dtype, mask_kind: str) -> None:
    gen = torch.Generator().manual_seed(4)
    q = torch.randn(2, 3, 5, 8, generator=gen, dtype=dtype).requires_grad_()
    k = torch.randn(2, 3, 7, 8, generator=gen, dtype=dtype).requires_grad_()
    v = torch.randn(2, 3, 7, 4, generator=gen, dtype=dtype).requires_grad_()
    mask = {
        "none": None,
        "causal": causal_mask(5, 7),
        "padding": padding_mask(torch.tensor([7, 3]))[:, None, None, :],  # (B, 1, 1, Tk)
    }[mask_kind]
    out, weights = scaled_dot_product_attention(q, k, v, mask=mask)
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert out.shape == (2, 3, 5, 4) and weights.shape == (2, 3, 5, 7)
    assert_close(out, expected, dtype)
    assert_close(weights.sum(dim=-1), torch.ones(2, 3, 5, dtype=dtype), dtype)
    if mask is not None:
        assert (weights.masked_select(~mask.expand_as(weights)) == 0).all()
    grad = torch.randn_like(expected)
    ours = torch.autograd.grad(out, (q, k, v), grad)
    theirs = torch.autograd.grad(expected, (q, k, v), grad)
    for g_ours, g_theirs in zip(ours, theirs):
        assert_close(g_ours, g_theirs, dtype)


def test_step7_sdpa_fully_masked_row_is_zero_not_nan() -> None:
    q = torch.randn(1, 3, 4, requires_grad=True)
    k, v = torch.randn(1, 5, 4), torch.randn(1, 5, 2)
    mask = torch.ones(3, 5, dtype=torch.bool)
    mask[1] = False  # query 1 may attend to nothing
    out, weights = scaled_dot_product_attention(q, k, v, mask=mask)
    assert torch.equal(weights[0, 1], torch.zeros(5)) and torch.equal(out[0, 1], torch.zeros(2))
    out.sum().backward()
    assert torch.isfinite(q.grad).all()


def test_step7_sdpa_dropout_uses_generator_and_keeps_weights() -> None:
    q, k, v = torch.randn(2, 4, 8), torch.randn(2, 6, 8), torch.randn(2, 6, 3)
    plain, weights = scaled_dot_product_attention(q, k, v)
    first, w_first = scaled_dot_product_attention(
        q, k, v, dropout_p=0.5, generator=torch.Generator().manual_seed(0)
    )
    again, _ = scaled_dot_product_attention(
        q, k, v, dropout_p=0.5, generator=torch.Generator().manual_seed(0)
    )
    torch.testing.assert_close(w_first, weights)  # returned weights are taken before dropout
    assert torch.equal(first, again)  # same generator state, same dropout mask
    assert not torch.allclose(first, plain)


# ---------------------------------------------------------------- step 8: multi-head attention


def _pair(d_model: int, num_heads: int, dtype: torch.dtype, bias: bool = True):
    torch.manual_seed(5)
    theirs = torch.nn.MultiheadAttention(d_model, num_heads, bias=bias, batch_first=True).to(dtype)
    ours = MultiHeadAttention(d_model, num_heads, bias=bias).to(dtype)
    ours.load_state_dict(theirs.state_dict())  # same parameter names and shapes as PyTorch's
    return ours, theirs


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ["self", "causal", "cross_padding"])
def test_step8_mha_matches_torch(dtype: torch.dtype, case: str) -> None:
    batch, tq, tk, d_model, heads = 2, 5, 7, 16, 4
    ours, theirs = _pair(d_model, heads, dtype)
    x = torch.randn(batch, tq, d_model, dtype=dtype, requires_grad=True)
    if case == "self":
        memory, mask, kwargs = None, None, {}
        memory_or_x = x
    elif case == "causal":
        memory, mask = None, causal_mask(tq)
        memory_or_x, kwargs = x, {"attn_mask": ~mask}  # PyTorch's mask is True where NOT allowed
    else:
        memory = torch.randn(batch, tk, d_model, dtype=dtype, requires_grad=True)
        keep = padding_mask(torch.tensor([7, 4]))  # (B, Tk)
        mask, memory_or_x, kwargs = keep[:, None, None, :], memory, {"key_padding_mask": ~keep}
    out, weights = ours(x, memory, memory, mask=mask)
    expected, expected_weights = theirs(x, memory_or_x, memory_or_x, average_attn_weights=False, **kwargs)
    assert out.shape == expected.shape and weights.shape == expected_weights.shape
    assert_close(out, expected, dtype)
    assert_close(weights, expected_weights, dtype)
    grad = torch.randn_like(expected)
    inputs = [x] if memory is None else [x, memory]
    ours_params = [ours.get_parameter(name) for name, _ in theirs.named_parameters()]
    g_ours = torch.autograd.grad(out, inputs + ours_params, grad)
    g_theirs = torch.autograd.grad(expected, inputs + list(theirs.parameters()), grad)
    for a, b in zip(g_ours, g_theirs):
        assert_close(a, b, dtype)


def test_step8_mha_without_weights_gives_the_same_output() -> None:
    ours, _ = _pair(16, 4, torch.float32, bias=False)
    x = torch.randn(2, 6, 16)
    out, weights = ours(x, mask=causal_mask(6))
    fast, no_weights = ours(x, mask=causal_mask(6), need_weights=False)
    assert weights is not None and no_weights is None
    torch.testing.assert_close(fast, out, atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError):
        MultiHeadAttention(10, 3)
