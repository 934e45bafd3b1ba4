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
    raise NotImplementedError("causal_mask: write this part (see its docstring)")


def padding_mask(lengths: Tensor, max_len: int | None = None) -> Tensor:
    """Boolean key-padding mask from sequence lengths.

    Args:
        lengths: integer tensor (B,), the number of real tokens in each sequence; padding fills the rest.
        max_len: T, the padded length; defaults to lengths.max().

    Returns:
        bool (B, T), True at real tokens (positions < length) and False at padding. It masks keys: reshape it
        to (B, 1, 1, T) to broadcast against scores (B, heads, Tq, T), or to (B, 1, T) for scores (B, Tq, T).
    """
    raise NotImplementedError("padding_mask: write this part (see its docstring)")


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
    raise NotImplementedError("scaled_dot_product_attention: write this part (see its docstring)")
