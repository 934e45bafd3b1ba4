"""The building blocks of a transformer: positions, the feed-forward block, encoder and decoder layers.

Implements (Vaswani et al. 2017, sections 3.1-3.5):
- `sinusoidal_encoding`: the fixed positional encoding PE(pos, 2i) = sin(pos / 10000^(2i/d)),
  PE(pos, 2i+1) = cos(pos / 10000^(2i/d));
- `LearnedPositionalEmbedding`: GPT's alternative, one learned vector per POSITION (never per token id);
- `causal_mask`: query i may attend to keys 0..i;
- `FeedForward`: the position-wise block linear -> activation -> dropout -> linear;
- `EncoderLayer` and `DecoderLayer`, with residual connections and layer norm either after each sub-layer
  (post-norm, `norm_first=False`, the original paper) or before it (pre-norm, `norm_first=True`, GPT-2).

Follows: torch.nn.TransformerEncoderLayer / TransformerDecoderLayer (batch_first=True). With the same weights
and dropout off, the layers give the same outputs and gradients; the hidden tests check exactly that. The
parameter names differ only where ours nest (`ff.linear1` for torch's `linear1`, `cross_attn` for torch's
`multihead_attn`).

Leaves out: layer-norm epsilon and bias options, activations other than ReLU and GELU.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .provided_attention import KVCache, MultiHeadAttention


def sinusoidal_encoding(num_positions: int, d_model: int) -> Tensor:
    """The sinusoidal positional encoding table, float32 (num_positions, d_model), d_model even.

    Row pos holds sin(pos * w_i) and cos(pos * w_i) for the d_model / 2 frequencies
    w_i = 1 / 10000^(2i / d_model), i = 0 .. d_model/2 - 1: position pos, frequency i.
    Either layout is accepted: interleaved (column 2i = sin, column 2i+1 = cos, the paper's formula) or
    concatenated (columns 0..d/2-1 = sin, d/2..d-1 = cos, as in some libraries). Sine first in both.
    """
    if d_model % 2 != 0:
        raise ValueError(f"d_model must be even, got {d_model}")
    ### BEGIN SOLUTION
    # 1. The frequencies w_i = 10000^(-2i/d), computed as exp(-(2i/d) ln 10000) to stay exact in float.
    two_i = torch.arange(0, d_model, 2, dtype=torch.float32)  # (d/2,) = 0, 2, 4, ...
    freqs = torch.exp(-two_i / d_model * math.log(10000.0))  # (d/2,)
    # 2. Every position times every frequency: an outer product.
    angles = torch.arange(num_positions, dtype=torch.float32).unsqueeze(1) * freqs  # (P, d/2)
    # 3. Interleave: even columns sine, odd columns cosine of the same angle.
    #    Low frequencies (large i) change slowly with pos and high ones quickly, like the hands of a clock,
    #    so every position gets a distinct row and PE(pos + k) is a fixed rotation of PE(pos): relative
    #    offsets are easy for attention to read off.
    table = torch.empty(num_positions, d_model)
    table[:, 0::2] = torch.sin(angles)  # columns 0, 2, 4, ... (P, d/2)
    table[:, 1::2] = torch.cos(angles)  # columns 1, 3, 5, ... (P, d/2)
    return table  # (P, d)
    ### END SOLUTION


class LearnedPositionalEmbedding(nn.Module):
    """One learned d_model vector per position 0 .. max_len - 1 (GPT-2's `wpe`).

    Parameters: `embedding`, an nn.Embedding(max_len, d_model).
    """

    def __init__(self, max_len: int, d_model: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(max_len, d_model)

    def forward(self, idx: Tensor, offset: int = 0) -> Tensor:
        """The embeddings of the POSITIONS of the tokens in `idx` (B, T): offset, ..., offset + T - 1.

        The token ids in `idx` are NOT looked up here (the token embedding does that); only idx.shape[1] and
        its device matter. `offset` is the position of idx[:, 0], which is > 0 when generating with a cache.

        Returns:
            (T, d_model): the same for every sequence; it broadcasts when added to (B, T, d_model).
        """
        ### BEGIN SOLUTION
        # Look up positions, not ids: the same token at two places must get two different vectors, or
        # attention (which is blind to order) could not tell "dog bites man" from "man bites dog".
        # With a cache, the new tokens continue the sequence, so their positions start at offset, not 0.
        positions = torch.arange(offset, offset + idx.shape[1], device=idx.device)  # (T,)
        # One row per position, no batch dimension: broadcasting adds it to every sequence of the batch.
        return self.embedding(positions)  # (T,) -> (T, d)
        ### END SOLUTION


def causal_mask(size: int, device: torch.device | str | None = None) -> Tensor:
    """bool (size, size), True where query i may attend to key j, i.e. j <= i (on and below the diagonal)."""
    ### BEGIN SOLUTION
    # A token may only look at itself and the past: during training every position predicts its next token,
    # and seeing key j > i would let it read the answer. Comparing a row of key positions with a column of
    # query positions broadcasts to the whole table at once.
    positions = torch.arange(size, device=device)  # (T,)
    return positions.unsqueeze(0) <= positions.unsqueeze(1)  # (1, T) <= (T, 1) -> (T, T)
    ### END SOLUTION


# The activations FeedForward accepts, by name (a string keeps the config plain data). F.gelu is the exact
# erf form; GPT-2's tanh approximation would need approximate="tanh".
_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


class FeedForward(nn.Module):
    """The position-wise feed-forward block: linear2(dropout(activation(linear1(x)))).

    Args:
        d_model: input and output size.
        d_ff: hidden size (4 * d_model in GPT-2, 2048 for d_model 512 in the paper).
        dropout: dropout after the activation.
        activation: "relu" (the paper, torch's default) or "gelu" (GPT-2; exact, not the tanh approximation).

    Parameters: `linear1` nn.Linear(d_model, d_ff), `linear2` nn.Linear(d_ff, d_model); plus `dropout`.
    """

    def __init__(self, d_model: int, d_ff: int, dropout: float = 0.0, activation: str = "relu") -> None:
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
        self.activation = activation
        ### BEGIN SOLUTION
        # Expand to d_ff, apply the non-linearity there, project back: attention only mixes positions
        # (a weighted average), and this is where each position is transformed on its own.
        self.linear1 = nn.Linear(d_model, d_ff)  # d_model -> d_ff
        self.linear2 = nn.Linear(d_ff, d_model)  # d_ff -> d_model
        self.dropout = nn.Dropout(dropout)
        ### END SOLUTION

    def forward(self, x: Tensor) -> Tensor:
        """(..., d_model) -> (..., d_model); each position is transformed alone, with the same weights."""
        ### BEGIN SOLUTION
        # nn.Linear acts on the last dimension only, so any leading (B, T, ...) dimensions pass through:
        # that is what "position-wise" means.
        hidden = _ACTIVATIONS[self.activation](self.linear1(x))  # (..., d_model) -> (..., d_ff)
        # Dropout sits between the two linears, where torch.nn.TransformerEncoderLayer has it.
        return self.linear2(self.dropout(hidden))  # (..., d_ff) -> (..., d_model)
        ### END SOLUTION


class EncoderLayer(nn.Module):
    """Self-attention then feed-forward, each wrapped in a residual connection and a layer norm.

    post-norm (norm_first=False):  x = norm1(x + drop(attn(x)));      x = norm2(x + drop(ff(x)))
    pre-norm  (norm_first=True):   x = x + drop(attn(norm1(x)));      x = x + drop(ff(norm2(x)))

    Pre-norm keeps an untouched residual path from the input to the output, which is why deep GPTs train
    without warm-up tricks; it needs a final layer norm after the last layer (the model adds it).

    Args:
        d_model, num_heads, d_ff, dropout, activation: as in MultiHeadAttention and FeedForward.
        norm_first: pre-norm when True, post-norm when False.

    Parameters: `self_attn` (MultiHeadAttention), `ff` (FeedForward), `norm1`, `norm2`
    (nn.LayerNorm(d_model)), and `dropout1`, `dropout2` (nn.Dropout(dropout), on each sub-layer's output).
    """

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        d_ff: int,
        dropout: float = 0.0,
        norm_first: bool = False,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        self.norm_first = norm_first
        ### BEGIN SOLUTION
        # Two sub-layers, each with its own LayerNorm (its own gain and bias: the two sub-layers' outputs need
        # not be scaled alike) and its own dropout, as in torch's layer.
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout=dropout)
        self.ff = FeedForward(d_model, d_ff, dropout=dropout, activation=activation)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)  # on the attention's output, before the residual sum
        self.dropout2 = nn.Dropout(dropout)  # on the feed-forward's output, before the residual sum
        ### END SOLUTION

    def forward(
        self, x: Tensor, mask: Tensor | None = None, is_causal: bool = False, cache: KVCache | None = None
    ) -> Tensor:
        """x (B, T, d_model) -> (B, T, d_model).

        Args:
            mask: bool, broadcastable to (B, h, T, T), True = may attend: e.g. a padding mask (B, 1, 1, T).
            is_causal: causal self-attention (the GPT block); passed on to the attention.
            cache: the attention's KVCache when generating with one (pre-norm GPT blocks).
        """

        ### BEGIN SOLUTION
        # Self-attention: queries, keys and values all come from the same sequence h. The attention returns
        # (output, weights); a layer only passes the output on.
        def attend(h: Tensor) -> Tensor:
            return self.dropout1(self.self_attn(h, h, h, mask=mask, is_causal=is_causal, cache=cache)[0])

        # Every sub-layer ADDS to x rather than replacing it (a residual connection): gradients reach early
        # layers through the sums unchanged, and a layer that has nothing to add can learn to output ~0.
        if self.norm_first:
            x = x + attend(self.norm1(x))  # the residual path carries x itself, untouched by any norm
            x = x + self.dropout2(self.ff(self.norm2(x)))  # (B, T, d)
        else:
            x = self.norm1(x + attend(x))  # normalise the sum (the paper's LayerNorm(x + Sublayer(x)))
            x = self.norm2(x + self.dropout2(self.ff(x)))  # (B, T, d)
        return x  # (B, T, d)
        ### END SOLUTION


class DecoderLayer(nn.Module):
    """Causal self-attention, cross-attention over the encoder's output, then feed-forward.

    post-norm: x = norm1(x + drop(self_attn(x)));  x = norm2(x + drop(cross_attn(x, memory)));
               x = norm3(x + drop(ff(x)))
    pre-norm:  x = x + drop(self_attn(norm1(x)));  x = x + drop(cross_attn(norm2(x), memory));
               x = x + drop(ff(norm3(x)))          (memory itself is not normalised here)

    Args: as EncoderLayer.

    Parameters: `self_attn`, `cross_attn` (MultiHeadAttention), `ff` (FeedForward), `norm1`, `norm2`, `norm3`,
    `dropout1`, `dropout2`, `dropout3`.
    """

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        d_ff: int,
        dropout: float = 0.0,
        norm_first: bool = False,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        self.norm_first = norm_first
        ### BEGIN SOLUTION
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout=dropout)
        self.cross_attn = MultiHeadAttention(d_model, num_heads, dropout=dropout)
        self.ff = FeedForward(d_model, d_ff, dropout=dropout, activation=activation)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        ### END SOLUTION

    def forward(
        self, x: Tensor, memory: Tensor, tgt_mask: Tensor | None = None, memory_mask: Tensor | None = None
    ) -> Tensor:
        """x (B, T, d_model), memory (B, S, d_model) -> (B, T, d_model).

        Args:
            tgt_mask: bool, broadcastable to (B, h, T, T), True = may attend: causal AND target padding.
            memory_mask: bool, broadcastable to (B, h, T, S), True = may attend: the source padding mask
                (B, 1, 1, S), so that no target position looks at the source's padding.
        """

        ### BEGIN SOLUTION
        # Masked self-attention over the target so far: tgt_mask carries the causal mask, because at
        # generation time the decoder has not produced the later target tokens yet.
        def self_block(h: Tensor) -> Tensor:
            return self.dropout1(self.self_attn(h, h, h, mask=tgt_mask)[0])

        def cross_block(h: Tensor) -> Tensor:
            # Queries from the decoder, keys and values from the encoder's output: each target position asks
            # which source positions it needs. No causal mask here: the whole source is known in advance.
            return self.dropout2(self.cross_attn(h, memory, memory, mask=memory_mask)[0])

        # The same residual pattern as EncoderLayer, with three sub-layers instead of two.
        if self.norm_first:
            x = x + self_block(self.norm1(x))
            x = x + cross_block(self.norm2(x))  # (B, T, d); memory (B, S, d) only supplies keys and values
            x = x + self.dropout3(self.ff(self.norm3(x)))
        else:
            x = self.norm1(x + self_block(x))
            x = self.norm2(x + cross_block(x))
            x = self.norm3(x + self.dropout3(self.ff(x)))
        return x  # (B, T, d)
        ### END SOLUTION
