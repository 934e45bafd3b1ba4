"""Realistic bugs in hw2_transformer, each a small patch of the reference, and valid alternatives.

VARIANTS: each must score below 100 and lose points in exactly the hidden tests named in `breaks`.
ALTERNATIVES: choices the handout leaves open (or implementation styles it allows); each must score 100.
Most bugs come from the course's own from-scratch transformer (a decoder stack that was never built, a
position embedding fed token ids, an output layer sized from the wrong vocabulary, a misspelled mask fill
value).
Edits quote code only, never comments.
"""

from __future__ import annotations

from grader.catalogue.variants import Edit, Variant

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


# Hints about form, not about a specific mistake: any variant may be shown them.
GENERIC_HINTS = (
    "lay the parameters out exactly as the stub's __init__ does",
    "keep the names and signatures of the stub",
    "follow the parameter names of the GPT docstring",
    "every parameter must take part in forward",
    "avoid creating new tensors with a fixed dtype",
    "NaN usually comes from",
    "look for an infinite loop",
    "do not call exit()",
    # The MLM's exact forward pass against the reference's: any broken layer shows it, so it names no mistake.
    "EncoderMLM's forward is the GPT's without is_causal",
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
            "test_transformer_masks",
        ),
    ),
    Variant(
        "position-embedding-fed-token-ids",
        "the learned position embedding looks up the token ids instead of the positions",
        (Edit("layers.py", "return self.embedding(positions)", "return self.embedding(idx)"),),
        breaks=(
            "test_fill_mask",
            "test_gpt_forward",
            "test_gpt_greedy_generate",
            "test_gpt_is_causal",
            "test_gpt_training_val_loss",
            "test_kv_cache_same_tokens",
            "test_learned_positional_embedding",
            "test_mlm_attention_is_bidirectional",
            "test_mlm_training_masked_accuracy",
            "test_sampling_uses_only_the_generator",
            "test_train_step_adamw_weight_decay",
            "test_train_step_gradient_clipping",
        ),
        hints=("look up POSITIONS",),
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
            "test_transformer_masks",
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
            "test_kv_cache_same_tokens",
            "test_mlm_attention_is_bidirectional",
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
            "test_kv_cache_same_tokens",
            # The MLM's logits against the reference's (its layers are the same EncoderLayer).
            "test_mlm_attention_is_bidirectional",
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
        hints=("every block's self-attention must be causal",),
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
        hints=("the successor leaks",),
    ),
    Variant(
        "source-padding-not-masked",
        "the encoder's self-attention ignores the source padding mask",
        (Edit("transformer.py", "x = layer(x, mask=mask)", "x = layer(x)"),),
        breaks=(
            "test_seq2seq_loss_teacher_forcing",
            "test_transformer_forward",
            "test_transformer_masks",
        ),
        hints=("must mask source PAD tokens too",),
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
            "test_greedy_decode",
            "test_kv_cache_same_tokens",
            # The MLM's logits against the reference's (its layers are the same EncoderLayer).
            "test_mlm_attention_is_bidirectional",
            "test_mlm_training_masked_accuracy",
            "test_transformer_forward",
        ),
        hints=("the residual connection around attention is missing",),
    ),
    Variant(
        "post-norm-normalises-the-branch",
        "post-norm layer norm applied to the sub-layer's output before the residual sum, not after it",
        (Edit("layers.py", "x = self.norm1(x + attend(x))", "x = x + self.norm1(attend(x))"),),
        breaks=(
            "test_encoder_layer_post_norm",
            "test_seq2seq_loss_teacher_forcing",
            "test_transformer_forward",
        ),
        hints=("post-norm normalises the sum",),
    ),
    Variant(
        "teacher-forcing-shift-off-by-one",
        "the labels are not shifted: the decoder is trained to repeat its input",
        (Edit("transformer.py", "return tgt[:, :-1], tgt[:, 1:]", "return tgt[:, :-1], tgt[:, :-1]"),),
        breaks=(
            "test_seq2seq_loss_teacher_forcing",
            "test_seq2seq_training_exact_match",
        ),
        hints=("the labels are the inputs themselves",),
    ),
    Variant(
        "sin-cos-swapped",
        "the sinusoidal encoding puts cosines in the even columns and sines in the odd ones",
        (
            Edit("layers.py", "table[:, 0::2] = torch.sin(angles)", "table[:, 0::2] = torch.cos(angles)"),
            Edit("layers.py", "table[:, 1::2] = torch.cos(angles)", "table[:, 1::2] = torch.sin(angles)"),
        ),
        breaks=("test_sinusoidal_encoding",),
        hints=("sine and cosine are swapped",),
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
        hints=("keep only the logits >= the k-th largest",),
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
        hints=("feed each new token at position caches[0].length",),
    ),
    Variant(
        "head-not-tied",
        "lm_head keeps its own weight instead of sharing the token embedding's",
        (Edit("gpt.py", "self.lm_head.weight = self.wte.weight", "pass"),),
        breaks=(
            "test_gpt_forward",
            "test_gpt_weight_tying",
            "test_train_step_adamw_weight_decay",
            "test_train_step_gradient_clipping",
        ),
        hints=(
            "lm_head.weight must BE wte.weight",
            "after creating both, assign",
        ),
    ),
]

# -- the training step, checked directly (test_train_step_*) ------------------------------------------------

CLIP = "        nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)\n    optimizer.step()\n"
TRAIN_GPT_SEED = (
    "    generator = torch.Generator().manual_seed(config.seed)\n"
    "    optimizer = make_optimizer(model, config)\n"
    "    device = resolve_device(config.device, model)\n    model.to(device)\n    model.train()\n"
    "    losses = []\n    for step in range(config.steps):\n        x, y"
)

VARIANTS += [
    Variant(
        "clip-after-optimizer-step",
        "the gradient norm is clipped after optimizer.step(), when the update has already used the gradients",
        (
            Edit(
                "train.py",
                CLIP,
                "        pass\n    optimizer.step()\n"
                "    nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)\n",
            ),
        ),
        breaks=("test_train_step_gradient_clipping",),
        hints=("clipping after the step",),
    ),
    Variant(
        "clip-each-parameter",
        "each parameter's gradient is clipped to grad_clip on its own instead of the global norm",
        (
            Edit(
                "train.py",
                CLIP,
                "        for parameter in model.parameters():\n"
                "            nn.utils.clip_grad_norm_(parameter, config.grad_clip)\n    optimizer.step()\n",
            ),
        ),
        breaks=("test_train_step_gradient_clipping",),
        hints=("not each parameter on its own",),
    ),
    Variant(
        "clip-grad-value",
        "clip_grad_value_ (each gradient entry clamped to +-grad_clip) instead of clipping the norm",
        (
            Edit(
                "train.py",
                "nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)",
                "nn.utils.clip_grad_value_(model.parameters(), config.grad_clip)",
            ),
        ),
        breaks=("test_train_step_gradient_clipping",),
        hints=("not each gradient value",),
    ),
    Variant(
        "weight-decay-on-every-parameter",
        "one param group with weight decay: biases and LayerNorm gains are decayed too",
        (
            Edit(
                "train.py",
                '{"params": no_decay, "weight_decay": 0.0}',
                '{"params": no_decay, "weight_decay": config.weight_decay}',
            ),
        ),
        breaks=("test_train_step_adamw_weight_decay",),
        hints=("biases and LayerNorm gains get weight_decay=0",),
    ),
    Variant(
        "weight-decay-on-linear-weights-only",
        "decay by module type (nn.Linear weights only, as older nanoGPT did): embeddings are not decayed",
        (
            Edit(
                "train.py",
                "decay = [p for p in params if p.dim() >= 2]",
                "decay = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]",
            ),
            Edit(
                "train.py",
                "no_decay = [p for p in params if p.dim() < 2]",
                "no_decay = [p for p in params if all(p is not q for q in decay)]",
            ),
        ),
        breaks=("test_train_step_adamw_weight_decay",),
        hints=("embeddings are matrices too",),
    ),
    Variant(
        "adam-with-l2-instead-of-adamw",
        "torch.optim.Adam with weight_decay (an L2 penalty through the moments) instead of AdamW",
        (Edit("train.py", "return torch.optim.AdamW(groups,", "return torch.optim.Adam(groups,"),),
        breaks=(
            "test_gpt_training_val_loss",
            "test_mlm_training_masked_accuracy",
            "test_seq2seq_training_exact_match",
            "test_train_step_adamw_weight_decay",
        ),
        hints=("not Adam with weight_decay",),
    ),
    Variant(
        "learning-rate-never-scheduled",
        "the param groups keep config.lr: learning_rate(step) is computed nowhere in the step",
        (Edit("train.py", 'group["lr"] = learning_rate(step, config)', 'group["lr"] = config.lr'),),
        breaks=(
            "test_train_step_adamw_weight_decay",
            "test_train_step_gradient_clipping",
        ),
        hints=("set learning_rate(step, config)",),
    ),
    Variant(
        "gpt-init-not-applied",
        "the GPT never applies _init_weights: embeddings start N(0, 1), Linear layers PyTorch's default",
        (Edit("gpt.py", "        self.apply(self._init_weights)\n", ""),),
        breaks=("test_gpt_weight_tying",),
        hints=("apply the provided _init_weights",),
    ),
    # -- randomness only from the given generator ---------------------------------------------------------
    Variant(
        "train-gpt-reseeds-torch",
        "train_gpt calls torch.manual_seed(config.seed) and draws its batches from torch's global generator",
        (
            Edit(
                "train.py",
                TRAIN_GPT_SEED,
                TRAIN_GPT_SEED.replace(
                    "generator = torch.Generator().manual_seed(config.seed)",
                    "generator = torch.manual_seed(config.seed) and None",
                ),
            ),
        ),
        breaks=("test_train_gpt_randomness",),
        hints=("the caller's random state is not train_gpt's to change",),
    ),
    Variant(
        "train-gpt-batches-from-global-rng",
        "train_gpt makes a seeded generator but never passes it to get_batch",
        (
            Edit(
                "train.py",
                "x, y = get_batch(data, config.batch_size, config.block_size, generator)",
                "x, y = get_batch(data, config.batch_size, config.block_size)",
            ),
        ),
        breaks=("test_train_gpt_randomness",),
        hints=("torch's global generator must not decide the batches",),
    ),
    Variant(
        "train-gpt-generator-not-seeded",
        "train_gpt's generator is torch.Generator() without manual_seed(config.seed): every seed, one run",
        (
            Edit(
                "train.py",
                TRAIN_GPT_SEED,
                TRAIN_GPT_SEED.replace(".manual_seed(config.seed)", ""),
            ),
        ),
        breaks=("test_train_gpt_randomness",),
        hints=("seed the batches' generator with config.seed",),
    ),
    Variant(
        "sample-next-ignores-generator",
        "sample_next draws with torch.multinomial(probs, 1): the generator it is given is never used",
        (
            Edit(
                "gpt.py",
                "return torch.multinomial(probs, 1, generator=generator).squeeze(1)",
                "return torch.multinomial(probs, 1).squeeze(1)",
            ),
        ),
        breaks=("test_sampling_uses_only_the_generator",),
        hints=("the only randomness is the generator you are given",),
    ),
    Variant(
        "generate-drops-generator",
        "generate calls sample_next without passing its generator on",
        (
            Edit(
                "gpt.py",
                "sample_next(logits, temperature, top_k, greedy=greedy, generator=generator)",
                "sample_next(logits, temperature, top_k, greedy=greedy)",
            ),
        ),
        breaks=("test_sampling_uses_only_the_generator",),
        hints=("the only randomness is the generator you are given",),
    ),
    Variant(
        "top-k-drops-ties",
        "top-k keeps exactly the k indices torch.topk returns, dropping logits tied at the k-th value",
        (
            Edit(
                "gpt.py",
                '        logits = logits.masked_fill(logits < kth, float("-inf"))\n',
                "        top = torch.topk(logits, min(top_k, logits.shape[-1]), dim=-1)\n"
                '        dropped = torch.full_like(logits, float("-inf"))\n'
                "        logits = dropped.scatter(-1, top.indices, top.values)\n",
            ),
        ),
        breaks=("test_sample_next_top_k",),
        hints=("ties at the k-th value are all kept",),
    ),
    # -- greedy decoding with rows that finish at different steps (test_greedy_decode) --------------------
    Variant(
        "greedy-first-eos-stops-every-row",
        "greedy_decode stops as soon as ANY row has produced EOS",
        (Edit("transformer.py", "if bool(done.all()):", "if bool(done.any()):"),),
        breaks=("test_greedy_decode",),
        hints=("stop only when EVERY row has produced EOS",),
    ),
    Variant(
        "greedy-finished-rows-keep-emitting",
        "greedy_decode tracks finished rows but keeps appending their argmax instead of PAD",
        (
            Edit(
                "transformer.py",
                "next_token = torch.where(done, torch.full_like(next_token, self.pad_id), next_token)",
                "next_token = next_token",
            ),
        ),
        breaks=("test_greedy_decode",),
        hints=("append pad_id to that row",),
    ),
    Variant(
        "greedy-repeats-eos-after-eos",
        "finished rows get EOS again instead of PAD",
        (
            Edit(
                "transformer.py",
                "torch.full_like(next_token, self.pad_id)",
                "torch.full_like(next_token, eos_id)",
            ),
        ),
        breaks=("test_greedy_decode",),
        hints=("not EOS again",),
    ),
    Variant(
        "greedy-never-stops-early",
        "greedy_decode always generates max_len tokens, even when every row has finished",
        (Edit("transformer.py", "            if bool(done.all()):\n                break\n", ""),),
        breaks=("test_greedy_decode",),
        hints=("the output is then shorter than max_len",),
    ),
]

# -- the masked language model (mlm.py) ----------------------------------------------------------------

VARIANTS += [
    Variant(
        "mlm-loss-over-every-position",
        "mask_tokens labels every position with its original token (no -100): the loss counts every token",
        (Edit("mlm.py", "labels = ids.masked_fill(~chosen, IGNORE_INDEX)", "labels = ids.clone()"),),
        breaks=("test_mlm_loss_only_at_chosen_positions",),
        hints=("labels must be -100 wherever a position was not chosen",),
    ),
    Variant(
        "mlm-masks-padding",
        "mask_tokens treats [PAD] as an ordinary token: padding is chosen, [MASK]ed and counted in the 15%",
        (
            Edit(
                "mlm.py",
                "special = (ids == PAD_ID) | (ids == CLS_ID)",
                "special = (ids == CLS_ID)",
            ),
        ),
        breaks=("test_mask_tokens_never_special_or_padding",),
        hints=("choose only among the ordinary tokens",),
    ),
    Variant(
        "mlm-no-random-or-unchanged",
        "every chosen position becomes [MASK]: no 10% random tokens, no 10% left unchanged",
        (Edit("mlm.py", "to_mask = chosen & (split < 0.8)", "to_mask = chosen"),),
        breaks=("test_mask_tokens_statistics",),
        hints=("of the chosen positions 80% become [MASK]",),
    ),
    Variant(
        "mlm-causal-mask-left-on",
        "the encoder's blocks keep the GPT's causal mask: a blank is predicted from the left context only",
        (Edit("mlm.py", "x = block(x, mask=keep)", "x = block(x, mask=keep, is_causal=True)"),),
        breaks=("test_mlm_attention_is_bidirectional",),
        hints=("an encoder attends to both sides",),
    ),
    Variant(
        "mlm-padding-not-masked",
        "the encoder's blocks get no padding mask: real tokens attend to [PAD] and padding changes them",
        (Edit("mlm.py", "x = block(x, mask=keep)", "x = block(x)"),),
        breaks=("test_mlm_attention_is_bidirectional",),
        hints=("pass every block the padding mask",),
    ),
    Variant(
        "mlm-head-not-tied",
        "the MLM head keeps its own weight instead of sharing the token embedding's",
        (Edit("mlm.py", "self.lm_head.weight = self.wte.weight", "pass"),),
        breaks=("test_mlm_head_tied",),
        hints=("lm_head.weight must BE wte.weight",),
    ),
    Variant(
        "mlm-labels-shifted",
        "mlm_loss shifts logits and labels by one as for next-token prediction",
        (
            Edit(
                "mlm.py",
                "logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=IGNORE_INDEX",
                "logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1), "
                "ignore_index=IGNORE_INDEX",
            ),
        ),
        breaks=("test_mlm_loss_only_at_chosen_positions", "test_mlm_training_masked_accuracy"),
        hints=("MLM predicts the token at the blank itself",),
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

ALTERNATIVES += [
    Variant(
        "adamw-not-fused",
        "AdamW's default (for-each) implementation instead of fused=True (the handout allows both)",
        (
            Edit(
                "train.py",
                "torch.optim.AdamW(groups, lr=config.lr, betas=config.betas, fused=True)",
                "torch.optim.AdamW(groups, lr=config.lr, betas=config.betas)",
            ),
        ),
    ),
    Variant(
        "weight-decay-chosen-by-name",
        "no weight decay for parameters named like biases and norms (the handout allows any selection rule "
        "that exempts exactly the 1-dimensional parameters)",
        (
            Edit(
                "train.py",
                "decay = [p for p in params if p.dim() >= 2]",
                "exempt = {id(p) for n, p in model.named_parameters() if n.endswith('bias') or 'norm' in n "
                "or n.startswith('ln_')}\n    decay = [p for p in params if id(p) not in exempt]",
            ),
            Edit(
                "train.py",
                "no_decay = [p for p in params if p.dim() < 2]",
                "no_decay = [p for p in params if id(p) in exempt]",
            ),
        ),
    ),
]

ALTERNATIVES += [
    Variant(
        "mlm-bernoulli-masking",
        "each ordinary position chosen with probability 0.15 on its own (Hugging Face's collator) instead of "
        "exactly round(0.15 n) per row (BERT's code): the handout allows both",
        (
            Edit(
                "mlm.py",
                "chosen = ranks < counts.unsqueeze(1)",
                "chosen = eligible & (torch.rand(ids.shape, generator=generator) < mask_prob)",
            ),
        ),
    ),
]

# Mutants `grader audit` makes that no test may tell apart from the reference (docs/audit.md has the triage).
EQUIVALENT_MUTANTS = (
    {
        "module": "gpt.py",
        "original": "if offset + idx.shape[1] > self.config.block_size:",
        "mutated": "if offset - idx.shape[1] > self.config.block_size:",
        "reason": "T <= block_size is forward's precondition: the handout does not say what a longer input "
        "gives (the position embedding refuses it either way)",
    },
    {
        "module": "gpt.py",
        "original": "probs = torch.softmax(logits, dim=-1)",
        "mutated": "probs = torch.softmax(logits, dim=1)",
        "reason": "sample_next takes logits (B, V): dim 1 is the last dimension",
    },
    {
        "module": "train.py",
        "original": "return torch.optim.AdamW(groups, lr=config.lr, betas=config.betas, fused=True)",
        "mutated": "return torch.optim.AdamW(groups, lr=config.lr, betas=config.betas, fused=False)",
        "reason": "the fused and the for-loop AdamW make the same update (to rounding): fused is speed only",
    },
    {
        "module": "transformer.py",
        "original": "next_token = logits.argmax(dim=-1)",
        "mutated": "next_token = logits.argmax(dim=1)",
        "reason": "greedy_decode's logits at the last position are (B, V): dim 1 is the last dimension",
    },
)

STUB = Variant("stub", "the untouched release: every function raises NotImplementedError", base="stub")
