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
    raise NotImplementedError("sinusoidal_encoding: write this part (see its docstring)")


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
        raise NotImplementedError("forward: write this part (see its docstring)")


def causal_mask(size: int, device: torch.device | str | None = None) -> Tensor:
    """bool (size, size), True where query i may attend to key j, i.e. j <= i (on and below the diagonal)."""
    raise NotImplementedError("causal_mask: write this part (see its docstring)")


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
        raise NotImplementedError("__init__: write this part (see its docstring)")

    def forward(self, x: Tensor) -> Tensor:
        """(..., d_model) -> (..., d_model); each position is transformed alone, with the same weights."""
        raise NotImplementedError("forward: write this part (see its docstring)")


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
        raise NotImplementedError("__init__: write this part (see its docstring)")

    def forward(
        self, x: Tensor, mask: Tensor | None = None, is_causal: bool = False, cache: KVCache | None = None
    ) -> Tensor:
        """x (B, T, d_model) -> (B, T, d_model).

        Args:
            mask: bool, broadcastable to (B, h, T, T), True = may attend: e.g. a padding mask (B, 1, 1, T).
            is_causal: causal self-attention (the GPT block); passed on to the attention.
            cache: the attention's KVCache when generating with one (pre-norm GPT blocks).
        """

        raise NotImplementedError("forward: write this part (see its docstring)")


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
        raise NotImplementedError("__init__: write this part (see its docstring)")

    def forward(
        self, x: Tensor, memory: Tensor, tgt_mask: Tensor | None = None, memory_mask: Tensor | None = None
    ) -> Tensor:
        """x (B, T, d_model), memory (B, S, d_model) -> (B, T, d_model).

        Args:
            tgt_mask: bool, broadcastable to (B, h, T, T), True = may attend: causal AND target padding.
            memory_mask: bool, broadcastable to (B, h, T, S), True = may attend: the source padding mask
                (B, 1, 1, S), so that no target position looks at the source's padding.
        """

        raise NotImplementedError("forward: write this part (see its docstring)")
