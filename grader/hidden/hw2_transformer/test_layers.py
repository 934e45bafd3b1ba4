"""Hidden tests of layers.py: positions, the causal mask, the feed-forward block, encoder and decoder layers.

Oracles: the sinusoidal formula written out here (interleaved or concatenated layouts both accepted, sine
first), torch.nn.TransformerEncoderLayer / TransformerDecoderLayer (batch_first, dropout 0, eval mode) with
every parameter drawn from the test's generator and copied into the student's layer, and torch's own
linear / activation functions. Masks are ours (True = may attend); torch gets ~mask.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader.suite import (
    Mistakes,
    assert_close,
    assert_equal,
    expect_tensor,
    fail,
    mistake_hint,
    randomize_parameters,
)

POSITIONS_HINT = (
    "the positional embedding must look up POSITIONS (torch.arange(offset, offset + T)), not the token ids"
)


def close(got, expected: torch.Tensor, *, what: str, mistakes: Mistakes = (), **kwargs) -> None:
    """assert_close, where a wrong shape gets a hint only when it reproduces one of the known `mistakes`."""
    shape_hint = mistake_hint(got, expected, mistakes)
    expect_tensor(got, what=what, shape=tuple(expected.shape), shape_hint=shape_hint)
    assert_close(got, expected, what=what, mistakes=mistakes, **kwargs)


def _ours_from_torch(state: dict) -> dict:
    """torch's encoder/decoder layer parameter names -> ours (ff nests the linears; cross_attn)."""
    out = {}
    for name, tensor in state.items():
        name = name.replace("multihead_attn.", "cross_attn.")
        if name.startswith("linear"):
            name = "ff." + name
        out[name] = tensor.detach().clone()
    return out


def _torch_grads(module: nn.Module) -> dict[str, torch.Tensor]:
    """The parameter gradients of a torch layer, under our names."""
    grads = {}
    for name, parameter in module.named_parameters():
        (ours,) = _ours_from_torch({name: parameter})
        grads[ours] = parameter.grad
    return grads


def _compare_grads(got: dict, expected: dict, what: str) -> None:
    missing = sorted(set(expected) - set(got))
    if missing:
        fail(f"{what}: no gradient reached {missing[:4]}", "every parameter must take part in forward")
    for name, grad in expected.items():
        assert_close(got[name], grad, what=f"{what}: gradient of {name}", atol=1e-4, rtol=1e-3)


# ---------------------------------------------------------------------------------------------- positions


def _sinusoid_candidates(num_positions: int, d: int) -> dict[str, torch.Tensor]:
    i = torch.arange(d // 2, dtype=torch.float64)
    freqs = 1.0 / 10000 ** (2 * i / d)
    angles = torch.arange(num_positions, dtype=torch.float64).unsqueeze(1) * freqs  # (P, d/2)
    interleaved = torch.stack([angles.sin(), angles.cos()], dim=-1).reshape(num_positions, d)
    concatenated = torch.cat([angles.sin(), angles.cos()], dim=-1)
    return {"interleaved": interleaved.float(), "concatenated": concatenated.float()}


@pytest.mark.points(3)
def test_sinusoidal_encoding(student):
    """sinusoidal_encoding: sin/cos of pos / 10000^(2i/d), interleaved or concatenated"""
    for num_positions, d in ((50, 16), (7, 6), (128, 64)):
        got = student.call("layers.sinusoidal_encoding", num_positions, d)
        candidates = _sinusoid_candidates(num_positions, d)
        angles = torch.arange(num_positions).unsqueeze(1) * (1.0 / 10000 ** (torch.arange(d // 2) * 2 / d))
        swapped = torch.stack([angles.cos(), angles.sin()], dim=-1).reshape(num_positions, d).float()
        wrong_freq = torch.arange(num_positions).unsqueeze(1) * (1.0 / 10000 ** (torch.arange(d // 2) / d))
        wrong_freq = (
            torch.stack([wrong_freq.sin(), wrong_freq.cos()], dim=-1).reshape(num_positions, d).float()
        )
        usable = isinstance(got, torch.Tensor) and got.shape == (num_positions, d) and got.is_floating_point()
        if usable and any(torch.allclose(got.double(), c.double(), atol=1e-4) for c in candidates.values()):
            continue
        close(
            got,
            candidates["interleaved"],
            what=f"sinusoidal_encoding({num_positions}, {d})",
            atol=1e-4,
            rtol=1e-4,
            mistakes=[
                (swapped, "sine and cosine are swapped: even columns (or the first half) are the sines"),
                (wrong_freq, "the frequency exponent is i/d instead of 2i/d (i counts PAIRS of columns)"),
            ],
        )


@pytest.mark.points(3)
def test_learned_positional_embedding(student, gen):
    """LearnedPositionalEmbedding looks up positions offset..offset+T-1, never the token ids"""
    module = student.new("layers.LearnedPositionalEmbedding", 40, 8)
    weight = torch.randn(40, 8, generator=gen)
    module.load_state_dict({"embedding.weight": weight})
    for offset, length in ((0, 12), (0, 1), (5, 9), (39, 1)):
        idx = torch.randint(3, 40, (3, length), generator=gen)  # token ids that are not their positions
        got = module(idx, offset=offset)
        expected = weight[offset : offset + length]
        close(
            got,
            expected,
            what=f"positional embedding of a (3, {length}) batch at offset {offset}",
            mistakes=[(weight[idx], POSITIONS_HINT), (weight[:length], "the offset is ignored")],
        )


@pytest.mark.points(3)
def test_causal_mask(student):
    """causal_mask(T): True on and below the diagonal"""
    for size in (1, 2, 5, 9):
        expected = torch.ones(size, size, dtype=torch.bool).tril()
        got = student.call("layers.causal_mask", size)
        mistakes = [
            (~expected, "the mask is inverted: True means MAY attend"),
            (torch.ones(size, size).tril(-1).bool(), "a token must be allowed to attend to itself"),
            (torch.ones(size, size).tril(1).bool(), "query i also sees key i + 1: the successor leaks"),
        ]
        expect_tensor(got, what=f"causal_mask({size})", shape=(size, size), shape_hint="")
        assert_equal(got, expected, what=f"causal_mask({size})", mistakes=mistakes)


# ------------------------------------------------------------------------------------------- feed-forward


@pytest.mark.points(3)
def test_feed_forward(student, gen, check):
    """FeedForward: linear2(activation(linear1(x))), values and gradients, ReLU and GELU"""
    for activation, fn in (("relu", F.relu), ("gelu", F.gelu)):
        with check.part(activation):
            l1, l2 = nn.Linear(12, 20), nn.Linear(20, 12)
            randomize_parameters(l1, gen), randomize_parameters(l2, gen)
            state = {
                "linear1.weight": l1.weight,
                "linear1.bias": l1.bias,
                "linear2.weight": l2.weight,
                "linear2.bias": l2.bias,
            }
            state = {k: v.detach().clone() for k, v in state.items()}
            module = student.new("layers.FeedForward", 12, 20, dropout=0.0, activation=activation)
            module.load_state_dict(state)
            module.run("eval")
            x = torch.randn(3, 5, 12, generator=gen)
            expected = l2(fn(l1(x)))
            grad_out = torch.randn_like(expected)
            expected.backward(grad_out)
            got = module.grad(None, (x,), grad_output=grad_out)
            close(
                got.value,
                expected.detach(),
                what=f"FeedForward ({activation}) output",
                mistakes=[(l2(l1(x)).detach(), "the activation between the linears is missing")],
            )
            assert_close(got.params["linear1.weight"], l1.weight.grad, what="gradient of linear1.weight")


# --------------------------------------------------------------------------------------- encoder / decoder

D, H, FF = 16, 4, 40


def _encoder_mistakes(oracle: nn.TransformerEncoderLayer, x: torch.Tensor, **masks) -> Mistakes:
    """(output, hint) of the usual encoder-layer mistakes, with the oracle's weights."""

    def attend(h):
        return oracle.self_attn(h, h, h, need_weights=False, **masks)[0]

    def ff(h):
        return oracle.linear2(oracle.activation(oracle.linear1(h)))

    n1, n2 = oracle.norm1, oracle.norm2
    with torch.no_grad():
        post = n2((y := n1(x + attend(x))) + ff(y))
        pre = (y := x + attend(n1(x))) + ff(n2(y))
        pre_no_residual = (y := attend(n1(x))) + ff(n2(y))
        post_branch_normed = n2((y := x + n1(attend(x))) + ff(y))
    swapped = pre if not oracle.norm_first else post
    return [
        (swapped, "norm_first is the wrong way round: True is pre-norm, x = x + sublayer(norm(x))"),
        (pre_no_residual, "the residual connection around attention is missing: x = x + attn(norm1(x))"),
        (post_branch_normed, "post-norm normalises the sum, norm1(x + attn(x)), not the branch alone"),
    ]


def _encoder_case(student, gen, *, norm_first: bool, activation: str = "relu"):
    oracle = nn.TransformerEncoderLayer(
        D, H, FF, dropout=0.0, batch_first=True, norm_first=norm_first, activation=activation
    )
    randomize_parameters(oracle, gen)
    layer = student.new(
        "layers.EncoderLayer", D, H, FF, dropout=0.0, norm_first=norm_first, activation=activation
    )
    layer.load_state_dict(_ours_from_torch(oracle.state_dict()))
    layer.run("eval")
    return oracle, layer


@pytest.mark.points(3)
def test_encoder_layer_post_norm(student, gen, check):
    """EncoderLayer, post-norm (norm_first=False): matches nn.TransformerEncoderLayer with a padding mask"""
    oracle, layer = _encoder_case(student, gen, norm_first=False)
    x = torch.randn(3, 7, D, generator=gen)
    lengths = torch.tensor([7, 4, 1])
    keep = torch.arange(7).unsqueeze(0) < lengths.unsqueeze(1)  # (B, T) True at real tokens
    expected = oracle(x, src_key_padding_mask=~keep)
    grad_out = torch.randn_like(expected)
    expected.backward(grad_out)
    got = layer.grad(None, (x,), {"mask": keep[:, None, None, :]}, grad_output=grad_out)
    with check.part("output", 3):
        close(
            got.value,
            expected.detach(),
            what="EncoderLayer output",
            atol=1e-4,
            rtol=1e-4,
            mistakes=_encoder_mistakes(oracle, x, key_padding_mask=~keep),
        )
    with check.part("gradients", 2):
        _compare_grads(got.params, _torch_grads(oracle), "EncoderLayer")


@pytest.mark.points(3)
def test_encoder_layer_pre_norm(student, gen, check):
    """EncoderLayer, pre-norm (norm_first=True, GELU): matches torch with a causal mask and with is_causal"""
    oracle, layer = _encoder_case(student, gen, norm_first=True, activation="gelu")
    x = torch.randn(2, 6, D, generator=gen)
    causal = torch.ones(6, 6, dtype=torch.bool).tril()
    expected = oracle(x, src_mask=~causal)
    grad_out = torch.randn_like(expected)
    expected.backward(grad_out)
    got = layer.grad(None, (x,), {"mask": causal}, grad_output=grad_out)
    with check.part("causal mask: output", 2):
        close(
            got.value,
            expected.detach(),
            what="EncoderLayer output",
            atol=1e-4,
            rtol=1e-4,
            mistakes=_encoder_mistakes(oracle, x, attn_mask=~causal),
        )
    with check.part("causal mask: gradients", 1):
        _compare_grads(got.params, _torch_grads(oracle), "EncoderLayer")
    with check.part("is_causal=True", 2):
        close(
            layer(x, is_causal=True),
            expected.detach(),
            what="EncoderLayer output with is_causal=True",
            atol=1e-4,
            rtol=1e-4,
            mistakes=[(oracle(x).detach(), "pass is_causal on to the attention")],
        )


@pytest.mark.points(4)
def test_decoder_layer(student, gen, check):
    """DecoderLayer (post- and pre-norm): matches nn.TransformerDecoderLayer with causal and memory masks"""
    for norm_first in (False, True):
        with check.part("pre-norm" if norm_first else "post-norm"):
            oracle = nn.TransformerDecoderLayer(
                D, H, FF, dropout=0.0, batch_first=True, norm_first=norm_first
            )
            randomize_parameters(oracle, gen)
            layer = student.new("layers.DecoderLayer", D, H, FF, dropout=0.0, norm_first=norm_first)
            layer.load_state_dict(_ours_from_torch(oracle.state_dict()))
            layer.run("eval")
            x = torch.randn(3, 5, D, generator=gen)
            memory = torch.randn(3, 6, D, generator=gen)
            keep = torch.arange(6).unsqueeze(0) < torch.tensor([[6], [3], [1]])  # (B, S)
            causal = torch.ones(5, 5, dtype=torch.bool).tril()
            expected = oracle(x, memory, tgt_mask=~causal, memory_key_padding_mask=~keep)
            grad_out = torch.randn_like(expected)
            expected.backward(grad_out)
            got = layer.grad(
                None,
                (x, memory),
                {"tgt_mask": causal, "memory_mask": keep[:, None, None, :]},
                grad_output=grad_out,
            )
            close(got.value, expected.detach(), what="DecoderLayer output", atol=1e-4, rtol=1e-4)
            _compare_grads(got.params, _torch_grads(oracle), "DecoderLayer")
