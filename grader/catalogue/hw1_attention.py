"""Realistic bugs in hw1_attention, each a small patch of the reference, and valid alternatives.

VARIANTS: each must score below 100 and lose points in every hidden test named in `breaks`.
ALTERNATIVES: choices the handout leaves open (or implementation styles it allows); each must score 100.
Edits quote code only, never comments, so that rewording a comment in the reference does not break them.
"""

from __future__ import annotations

from grader.catalogue.variants import Edit, Variant

# Hints about form, or that only say a later test inherits an earlier mistake, not which mistake it is: any
# variant may show them where it breaks those tests.
GENERIC_HINTS = (
    "check each step against nn.MultiheadAttention",
    "the output itself is already wrong",
    "the scores themselves are already wrong",
    "the values of softmax are already wrong",
    "NaN usually comes from exp() overflowing or a row where every entry is masked",
    "keep the names and signatures of the stub",
)

VARIANTS: list[Variant] = [
    # -- softmax.py ------------------------------------------------------------------------------------------
    Variant(
        "softmax-unstable",
        "no max shift: exp(x) overflows to inf for logits near 1e4 and underflows to 0 near -1e4",
        (Edit("softmax.py", "exps = (x - shift).exp_()", "exps = x.exp()"),),
        breaks=("test_softmax_large_logits",),
        hints=("subtract each slice's maximum before exp()",),
    ),
    Variant(
        "softmax-sums-last-dim",
        "the normalising sum always runs over the last dim, whatever `dim` says",
        (
            Edit(
                "softmax.py",
                "total = exps.sum(dim=dim, keepdim=True)",
                "total = exps.sum(dim=-1, keepdim=True)",
            ),
        ),
        breaks=("test_softmax_any_dim", "test_softmax_float64", "test_softmax_gradient"),
        hints=("normalise along the `dim` argument",),
    ),
    Variant(
        "softmax-not-normalised",
        "returns exp(x - max) without dividing by the sum",
        (Edit("softmax.py", "return exps * total.reciprocal()", "return exps"),),
        breaks=(
            "test_softmax_matches_torch",
            "test_softmax_any_dim",
            "test_softmax_float64",
            "test_softmax_large_logits",
            "test_softmax_masked_entries",
            "test_softmax_gradient",
            "test_sdpa_no_mask",
            "test_sdpa_float64",
            "test_sdpa_causal_mask",
            "test_sdpa_padding_mask",
            "test_sdpa_fully_masked_rows",
            "test_sdpa_gradients",
            "test_sdpa_dropout",
            "test_mha_self_attention",
            "test_mha_cross_attention",
            "test_mha_causal_mask",
            "test_mha_padding_mask",
            "test_mha_fully_masked_query",
            "test_mha_gradients",
            "test_mha_float64",
            "test_mha_eval_disables_dropout",
            "test_mha_train_dropout",
            "test_token_attention",
        ),
    ),
    Variant(
        "softmax-nan-on-masked-row",
        "a row of all -inf is shifted by its max -inf, so -inf - (-inf) = NaN spreads through attention",
        (Edit("softmax.py", "shift = shift.masked_fill(torch.isneginf(shift), 0.0)", "shift = shift + 0.0"),),
        breaks=("test_softmax_masked_entries", "test_sdpa_fully_masked_rows", "test_mha_fully_masked_query"),
        hints=("a query with no visible key", "a slice of all -inf has max -inf"),
    ),
    Variant(
        "softmax-global-max-shift",
        "softmax shifts by the maximum of the whole tensor, not of each slice: a row far below it underflows",
        (Edit("softmax.py", "shift = x.detach().amax(dim=dim, keepdim=True)", "shift = x.detach().amax()"),),
        breaks=("test_softmax_large_logits",),
        hints=("not the maximum of the whole tensor",),
    ),
    Variant(
        "softmax-shift-wrong-dim",
        "softmax takes the max shift along the last dim, whatever `dim` says (the sum is along `dim`)",
        (
            Edit(
                "softmax.py",
                "shift = x.detach().amax(dim=dim, keepdim=True)",
                "shift = x.detach().amax(dim=-1, keepdim=True)",
            ),
        ),
        breaks=("test_softmax_any_dim", "test_softmax_float64", "test_softmax_gradient"),
        hints=("normalise along the `dim` argument",),
    ),
    # -- scores.py -------------------------------------------------------------------------------------------
    Variant(
        "no-scaling",
        "scaled_dot_score forgets the 1/sqrt(d_k) scaling",
        (Edit("scores.py", "scale = 1.0 / math.sqrt(query.shape[-1])", "scale = 1.0"),),
        breaks=(
            "test_scaled_dot_score",
            "test_score_gradients",
            "test_sdpa_no_mask",
            "test_sdpa_float64",
            "test_sdpa_causal_mask",
            "test_sdpa_padding_mask",
            "test_sdpa_fully_masked_rows",
            "test_sdpa_gradients",
            "test_sdpa_dropout",
            "test_mha_self_attention",
            "test_mha_cross_attention",
            "test_mha_causal_mask",
            "test_mha_padding_mask",
            "test_mha_fully_masked_query",
            "test_mha_gradients",
            "test_mha_float64",
            "test_mha_eval_disables_dropout",
        ),
        hints=(
            "looks like the 1/sqrt(d_k) scaling is missing",
            "looks like the 1/sqrt(head_dim) scaling is missing",
        ),
    ),
    Variant(
        "scale-by-d",
        "scaled_dot_score divides by d instead of sqrt(d)",
        (Edit("scores.py", "scale = 1.0 / math.sqrt(query.shape[-1])", "scale = 1.0 / query.shape[-1]"),),
        breaks=(
            "test_scaled_dot_score",
            "test_score_gradients",
            "test_sdpa_no_mask",
            "test_sdpa_float64",
            "test_sdpa_causal_mask",
            "test_sdpa_padding_mask",
            "test_sdpa_fully_masked_rows",
            "test_sdpa_gradients",
            "test_sdpa_dropout",
            "test_mha_self_attention",
            "test_mha_cross_attention",
            "test_mha_causal_mask",
            "test_mha_padding_mask",
            "test_mha_fully_masked_query",
            "test_mha_gradients",
            "test_mha_float64",
            "test_mha_eval_disables_dropout",
        ),
        hints=("divide by sqrt(d), not by d", "not by head_dim"),
    ),
    Variant(
        "scale-by-num-keys",
        "scaled_dot_score takes d from the wrong dimension: sqrt(Tk) instead of sqrt(d)",
        (
            Edit(
                "scores.py",
                "scale = 1.0 / math.sqrt(query.shape[-1])",
                "scale = 1.0 / math.sqrt(key.shape[-2])",
            ),
        ),
        breaks=(
            "test_scaled_dot_score",
            "test_score_gradients",
            "test_sdpa_no_mask",
            "test_sdpa_float64",
            "test_sdpa_causal_mask",
            "test_sdpa_padding_mask",
            "test_sdpa_fully_masked_rows",
            "test_sdpa_gradients",
            "test_sdpa_dropout",
            "test_mha_self_attention",
            "test_mha_cross_attention",
            "test_mha_causal_mask",
            "test_mha_padding_mask",
            "test_mha_fully_masked_query",
            "test_mha_gradients",
            "test_mha_float64",
            "test_mha_eval_disables_dropout",
        ),
        hints=("not the number of keys",),
    ),
    Variant(
        "general-score-w-transposed",
        "general_score uses W^T: wrong values for a square W, a shape error for a rectangular one",
        (Edit("scores.py", "projected = query @ weight", "projected = query @ weight.T"),),
        breaks=("test_general_score",),
        hints=("W is used transposed",),
    ),
    Variant(
        "additive-no-tanh",
        "additive_score forgets the tanh, so it is just a linear function of q and k",
        (Edit("scores.py", "return hidden.tanh() @ v", "return hidden @ v"),),
        breaks=("test_additive_score", "test_score_gradients"),
        hints=("looks like the tanh is missing",),
    ),
    Variant(
        "cosine-not-normalised",
        "cosine_score returns the raw dot product, without dividing by the norms",
        (Edit("scores.py", "return dot_score(q_unit, k_unit)", "return dot_score(query, key)"),),
        breaks=("test_cosine_score",),
        hints=("normalise q and k to unit length",),
    ),
    Variant(
        "cosine-no-eps",
        "cosine_score divides by the norm without clamping it, so a zero vector gives 0/0 = NaN",
        (
            Edit(
                "scores.py",
                "query / query.norm(dim=-1, keepdim=True).clamp_min(eps)",
                "query / query.norm(dim=-1, keepdim=True)",
            ),
        ),
        breaks=("test_cosine_score",),
        hints=("clamp each norm to at least eps",),
    ),
    Variant(
        "location-w-transposed",
        "location_score reads the lecture's W_a s_t as s @ W_a^T: wrong values for a square W_a, a shape "
        "error for any other",
        (Edit("scores.py", "return query @ weight", "return query @ weight.T"),),
        breaks=("test_location_score", "test_score_gradients"),
        hints=("W_a is used transposed",),
    ),
    Variant(
        "location-softmax-applied",
        "location_score copies the lecture's alpha_t = softmax(W_a s_t) and returns weights, not scores",
        (Edit("scores.py", "return query @ weight", "return (query @ weight).softmax(dim=-1)"),),
        breaks=("test_location_score", "test_score_gradients"),
        hints=("returns the scores s @ W_a before the softmax",),
    ),
    Variant(
        "location-column-vectors",
        "location_score stacks the lecture's column vectors W_a s_t side by side: scores (..., Tk, Tq), so "
        "the softmax over the last dim normalises over the target states instead of the source positions",
        (
            Edit(
                "scores.py",
                "return query @ weight",
                "return weight.transpose(-2, -1) @ query.transpose(-2, -1)",
            ),
        ),
        breaks=("test_location_score", "test_score_gradients"),
        hints=("the scores come out as (..., Tk, Tq)",),
    ),
    # -- attention.py: masks ---------------------------------------------------------------------------------
    Variant(
        "causal-diagonal-excluded",
        "causal_mask uses j < i, so a token may not attend to itself",
        (Edit("attention.py", "return key_pos <= query_pos", "return key_pos < query_pos"),),
        breaks=("test_causal_mask_square", "test_causal_mask_rectangular"),
        hints=("the diagonal must be True",),
    ),
    Variant(
        "causal-leaks-next-token",
        "causal_mask is off by one the other way: query i also sees key i + 1",
        (Edit("attention.py", "return key_pos <= query_pos", "return key_pos <= query_pos + 1"),),
        breaks=("test_causal_mask_square", "test_causal_mask_rectangular"),
        hints=("one future token leaks",),
    ),
    Variant(
        "causal-bottom-right",
        "causal_mask aligned bottom-right when Tq != Tk (the handout fixes top-left)",
        (
            Edit(
                "attention.py",
                "query_pos = torch.arange(num_queries, device=device).unsqueeze(1)",
                "query_pos = (torch.arange(num_queries, device=device) + num_keys - num_queries)"
                ".unsqueeze(1)",
            ),
        ),
        breaks=("test_causal_mask_rectangular",),
        hints=("the mask is aligned bottom-right",),
    ),
    Variant(
        "padding-mask-flipped",
        "padding_mask is True at the padding instead of at the real tokens",
        (
            Edit(
                "attention.py",
                "return positions.unsqueeze(0) < lengths.unsqueeze(1)",
                "return positions.unsqueeze(0) >= lengths.unsqueeze(1)",
            ),
        ),
        breaks=("test_padding_mask",),
        hints=("True at real tokens (position < length)",),
    ),
    Variant(
        "causal-mask-triu",
        "causal_mask built upper-triangular (j >= i): each query sees itself and the future, not the past",
        (Edit("attention.py", "return key_pos <= query_pos", "return key_pos >= query_pos"),),
        breaks=("test_causal_mask_square", "test_causal_mask_rectangular"),
        hints=("the mask is upper-triangular",),
    ),
    Variant(
        "padding-mask-ignores-max-len",
        "padding_mask always uses lengths.max() as its width, ignoring a max_len that is given",
        (
            Edit(
                "attention.py",
                "if max_len is None:\n        max_len = int(",
                "if True:\n        max_len = int(",
            ),
        ),
        breaks=("test_padding_mask",),
        hints=("max_len columns",),
    ),
    # -- attention.py: scaled dot-product attention ----------------------------------------------------------
    Variant(
        "mask-polarity-flipped",
        "the mask is read as True = masked (torch.nn.MultiheadAttention's convention), not True = may attend",
        (
            Edit(
                "attention.py",
                'scores = scores.masked_fill_(~mask, float("-inf"))',
                'scores = scores.masked_fill_(mask, float("-inf"))',
            ),
        ),
        breaks=(
            "test_sdpa_causal_mask",
            "test_sdpa_padding_mask",
            "test_sdpa_fully_masked_rows",
            "test_sdpa_gradients",
            "test_mha_causal_mask",
            "test_mha_padding_mask",
            "test_mha_fully_masked_query",
            "test_mha_gradients",
        ),
        hints=("the mask is the wrong way round: True means 'may attend'",),
    ),
    Variant(
        "mask-fill-zero",
        "masked scores are set to 0 instead of -inf, so masked keys keep a weight of exp(0)",
        (
            Edit(
                "attention.py",
                'scores = scores.masked_fill_(~mask, float("-inf"))',
                "scores = scores.masked_fill_(~mask, 0.0)",
            ),
        ),
        breaks=(
            "test_sdpa_causal_mask",
            "test_sdpa_padding_mask",
            "test_sdpa_fully_masked_rows",
            "test_sdpa_gradients",
            "test_mha_causal_mask",
            "test_mha_padding_mask",
            "test_mha_fully_masked_query",
            "test_mha_gradients",
        ),
        hints=("masked scores must become -inf", "not 0 or a large negative number"),
    ),
    Variant(
        "mask-fill-minus-1e9",
        "masked scores are set to -1e9 instead of -inf: right wherever a query sees a key, but a fully "
        "masked query gets uniform weights instead of zeros",
        (
            Edit(
                "attention.py",
                'scores = scores.masked_fill_(~mask, float("-inf"))',
                "scores = scores.masked_fill_(~mask, -1e9)",
            ),
        ),
        breaks=("test_sdpa_fully_masked_rows", "test_mha_fully_masked_query"),
        hints=("a large negative number such as -1e9",),
    ),
    Variant(
        "mask-after-softmax",
        "the mask zeroes the weights after the softmax, so the kept weights no longer sum to 1",
        (
            Edit("attention.py", 'scores = scores.masked_fill_(~mask, float("-inf"))', "pass"),
            Edit(
                "attention.py",
                "weights = softmax(scores, dim=-1)",
                "weights = softmax(scores, dim=-1)\n    if mask is not None:\n"
                "        weights = weights.masked_fill(~mask, 0.0)",
            ),
        ),
        breaks=(
            "test_sdpa_causal_mask",
            "test_sdpa_padding_mask",
            "test_sdpa_fully_masked_rows",
            "test_sdpa_gradients",
            "test_mha_causal_mask",
            "test_mha_padding_mask",
            "test_mha_fully_masked_query",
            "test_mha_gradients",
        ),
        hints=("the mask must be applied to the scores before the softmax",),
    ),
    Variant(
        "attention-softmax-over-queries",
        "the attention softmax runs over dim=-2 (the queries) instead of the keys",
        (Edit("attention.py", "weights = softmax(scores, dim=-1)", "weights = softmax(scores, dim=-2)"),),
        breaks=(
            "test_sdpa_no_mask",
            "test_sdpa_float64",
            "test_sdpa_causal_mask",
            "test_sdpa_padding_mask",
            "test_sdpa_fully_masked_rows",
            "test_sdpa_gradients",
            "test_sdpa_dropout",
            "test_mha_self_attention",
            "test_mha_cross_attention",
            "test_mha_causal_mask",
            "test_mha_padding_mask",
            "test_mha_fully_masked_query",
            "test_mha_gradients",
            "test_mha_float64",
            "test_mha_eval_disables_dropout",
        ),
        hints=("the softmax runs over the queries (dim=-2)",),
    ),
    Variant(
        "returns-scores-as-weights",
        "scaled_dot_product_attention returns the scores before the softmax as its weights (output correct)",
        (Edit("attention.py", "return output, weights", "return output, scores"),),
        breaks=(
            "test_sdpa_no_mask",
            "test_sdpa_float64",
            "test_sdpa_causal_mask",
            "test_sdpa_padding_mask",
            "test_sdpa_fully_masked_rows",
            "test_sdpa_dropout",
            "test_mha_self_attention",
            "test_mha_cross_attention",
            "test_mha_causal_mask",
            "test_mha_padding_mask",
            "test_mha_fully_masked_query",
            "test_mha_float64",
        ),
        hints=("return the softmax weights, not the scores before the softmax",),
    ),
    Variant(
        "returns-dropped-weights",
        "scaled_dot_product_attention returns the weights after dropout instead of before",
        (Edit("attention.py", "return output, weights", "return output, mixing"),),
        breaks=("test_sdpa_dropout",),
        hints=("return the softmax weights before dropout",),
    ),
    Variant(
        "dropout-not-rescaled",
        "dropout zeroes weights but does not scale the survivors by 1/(1-p) (not inverted dropout)",
        (Edit("attention.py", "mixing = weights * keep / (1.0 - dropout_p)", "mixing = weights * keep"),),
        breaks=("test_sdpa_dropout", "test_mha_train_dropout"),
        hints=("inverted dropout scales the kept weights by 1 / (1 - p)",),
    ),
    Variant(
        "dropout-keeps-with-probability-p",
        "dropout keeps each weight with probability p instead of 1 - p",
        (Edit("attention.py", "keep = noise >= dropout_p", "keep = noise < dropout_p"),),
        breaks=("test_sdpa_dropout", "test_mha_train_dropout"),
        hints=("keep each weight with probability 1 - p",),
    ),
    Variant(
        "dropout-ignores-generator",
        "dropout draws from the global generator, ignoring the `generator` argument",
        (
            Edit(
                "attention.py", "torch.rand(weights.shape, generator=generator,", "torch.rand(weights.shape,"
            ),
        ),
        breaks=("test_sdpa_dropout",),
        hints=("draw the dropout mask from `generator`",),
    ),
    Variant(
        "dropout-p1-nan",
        "dropout_p = 1 is not treated apart: every weight is dropped and 0 / (1 - 1) gives NaN",
        (Edit("attention.py", "if dropout_p == 1.0:", "if dropout_p > 1.0:"),),
        breaks=("test_sdpa_dropout",),
        hints=("do not divide by 1 - p = 0",),
    ),
    # -- multihead.py ----------------------------------------------------------------------------------------
    Variant(
        "heads-split-without-transpose",
        "heads are split with view(B, h, T, hs), which scrambles tokens and features, instead of "
        "view(B, T, h, hs).transpose(1, 2)",
        (
            Edit(
                "multihead.py",
                "q = q.view(batch, num_queries, h, hs).transpose(1, 2)",
                "q = q.reshape(batch, h, num_queries, hs)",
            ),
            Edit(
                "multihead.py",
                "k = k.view(batch, num_keys, h, hs).transpose(1, 2)",
                "k = k.reshape(batch, h, num_keys, hs)",
            ),
            Edit(
                "multihead.py",
                "v = v.view(batch, num_keys, h, hs).transpose(1, 2)",
                "v = v.reshape(batch, h, num_keys, hs)",
            ),
        ),
        breaks=(
            "test_mha_self_attention",
            "test_mha_cross_attention",
            "test_mha_causal_mask",
            "test_mha_padding_mask",
            "test_mha_fully_masked_query",
            "test_mha_gradients",
            "test_mha_float64",
            "test_mha_need_weights_false",
            "test_mha_eval_disables_dropout",
        ),
        hints=("heads are split with reshape",),
    ),
    Variant(
        "heads-merged-without-transpose",
        "heads are merged with reshape(B, T, d) straight from (B, h, T, hs), without transposing back",
        (
            Edit(
                "multihead.py",
                "out = out.transpose(1, 2).reshape(batch, num_queries, d_model)",
                "out = out.reshape(batch, num_queries, d_model)",
            ),
        ),
        breaks=(
            "test_mha_self_attention",
            "test_mha_cross_attention",
            "test_mha_causal_mask",
            "test_mha_padding_mask",
            "test_mha_fully_masked_query",
            "test_mha_gradients",
            "test_mha_float64",
            "test_mha_need_weights_false",
            "test_mha_eval_disables_dropout",
        ),
        hints=("heads are merged with reshape",),
    ),
    Variant(
        "no-output-projection",
        "the concatenated heads are returned without the output projection W^O",
        (Edit("multihead.py", "return self.out_proj(out), weights", "return out, weights"),),
        breaks=(
            "test_mha_self_attention",
            "test_mha_cross_attention",
            "test_mha_causal_mask",
            "test_mha_padding_mask",
            "test_mha_fully_masked_query",
            "test_mha_gradients",
            "test_mha_float64",
            "test_mha_need_weights_false",
            "test_mha_eval_disables_dropout",
        ),
        hints=("the output projection W^O (self.out_proj) is missing",),
    ),
    Variant(
        "in-proj-bias-ignored",
        "self-attention projects without in_proj_bias",
        (
            Edit(
                "multihead.py",
                "qkv = F.linear(query, self.in_proj_weight, self.in_proj_bias)",
                "qkv = F.linear(query, self.in_proj_weight)",
            ),
        ),
        breaks=(
            "test_mha_self_attention",
            "test_mha_causal_mask",
            "test_mha_padding_mask",
            "test_mha_gradients",
            "test_mha_need_weights_false",
            "test_mha_eval_disables_dropout",
        ),
        hints=("in_proj_bias is not added",),
    ),
    Variant(
        "cross-attention-kv-swapped",
        "in cross-attention the key and value projections are swapped (W_V makes the keys, W_K the values)",
        (
            Edit(
                "multihead.py",
                "k, v = F.linear(key, w_kv, b_kv).chunk(2, dim=-1)",
                "v, k = F.linear(key, w_kv, b_kv).chunk(2, dim=-1)",
            ),
        ),
        breaks=("test_mha_cross_attention", "test_mha_fully_masked_query", "test_mha_float64"),
        hints=("keys and values are swapped",),
    ),
    Variant(
        "head-scaled-by-d-model",
        "each head's scores are scaled by 1/sqrt(d_model) instead of 1/sqrt(head_dim)",
        (
            Edit(
                "multihead.py",
                "out, weights = scaled_dot_product_attention(q, k, v, mask=mask, dropout_p=dropout_p)",
                "out, weights = scaled_dot_product_attention(q * (hs / d_model) ** 0.5, k, v, mask=mask, "
                "dropout_p=dropout_p)",
            ),
        ),
        breaks=(
            "test_mha_self_attention",
            "test_mha_cross_attention",
            "test_mha_causal_mask",
            "test_mha_padding_mask",
            "test_mha_fully_masked_query",
            "test_mha_gradients",
            "test_mha_float64",
            "test_mha_eval_disables_dropout",
        ),
        hints=("not by 1/sqrt(d_model)",),
    ),
    Variant(
        "dropout-in-eval-mode",
        "attention dropout is applied in eval mode too",
        (
            Edit(
                "multihead.py",
                "dropout_p = self.dropout if self.training else 0.0",
                "dropout_p = self.dropout",
            ),
        ),
        breaks=("test_mha_eval_disables_dropout",),
        hints=("apply dropout only in training mode",),
    ),
    Variant(
        "dropout-never-applied",
        "the module's dropout is never passed to the attention, so training mode drops nothing",
        (Edit("multihead.py", "dropout_p = self.dropout if self.training else 0.0", "dropout_p = 0.0"),),
        breaks=("test_mha_train_dropout",),
        hints=("in training mode pass dropout_p=self.dropout",),
    ),
    Variant(
        "fast-path-ignores-mask",
        "the need_weights=False path calls F.scaled_dot_product_attention without the mask",
        (Edit("multihead.py", "attn_mask=mask | fully_masked, dropout_p=dropout_p", "dropout_p=dropout_p"),),
        breaks=("test_mha_fully_masked_query", "test_mha_need_weights_false"),
        hints=("the path without weights ignores the mask",),
    ),
    Variant(
        "mha-mask-not-passed",
        "MultiHeadAttention forgets to pass the mask to its attention (the need_weights=False path keeps it)",
        (
            Edit(
                "multihead.py",
                "out, weights = scaled_dot_product_attention(q, k, v, mask=mask, dropout_p=dropout_p)",
                "out, weights = scaled_dot_product_attention(q, k, v, dropout_p=dropout_p)",
            ),
        ),
        breaks=(
            "test_mha_causal_mask",
            "test_mha_padding_mask",
            "test_mha_fully_masked_query",
            "test_mha_gradients",
        ),
        hints=("the mask is not used",),
    ),
    # -- word_example.py -------------------------------------------------------------------------------------
    Variant(
        "word-index-off-by-one",
        "build_word_index numbers the words from 1",
        (Edit("word_example.py", "enumerate(sorted(set(words)))", "enumerate(sorted(set(words)), start=1)"),),
        breaks=("test_build_word_index",),
        hints=("the ids start at 1",),
    ),
    Variant(
        "word-index-unsorted",
        "build_word_index numbers the words in order of first appearance, not sorted",
        (Edit("word_example.py", "enumerate(sorted(set(words)))", "enumerate(dict.fromkeys(words))"),),
        breaks=("test_build_word_index",),
        hints=("number the words in sorted order",),
    ),
    Variant(
        "encode-int32",
        "encode_sentence returns int32 ids; an nn.Embedding lookup wants int64 (torch.long)",
        (
            Edit(
                "word_example.py",
                "for word in words], dtype=torch.long)",
                "for word in words], dtype=torch.int32)",
            ),
        ),
        breaks=("test_encode_sentence",),
        hints=("dtype=torch.long",),
    ),
    Variant(
        "query-from-previous-token",
        "project_token takes the query of token position - 1 (1-based thinking)",
        (
            Edit(
                "word_example.py",
                "query = embedded[position] @ w_query",
                "query = embedded[position - 1] @ w_query",
            ),
        ),
        breaks=("test_project_token", "test_token_attention"),
        hints=("position is 0-based",),
    ),
    Variant(
        "token-attention-unscaled",
        "token_attention applies the softmax to omega without dividing by sqrt(d_k)",
        (
            Edit(
                "word_example.py",
                "softmax(scores / math.sqrt(keys.shape[-1]), dim=-1)",
                "softmax(scores, dim=-1)",
            ),
        ),
        breaks=("test_token_attention",),
        hints=("looks like the 1/sqrt(d_k) scaling is missing before the softmax",),
    ),
]

MHA_SDPA_ALWAYS = """fully_masked = ~mask.any(dim=-1, keepdim=True) if mask is not None else None
            # The output always comes from torch's fused kernel; the weights are computed separately.
            attn_mask = None if mask is None else mask | fully_masked
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, dropout_p=dropout_p)
            if fully_masked is not None:
                out = out.masked_fill(fully_masked, 0.0)
            weights = scaled_dot_product_attention(q, k, v, mask=mask)[1]"""

MHA_HEAD_LOOP = """batch, num_queries, d_model = query.shape
        outs, all_weights = [], []
        w_q, w_k, w_v = self.in_proj_weight.chunk(3, dim=0)
        b_q, b_k, b_v = self.in_proj_bias.chunk(3) if self.in_proj_bias is not None else (None,) * 3
        dropout_p = self.dropout if self.training else 0.0
        for head in range(self.num_heads):
            rows = slice(head * self.head_dim, (head + 1) * self.head_dim)
            q = F.linear(query, w_q[rows], None if b_q is None else b_q[rows])
            k = F.linear(key, w_k[rows], None if b_k is None else b_k[rows])
            v = F.linear(value, w_v[rows], None if b_v is None else b_v[rows])
            head_mask = mask
            if mask is not None and mask.dim() >= 3:  # broadcastable to (B, h, Tq, Tk): pick this head's
                head_mask = mask[..., min(head, mask.shape[-3] - 1), :, :]
            out, w = scaled_dot_product_attention(q, k, v, mask=head_mask, dropout_p=dropout_p)
            outs.append(out)
            all_weights.append(w)
        weights = torch.stack(all_weights, dim=1) if need_weights else None
        return self.out_proj(torch.cat(outs, dim=-1)), weights
        batch, num_queries, d_model = query.shape"""

ALTERNATIVES: list[Variant] = [
    Variant(
        "softmax-logsumexp",
        "softmax as exp(x - logsumexp(x)), with all -inf slices shifted by 0 so they give zeros",
        (
            Edit(
                "softmax.py",
                "shift = x.detach().amax(dim=dim, keepdim=True)",
                "lse = torch.logsumexp(x, dim=dim, keepdim=True)\n"
                "    return (x - lse.masked_fill(torch.isneginf(lse), 0.0)).exp()\n"
                "    shift = x.detach().amax(dim=dim, keepdim=True)",
            ),
        ),
    ),
    Variant(
        "softmax-shift-not-detached",
        "the max shift is not detached: autograd also goes through amax, and the gradient is the same",
        (
            Edit(
                "softmax.py",
                "shift = x.detach().amax(dim=dim, keepdim=True)",
                "shift = x.amax(dim=dim, keepdim=True)",
            ),
        ),
    ),
    Variant(
        "scale-after-matmul",
        "scaled_dot_score scales the scores after the matmul instead of the queries before it",
        (Edit("scores.py", "return dot_score(query * scale, key)", "return dot_score(query, key) * scale"),),
    ),
    Variant(
        "additive-sum-instead-of-matmul",
        "additive_score contracts with v by a broadcast product and sum",
        (Edit("scores.py", "return hidden.tanh() @ v", "return (hidden.tanh() * v).sum(dim=-1)"),),
    ),
    Variant(
        "causal-mask-tril",
        "causal_mask built with torch.ones(...).tril()",
        (
            Edit(
                "attention.py",
                "return key_pos <= query_pos",
                "return torch.ones(num_queries, num_keys, dtype=torch.bool, device=device).tril()",
            ),
        ),
    ),
    Variant(
        "mask-with-where",
        "the mask applied with torch.where (out of place) instead of masked_fill_",
        (
            Edit(
                "attention.py",
                'scores = scores.masked_fill_(~mask, float("-inf"))',
                'scores = torch.where(mask, scores, torch.full_like(scores, float("-inf")))',
            ),
        ),
    ),
    Variant(
        "dropout-bernoulli",
        "the dropout mask drawn with torch.bernoulli from the same generator",
        (
            Edit(
                "attention.py",
                "noise = torch.rand(weights.shape, generator=generator,",
                "noise = 1.0 - torch.rand(weights.shape, generator=generator,",
            ),
            Edit(
                "attention.py",
                "keep = noise >= dropout_p",
                "keep = torch.bernoulli(torch.full_like(weights, 1.0 - dropout_p), "
                "generator=generator).bool()",
            ),
        ),
    ),
    Variant(
        "mha-sdpa-for-output",
        "MultiHeadAttention always takes its output from F.scaled_dot_product_attention and computes the "
        "weights separately when asked",
        (
            Edit(
                "multihead.py",
                "out, weights = scaled_dot_product_attention(q, k, v, mask=mask, dropout_p=dropout_p)",
                MHA_SDPA_ALWAYS,
            ),
        ),
    ),
    Variant(
        "mha-loop-over-heads",
        "MultiHeadAttention with a Python loop over heads, slicing each head's rows of in_proj_weight",
        (Edit("multihead.py", "batch, num_queries, d_model = query.shape", MHA_HEAD_LOOP),),
    ),
    Variant(
        "word-index-notebook-numbering",
        "the notebook's numbering {w: i for i, w in enumerate(sorted(words))}, in which 'the' gets 5",
        (Edit("word_example.py", "enumerate(sorted(set(words)))", "enumerate(sorted(words))"),),
    ),
]

# Mutants `grader audit` makes that no test may tell apart from the reference (docs/audit.md has the triage).
EQUIVALENT_MUTANTS = (
    {
        "module": "attention.py",
        "original": "elif dropout_p > 0.0:",
        "mutated": "elif dropout_p >= 0.0:",
        "reason": "with p = 0 every weight is kept and scaled by 1; only the generator's state moves, which "
        "the handout leaves open",
    },
    {
        "module": "attention.py",
        "original": "max_len = int(lengths.max()) if lengths.numel() > 0 else 0",
        "mutated": "max_len = int(lengths.max()) if lengths.numel() >= 0 else 0",
        "reason": "differs only for an empty batch of lengths, which the handout leaves open",
    },
    {
        "module": "attention.py",
        "original": "max_len = int(lengths.max()) if lengths.numel() > 0 else 0",
        "mutated": "max_len = int(lengths.max()) if lengths.numel() > 0 else 1",
        "reason": "differs only for an empty batch of lengths, which the handout leaves open",
    },
    {
        "module": "attention.py",
        "original": "keep = noise >= dropout_p",
        "mutated": "keep = noise > dropout_p",
        "reason": "differs only where a uniform draw equals dropout_p exactly (about 1 in 2^24 per weight)",
    },
    {
        "module": "multihead.py",
        "original": "if key is query and value is query:",
        "mutated": "if key is query or value is query:",
        "reason": "tensors crossing the sandbox are never the same object, so the graded interface cannot "
        "reach the packed path with only one of key and value being the query",
    },
    {
        "module": "softmax.py",
        "original": "total = total.masked_fill(total == 0, 1.0)",
        "mutated": "total = total.masked_fill(total == 0, 2.0)",
        "reason": "an all-zero row's entries are 0 whatever its sum is replaced by",
    },
)

STUB = Variant("stub", "the untouched release: every function raises NotImplementedError", base="stub")
