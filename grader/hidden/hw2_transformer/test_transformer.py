"""Hidden tests of transformer.py: the encoder-decoder against the reference, its masks, teacher forcing,
greedy decoding, and training on the toy reverse/copy task.

Oracles: the reference Transformer (solutions.hw2_transformer) with every parameter drawn from the test's
generator and copied into the student's model; mask properties checked on the student's model alone (a
padded source token or a later target token must not change what it must not reach); training measured by the
grader: the student's model, trained by the student's train_seq2seq in the sandbox, is decoded greedily by
the grader (argmax of the student's logits, one token at a time) on a held-out batch, and the exact-match
rate must reach a threshold measured on the reference (docs/hw2_thresholds.md).
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from grader.compare import assert_close, assert_equal, fail
from grader.figures import curves
from grader.testdata import randomize_parameters
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


@pytest.mark.points(6)
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
                hint="embed with table(ids) * sqrt(d_model) + pe[:T] (positions, not ids), run BOTH stacks, "
                "mask source padding everywhere and the target causally, then the output layer",
            )
        with check.part(f"{label}: gradients", 1):
            for name, parameter in reference.named_parameters():
                assert_close(
                    got.params.get(name), parameter.grad, what=f"gradient of {name}", atol=1e-4, rtol=1e-3
                )


@pytest.mark.points(4)
def test_transformer_masks(student, gen, check):
    """Padded source tokens and later target tokens do not change the logits they must not reach"""
    model = student.new(MODEL, SRC_VOCAB, TGT_VOCAB, **CONFIG)
    model.run("eval")
    src, tgt = _batch(gen)
    base = model(src, tgt)
    with check.part("source padding"):
        # The same real tokens with three more PAD columns: nothing may attend to them, so no logit moves.
        longer = torch.cat([src, torch.full((src.shape[0], 3), PAD)], dim=1)
        assert_close(
            model(longer, tgt),
            base,
            what="logits after appending PAD columns to the source",
            atol=1e-5,
            rtol=1e-4,
            hint="the encoder self-attention and the decoder's cross-attention "
            "must both mask source PAD tokens (src != pad_id)",
        )
    with check.part("causal target"):
        for t in (1, 3):
            later = tgt.clone()
            later[:, t:] = torch.randint(1, TGT_VOCAB, later[:, t:].shape, generator=gen)
            got = model(src, later)
            assert_close(
                got[:, :t],
                base[:, :t],
                what=f"logits at positions < {t} after changing tokens >= {t}",
                atol=1e-5,
                rtol=1e-4,
                hint="the decoder's self-attention needs the causal mask (query t sees keys <= t)",
            )


@pytest.mark.points(4)
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


@pytest.mark.points(4)
def test_greedy_decode(student, gen):
    """greedy_decode gives the reference's tokens (float64, copied weights), PAD after EOS"""
    reference, model = _pair(student, gen, double=True)
    src, _ = _batch(gen, batch=6)
    bos, eos = 1, 2
    # Make EOS likely at some point so that finished rows (PAD after EOS) are exercised.
    with torch.no_grad():
        reference.out.bias[eos] += 1.5
    model.load_state_dict({k: v.detach().clone() for k, v in reference.state_dict().items()})
    expected = reference.greedy_decode(src, 8, bos, eos)
    got = model.call("greedy_decode", src, 8, bos, eos)
    assert_equal(
        got,
        expected,
        what="greedy_decode's tokens",
        hint="start from BOS, append the argmax of the LAST position's logits each step, PAD after EOS",
    )


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


@pytest.mark.points(10)
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
            "check teacher forcing (input tgt[:, :-1], labels tgt[:, 1:]), the decoder's causal mask, and "
            "that the optimizer and the learning-rate schedule actually update the weights",
        )
