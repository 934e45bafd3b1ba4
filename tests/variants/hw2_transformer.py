"""Realistic bugs in hw2_transformer, each a small patch of the reference, and valid alternatives.

VARIANTS: each must score below 100 and lose points in exactly the hidden tests named in `breaks`.
ALTERNATIVES: choices the handout leaves open (or implementation styles it allows); each must score 100.
Most bugs come from the course's own from-scratch transformer (a decoder stack that was never built, a
position embedding fed token ids, an output layer sized from the wrong vocabulary, a misspelled mask fill
value).
Edits quote code only, never comments.
"""

from __future__ import annotations

from grader.variants import Edit, Variant

# Attention written by hand instead of with F.scaled_dot_product_attention (the handout allows it): inserted
# before the fused path in provided_attention.py, which then never runs. SCALE and FILL are the two places the
# classic bugs live.
HAND_WRITTEN = """        num_keys = k.shape[-2]
        if is_causal:
            rows = torch.arange(num_queries, device=q.device).unsqueeze(1) + (num_keys - num_queries)
            causal = torch.arange(num_keys, device=q.device).unsqueeze(0) <= rows
            mask = causal if mask is None else mask & causal
        scores = (q @ k.transpose(-2, -1)) * SCALE
        if mask is not None:
            scores = scores.masked_fill(~mask, FILL)
        weights = torch.softmax(scores, dim=-1)
        if mask is not None:
            weights = weights.masked_fill(~mask.any(dim=-1, keepdim=True), 0.0)
        weights = F.dropout(weights, self.dropout if self.training else 0.0)
        out = (weights @ v).transpose(1, 2).flatten(2)
        return self.out_proj(out), None
"""


def hand_written(scale: str = "self.head_dim**-0.5", fill: str = "-1e9") -> Edit:
    return Edit(
        "provided_attention.py",
        "        num_keys = k.shape[-2]\n",
        HAND_WRITTEN.replace("SCALE", scale).replace("FILL", fill),
    )


VARIANTS: list[Variant] = [
    Variant(
        "decoder-stack-never-built",
        "the decoder layers are never created (the course's transformer: self.decoder is used, never built)",
        (
            Edit(
                "transformer.py",
                "self.decoder_layers = nn.ModuleList(DecoderLayer(*layer_args) for _ in range(num_layers))",
                "self.decoder_layers = nn.ModuleList()",
            ),
        ),
        breaks=(
            "test_greedy_decode",
            "test_seq2seq_loss_teacher_forcing",
            "test_seq2seq_training_exact_match",
            "test_transformer_forward",
        ),
    ),
    Variant(
        "position-embedding-fed-token-ids",
        "the learned position embedding looks up the token ids instead of the positions",
        (Edit("layers.py", "return self.embedding(positions)", "return self.embedding(idx)"),),
        breaks=(
            "test_gpt_forward",
            "test_gpt_greedy_generate",
            "test_gpt_is_causal",
            "test_gpt_training_val_loss",
            "test_kv_cache_same_tokens",
            "test_learned_positional_embedding",
        ),
    ),
    Variant(
        "output-layer-sized-from-source-vocab",
        "the output layer maps to the SOURCE vocabulary (same size in a toy test, wrong in general)",
        (
            Edit(
                "transformer.py",
                "self.out = nn.Linear(d_model, tgt_vocab)",
                "self.out = nn.Linear(d_model, src_vocab)",
            ),
        ),
        breaks=(
            "test_greedy_decode",
            "test_transformer_forward",
        ),
    ),
    Variant(
        "misspelled-fill-value",
        "hand-written attention fills masked scores with 1e-9 (a typo for -1e9): the mask does nothing",
        (hand_written(fill="1e-9"),),
        breaks=(
            "test_decoder_layer",
            "test_encoder_layer_post_norm",
            "test_encoder_layer_pre_norm",
            "test_gpt_forward",
            "test_gpt_greedy_generate",
            "test_gpt_is_causal",
            "test_gpt_training_val_loss",
            "test_greedy_decode",
            "test_kv_cache_same_tokens",
            "test_seq2seq_loss_teacher_forcing",
            "test_seq2seq_training_exact_match",
            "test_transformer_forward",
            "test_transformer_masks",
        ),
    ),
    Variant(
        "no-scaling",
        "hand-written attention forgets the 1/sqrt(head_dim) scaling",
        (hand_written(scale="1.0"),),
        breaks=(
            "test_decoder_layer",
            "test_encoder_layer_post_norm",
            "test_encoder_layer_pre_norm",
            "test_gpt_forward",
            "test_gpt_greedy_generate",
            "test_greedy_decode",
            "test_kv_cache_same_tokens",
            "test_seq2seq_loss_teacher_forcing",
            "test_transformer_forward",
        ),
    ),
    Variant(
        "gpt-missing-causal-mask",
        "the GPT's blocks attend without the causal mask, so each position sees the token it must predict",
        (
            Edit(
                "gpt.py",
                "x = block(x, is_causal=True, cache=None if caches is None else caches[i])",
                "x = block(x, is_causal=False, cache=None if caches is None else caches[i])",
            ),
        ),
        breaks=(
            "test_gpt_forward",
            "test_gpt_greedy_generate",
            "test_gpt_is_causal",
            "test_gpt_training_val_loss",
            "test_kv_cache_same_tokens",
        ),
    ),
    Variant(
        "causal-mask-leaks-successor",
        "causal_mask lets query i see key i + 1",
        (
            Edit(
                "layers.py",
                "return positions.unsqueeze(0) <= positions.unsqueeze(1)",
                "return positions.unsqueeze(0) <= positions.unsqueeze(1) + 1",
            ),
        ),
        breaks=(
            "test_causal_mask",
            "test_seq2seq_loss_teacher_forcing",
            "test_seq2seq_training_exact_match",
            "test_transformer_forward",
            "test_transformer_masks",
        ),
    ),
    Variant(
        "source-padding-not-masked",
        "the encoder's self-attention ignores the source padding mask",
        (Edit("transformer.py", "x = layer(x, mask=mask)", "x = layer(x)"),),
        breaks=(
            "test_greedy_decode",
            "test_seq2seq_loss_teacher_forcing",
            "test_transformer_forward",
            "test_transformer_masks",
        ),
    ),
    Variant(
        "pre-norm-without-residual",
        "the pre-norm encoder layer drops the residual connection around attention",
        (Edit("layers.py", "x = x + attend(self.norm1(x))", "x = attend(self.norm1(x))"),),
        breaks=(
            "test_encoder_layer_pre_norm",
            "test_gpt_forward",
            "test_gpt_greedy_generate",
            "test_gpt_training_val_loss",
            "test_kv_cache_same_tokens",
            "test_transformer_forward",
        ),
    ),
    Variant(
        "post-norm-normalises-the-branch",
        "post-norm layer norm applied to the sub-layer's output before the residual sum, not after it",
        (Edit("layers.py", "x = self.norm1(x + attend(x))", "x = x + self.norm1(attend(x))"),),
        breaks=(
            "test_encoder_layer_post_norm",
            "test_greedy_decode",
            "test_seq2seq_loss_teacher_forcing",
            "test_transformer_forward",
        ),
    ),
    Variant(
        "teacher-forcing-shift-off-by-one",
        "the labels are not shifted: the decoder is trained to repeat its input",
        (Edit("transformer.py", "return tgt[:, :-1], tgt[:, 1:]", "return tgt[:, :-1], tgt[:, :-1]"),),
        breaks=(
            "test_seq2seq_loss_teacher_forcing",
            "test_seq2seq_training_exact_match",
        ),
    ),
    Variant(
        "sin-cos-swapped",
        "the sinusoidal encoding puts cosines in the even columns and sines in the odd ones",
        (
            Edit("layers.py", "table[:, 0::2] = torch.sin(angles)", "table[:, 0::2] = torch.cos(angles)"),
            Edit("layers.py", "table[:, 1::2] = torch.cos(angles)", "table[:, 1::2] = torch.sin(angles)"),
        ),
        breaks=("test_sinusoidal_encoding",),
    ),
    Variant(
        "top-k-keeps-k-plus-1",
        "top-k filtering keeps the k + 1 largest logits",
        (
            Edit(
                "gpt.py",
                "torch.topk(logits, min(top_k, logits.shape[-1]), dim=-1)",
                "torch.topk(logits, min(top_k + 1, logits.shape[-1]), dim=-1)",
            ),
        ),
        breaks=("test_sample_next_top_k",),
    ),
    Variant(
        "kv-cache-position-not-advanced",
        "with the cache, every new token gets position 0 (the offset is never taken from the cache)",
        (
            Edit(
                "gpt.py",
                "offset = caches[0].length if caches is not None else 0",
                "offset = 0",
            ),
        ),
        breaks=("test_kv_cache_same_tokens",),
    ),
    Variant(
        "head-not-tied",
        "lm_head keeps its own weight instead of sharing the token embedding's",
        (Edit("gpt.py", "self.lm_head.weight = self.wte.weight", "pass"),),
        breaks=(
            "test_gpt_forward",
            "test_gpt_weight_tying",
        ),
    ),
]

ALTERNATIVES: list[Variant] = [
    Variant(
        "sinusoids-concatenated",
        "the sinusoidal encoding as [all sines | all cosines], not interleaved (the handout allows both)",
        (
            Edit(
                "layers.py",
                "table[:, 0::2] = torch.sin(angles)",
                "table[:, : d_model // 2] = torch.sin(angles)",
            ),
            Edit(
                "layers.py",
                "table[:, 1::2] = torch.cos(angles)",
                "table[:, d_model // 2 :] = torch.cos(angles)",
            ),
        ),
    ),
    Variant(
        "hand-written-attention",
        "attention written by hand (softmax of masked, scaled scores), not F.scaled_dot_product_attention",
        (hand_written(),),
    ),
]

STUB = Variant("stub", "the untouched release: every function raises NotImplementedError", base="stub")
