"""Multi-head attention, parameter-compatible with torch.nn.MultiheadAttention.

Implements: MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W^O with head_i = Attention(Q W_i^Q, K W_i^K, V
W_i^V) (Vaswani et al. 2017, section 3.2.2), the lecture's five steps: take the input, (embed it,) project it
into h sets of queries, keys and values, attend in each head, concatenate the heads and multiply by W^O.
Self-attention (key = value = query), cross-attention (key = value = another sequence, e.g. an encoder's
output) and causal attention (self-attention with causal_mask) are the same module called with different
arguments.

Follows: torch.nn.MultiheadAttention(d_model, num_heads, bias=bias, batch_first=True). The parameters have the
same names, shapes and initialisation, so `mha.load_state_dict(torch_mha.state_dict())` copies weights across,
and with copied weights the outputs, the per-head weights (torch's average_attn_weights=False) and all
gradients match. Its mask is the opposite way round: torch's attn_mask is True where attention is NOT allowed;
ours is True where it IS, like F.scaled_dot_product_attention. Pass ~mask to torch to compare.

The h heads are not h separate modules: all heads' projections are one (3 * d_model, d_model) matrix, applied
with one matmul, and the result is reshaped so that heads become a batch dimension. No Python loop over heads.

Leaves out: torch's bias_k / bias_v / add_zero_attn, key and value sizes different from d_model (kdim / vdim),
sequence-first layout, float masks, averaging the weights over heads, and the fused inference fast path.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .attention import scaled_dot_product_attention


class MultiHeadAttention(nn.Module):
    """Multi-head attention over batch-first inputs (B, T, d_model).

    Args:
        d_model: model (embedding) size; must be divisible by num_heads.
        num_heads: h; each head attends in a d_model // num_heads dimensional subspace.
        dropout: probability of dropping attention weights, applied only in training mode.
        bias: whether the input and output projections have biases.

    Parameters (laid out exactly like torch.nn.MultiheadAttention):
        in_proj_weight: (3 * d_model, d_model), rows [W_Q; W_K; W_V]; projecting x computes x @ W^T.
        in_proj_bias: (3 * d_model,) or None when bias=False.
        out_proj: nn.Linear(d_model, d_model), W^O with its bias.
    """

    def __init__(self, d_model: int, num_heads: int, dropout: float = 0.0, bias: bool = True) -> None:
        super().__init__()
        if d_model % num_heads != 0:
            raise ValueError(f"d_model ({d_model}) must be divisible by num_heads ({num_heads})")
        self.d_model = d_model
        self.num_heads = num_heads
        self.head_dim = d_model // num_heads
        self.dropout = dropout
        # The query, key and value projections of all heads, stacked: rows [0, d) are W_Q, [d, 2d) W_K and
        # [2d, 3d) W_V. Within each, head i owns rows [i * head_dim, (i + 1) * head_dim).
        self.in_proj_weight = nn.Parameter(torch.empty(3 * d_model, d_model))
        if bias:
            self.in_proj_bias = nn.Parameter(torch.empty(3 * d_model))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        # The same initialisation as torch.nn.MultiheadAttention: Xavier-uniform input projection, zero
        # biases, and nn.Linear's default for the output projection's weight.
        nn.init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            nn.init.zeros_(self.in_proj_bias)
        if self.out_proj.bias is not None:
            nn.init.zeros_(self.out_proj.bias)

    def forward(
        self,
        query: Tensor,
        key: Tensor | None = None,
        value: Tensor | None = None,
        mask: Tensor | None = None,
        need_weights: bool = True,
    ) -> tuple[Tensor, Tensor | None]:
        """Attend from `query` to `key`/`value` with num_heads heads.

        Args:
            query: (B, Tq, d_model).
            key: (B, Tk, d_model); defaults to query (self-attention).
            value: (B, Tk, d_model); defaults to key. Cross-attention passes key = value = memory.
            mask: optional bool tensor broadcastable to (B, num_heads, Tq, Tk), True = may attend: a causal
                mask (Tq, Tk), or a padding mask reshaped to (B, 1, 1, Tk), or their combination. A query with
                no visible key gets a zero attention result (before the output projection adds its bias).
            need_weights: whether to return the attention weights. Without them the module may use PyTorch's
                fused F.scaled_dot_product_attention, which is faster and never builds the (Tq, Tk) matrix.

        Returns:
            (output, weights): output (B, Tq, d_model); weights (B, num_heads, Tq, Tk), the softmax
            probabilities of each head before dropout, or None when need_weights is False.
        """
        if mask is not None and mask.dtype != torch.bool:
            raise TypeError(f"mask must be a bool tensor (True = may attend), got dtype {mask.dtype}")
        raise NotImplementedError("forward: write this part (see its docstring)")
