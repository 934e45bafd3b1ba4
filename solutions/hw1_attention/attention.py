"""Scaled dot-product attention with boolean masks.

Implements: Attention(Q, K, V) = softmax(Q K^T / sqrt(d) with masked entries set to -inf) V (Vaswani et al.
2017, section 3.2.1), batched over any leading dimensions, and the two masks every transformer needs: a causal
mask (a token may not look at later tokens, for text generation) and a padding mask (a token may not look at
the padding that makes sequences in a batch the same length).

Follows: torch.nn.functional.scaled_dot_product_attention(query, key, value, attn_mask=mask), which it must
match for values and gradients, with the same mask convention: a boolean mask, True where a query MAY attend
to a key, broadcastable to (..., Tq, Tk). causal_mask is aligned top-left, like SDPA's is_causal=True,
when Tq and Tk differ.

Differs from it in two documented ways: it also returns the attention weights, which SDPA never materialises;
and a query whose keys are all masked gets zero weights and a zero output (SDPA's result there depends on the
backend and the PyTorch version; nn.MultiheadAttention gives NaN).

Leaves out: calling torch's scaled_dot_product_attention (that is the exercise), float (additive) masks,
is_causal and scale arguments, grouped-query attention, and any fused kernel. Multiple heads: multihead.py.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .scores import scaled_dot_score
from .softmax import softmax


def causal_mask(
    num_queries: int, num_keys: int | None = None, device: torch.device | str | None = None
) -> Tensor:
    """Boolean causal mask: query i may attend to keys 0..i.

    Args:
        num_queries: Tq.
        num_keys: Tk; defaults to Tq (self-attention).
        device: where to create the mask; the CPU if None.

    Returns:
        bool (Tq, Tk), True on and below the diagonal, False above it. Aligned top-left, so when Tq != Tk row
        i still allows keys 0..i; equal to torch.ones(Tq, Tk).tril().bool().
    """
    ### BEGIN SOLUTION
    if num_keys is None:
        num_keys = num_queries
    # Position j is visible from position i exactly when j <= i. Comparing a column of query positions with a
    # row of key positions broadcasts to the whole (Tq, Tk) table at once.
    query_pos = torch.arange(num_queries, device=device).unsqueeze(1)  # (Tq, 1)
    key_pos = torch.arange(num_keys, device=device).unsqueeze(0)  # (1, Tk)
    return key_pos <= query_pos  # (Tq, Tk) bool
    ### END SOLUTION


def padding_mask(lengths: Tensor, max_len: int | None = None) -> Tensor:
    """Boolean key-padding mask from sequence lengths.

    Args:
        lengths: integer tensor (B,), the number of real tokens in each sequence; padding fills the rest.
        max_len: T, the padded length; defaults to lengths.max().

    Returns:
        bool (B, T), True at real tokens (positions < length) and False at padding. It masks keys: reshape it
        to (B, 1, 1, T) to broadcast against scores (B, heads, Tq, T), or to (B, 1, T) for scores (B, Tq, T).
    """
    ### BEGIN SOLUTION
    if max_len is None:
        max_len = int(lengths.max()) if lengths.numel() > 0 else 0
    # Same broadcasting trick as causal_mask: a row of positions against a column of lengths.
    positions = torch.arange(max_len, device=lengths.device)  # (T,)
    return positions.unsqueeze(0) < lengths.unsqueeze(1)  # (1, T) < (B, 1) -> (B, T) bool
    ### END SOLUTION


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    mask: Tensor | None = None,
    dropout_p: float = 0.0,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Scaled dot-product attention, returning both the output and the attention weights.

    Args:
        query: (..., Tq, d).
        key: (..., Tk, d).
        value: (..., Tk, d_v).
        mask: optional bool tensor broadcastable to (..., Tq, Tk); True means the query MAY attend to the key
            (the convention of torch's scaled_dot_product_attention with a boolean attn_mask).
        dropout_p: probability of zeroing each attention weight before it multiplies the values (inverted
            dropout: survivors are scaled by 1 / (1 - dropout_p)). Applied whenever dropout_p > 0, as in
            torch's function; pass 0.0 at evaluation time.
        generator: random generator for the dropout mask (on the same device as the inputs); the global one if
            None.

    Returns:
        (output, weights): output (..., Tq, d_v); weights (..., Tq, Tk), the softmax probabilities before
        dropout. Each row of weights sums to 1, except a row whose keys are all masked, which is all zeros, as
        is its output.
    """
    if mask is not None and mask.dtype != torch.bool:
        raise TypeError(f"mask must be a bool tensor (True = may attend), got dtype {mask.dtype}")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"dropout_p must be in [0, 1], got {dropout_p}")
    ### BEGIN SOLUTION
    # 1. How well each query matches each key, scaled by 1/sqrt(d) (scores.py).
    scores = scaled_dot_score(query, key)  # (..., Tq, Tk)
    # 2. A masked score becomes -inf, so that softmax gives it weight exactly 0. The mask broadcasts, so one
    #    (Tq, Tk) causal mask serves every batch entry and head. In place (masked_fill_): `scores` is a fresh
    #    tensor that only we hold, and the matmul that made it does not need it for its backward pass.
    if mask is not None:
        scores = scores.masked_fill_(~mask, float("-inf"))  # (..., Tq, Tk)
    # 3. Normalise each query's row into weights over the keys. Our softmax turns an all -inf row (nothing to
    #    attend to) into zeros rather than NaN, so such a query simply gets a zero output in step 5.
    weights = softmax(scores, dim=-1)  # (..., Tq, Tk)
    # 4. Attention dropout acts on the weights that mix the values, not on the weights we return.
    mixing = weights
    if dropout_p == 1.0:
        mixing = torch.zeros_like(weights)  # everything dropped (and 1 / (1 - p) would divide by zero)
    elif dropout_p > 0.0:
        # Inverted dropout: keep each weight with probability 1 - p and scale the survivors by 1 / (1 - p), so
        # the expected output equals the output without dropout and evaluation needs no rescaling.
        noise = torch.rand(weights.shape, generator=generator, device=weights.device, dtype=weights.dtype)
        keep = noise >= dropout_p  # (..., Tq, Tk) bool, True with probability 1 - p
        mixing = weights * keep / (1.0 - dropout_p)  # (..., Tq, Tk)
    # 5. Each output is the weighted average of the values (the notebook's context vector).
    output = mixing @ value  # (..., Tq, Tk) @ (..., Tk, d_v) -> (..., Tq, d_v)
    return output, weights
    ### END SOLUTION
