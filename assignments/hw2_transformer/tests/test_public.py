"""Public tests for assignment 2 (the Transformer): run them with `python check.py` in the assignment folder.

They compare your layers with PyTorch's nn.TransformerEncoderLayer / nn.TransformerDecoderLayer (same
weights), and check properties every correct answer has: positions are looked up by position, masks hide
what they must hide, the cache gives the same tokens, the loss falls when you train. The hidden tests check
the same things against the reference with copied weights, on more cases, and train your models; passing
these is necessary but not sufficient.

Test names start with the step of the handout they check: `-k step4` runs the encoder-layer tests only.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hw2_transformer.data import SEQ2SEQ_VOCAB, generate_corpus, seq2seq_batch
from hw2_transformer.gpt import GPT, GPTConfig, sample_next
from hw2_transformer.layers import (
    DecoderLayer,
    EncoderLayer,
    FeedForward,
    LearnedPositionalEmbedding,
    causal_mask,
    sinusoidal_encoding,
)
from hw2_transformer.mlm import (
    CLS_ID,
    MASK_ID,
    NUM_SPECIAL,
    PAD_ID,
    SEP_ID,
    EncoderMLM,
    WordTokenizer,
    fill_mask,
    mask_tokens,
    mlm_loss,
)
from hw2_transformer.train import TrainConfig, learning_rate, lm_loss, train_gpt
from hw2_transformer.transformer import Transformer, seq2seq_loss, shift_targets
from torch import nn


def torch_names(state: dict) -> dict:
    """Our layer's parameter names -> torch's (ff.linear1 -> linear1, cross_attn -> multihead_attn)."""
    return {k.replace("ff.", "").replace("cross_attn.", "multihead_attn."): v for k, v in state.items()}


# ---------------------------------------------------------------- step 1: positions and the causal mask


def test_step1_sinusoidal_encoding_first_rows() -> None:
    table = sinusoidal_encoding(10, 8)
    assert table.shape == (10, 8) and table.dtype == torch.float32
    # Position 0: every sine is 0 and every cosine 1, whichever layout you chose.
    assert sorted(table[0].tolist()) == [0.0] * 4 + [1.0] * 4
    # The fastest pair (i = 0) has frequency 1: sin(pos) and cos(pos).
    pos = torch.arange(10, dtype=torch.float32)
    torch.testing.assert_close(table[:, 0], torch.sin(pos))


def test_step1_learned_positions_ignore_token_ids() -> None:
    module = LearnedPositionalEmbedding(16, 4)
    a = module(torch.tensor([[5, 9, 1]]))
    b = module(torch.tensor([[0, 0, 0]]))
    torch.testing.assert_close(a, b)  # positions 0, 1, 2 whatever the tokens
    torch.testing.assert_close(module(torch.tensor([[7]]), offset=2), module.embedding.weight[2:3])


def test_step1_causal_mask() -> None:
    assert torch.equal(causal_mask(4), torch.ones(4, 4, dtype=torch.bool).tril())


# ---------------------------------------------------------------- steps 2-4: feed-forward, encoder, decoder


def test_step2_feed_forward_shapes() -> None:
    ff = FeedForward(8, 32)
    assert ff(torch.randn(2, 5, 8)).shape == (2, 5, 8)
    assert ff.linear1.weight.shape == (32, 8) and ff.linear2.weight.shape == (8, 32)


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_step3_encoder_layer_matches_torch(norm_first: bool) -> None:
    ours = EncoderLayer(16, 4, 32, norm_first=norm_first).eval()
    theirs = nn.TransformerEncoderLayer(
        16, 4, 32, dropout=0.0, batch_first=True, norm_first=norm_first
    ).eval()
    theirs.load_state_dict(torch_names(ours.state_dict()))
    x = torch.randn(2, 5, 16)
    keep = torch.tensor([[True] * 5, [True, True, True, False, False]])
    torch.testing.assert_close(
        ours(x, mask=keep[:, None, None, :]), theirs(x, src_key_padding_mask=~keep), atol=1e-5, rtol=1e-4
    )


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_step4_decoder_layer_matches_torch(norm_first: bool) -> None:
    ours = DecoderLayer(16, 4, 32, norm_first=norm_first).eval()
    theirs = nn.TransformerDecoderLayer(
        16, 4, 32, dropout=0.0, batch_first=True, norm_first=norm_first
    ).eval()
    theirs.load_state_dict(torch_names(ours.state_dict()))
    x, memory = torch.randn(2, 4, 16), torch.randn(2, 6, 16)
    causal = causal_mask(4)
    torch.testing.assert_close(
        ours(x, memory, tgt_mask=causal), theirs(x, memory, tgt_mask=~causal), atol=1e-5, rtol=1e-4
    )


# ---------------------------------------------------------------- step 5: the encoder-decoder


def test_step5_transformer_shapes_and_target_vocabulary() -> None:
    model = Transformer(src_vocab=11, tgt_vocab=17, d_model=16, num_heads=4, num_layers=2, d_ff=32).eval()
    assert len(model.encoder_layers) == 2 and len(model.decoder_layers) == 2
    src, tgt = torch.randint(1, 11, (3, 7)), torch.randint(1, 17, (3, 5))
    assert model(src, tgt).shape == (3, 5, 17)  # scores over the TARGET vocabulary


def test_step5_target_is_causal_and_source_padding_is_ignored() -> None:
    model = Transformer(11, 11, d_model=16, num_heads=4, num_layers=2, d_ff=32).eval()
    src, tgt = torch.randint(1, 11, (2, 6)), torch.randint(1, 11, (2, 5))
    base = model(src, tgt)
    later = tgt.clone()
    later[:, 3:] = 1
    torch.testing.assert_close(model(src, later)[:, :3], base[:, :3])
    padded = torch.cat([src, torch.zeros(2, 3, dtype=torch.long)], dim=1)  # three PAD (id 0) columns
    torch.testing.assert_close(model(padded, tgt), base, atol=1e-5, rtol=1e-4)


def test_step5_teacher_forcing_shift() -> None:
    tgt = torch.tensor([[1, 5, 6, 2, 0]])
    inputs, labels = shift_targets(tgt)
    assert inputs.tolist() == [[1, 5, 6, 2]] and labels.tolist() == [[5, 6, 2, 0]]
    model = Transformer(SEQ2SEQ_VOCAB, SEQ2SEQ_VOCAB, d_model=16, num_heads=4, num_layers=1, d_ff=32)
    src, tgt = seq2seq_batch("reverse", 4)
    assert seq2seq_loss(model, src, tgt).dim() == 0


def test_step5_greedy_decode_starts_with_bos() -> None:
    model = Transformer(SEQ2SEQ_VOCAB, SEQ2SEQ_VOCAB, d_model=16, num_heads=4, num_layers=1, d_ff=32).eval()
    src, _ = seq2seq_batch("copy", 3)
    out = model.greedy_decode(src, max_len=6, bos_id=1, eos_id=2)
    assert out.dtype == torch.long and out.shape[0] == 3 and 2 <= out.shape[1] <= 7
    assert out[:, 0].tolist() == [1, 1, 1]


# ---------------------------------------------------------------- step 6: the GPT


def small_gpt() -> GPT:
    return GPT(GPTConfig(vocab_size=20, block_size=16, n_layer=2, n_head=2, d_model=16)).eval()


def test_step6_gpt_is_causal_and_tied() -> None:
    model = small_gpt()
    assert model.lm_head.weight is model.wte.weight
    idx = torch.randint(0, 20, (2, 10))
    later = idx.clone()
    later[:, 4:] = 0
    torch.testing.assert_close(model(later)[:, :4], model(idx)[:, :4])


def test_step6_kv_cache_gives_the_same_tokens() -> None:
    model = small_gpt()
    idx = torch.randint(0, 20, (2, 3))
    without = model.generate(idx, 10, greedy=True)
    assert without.shape == (2, 13)
    assert torch.equal(model.generate(idx, 10, greedy=True, use_cache=True), without)


def test_step6_sample_next() -> None:
    logits = torch.tensor([[0.0, 5.0, 4.0, -3.0]]).repeat(500, 1)
    assert sample_next(logits, greedy=True).tolist() == [1] * 500
    drawn = sample_next(logits, top_k=2, generator=torch.Generator().manual_seed(0))
    assert set(drawn.tolist()) == {1, 2}


# ---------------------------------------------------------------- step 7: training


def test_step7_lm_loss_and_schedule() -> None:
    logits, targets = torch.randn(2, 3, 5), torch.randint(0, 5, (2, 3))
    torch.testing.assert_close(
        lm_loss(logits, targets), F.cross_entropy(logits.reshape(-1, 5), targets.reshape(-1))
    )
    config = TrainConfig(steps=100, warmup_steps=10, lr=1e-3, min_lr=1e-4)
    assert math.isclose(learning_rate(0, config), 1e-4)
    assert math.isclose(learning_rate(9, config), 1e-3)
    assert math.isclose(learning_rate(100, config), 1e-4)


def test_step7_training_lowers_the_loss() -> None:
    text = generate_corpus(200, seed=0)
    chars = sorted(set(text))
    data = torch.tensor([chars.index(c) for c in text])
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=len(chars), block_size=16, n_layer=1, n_head=2, d_model=32))
    losses = train_gpt(
        model, data, TrainConfig(steps=60, batch_size=16, block_size=16, lr=1e-2, warmup_steps=6)
    )
    assert len(losses) == 60
    assert sum(losses[-10:]) / 10 < 0.75 * sum(losses[:5]) / 5


# ---------------------------------------------------------------- step 8: the masked language model


def test_step8_mask_tokens_leaves_special_tokens_alone() -> None:
    ids = torch.randint(NUM_SPECIAL, 30, (64, 12), generator=torch.Generator().manual_seed(0))
    ids[:, 0], ids[:, 9], ids[:, 10:] = CLS_ID, SEP_ID, PAD_ID  # [CLS] w1 .. w8 [SEP] [PAD] [PAD]
    inputs, labels = mask_tokens(ids, 30, torch.Generator().manual_seed(1))
    assert inputs.shape == labels.shape == ids.shape and labels.dtype == torch.long
    special = ids < NUM_SPECIAL
    assert torch.equal(inputs[special], ids[special])  # [CLS], [SEP] and [PAD] are never touched
    chosen = labels != -100
    assert torch.equal(labels[chosen], ids[chosen]) and chosen.any()  # the answers are the original tokens
    assert not (chosen & special).any()
    assert ((inputs != ids) <= chosen).all()  # only chosen positions change
    again = mask_tokens(ids, 30, torch.Generator().manual_seed(1))
    assert torch.equal(again[0], inputs) and torch.equal(again[1], labels)  # same generator, same masks


def test_step8_encoder_is_bidirectional_and_tied() -> None:
    torch.manual_seed(8)
    model = EncoderMLM(GPTConfig(vocab_size=20, block_size=16, n_layer=2, n_head=2, d_model=16)).eval()
    assert model.lm_head.weight is model.wte.weight, "tie lm_head's weight to wte's"
    idx = torch.randint(NUM_SPECIAL, 20, (2, 10))
    logits = model(idx)
    assert logits.shape == (2, 10, 20)
    later = idx.clone()
    later[:, 7] = MASK_ID
    assert not torch.allclose(model(later)[:, :7], logits[:, :7])  # a later token changes earlier predictions
    padded = torch.cat([idx, torch.full((2, 3), PAD_ID)], dim=1)
    torch.testing.assert_close(model(padded)[:, :10], logits, atol=1e-5, rtol=1e-4)  # padding is invisible


def test_step8_mlm_loss_and_fill_mask() -> None:
    logits, targets = torch.randn(2, 5, 7), torch.randint(0, 7, (2, 5))
    labels = targets.clone()
    labels[:, ::2] = -100
    expected = F.cross_entropy(logits[:, 1::2].reshape(-1, 7), targets[:, 1::2].reshape(-1))
    torch.testing.assert_close(mlm_loss(logits, labels), expected)  # the chosen positions only
    tokenizer = WordTokenizer(generate_corpus(50, seed=0))
    torch.manual_seed(0)
    model = EncoderMLM(
        GPTConfig(vocab_size=tokenizer.vocab_size, block_size=24, n_layer=1, n_head=2, d_model=16)
    )
    filled = fill_mask(model.eval(), tokenizer, "The robot [MASK] the cube on the table.")
    assert (
        filled.startswith("The robot ")
        and filled.endswith(" the cube on the table.")
        and "[MASK]" not in filled
    )
