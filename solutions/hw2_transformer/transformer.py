"""The encoder-decoder Transformer (Vaswani et al. 2017), trained with teacher forcing, decoded greedily.

Implements:
- `Transformer`: token embeddings scaled by sqrt(d_model) plus the sinusoidal encoding, a stack of encoder
  layers over the source, a stack of decoder layers over the target (causal self-attention, cross-attention to
  the encoder's output), and an output layer that maps d_model to the TARGET vocabulary;
- the masks: source padding (no query looks at a PAD source token) and target causal + padding;
- `shift_targets` and `seq2seq_loss`: teacher forcing, where the decoder reads the target shifted right by one
  token and predicts the next token at every position at once;
- `Transformer.greedy_decode`: generation one token at a time, always taking the most likely token.

Follows: torch.nn.Transformer's structure, with the layers of layers.py (post-norm by default, as in the
paper; pre-norm adds a final layer norm to each stack, as torch does).

Leaves out: beam search, label smoothing, shared source/target embeddings, a cache for decoding.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .layers import DecoderLayer, EncoderLayer, causal_mask, sinusoidal_encoding


class Transformer(nn.Module):
    """Encoder-decoder transformer over token ids.

    Args:
        src_vocab: source vocabulary size.
        tgt_vocab: target vocabulary size (it may differ from the source's; the output layer uses this one).
        d_model, num_heads, d_ff, dropout, norm_first: as in EncoderLayer / DecoderLayer.
        num_layers: number of encoder layers, and the same number of decoder layers.
        max_len: the longest source or target sequence.
        pad_id: the padding token, the same id in source and target.

    Parameters and buffers (names matter: the grader loads the reference's weights into your model):
        `src_embed` nn.Embedding(src_vocab, d_model), `tgt_embed` nn.Embedding(tgt_vocab, d_model);
        `pe`, the buffer sinusoidal_encoding(max_len, d_model) (register_buffer, persistent);
        `encoder_layers`, `decoder_layers`: nn.ModuleList of num_layers EncoderLayer / DecoderLayer;
        `encoder_norm`, `decoder_norm`: nn.LayerNorm(d_model) when norm_first, else nn.Identity();
        `out` nn.Linear(d_model, tgt_vocab); `dropout` nn.Dropout(dropout) on the embeddings.
    """

    def __init__(
        self,
        src_vocab: int,
        tgt_vocab: int,
        d_model: int = 64,
        num_heads: int = 4,
        num_layers: int = 2,
        d_ff: int = 256,
        max_len: int = 64,
        dropout: float = 0.0,
        norm_first: bool = False,
        pad_id: int = 0,
    ) -> None:
        super().__init__()
        self.d_model, self.pad_id, self.max_len = d_model, pad_id, max_len
        ### BEGIN SOLUTION
        self.src_embed = nn.Embedding(src_vocab, d_model)
        self.tgt_embed = nn.Embedding(tgt_vocab, d_model)
        # A buffer, not a Parameter: the encoding is fixed (no gradient), but it must follow the model to the
        # GPU with .to(device) and be saved in its state_dict.
        self.register_buffer(
            "pe", sinusoidal_encoding(max_len, d_model)
        )  # (max_len, d), saved with the model
        self.dropout = nn.Dropout(dropout)
        layer_args = (d_model, num_heads, d_ff, dropout, norm_first)
        self.encoder_layers = nn.ModuleList(EncoderLayer(*layer_args) for _ in range(num_layers))
        self.decoder_layers = nn.ModuleList(DecoderLayer(*layer_args) for _ in range(num_layers))
        # Pre-norm layers leave their output un-normalised; post-norm layers end in a norm already.
        self.encoder_norm = nn.LayerNorm(d_model) if norm_first else nn.Identity()
        self.decoder_norm = nn.LayerNorm(d_model) if norm_first else nn.Identity()
        self.out = nn.Linear(d_model, tgt_vocab)  # to the TARGET vocabulary
        ### END SOLUTION

    def embed(self, tokens: Tensor, table: nn.Embedding) -> Tensor:
        """(B, T) ids -> (B, T, d_model): table(tokens) * sqrt(d_model) + pe[:T], then dropout.

        The sqrt(d_model) scale (the paper, section 3.4) keeps the embeddings as large as the encoding.
        """
        ### BEGIN SOLUTION
        positions = self.pe[: tokens.shape[1]]  # (T, d): indexed by POSITION, never by token id
        # Why the scale: in the paper the embedding is shared with the output layer, whose weights are small
        # (about 1/sqrt(d) per entry); times sqrt(d) they are about 1, like the encoding's entries in [-1, 1],
        # so neither content nor position drowns the other.
        # (B, T, d) + (T, d): the positions broadcast over the batch.
        return self.dropout(table(tokens) * math.sqrt(self.d_model) + positions)  # (B, T, d)
        ### END SOLUTION

    def src_mask(self, src: Tensor) -> Tensor:
        """bool (B, 1, 1, S), True at real source tokens: every query may attend to them, none to PAD."""
        ### BEGIN SOLUTION
        # Padding only makes the batch rectangular: no query may draw information from it. The mask is on
        # KEYS; a padded query still computes something, and the loss ignores its label (ignore_index).
        return (src != self.pad_id)[:, None, None, :]  # (B, S) -> (B, 1, 1, S): over heads and queries
        ### END SOLUTION

    def tgt_mask(self, tgt: Tensor) -> Tensor:
        """bool (B, 1, T, T): query t may attend to key u when u <= t (causal) AND tgt[:, u] is not PAD."""
        ### BEGIN SOLUTION
        # Two reasons to hide a key, combined with AND: it lies in the future (causal: the decoder must not
        # read the token it is asked to predict), or it is padding.
        causal = causal_mask(tgt.shape[1], device=tgt.device)  # (T, T)
        not_pad = (tgt != self.pad_id)[:, None, None, :]  # (B, T) -> (B, 1, 1, T)
        return causal & not_pad  # (T, T) & (B, 1, 1, T) -> (B, 1, T, T)
        ### END SOLUTION

    def encode(self, src: Tensor) -> Tensor:
        """src (B, S) ids -> memory (B, S, d_model): the encoder's output."""
        ### BEGIN SOLUTION
        mask = self.src_mask(src)  # (B, 1, 1, S)
        x = self.embed(src, self.src_embed)  # (B, S) -> (B, S, d)
        # Every layer keeps the shape (B, S, d), so layers stack; each refines every position's vector with
        # what it learned from the others. No causal mask: the encoder reads the whole source at once.
        for layer in self.encoder_layers:
            x = layer(x, mask=mask)  # (B, S, d)
        return self.encoder_norm(x)  # (B, S, d)
        ### END SOLUTION

    def decode(self, tgt_in: Tensor, memory: Tensor, src: Tensor) -> Tensor:
        """tgt_in (B, T) ids, memory (B, S, d) from encode(src) -> logits (B, T, tgt_vocab)."""
        ### BEGIN SOLUTION
        # The source's padding mask is needed again here: cross-attention's keys are the source positions.
        tgt_mask, memory_mask = self.tgt_mask(tgt_in), self.src_mask(src)  # (B, 1, T, T), (B, 1, 1, S)
        x = self.embed(tgt_in, self.tgt_embed)  # (B, T) -> (B, T, d)
        for layer in self.decoder_layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask)  # (B, T, d)
        # One score per target-vocabulary word at every position: logits, not probabilities (cross_entropy
        # applies log-softmax itself, more stably).
        return self.out(self.decoder_norm(x))  # (B, T, d) -> (B, T, V_tgt)
        ### END SOLUTION

    def forward(self, src: Tensor, tgt_in: Tensor) -> Tensor:
        """Logits (B, T, tgt_vocab) for the next target token at every position of tgt_in (B, T)."""
        ### BEGIN SOLUTION
        # Training sees the whole target at once (teacher forcing); the causal mask is what keeps each
        # position from peeking at the token it must predict.
        return self.decode(tgt_in, self.encode(src), src)
        ### END SOLUTION

    @torch.no_grad()
    def greedy_decode(self, src: Tensor, max_len: int, bos_id: int, eos_id: int) -> Tensor:
        """Generate the target for src (B, S), one most-likely token at a time.

        Start every sequence with bos_id; at each step run the decoder on everything generated so far and
        append the argmax of the LAST position's logits. Once a sequence has produced eos_id, it gets pad_id
        from then on. Stop after max_len generated tokens or when every sequence has finished.

        Returns:
            long (B, 1 + n): bos_id, then the n <= max_len generated tokens (eos_id included, PAD after it).
        """
        ### BEGIN SOLUTION
        memory = self.encode(src)  # the source is encoded once, not once per step
        out = torch.full((src.shape[0], 1), bos_id, dtype=torch.long, device=src.device)  # (B, 1)
        done = torch.zeros(src.shape[0], dtype=torch.bool, device=src.device)  # (B,) finished sequences
        # No cache: each step re-runs the decoder over the whole prefix. Simple and exactly what training
        # computed; quadratic in the length, which is fine for short targets.
        for _ in range(max_len):
            logits = self.decode(out, memory, src)[:, -1]  # (B, V): only the last position is new
            next_token = logits.argmax(dim=-1)  # (B,)
            # A finished sequence keeps the batch rectangular with PAD rather than babbling after its EOS.
            next_token = torch.where(done, torch.full_like(next_token, self.pad_id), next_token)
            out = torch.cat([out, next_token.unsqueeze(1)], dim=1)  # (B, t + 1)
            done |= next_token == eos_id
            # Every sequence has ended: later steps would only add PAD.
            if bool(done.all()):
                break
        return out
        ### END SOLUTION


def shift_targets(tgt: Tensor) -> tuple[Tensor, Tensor]:
    """Teacher forcing: (decoder input, labels) from tgt (B, T+1) = BOS y_1 ... y_n EOS PAD ...

    The decoder reads tgt[:, :-1] (BOS y_1 ... y_n ...) and must predict, at each position, the NEXT token:
    the labels are tgt[:, 1:] (y_1 ... y_n EOS ...). Both are (B, T).
    """
    ### BEGIN SOLUTION
    # Shift by one: input position t holds token t and its label is token t + 1. The input drops the last
    # token (nothing follows it to predict), the labels drop BOS (never a prediction).
    return tgt[:, :-1], tgt[:, 1:]  # (B, T+1) -> (B, T), (B, T)
    ### END SOLUTION


def seq2seq_loss(model: Transformer, src: Tensor, tgt: Tensor) -> Tensor:
    """Mean cross-entropy of the next-token predictions over the non-PAD labels (ignore_index=pad_id)."""
    ### BEGIN SOLUTION
    tgt_in, labels = shift_targets(tgt)  # (B, T), (B, T)
    logits = model(src, tgt_in)  # (B, T, V)
    # cross_entropy wants (N, V) scores and (N,) classes: flatten batch and time into one axis of B*T
    # predictions, (B, T, V) -> (B*T, V) and (B, T) -> (B*T,). PAD labels are skipped, so a batch's padding
    # neither adds to the loss nor dilutes its mean.
    return F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=model.pad_id
    )
    ### END SOLUTION
