"""Hidden tests of multihead.py: MultiHeadAttention against torch.nn.MultiheadAttention with copied weights.

The oracle is nn.MultiheadAttention(batch_first=True) with every parameter (biases included) drawn from the
test's generator, called with attn_mask = ~mask (torch's mask is True where attention is NOT allowed) and
average_attn_weights=False. Where torch has no answer (a query with no visible key, for which it gives NaN),
the oracle is the same computation written out with torch operations below (`_expected`). The module may use
F.scaled_dot_product_attention internally; only values are compared.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader.suite import assert_close, expect_tensor, fail, heatmap, mistake_hint, reproduces

MHA = "multihead.MultiHeadAttention"
STEPS = (
    "check each step against nn.MultiheadAttention: project with x @ in_proj_weight.T + in_proj_bias (rows "
    "[W_Q; W_K; W_V]), split heads with view(B, T, num_heads, head_dim).transpose(1, 2), scale by "
    "1/sqrt(head_dim), merge with transpose(1, 2).reshape(B, T, d_model), then apply out_proj"
)


def _randn(gen: torch.Generator, *shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=dtype)


def _torch_mha(gen, d: int, h: int, *, dtype=torch.float32, bias=True, dropout=0.0) -> nn.MultiheadAttention:
    """torch's module with every parameter (biases too, which torch initialises to 0) drawn from `gen`."""
    module = nn.MultiheadAttention(d, h, dropout=dropout, bias=bias, batch_first=True, dtype=dtype)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(_randn(gen, *parameter.shape, dtype=dtype) / math.sqrt(d))
    return module.eval()


def _student_mha(
    student, oracle: nn.MultiheadAttention, *, dtype=torch.float32, bias=True, dropout=0.0, train=False
):
    """The student's module with the oracle's weights, in eval mode unless `train`."""
    mha = student.new(MHA, oracle.embed_dim, oracle.num_heads, dropout=dropout, bias=bias)
    if dtype == torch.float64:
        mha.run("double")
    mha.load_state_dict({name: tensor.detach().clone() for name, tensor in oracle.state_dict().items()})
    mha.run("train" if train else "eval")
    return mha


def _torch_forward(oracle, query, key, value, mask):
    """torch's (output, per-head weights); `mask` is ours (True = may attend), broadcastable to (B,h,Tq,Tk)"""
    b, tq, _ = query.shape
    tk, h = key.shape[1], oracle.num_heads
    attn_mask = None
    if mask is not None:
        attn_mask = ~mask.expand(b, h, tq, tk).reshape(b * h, tq, tk)
    with torch.no_grad():
        return oracle(query, key, value, attn_mask=attn_mask, need_weights=True, average_attn_weights=False)


def _expected(
    state: dict,
    h: int,
    query,
    key,
    value,
    mask=None,
    *,
    swap_kv=False,
    out_proj=True,
    scale=None,
    softmax_dim=-1,
    mask_after_softmax=False,
    in_bias=True,
    split="view-transpose",
    merge="transpose-reshape",
    scores_as_weights=False,
    fill=float("-inf"),
):
    """(output, weights) computed with torch operations; a fully masked query gets zero weights.

    The keyword arguments reproduce the usual mistakes, for hints.
    """
    w_q, w_k, w_v = state["in_proj_weight"].chunk(3)
    bias = state.get("in_proj_bias")
    b_q, b_k, b_v = bias.chunk(3) if bias is not None and in_bias else (None, None, None)
    if swap_kv:
        w_k, w_v, b_k, b_v = w_v, w_k, b_v, b_k
    b, tq, d = query.shape
    tk, hs = key.shape[1], d // h

    def heads(x, t):  # (B, T, d) -> (B, h, T, hs)
        return x.view(b, t, h, hs).transpose(1, 2) if split == "view-transpose" else x.reshape(b, h, t, hs)

    q, k, v = (
        heads(F.linear(query, w_q, b_q), tq),
        heads(F.linear(key, w_k, b_k), tk),
        heads(F.linear(value, w_v, b_v), tk),
    )
    scores = q @ k.transpose(-2, -1) * (1 / math.sqrt(hs) if scale is None else scale)
    if mask is not None and not mask_after_softmax:
        scores = scores.masked_fill(~mask, fill)
    weights = torch.softmax(scores, dim=softmax_dim).nan_to_num(0.0)
    if mask is not None and mask_after_softmax:
        weights = weights.masked_fill(~mask, 0.0)
    out = weights @ v
    out = out.transpose(1, 2).reshape(b, tq, d) if merge == "transpose-reshape" else out.reshape(b, tq, d)
    if scores_as_weights:
        weights = scores
    if out_proj:
        out = F.linear(out, state["out_proj.weight"], state.get("out_proj.bias"))
    return out, weights


def _mistakes(state, h, query, key, value, mask=None) -> dict[str, list]:
    d = query.shape[-1]
    cases = [
        (dict(out_proj=False), "looks like the output projection W^O (self.out_proj) is missing"),
        (
            dict(swap_kv=True),
            "keys and values are swapped: rows [d, 2d) of in_proj_weight are W_K, rows [2d, 3d) are W_V",
        ),
        (dict(scale=1.0), "looks like the 1/sqrt(head_dim) scaling is missing"),
        (dict(scale=1 / (d // h)), "divide each head's scores by sqrt(head_dim), not by head_dim"),
        (dict(in_bias=False), "looks like in_proj_bias is not added to the projections"),
        (
            dict(split="reshape"),
            "heads are split with reshape(B, num_heads, T, head_dim), which mixes tokens and features: use "
            "view(B, T, num_heads, head_dim).transpose(1, 2)",
        ),
        (
            dict(merge="reshape"),
            "heads are merged with reshape(B, T, d_model) straight from (B, num_heads, T, head_dim): "
            "transpose back first, out.transpose(1, 2).reshape(B, T, d_model)",
        ),
        (dict(scores_as_weights=True), "return the softmax weights, not the scores before the softmax"),
        (
            dict(scale=1 / math.sqrt(d)),
            "scale each head's scores by 1/sqrt(head_dim), head_dim = d_model // "
            "num_heads, not by 1/sqrt(d_model)",
        ),
        (
            dict(softmax_dim=-2),
            "the softmax runs over the queries (dim=-2); each query's weights over the keys "
            "(dim=-1) must sum to 1",
        ),
    ]
    if mask is not None:
        cases += [
            (
                dict(mask_after_softmax=True),
                "the mask must be applied to the scores before the softmax "
                "(masked scores become -inf), not to the weights after it",
            ),
            # First: where every key is masked, filling with 0 or with -1e9 gives the same uniform weights.
            (
                dict(fill=-1e9),
                "fill masked scores with -inf, not 0 or a large negative number such as -1e9: a query whose "
                "keys are all masked must get zero weights, not uniform ones",
            ),
            (dict(fill=0.0), FILL_ZERO),
        ]
    found: dict[str, list] = {"output": [], "weights": []}
    for kwargs, message in cases:
        out, weights = _expected(state, h, query, key, value, mask, **kwargs)
        found["output"].append((out, message))
        found["weights"].append((weights, message))
    if mask is not None:
        for candidate, message in (
            (
                ~mask,
                "the mask is the wrong way round: True means 'may attend' (pass ~mask only to torch's "
                "module)",
            ),
            (
                None,
                "the mask is not used: pass it on to the attention, "
                "scaled_dot_product_attention(..., mask=mask)",
            ),
        ):
            out, weights = _expected(state, h, query, key, value, candidate)
            found["output"].append((out, message))
            found["weights"].append((weights, message))
    return found


FILL_ZERO = (
    "masked scores must become -inf, so that they get weight exp(-inf) = 0; a score of 0 still gets the "
    "weight exp(0)"
)


def _dead_row_mistakes(mistakes: list) -> list:
    """The mistakes that can be told apart on queries whose keys are all masked.

    There, filling with 0 gives what filling with -1e9 gives (whose hint names both), and other mistakes may
    coincide too (a flipped mask and no mask both attend to every key): those name none.
    """
    mistakes = [(c, m) for c, m in mistakes if m != FILL_ZERO]
    return [(c, m) for c, m in mistakes if not any(m2 != m and reproduces(c, c2) for c2, m2 in mistakes)]


def _pair(got, what: str) -> tuple:
    if not isinstance(got, (list, tuple)) or len(got) != 2:
        fail(
            f"{what} should return a pair (output, weights), but returned a {type(got).__name__}",
            "return output, weights (weights None when need_weights=False)",
        )
    return got[0], got[1]


def _picture_weights(figure, got_weights, expected, what: str) -> None:
    """Draw the student's weights beside the expected ones, for the first (batch, head) where they differ.

    Only when the student returned weights as a tensor of the expected shape (B, num_heads, Tq, Tk); the
    picture is gathered inside figure.attempt(), so it never changes a score.
    """
    if figure is None or not isinstance(got_weights, torch.Tensor) or got_weights.shape != expected.shape:
        return
    with figure.attempt():
        tq, tk = expected.shape[-2:]
        yours = got_weights.detach().to(torch.float64).reshape(-1, tq, tk)
        wanted = expected.detach().to(torch.float64).reshape(-1, tq, tk)
        differ = [
            i for i in range(len(wanted)) if not torch.allclose(yours[i], wanted[i], rtol=1e-4, atol=1e-5)
        ]
        index = differ[0] if differ else 0
        batch, head = divmod(index, expected.shape[1])
        figure.add(
            heatmap(
                f"Your attention weights beside the expected ones (batch {batch}, head {head})",
                [f"q{i}" for i in range(tq)],
                [f"k{j}" for j in range(tk)],
                {"yours": yours[index], "expected": wanted[index]},
                caption=f"{what.split(' with ')[0]}; the first head whose weights differ. Row i: the weights "
                "query i gives each key (a row sums to 1; masked keys get 0).",
            )
        )


def _check(
    check, got, oracle, query, key, value, mask, what, *, weights_share=0.4, expected=None, figure=None
):
    """Two parts, output and weights, compared with torch's module and diagnosed against the mistakes.

    When a part fails and `figure` is given, the student's weights are pictured beside the expected ones.
    """
    if expected is None:
        expected = _torch_forward(oracle, query, key, value, mask)
    mistakes = _mistakes(oracle.state_dict(), oracle.num_heads, query, key, value, mask)
    got_out, got_weights = _pair(got, what)  # not a pair: no part can pass
    before = len(check.parts)
    with check.part("output", 1 - weights_share):
        assert_close(
            got_out, expected[0], what=f"the output of {what}", hint=STEPS, mistakes=mistakes["output"]
        )
    if weights_share:
        with check.part("weights", weights_share):
            assert_close(
                got_weights,
                expected[1],
                what=f"the weights (B, num_heads, Tq, Tk) of {what}",
                hint=STEPS,
                mistakes=mistakes["weights"],
            )
    if not all(part.passed for part in check.parts[before:]):
        _picture_weights(figure, got_weights, expected[1], what)


@pytest.mark.points(4)
def test_mha_self_attention(student, gen, check, figure):
    """self-attention mha(x) matches nn.MultiheadAttention: output and per-head weights, bias or not"""
    d, h = 24, 4
    x = _randn(gen, 2, 5, d)
    oracle = _torch_mha(gen, d, h)
    got = _student_mha(student, oracle)(x)
    _check(
        check,
        got,
        oracle,
        x,
        x,
        x,
        None,
        "MultiHeadAttention(24, 4)(x) with x (2, 5, 24)",
        weights_share=0.3,
        figure=figure,
    )
    with check.part("bias=False", 0.3):
        oracle = _torch_mha(gen, d, h, bias=False)
        got = _student_mha(student, oracle, bias=False)(x)
        what = "MultiHeadAttention(24, 4, bias=False)(x) with x (2, 5, 24)"
        out, _ = _pair(got, what)
        assert_close(
            out,
            _torch_forward(oracle, x, x, x, None)[0],
            what=f"the output of {what}",
            hint="with bias=False, in_proj_bias and out_proj.bias are None: pass them to F.linear as None",
        )


@pytest.mark.points(3)
def test_mha_cross_attention(student, gen, check, figure):
    """cross-attention mha(x, memory) and mha(x, key, value) with Tk != Tq match nn.MultiheadAttention"""
    d, h = 12, 3
    x, memory, other = _randn(gen, 2, 4, d), _randn(gen, 2, 7, d), _randn(gen, 2, 7, d)
    oracle = _torch_mha(gen, d, h)
    mha = _student_mha(student, oracle)
    state = oracle.state_dict()
    cases = {}
    for name, args in (("key = value = memory", (x, memory)), ("separate key and value", (x, memory, other))):
        with check.part(name):
            key, value = args[1], args[-1]
            shown = "mha(x, memory)" if len(args) == 2 else "mha(x, key, value)"
            what = f"MultiHeadAttention(12, 3): {shown} with x (2, 4, 12) and key/value (2, 7, 12)"
            got_out, got_weights = _pair(mha(*args), what)
            expected = _torch_forward(oracle, x, key, value, None)
            cases[name] = (got_weights, expected[1], what)
            mistakes = _mistakes(state, h, x, key, value)
            assert_close(
                got_out, expected[0], what=f"the output of {what}", hint=STEPS, mistakes=mistakes["output"]
            )
            assert_close(
                got_weights,
                expected[1],
                what=f"the weights of {what}",
                hint=STEPS,
                mistakes=mistakes["weights"],
            )
    with check.part("bias=False", 0.5):  # the cross-attention path unpacks the projections' biases itself
        unbiased = _torch_mha(gen, d, h, bias=False)
        what = "MultiHeadAttention(12, 3, bias=False): mha(x, memory) with x (2, 4, 12) and memory (2, 7, 12)"
        got_out, _ = _pair(_student_mha(student, unbiased, bias=False)(x, memory), what)
        expected = _torch_forward(unbiased, x, memory, memory, None)
        assert_close(
            got_out,
            expected[0],
            what=f"the output of {what}",
            hint="with bias=False, in_proj_bias and out_proj.bias are None: pass them to F.linear as None",
        )
    failed = [part.name for part in check.parts if not part.passed and part.name in cases]
    if failed:  # the first case that failed
        _picture_weights(figure, *cases[failed[0]])


@pytest.mark.points(3)
def test_mha_causal_mask(student, gen, check, figure):
    """causal self-attention with a (T, T) mask matches nn.MultiheadAttention with attn_mask=~mask"""
    # head_dim 8, so that neither T nor sqrt(d_model) can pass for sqrt(head_dim).
    d, h, t = 24, 3, 6
    x = _randn(gen, 3, t, d)
    mask = torch.ones(t, t, dtype=torch.bool).tril()
    oracle = _torch_mha(gen, d, h)
    got = _student_mha(student, oracle)(x, mask=mask)
    _check(
        check,
        got,
        oracle,
        x,
        x,
        x,
        mask,
        "MultiHeadAttention(24, 3)(x, mask=causal) with x (3, 6, 24) and a causal mask (6, 6)",
        figure=figure,
    )


@pytest.mark.points(3)
def test_mha_padding_mask(student, gen, check, figure):
    """a padding mask (B, 1, 1, T), alone and combined with a causal mask, matches nn.MultiheadAttention"""
    d, h, b, t = 16, 2, 3, 7
    x = _randn(gen, b, t, d)
    lengths = torch.randint(2, t, (b,), generator=gen)
    lengths[0] = t
    pad = (torch.arange(t)[None, :] < lengths[:, None]).view(b, 1, 1, t)
    oracle = _torch_mha(gen, d, h)
    mha = _student_mha(student, oracle)
    what = (
        f"MultiHeadAttention(16, 2)(x, mask=padding) with x (3, 7, 16), lengths {lengths.tolist()}, "
        "mask (3, 1, 1, 7)"
    )
    got = mha(x, mask=pad)
    _check(check, got, oracle, x, x, x, pad, what, weights_share=0.35, figure=figure)
    with check.part("padding and causal", 0.3):
        both = pad & torch.ones(t, t, dtype=torch.bool).tril()
        what = "MultiHeadAttention(16, 2)(x, mask=padding & causal) with x (3, 7, 16), mask (3, 1, 7, 7)"
        got_out, _ = _pair(mha(x, mask=both), what)
        expected = _torch_forward(oracle, x, x, x, both)
        assert_close(
            got_out,
            expected[0],
            what=f"the output of {what}",
            hint=STEPS,
            mistakes=_mistakes(oracle.state_dict(), h, x, x, x, both)["output"],
        )


@pytest.mark.points(2)
def test_mha_fully_masked_query(student, gen, check):
    """a query with no visible key gets zero weights and output out_proj.bias, not NaN; others unaffected"""
    d, h, b, tq, tk = 8, 2, 2, 5, 6
    x, memory = _randn(gen, b, tq, d), _randn(gen, b, tk, d)
    mask = torch.rand(b, 1, tq, tk, generator=gen) < 0.6
    mask[..., 0] = True
    dead, live = [0, 3], [1, 2, 4]
    mask[0, 0, dead] = False
    oracle = _torch_mha(gen, d, h)
    state = oracle.state_dict()
    mha = _student_mha(student, oracle)
    expected = _expected(state, h, x, memory, memory, mask)
    what = (
        "MultiHeadAttention(8, 2)(x, memory, mask=mask) with x (2, 5, 8), memory (2, 6, 8), mask (2, 1, 5, 6)"
    )
    got_out, got_weights = _pair(mha(x, memory, mask=mask), what)
    got_out = expect_tensor(got_out, what=f"the output of {what}", shape=(b, tq, d), dtype=torch.float32)
    got_weights = expect_tensor(got_weights, what=f"the weights of {what}", shape=(b, h, tq, tk))
    mistakes = _mistakes(state, h, x, memory, memory, mask)
    with check.part("fully masked queries", 0.4):
        nan_hint = (
            "a query with no visible key gets zero attention weights (not NaN), hence a zero attention "
            "result, so its output is just out_proj's bias"
        )
        assert_close(
            got_out[0, dead],
            expected[0][0, dead],
            what=f"the output of {what} at batch 0, queries {dead} (every key masked)",
            hint=nan_hint if bool(got_out[0, dead].isnan().any()) else "",
            mistakes=_dead_row_mistakes([(c[0, dead], m) for c, m in mistakes["output"]]),
        )
        assert_close(
            got_weights[0, :, dead],
            expected[1][0, :, dead],
            what=f"the weights of {what} at batch 0, queries {dead}",
            hint=nan_hint if bool(got_weights[0, :, dead].isnan().any()) else "",
            mistakes=_dead_row_mistakes([(c[0, :, dead], m) for c, m in mistakes["weights"]]),
        )
    with check.part("other queries", 0.4):
        assert_close(
            got_out[0, live],
            expected[0][0, live],
            what=f"the output of {what} at batch 0, queries {live}",
            hint=STEPS,
            mistakes=[(c[0, live], m) for c, m in mistakes["output"]],
        )
        assert_close(
            got_out[1],
            expected[0][1],
            what=f"the output of {what} at batch 1",
            hint=STEPS,
            mistakes=[(c[1], m) for c, m in mistakes["output"]],
        )
    with check.part("need_weights=False", 0.2):
        what = what.replace("mask=mask)", "mask=mask, need_weights=False)")
        got_out, _ = _pair(mha(x, memory, mask=mask, need_weights=False), what)
        assert_close(
            got_out,
            expected[0],
            what=f"the output of {what}",
            hint="the path without weights must give a fully masked query the same zero attention result"
            if bool(got_out.isnan().any())
            else "",
            mistakes=[
                (
                    _expected(state, h, x, memory, memory, candidate)[0],
                    "the path without weights ignores the mask: pass it on as attn_mask",
                )
                # Without the mask every query sees every key, or (when the fully masked rows are still
                # zeroed afterwards) every query but the fully masked ones.
                for candidate in (None, mask.any(dim=-1, keepdim=True).expand_as(mask))
            ],
        )


@pytest.mark.points(4)
def test_mha_gradients(student, gen, check):
    """gradients w.r.t. the input and every parameter match nn.MultiheadAttention's (float64, causal mask)"""
    dtype = torch.float64
    d, h, t = 12, 3, 5
    x = _randn(gen, 2, t, d, dtype=dtype)
    g = _randn(gen, 2, t, d, dtype=dtype)
    mask = torch.ones(t, t, dtype=torch.bool).tril()
    oracle = _torch_mha(gen, d, h, dtype=dtype).train()
    leaf = x.clone().requires_grad_(True)
    oracle(leaf, leaf, leaf, attn_mask=~mask, need_weights=False)[0].backward(g)
    mha = _student_mha(student, oracle, dtype=dtype, train=True)
    got = mha.grad(None, args=(x,), kwargs={"mask": mask}, grad_output=g, wrt_args=(0,), output=0)
    what = "MultiHeadAttention(12, 3) in float64, mha(x, mask=causal)[0] with x (2, 5, 12)"
    expected = dict(oracle.named_parameters())
    value = got.value[0] if isinstance(got.value, (list, tuple)) and got.value else got.value
    hint = (
        "every parameter must take part in the forward pass exactly as in the stub's layout: "
        "x @ in_proj_weight.T + in_proj_bias, rows [W_Q; W_K; W_V]; use differentiable torch operations"
    )
    expected_out = _expected(oracle.state_dict(), h, x, x, x, mask)[0]
    if not reproduces(value, expected_out):
        hint = mistake_hint(value, expected_out, _mistakes(oracle.state_dict(), h, x, x, x, mask)["output"])
        if hint:
            hint = f"the output itself is wrong: {hint}"
        else:
            hint = "the output itself is already wrong (see the other multi-head tests); fix the forward pass"
    groups = [
        ("d input", None),
        ("d in_proj", ("in_proj_weight", "in_proj_bias")),
        ("d out_proj", ("out_proj.weight", "out_proj.bias")),
    ]
    for part, names in groups:
        with check.part(part, 0.4 if names is None else 0.3):
            if names is None:
                grad = got.args[0] if got.args else None
                assert_close(grad, leaf.grad, what=f"the gradient of {what} w.r.t. x", hint=hint)
                continue
            for name in names:
                if name not in got.params:
                    fail(
                        f"your module has no parameter {name!r}", "keep the stub's parameters and their names"
                    )
                assert_close(
                    got.params[name],
                    expected[name].grad,
                    what=f"the gradient of {what} w.r.t. {name}",
                    hint=hint,
                )


@pytest.mark.points(2)
def test_mha_float64(student, gen, check, figure):
    """a float64 module (module.double()) gives float64 outputs and weights matching torch"""
    dtype = torch.float64
    d, h = 8, 2
    x, memory = _randn(gen, 2, 3, d, dtype=dtype), _randn(gen, 2, 5, d, dtype=dtype)
    oracle = _torch_mha(gen, d, h, dtype=dtype)
    got = _student_mha(student, oracle, dtype=dtype)(x, memory)
    _check(
        check,
        got,
        oracle,
        x,
        memory,
        memory,
        None,
        "MultiHeadAttention(8, 2).double()(x, memory) with float64 x (2, 3, 8) and memory (2, 5, 8)",
        figure=figure,
    )


@pytest.mark.points(2)
def test_mha_need_weights_false(student, gen, check):
    """need_weights=False returns (output, None) with the same output, with and without a causal mask"""
    d, h, t = 24, 4, 6
    x = _randn(gen, 2, t, d)
    oracle = _torch_mha(gen, d, h)
    mha = _student_mha(student, oracle)
    causal = torch.ones(t, t, dtype=torch.bool).tril()
    for name, mask in (("no mask", None), ("causal mask", causal)):
        with check.part(name):
            shown = "causal" if mask is not None else None
            what = f"MultiHeadAttention(24, 4)(x, mask={shown}, need_weights=False)"
            got_out, got_weights = _pair(mha(x, mask=mask, need_weights=False), what)
            assert_close(
                got_out,
                _torch_forward(oracle, x, x, x, mask)[0],
                what=f"the output of {what}",
                hint=STEPS,
                mistakes=[
                    (
                        _torch_forward(oracle, x, x, x, None)[0],
                        "the path without weights ignores the mask: pass it on as attn_mask",
                    ),
                    *_mistakes(oracle.state_dict(), h, x, x, x, mask)["output"],
                ],
            )
            if got_weights is not None:
                fail(
                    f"{what} should return None as its weights, but returned a {type(got_weights).__name__}",
                    "return (output, None) when need_weights is False",
                )


@pytest.mark.points(2)
def test_mha_eval_disables_dropout(student, gen, check):
    """in eval mode a module built with dropout=0.3 drops nothing: outputs equal torch's, on both paths"""
    d, h = 24, 4
    x = _randn(gen, 4, 8, d)
    oracle = _torch_mha(gen, d, h, dropout=0.3)
    mha = _student_mha(student, oracle, dropout=0.3)
    expected = _torch_forward(oracle, x, x, x, None)[0]
    for need_weights in (True, False):
        with check.part(f"need_weights={need_weights}"):
            what = f"MultiHeadAttention(24, 4, dropout=0.3).eval()(x, need_weights={need_weights})"
            got_out, _ = _pair(mha(x, need_weights=need_weights), what)
            again, _ = _pair(mha(x, need_weights=need_weights), what)
            hint = STEPS
            if (
                isinstance(got_out, torch.Tensor)
                and isinstance(again, torch.Tensor)
                and not reproduces(got_out, again)
            ):
                hint = (
                    "two calls in eval mode gave different outputs: apply dropout only in training mode, "
                    "dropout_p = self.dropout if self.training else 0.0"
                )
            assert_close(
                got_out,
                expected,
                what=f"the output of {what} with x (4, 8, 24)",
                hint=hint,
                mistakes=_mistakes(oracle.state_dict(), h, x, x, x)["output"],
            )


@pytest.mark.points(3)
def test_mha_train_dropout(student, gen, check):
    """in train mode, dropout=0.3 drops about 30% of the attention weights and scales the rest by 1/0.7"""
    p, b, d, h = 0.3, 32, 16, 2
    # W_Q = W_K = 0 makes every weight 1/T; W_V = W^O = I and x[:, j] = e_j make output[b, t, f] the
    # (dropped-out, rescaled) weight of head f // head_dim from query t to key f.
    state = {
        "in_proj_weight": torch.cat([torch.zeros(2 * d, d), torch.eye(d)]),
        "in_proj_bias": torch.zeros(3 * d),
        "out_proj.weight": torch.eye(d),
        "out_proj.bias": torch.zeros(d),
    }
    mha = student.new(MHA, d, h, dropout=p)
    mha.load_state_dict(state)
    mha.run("train")
    x = torch.eye(d).expand(b, d, d).contiguous()
    survivor = 1.0 / (d * (1 - p))
    for need_weights in (True, False):
        what = f"MultiHeadAttention(16, 2, dropout=0.3) in train mode, mha(x, need_weights={need_weights})"
        got_out, _ = _pair(mha(x, need_weights=need_weights), what)
        out = expect_tensor(got_out, what=f"the output of {what}", shape=(b, d, d), dtype=torch.float32)
        dropped = out.abs() < 1e-7
        with check.part(f"need_weights={need_weights}: fraction dropped"):
            fraction = dropped.double().mean().item()
            if abs(fraction - p) > 0.05:
                fail(
                    f"{what}: about {fraction:.1%} of the attention weights were dropped, expected about "
                    f"{p:.0%} "
                    "(W_Q = W_K = 0 and W_V = W^O = I, so the output shows the weights)",
                    "in training mode pass dropout_p=self.dropout to the attention (and 0.0 in eval mode)"
                    if fraction < p / 2
                    else "keep each weight with probability 1 - p and zero it with probability p",
                )
        with check.part(f"need_weights={need_weights}: survivors scaled by 1/(1-p)"):
            kept = out[~dropped]
            if kept.numel() == 0:
                fail(f"{what}: every attention weight was dropped")
            assert_close(
                kept,
                torch.full_like(kept, survivor),
                what=f"the kept weights (the output) of {what}, each 1/T = 1/16 before dropout",
                mistakes=[
                    (torch.full_like(kept, 1 / d), "inverted dropout scales the kept weights by 1 / (1 - p)")
                ],
            )
