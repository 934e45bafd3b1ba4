"""Hidden tests of transformer.py: the encoder-decoder against the reference, its masks, teacher forcing,
greedy decoding, and training on the toy reverse/copy task.

Oracles: the reference Transformer (solutions.hw2_transformer) with every parameter drawn from the test's
generator and copied into the student's model; mask properties (a padded source token or a later target token
must not change what it must not reach; a hint only where the logits equal the reference's with that mask left
out); greedy decoding on a crafted model whose rows emit EOS at steps the grader chose (one at the first step,
one never), so that finished rows and the stop rule are exercised at every seed; training measured by the
grader: the student's model, trained by the student's train_seq2seq in the sandbox, is decoded greedily by
the grader (argmax of the student's logits, one token at a time) on a held-out batch, and the exact-match
rate must reach a threshold measured on the reference (docs/hw2_thresholds.md).
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from grader.suite import (
    assert_close,
    assert_equal,
    curves,
    expect_tensor,
    fail,
    mistake_hint,
    randomize_parameters,
)
from solutions.hw2_transformer import data as ref_data
from solutions.hw2_transformer import transformer as ref_transformer

MODEL = "transformer.Transformer"
SRC_VOCAB, TGT_VOCAB, PAD = 11, 17, 0  # different vocabularies: the output layer must use the target's
CONFIG = dict(d_model=16, num_heads=4, num_layers=2, d_ff=32, max_len=24, dropout=0.0, pad_id=PAD)
# Training: the task, the budget and the threshold (docs/hw2_thresholds.md has the measurements).
TASK, TRAIN_STEPS, TRAIN_MIN_LEN, TRAIN_MAX_LEN = "copy", 150, 1, 5
EXACT_MATCH_THRESHOLD = 0.15


def _pair(student, gen, *, norm_first: bool = False, double: bool = False):
    """(reference, student's model) with the same random weights, eval mode."""
    reference = randomize_parameters(
        ref_transformer.Transformer(SRC_VOCAB, TGT_VOCAB, norm_first=norm_first, **CONFIG), gen
    )
    model = student.new(MODEL, SRC_VOCAB, TGT_VOCAB, norm_first=norm_first, **CONFIG)
    if double:
        reference.double()
        model.run("double")
    model.load_state_dict({k: v.detach().clone() for k, v in reference.state_dict().items()})
    model.run("eval")
    return reference, model


def _batch(gen, batch: int = 4, src_len: int = 7, tgt_len: int = 6):
    """Source and target ids with some padding at the end of every row but the first."""
    src = torch.randint(1, SRC_VOCAB, (batch, src_len), generator=gen)
    tgt = torch.randint(1, TGT_VOCAB, (batch, tgt_len), generator=gen)
    for row in range(1, batch):
        src[row, src_len - row :] = PAD
        tgt[row, tgt_len - row :] = PAD
    return src, tgt


@pytest.mark.points(4)
def test_transformer_forward(student, gen, check):
    """Transformer(src, tgt_in): logits and gradients match the reference (post- and pre-norm)"""
    for norm_first in (False, True):
        reference, model = _pair(student, gen, norm_first=norm_first)
        src, tgt = _batch(gen)
        expected = reference(src, tgt)
        grad_out = torch.randn_like(expected)
        expected.backward(grad_out)
        got = model.grad(None, (src, tgt), grad_output=grad_out)
        label = "pre-norm" if norm_first else "post-norm"
        with check.part(f"{label}: logits", 2):
            assert_close(
                got.value,
                expected.detach(),
                what=f"Transformer logits ({label})",
                atol=1e-4,
                rtol=1e-4,
            )
        with check.part(f"{label}: gradients", 1):
            for name, parameter in reference.named_parameters():
                assert_close(
                    got.params.get(name), parameter.grad, what=f"gradient of {name}", atol=1e-4, rtol=1e-3
                )


def _unmasked_logits(reference, src, tgt, *, encoder_mask: bool = True, causal: bool = True):
    """The reference's logits with the encoder's padding mask or the decoder's causal mask left out."""
    with torch.no_grad():
        src_mask = reference.src_mask(src)
        x = reference.embed(src, reference.src_embed)
        for layer in reference.encoder_layers:
            x = layer(x, mask=src_mask if encoder_mask else None)
        memory = reference.encoder_norm(x)
        tgt_mask = reference.tgt_mask(tgt) if causal else (tgt != PAD)[:, None, None, :]
        y = reference.embed(tgt, reference.tgt_embed)
        for layer in reference.decoder_layers:
            y = layer(y, memory, tgt_mask=tgt_mask, memory_mask=src_mask)
        return reference.out(reference.decoder_norm(y))


@pytest.mark.points(3)
def test_transformer_masks(student, gen, check):
    """Padded source tokens and later target tokens do not change the logits they must not reach"""
    reference, model = _pair(student, gen)
    src, tgt = _batch(gen)
    base = model(src, tgt)
    with check.part("source padding"):
        # The same real tokens with three more PAD columns: nothing may attend to them, so no logit moves.
        longer = torch.cat([src, torch.full((src.shape[0], 3), PAD)], dim=1)
        got = model(longer, tgt)
        hint = mistake_hint(
            got,
            reference(longer, tgt).detach(),
            [
                (
                    _unmasked_logits(reference, longer, tgt, encoder_mask=False),
                    "the encoder's self-attention must mask source PAD tokens too (mask=src_mask(src))",
                )
            ],
        )
        assert_close(
            got,
            base,
            what="logits after appending PAD columns to the source",
            atol=1e-5,
            rtol=1e-4,
            hint=hint,
        )
    with check.part("causal target"):
        for t in (1, 3):
            later = tgt.clone()
            later[:, t:] = torch.randint(1, TGT_VOCAB, later[:, t:].shape, generator=gen)
            got = model(src, later)
            hint = mistake_hint(
                got,
                reference(src, later).detach(),
                [
                    (
                        _unmasked_logits(reference, src, later, causal=False),
                        "the decoder's self-attention needs the causal mask (query t sees keys <= t)",
                    )
                ],
            )
            assert_close(
                got[:, :t],
                base[:, :t],
                what=f"logits at positions < {t} after changing tokens >= {t}",
                atol=1e-5,
                rtol=1e-4,
                hint=hint,
            )


@pytest.mark.points(3)
def test_seq2seq_loss_teacher_forcing(student, gen, check):
    """shift_targets and seq2seq_loss: decoder reads tgt[:, :-1], predicts tgt[:, 1:], PAD ignored"""
    src, tgt = ref_data.seq2seq_batch("reverse", 6, 1, 5, gen)
    with check.part("shift_targets"):
        got = student.call("transformer.shift_targets", tgt)
        if not isinstance(got, (list, tuple)) or len(got) != 2:
            fail("shift_targets should return a pair (decoder input, labels)")
        assert_equal(
            got[0],
            tgt[:, :-1],
            what="decoder input",
            hint="teacher forcing feeds tgt[:, :-1]",
            mistakes=[(tgt[:, 1:], "input and labels are swapped")],
        )
        assert_equal(
            got[1],
            tgt[:, 1:],
            what="labels",
            hint="the label at position t is tgt[:, t + 1]",
            mistakes=[(tgt[:, :-1], "the labels are the inputs themselves: shift them by one")],
        )
    with check.part("seq2seq_loss"):
        vocab = ref_data.SEQ2SEQ_VOCAB
        config = dict(CONFIG, pad_id=ref_data.PAD)
        reference = randomize_parameters(ref_transformer.Transformer(vocab, vocab, **config), gen)
        model = student.new(MODEL, vocab, vocab, **config)
        model.load_state_dict({k: v.detach().clone() for k, v in reference.state_dict().items()})
        model.run("eval")
        expected = ref_transformer.seq2seq_loss(reference, src, tgt)
        got = student.call("transformer.seq2seq_loss", model.handle, src, tgt)
        logits = reference(src, tgt[:, :-1])
        with_pad = F.cross_entropy(logits.reshape(-1, vocab), tgt[:, 1:].reshape(-1))
        assert_close(
            got,
            expected.detach(),
            what="seq2seq_loss",
            atol=1e-5,
            rtol=1e-4,
            mistakes=[(with_pad.detach(), "PAD labels must be ignored (ignore_index=pad_id)")],
        )


# Greedy decoding by construction: a Transformer whose weights make row r emit BOS, 3, 4, ... and EOS exactly
# at the step the grader chose for it (or never), so that rows finish at different steps, one at the first
# step, one never (max_len ends it), and in a second batch all before max_len (decoding stops early).
DECODE = dict(d_model=32, num_heads=2, num_layers=1, d_ff=8, max_len=24, dropout=0.0, norm_first=True)
BOS, EOS = 1, 2
NEVER = 99  # an EOS step past any max_len


def _successor(token: int) -> int:
    """The token the crafted model emits after `token` (when it does not emit EOS): BOS -> 3 -> 4 -> ..."""
    return 3 if token in (BOS, EOS, PAD) else min(token + 1, TGT_VOCAB - 1)


def crafted_decoder(eos_step: dict[int, int]) -> ref_transformer.Transformer:
    """A float64 reference Transformer that, for a source made of one repeated token s, emits EOS as its
    eos_step[s]-th generated token (1-based) and the chain 3, 4, 5, ... before it.

    Every attention and feed-forward output is zero except the decoder's cross-attention, which averages the
    source (uniform weights), so the last position's state is LN(big * e_token + big * e_(source token)); the
    output layer scores the successor of the last token at 10 and EOS at 11 - 2 (eos_step - 1 - steps so far).
    """
    model = ref_transformer.Transformer(SRC_VOCAB, TGT_VOCAB, pad_id=PAD, **DECODE).double()
    d = DECODE["d_model"]
    spare = d - 1  # a dimension no token uses: it takes each output row's sum, so rows sum to zero
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.zero_()
        for norm in (model.encoder_norm, model.decoder_norm):
            norm.weight.fill_(1.0)
        for token in range(TGT_VOCAB):
            model.tgt_embed.weight[token, token] = 100.0
        for token in range(SRC_VOCAB):
            model.src_embed.weight[token, TGT_VOCAB + token] = 100.0
        cross = model.decoder_layers[0].cross_attn
        cross.in_proj_weight[2 * d :] = torch.eye(d)  # values = memory; queries and keys 0: uniform weights
        cross.out_proj.weight.copy_(100.0 * torch.eye(d))
        # The scale of the two hot entries after the final LayerNorm, measured on one probe.
        probe = model.decoder_norm(
            model.embed(torch.tensor([[3]]), model.tgt_embed)
            + cross.out_proj(model.encode(torch.tensor([[0]])))
        )[0, 0]
        token_scale = float(probe[3] - probe[spare])
        source_scale = float(probe[TGT_VOCAB] - probe[spare])
        weight = torch.zeros(TGT_VOCAB, d, dtype=torch.float64)
        for token in range(TGT_VOCAB):
            steps_so_far = 0 if token == BOS else token - 2  # BOS is read at step 1, token 3 at step 2, ...
            weight[_successor(token), token] += 10.0 / token_scale
            weight[EOS, token] += 2.0 * steps_so_far / token_scale
        for source, step in eos_step.items():
            weight[EOS, TGT_VOCAB + source] = (11.0 - 2.0 * (step - 1)) / source_scale
        weight[:, spare] = -weight.sum(dim=1)
        model.out.weight.copy_(weight)
    return model.eval()


def _pad_after_eos(tokens: torch.Tensor, fill: int) -> torch.Tensor:
    """`tokens` (B, 1 + n) with every token after a row's first EOS replaced by `fill`."""
    seen = (tokens == EOS).long().cumsum(dim=1)
    after = (seen - (tokens == EOS).long()) > 0
    return torch.where(after, torch.full_like(tokens, fill), tokens)


def _decoding_mistakes(model, src: torch.Tensor, max_len: int, expected: torch.Tensor) -> list:
    """(wrong output, hint) for the usual decoding mistakes, from the model's own tokens."""
    out = torch.full((src.shape[0], 1), BOS, dtype=torch.long)
    memory = model.encode(src)
    for _ in range(max_len):  # no padding and no early stop: what the rows would emit
        out = torch.cat([out, model.decode(out, memory, src)[:, -1].argmax(-1, keepdim=True)], dim=1)
    finished = (out == EOS).any(dim=0).nonzero()
    first_eos = int(finished[0]) if len(finished) else max_len
    all_done = expected.shape[1]
    return [
        (
            _pad_after_eos(out, PAD)[:, : first_eos + 1],
            "stop only when EVERY row has produced EOS (keep one `done` flag per row); the others go on",
        ),
        (
            out[:, :all_done],
            "after a row's EOS, append pad_id to that row: the tokens it would emit next are not output",
        ),
        (_pad_after_eos(out, EOS)[:, :all_done], "after a row's EOS, append pad_id to it, not EOS again"),
        (
            _pad_after_eos(out, PAD),
            "stop as soon as every row has produced EOS: the output is then shorter than max_len tokens",
        ),
    ]


@pytest.mark.points(4)
def test_greedy_decode(student, gen, check):
    """greedy_decode: rows that finish at different steps get PAD after EOS; it stops when all are done"""
    # Case 1: EOS at step 1, at the last step, never, and between; case 2: all done before max_len.
    for case, (steps, max_len) in enumerate((([1, 2, 3, 4, 6, NEVER], 6), ([2, 5, 3], 8))):
        sources = (1 + torch.randperm(SRC_VOCAB - 1, generator=gen)[: len(steps)]).tolist()  # no PAD
        order = torch.randperm(len(steps), generator=gen).tolist()
        eos_step = {sources[i]: steps[order[i]] for i in range(len(steps))}
        reference = crafted_decoder(eos_step)
        length = int(torch.randint(3, 8, (), generator=gen))
        src = torch.tensor(sources).unsqueeze(1).repeat(1, length)  # (B, S): row r is its token, repeated
        expected = reference.greedy_decode(src, max_len, BOS, EOS)
        with check.part(f"batch {case + 1}"):
            model = student.new(MODEL, SRC_VOCAB, TGT_VOCAB, pad_id=PAD, **DECODE)
            model.run("double")
            model.load_state_dict({k: v.detach().clone() for k, v in reference.state_dict().items()})
            model.run("eval")
            got = model.call("greedy_decode", src, max_len, BOS, EOS)
            what = f"greedy_decode(src, max_len={max_len}) with rows that finish at steps {steps}"
            if isinstance(got, torch.Tensor) and got.shape == expected.shape and torch.equal(got, expected):
                continue
            hint = mistake_hint(got, expected, _decoding_mistakes(reference, src, max_len, expected))
            expect_tensor(got, what=what, shape=tuple(expected.shape), shape_hint=hint)
            assert_equal(got, expected, what=what, hint=hint)


def _grader_greedy(model, src: torch.Tensor, steps: int) -> torch.Tensor:
    """The grader's own greedy decoding, from the student's logits (B, 1 + steps)."""
    out = torch.full((src.shape[0], 1), ref_data.BOS, dtype=torch.long)
    for _ in range(steps):
        logits = model(src, out)
        if not isinstance(logits, torch.Tensor) or logits.shape[:2] != out.shape:
            fail(f"the model's logits for a {tuple(out.shape)} target should be (B, T, vocab)")
        out = torch.cat([out, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
    return out


def exact_match(out: torch.Tensor, tgt: torch.Tensor) -> float:
    """Share of rows whose decoded tokens equal the target up to and including its EOS."""
    hits = 0
    for row in range(tgt.shape[0]):
        length = int((tgt[row] != ref_data.PAD).sum())  # BOS ... EOS
        hits += bool(out.shape[1] >= length and torch.equal(out[row, :length], tgt[row, :length]))
    return hits / tgt.shape[0]


@pytest.mark.points(5)
@pytest.mark.timeout(60)
def test_seq2seq_training_exact_match(student, seed, figure):
    """Your Transformer, trained by your train_seq2seq on the copy task, decodes held-out strings exactly"""
    vocab = ref_data.SEQ2SEQ_VOCAB
    model = student.new(
        MODEL,
        vocab,
        vocab,
        d_model=32,
        num_heads=4,
        num_layers=2,
        d_ff=64,
        max_len=16,
        dropout=0.0,
        pad_id=ref_data.PAD,
    )
    config = student.new(
        "train.TrainConfig",
        steps=TRAIN_STEPS,
        batch_size=32,
        lr=1e-2,
        min_lr=1e-3,
        warmup_steps=15,
        seed=seed % 100_000,
    )
    losses = student.call(
        "train.train_seq2seq", model.handle, TASK, config.handle, TRAIN_MIN_LEN, TRAIN_MAX_LEN
    )
    if not isinstance(losses, list) or len(losses) != TRAIN_STEPS:
        fail(f"train_seq2seq should return the list of the {TRAIN_STEPS} training losses")
    with figure.attempt():
        figure.add(
            curves(
                "Your Transformer's training loss on the copy task",
                {"your train_seq2seq": losses},
                y_label="loss",
                caption=f"{TRAIN_STEPS} steps; the grader then decodes 200 held-out strings, of which "
                f"at least {EXACT_MATCH_THRESHOLD:.0%} must come back exactly.",
            )
        )
    model.run("eval")
    src, tgt = ref_data.seq2seq_batch(
        TASK, 200, TRAIN_MIN_LEN, TRAIN_MAX_LEN, torch.Generator().manual_seed(seed + 1)
    )
    rate = exact_match(_grader_greedy(model, src, TRAIN_MAX_LEN + 1), tgt)
    if rate < EXACT_MATCH_THRESHOLD:
        fail(
            f"after {TRAIN_STEPS} steps your model copies {rate:.1%} of 200 held-out digit strings exactly; "
            f"the reference reaches at least {EXACT_MATCH_THRESHOLD:.0%} on every seed",
        )
