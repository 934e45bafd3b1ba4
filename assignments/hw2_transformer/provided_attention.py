"""Multi-head attention for assignment 2: PROVIDED, not graded. Read it; you do not write it.

Implements: the multi-head attention of assignment 1 (Vaswani et al. 2017, section 3.2.2) on top of PyTorch's
fused `F.scaled_dot_product_attention`, plus two things a transformer needs that assignment 1 left out:
`is_causal` (the causal mask without building it, which lets the fused kernel skip the masked half) and a
key/value cache for fast generation (`KVCache`).

Follows: the parameter layout of torch.nn.MultiheadAttention and of your own assignment 1 module
(`in_proj_weight` (3d, d) with rows [W_Q; W_K; W_V], `in_proj_bias` (3d,), `out_proj`), and assignment 1's
mask convention: a boolean mask, True where a query MAY attend to a key, broadcastable to (B, h, Tq, Tk).

You may replace the body of `forward` with your own assignment 1 code (it computes the same thing). Keep the
signature, including `is_causal` and `cache`: the layers and the GPT you write call it with them.

Leaves out: returning attention weights (the fused kernel never builds them), kdim / vdim, float masks.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class KVCache:
    """The keys and values one attention layer has already computed, for generation one token at a time.

    Decoding without a cache runs the whole sequence through the model for every new token. With it, each
    layer keeps the keys and values of the tokens it has seen (they never change: causal attention means a
    token's key depends only on earlier tokens), so each step only computes the new token's query, key and
    value. `append` adds the new keys and values and returns all of them.
    """

    def __init__(self) -> None:
        self.keys: Tensor | None = None  # (B, h, T_past, hs)
        self.values: Tensor | None = None  # (B, h, T_past, hs)

    @property
    def length(self) -> int:
        """How many positions are cached (the position of the next token)."""
        return 0 if self.keys is None else self.keys.shape[-2]

    def append(self, keys: Tensor, values: Tensor) -> tuple[Tensor, Tensor]:
        """Add (B, h, T_new, hs) keys and values; return all cached ones, (B, h, T_past + T_new, hs)."""
        if self.keys is None:
            self.keys, self.values = keys, values
        else:
            # dim=-2 is the time axis: the new positions go after the cached ones.
            self.keys = torch.cat([self.keys, keys], dim=-2)  # (B, h, T_past + T_new, hs)
            self.values = torch.cat([self.values, values], dim=-2)  # (B, h, T_past + T_new, hs)
        return self.keys, self.values


class MultiHeadAttention(nn.Module):
    """Multi-head attention over batch-first inputs (B, T, d_model), laid out like nn.MultiheadAttention.

    Args:
        d_model: model size; must be divisible by num_heads.
        num_heads: number of heads h; each works in d_model // num_heads dimensions.
        dropout: attention dropout probability, used only in training mode.
        bias: whether the projections have biases.
    """

    def __init__(self, d_model: int, num_heads: int, dropout: float = 0.0, bias: bool = True) -> None:
        super().__init__()
        if d_model % num_heads != 0:
            raise ValueError(f"d_model ({d_model}) must be divisible by num_heads ({num_heads})")
        self.d_model, self.num_heads, self.head_dim = d_model, num_heads, d_model // num_heads
        self.dropout = dropout
        # All heads' W_Q, W_K, W_V stacked into one matrix, so that one matmul projects everything.
        self.in_proj_weight = nn.Parameter(torch.empty(3 * d_model, d_model))  # (3d, d)
        if bias:
            self.in_proj_bias = nn.Parameter(torch.zeros(3 * d_model))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)
        # nn.MultiheadAttention's initialisation, so that weights and outputs are comparable with it.
        nn.init.xavier_uniform_(self.in_proj_weight)
        if self.out_proj.bias is not None:
            nn.init.zeros_(self.out_proj.bias)

    def forward(
        self,
        query: Tensor,
        key: Tensor | None = None,
        value: Tensor | None = None,
        mask: Tensor | None = None,
        need_weights: bool = False,
        is_causal: bool = False,
        cache: KVCache | None = None,
    ) -> tuple[Tensor, None]:
        """Attend from `query` (B, Tq, d) to `key`/`value` (B, Tk, d); by default to `query` (self-attention).

        Args:
            mask: bool, broadcastable to (B, h, Tq, Tk), True = may attend. A query with no visible key gets
                a zero result (before the output projection).
            need_weights: must be False here (kept so that assignment 1's calls still work).
            is_causal: query i may attend to keys 0..i only (aligned bottom-right when a cache holds earlier
                positions: the new queries are the last Tq positions). Combined with `mask` when both are
                given.
            cache: self-attention only; the new keys and values are appended to it and the queries attend to
                every cached position.

        Returns:
            (output (B, Tq, d), None).
        """
        if need_weights:
            raise ValueError("this attention never materialises the weights; call it with need_weights=False")
        if mask is not None and mask.dtype != torch.bool:
            raise TypeError(f"mask must be a bool tensor (True = may attend), got dtype {mask.dtype}")
        key = query if key is None else key
        value = key if value is None else value
        num_queries, d = query.shape[1:]
        # 1. Project. The stacked weight holds W_Q, W_K, W_V as three (d, d) blocks; self-attention projects
        #    once for all three.
        weight = self.in_proj_weight.view(3, d, d)  # (3d, d) -> (3, d, d): weight[0] is W_Q, ...
        bias = [None] * 3 if self.in_proj_bias is None else list(self.in_proj_bias.view(3, d))  # 3 x (d,)
        if query is key is value:
            # (B, T, d) @ (d, 3d) -> (B, T, 3d), split into 3 x (B, T, d)
            projected = F.linear(query, self.in_proj_weight, self.in_proj_bias).split(d, dim=-1)
        else:  # cross-attention: each input gets its own block, (B, Tq, d), (B, Tk, d), (B, Tk, d)
            projected = [F.linear(x, weight[i], bias[i]) for i, x in enumerate((query, key, value))]
        # 2. Heads become a batch dimension: (B, T, d) -> (B, T, h, hs) -> (B, h, T, hs).
        q, k, v = (x.unflatten(-1, (self.num_heads, self.head_dim)).transpose(1, 2) for x in projected)
        # 3. With a cache, the new keys and values join the cached ones, (B, h, T_past + Tq, hs).
        if cache is not None:
            k, v = cache.append(k, v)
        num_keys = k.shape[-2]
        p = self.dropout if self.training else 0.0  # attention dropout is for training only
        # 4. Attend. The fastest path is SDPA's own is_causal (no mask tensor); otherwise one boolean mask.
        #    Rows with no visible key are let through, then zeroed (the fused kernel may give NaN there).
        if mask is None and (not is_causal or num_queries == num_keys):
            # (B, h, Tq, hs) @ (B, h, hs, Tk) -> weights (B, h, Tq, Tk) @ (B, h, Tk, hs) -> (B, h, Tq, hs)
            mixed = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=is_causal)
        else:
            if is_causal:
                # SDPA's is_causal aligns top-left, which is wrong when the queries are the LAST Tq of Tk
                # positions (generation with a cache): shift the diagonal to align bottom-right.
                first = num_keys - num_queries  # the queries are the last Tq positions
                allowed = torch.ones(num_queries, num_keys, dtype=torch.bool, device=q.device).tril(first)
                mask = allowed if mask is None else mask & allowed  # (Tq, Tk) or broadcast with mask
            empty = ~mask.any(dim=-1, keepdim=True)  # (..., Tq, 1): queries that may attend to nothing
            mixed = F.scaled_dot_product_attention(q, k, v, attn_mask=mask | empty, dropout_p=p)
            mixed = mixed.masked_fill(empty, 0.0)  # (B, h, Tq, hs)
        # 5. Merge the heads back, (B, Tq, h, hs) -> (B, Tq, d), and mix them with W^O.
        return self.out_proj(mixed.transpose(1, 2).flatten(2)), None
