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
        raise NotImplementedError("__init__: write this part (see its docstring)")

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
        raise NotImplementedError("forward: write this part (see its docstring)")

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
        raise NotImplementedError("generate: write this part (see its docstring)")


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
    raise NotImplementedError("sample_next: write this part (see its docstring)")
