"""A decoder-only GPT: token + position embeddings, pre-norm blocks, a weight-tied head, and generation.

Implements (Radford et al. 2019, GPT-2; the structure of karpathy/nanoGPT `model.py`):
- `GPTConfig`, the model's hyper-parameters;
- `GPT`: wte (token embedding) + wpe (learned POSITION embedding) -> dropout -> n_layer pre-norm blocks with
  causal self-attention (layers.EncoderLayer with norm_first=True, GELU, d_ff = 4 d_model) -> final layer norm
  -> lm_head, a linear layer that SHARES its weight with wte (weight tying: the same matrix maps ids to
  vectors and vectors back to scores over ids, saving vocab_size x d_model parameters);
- `sample_next`: the next token from logits, greedy or sampled with a temperature and top-k;
- `GPT.generate`, with an optional key/value cache that gives the same tokens as decoding without it.

Leaves out: flash-attention flags (the provided attention already uses the fused kernel), loading GPT-2
checkpoints, and `torch.compile`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .layers import EncoderLayer, LearnedPositionalEmbedding
from .provided_attention import KVCache


@dataclass
class GPTConfig:
    """GPT hyper-parameters. The defaults are a model that trains in seconds on a laptop CPU."""

    vocab_size: int = 64
    block_size: int = 64  # the longest context; wpe has one row per position
    n_layer: int = 4
    n_head: int = 4
    d_model: int = 128
    dropout: float = 0.0  # tiny models on tiny data barely overfit in a few hundred steps


class GPT(nn.Module):
    """Decoder-only transformer language model.

    Parameters (names matter: the grader loads the reference's weights into your model):
        `wte` nn.Embedding(vocab_size, d_model); `wpe` LearnedPositionalEmbedding(block_size, d_model);
        `drop` nn.Dropout(dropout); `blocks` nn.ModuleList of n_layer
        EncoderLayer(d_model, n_head, 4 * d_model, dropout, norm_first=True, activation="gelu");
        `ln_f` nn.LayerNorm(d_model); `lm_head` nn.Linear(d_model, vocab_size, bias=False) whose weight IS
        wte.weight (assign wte's Parameter object to lm_head's `weight` attribute).
    Initialisation (GPT-2): every nn.Linear and nn.Embedding weight ~ N(0, 0.02), biases 0
    (the provided `_init_weights`, applied to every submodule with `nn.Module.apply`, before tying).
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        ### BEGIN SOLUTION
        d = config.d_model
        self.wte = nn.Embedding(config.vocab_size, d)  # token id -> vector: WHAT the token is
        self.wpe = LearnedPositionalEmbedding(config.block_size, d)  # position -> vector: WHERE it is
        self.drop = nn.Dropout(config.dropout)
        # A GPT block is an encoder layer made causal at call time (is_causal=True in forward): pre-norm for
        # stable training of deep stacks, GELU, and the usual 4x wider feed-forward.
        self.blocks = nn.ModuleList(
            EncoderLayer(d, config.n_head, 4 * d, config.dropout, norm_first=True, activation="gelu")
            for _ in range(config.n_layer)
        )
        self.ln_f = nn.LayerNorm(d)  # pre-norm blocks leave the residual stream un-normalised
        self.lm_head = nn.Linear(d, config.vocab_size, bias=False)  # (d -> V); no bias, as in GPT-2
        # Small normal weights keep the residual stream and the first logits small, so the untrained model
        # starts near the uniform prediction (loss about ln V) instead of being confidently wrong.
        self.apply(self._init_weights)
        # Tie after the init, so both names point at one Parameter (its N(0, 0.02) init from wte). Assign the
        # Parameter object: copying values (weight.data = ...) would make two Parameters that drift apart in
        # training, while one shared (V, d) matrix gets both gradients. wte looks its rows up; lm_head
        # multiplies by its transpose, (B, T, d) @ (d, V).
        self.lm_head.weight = self.wte.weight
        ### END SOLUTION

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, idx: Tensor, caches: list[KVCache] | None = None) -> Tensor:
        """Logits (B, T, vocab_size) for the next token after every prefix of idx (B, T).

        Args:
            idx: token ids; T <= block_size (counting the cached positions too).
            caches: one KVCache per block when generating with a cache, else None. The tokens of idx then
                sit at positions caches[0].length, ..., caches[0].length + T - 1, and each block's attention
                appends their keys and values to its cache.
        """
        ### BEGIN SOLUTION
        offset = caches[0].length if caches is not None else 0  # position of idx[:, 0]
        # wpe has block_size rows: a longer sequence has positions the model never learned.
        if offset + idx.shape[1] > self.config.block_size:
            raise ValueError(
                f"sequence of {offset + idx.shape[1]} tokens > block_size {self.config.block_size}"
            )
        # 1. What each token is plus where it is. wpe looks up POSITIONS, (T, d), broadcast over the batch.
        x = self.drop(self.wte(idx) + self.wpe(idx, offset=offset))  # (B, T, d)
        # 2. The blocks, each with causal self-attention: token t sees tokens 0..t only, so the prediction
        #    made at t cannot peek at the answer (token t + 1).
        for i, block in enumerate(self.blocks):
            x = block(x, is_causal=True, cache=None if caches is None else caches[i])  # (B, T, d)
        # 3. Final norm, then scores over the vocabulary with the tied weight.
        return self.lm_head(self.ln_f(x))  # (B, T, V)
        ### END SOLUTION

    @torch.no_grad()
    def generate(
        self,
        idx: Tensor,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        greedy: bool = False,
        use_cache: bool = False,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """Extend idx (B, T) by max_new_tokens tokens; returns (B, T + max_new_tokens).

        Each step takes the logits at the last position and picks the next token with `sample_next`.
        Without a cache, each step runs the (at most block_size) last tokens through the model. With
        use_cache=True, fresh caches (one KVCache per block, new for every call) are filled by running the
        prompt once; each later step feeds only the newest token. Both give the same tokens; with the cache
        T + max_new_tokens must not exceed block_size.
        """
        ### BEGIN SOLUTION
        # Generation is autoregressive: each new token is appended and becomes context for the next one.
        # A cache keeps every block's past keys and values, so a step computes attention for ONE new query
        # instead of recomputing the whole prefix: the same results, O(T) work per step instead of O(T^2).
        caches = [KVCache() for _ in self.blocks] if use_cache else None
        new_input = idx  # what the next forward pass must read
        for _ in range(max_new_tokens):
            if caches is None:
                new_input = idx[:, -self.config.block_size :]  # crop the context to what wpe covers
            # The model predicts the next token after EVERY prefix; generation needs only the last one.
            logits = self(new_input, caches=caches)[:, -1, :]  # (B, T, V) -> (B, V)
            next_token = sample_next(logits, temperature, top_k, greedy=greedy, generator=generator)  # (B,)
            idx = torch.cat([idx, next_token.unsqueeze(1)], dim=1)  # (B, T + 1)
            new_input = next_token.unsqueeze(1)  # with a cache, only the new token is new
        return idx
        ### END SOLUTION


def sample_next(
    logits: Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    greedy: bool = False,
    generator: torch.Generator | None = None,
) -> Tensor:
    """The next token (B,) from logits (B, V).

    greedy: the argmax (temperature and top_k are then irrelevant).
    Otherwise: divide the logits by temperature (> 0; below 1 sharpens, above 1 flattens); if top_k is given,
    keep only the logits >= the k-th largest (ties at the k-th value are all kept) and set the rest to -inf;
    softmax; draw one token per row with torch.multinomial(probs, 1, generator=generator).
    """
    ### BEGIN SOLUTION
    if greedy:
        return logits.argmax(dim=-1)  # (B, V) -> (B,)
    # softmax(z / t): t < 1 widens the gaps between logits (more confident), t > 1 shrinks them (more random).
    logits = logits / temperature  # (B, V)
    # top-k cuts the long tail of unlikely tokens, each rare but many together, that makes samples drift.
    # Comparing with the k-th value (not keeping exactly k indices) keeps every logit tied with it.
    if top_k is not None:
        kth = torch.topk(logits, min(top_k, logits.shape[-1]), dim=-1).values[:, -1:]  # (B, 1): k-th largest
        # (B, V) < (B, 1) broadcasts; a -inf logit gets probability exp(-inf) = 0 after the softmax.
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=-1)  # (B, V)
    # One draw per row; the caller's generator makes sampling reproducible (the grader compares draws).
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)  # (B, 1) -> (B,)
    ### END SOLUTION
