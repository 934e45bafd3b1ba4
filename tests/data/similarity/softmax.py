"""Softmax, written by hand: the function that turns alignment scores into attention weights.

Implements: softmax along any dimension of a tensor of any shape,

    softmax(x)_i = exp(x_i) / sum_j exp(x_j),

the step the lecture writes as alpha_{t,i} = exp(score(s_t, h_i)) / sum_i' exp(score(s_t, h_i')). The opening
notebook wrote it twice, once with Python floats (`[exp(i) for i in input_vector]`) and once with numpy
(`np.exp(i) / np.sum(np.exp(i))`); both overflow on large logits. This version does not.

Follows: torch.softmax, which it must match to float rounding in float32 and float64, values and gradients.
Gradients come from autograd differentiating the few tensor operations below; no hand-written backward.

Deliberately differs from torch.softmax in one place: a slice that is entirely -inf gives all zeros, where
torch.softmax gives NaN. In attention that slice is a query that is allowed to attend to nothing (every key
masked out); zero weights, hence a zero output, is the answer that does not spread NaN through the batch.

Leaves out: torch.softmax / F.softmax themselves (calling them is what this exercise replaces), log-softmax,
and a fused kernel (PyTorch's is faster; this one is a handful of elementwise operations).
"""

from __future__ import annotations

import torch
from torch import Tensor


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """Numerically stable softmax of `x` along `dim`.

    Args:
        x: floating-point tensor of any shape (float32 or float64). Entries may be -inf, meaning "weight 0".
        dim: the dimension to normalise over; negative values count from the end, as in torch.

    Returns:
        A tensor shaped like `x` with the same dtype. Every slice along `dim` is non-negative and sums to 1,
        except a slice whose entries are all -inf, which is all zeros (not NaN). Huge logits such as 1e4 do
        not overflow. The result is differentiable with autograd.

    Must not call torch.softmax or torch.nn.functional.softmax.
    """
    # logsumexp is stable on its own; rows that are all -inf need special care.
    all_masked = torch.isneginf(x).all(dim=dim, keepdim=True)
    safe = torch.where(all_masked, torch.zeros_like(x), x)
    log_norm = torch.logsumexp(safe, dim=dim, keepdim=True)
    probs = torch.exp(safe - log_norm)
    return torch.where(all_masked, torch.zeros_like(probs), probs)
