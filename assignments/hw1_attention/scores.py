"""Alignment score functions: how well does each query match each key?

Implements the six score functions in the lecture's table "Types of Attention (pre Vaswani)", batched: five
take queries (..., Tq, d_q) and keys (..., Tk, d_k) and return one score per (query, key) pair, shape
(..., Tq, Tk); the location-based one takes the queries alone and returns the same shape. Leading dimensions
(batch, heads) broadcast like torch.matmul. A softmax over the last dimension (softmax.py) turns a row of
scores into attention weights.

    name            score                         from
    content-based   cosine(q, k)                  Graves 2014 (Neural Turing Machines)
    additive        v^T tanh(q W_q + k W_k)       Bahdanau et al. 2015
    location-based  q^T W_a (no key at all)       Luong et al. 2015
    general         q^T W k                       Luong et al. 2015
    dot-product     q^T k                         Luong et al. 2015
    scaled dot      q^T k / sqrt(d)               Vaswani et al. 2017

The lecture writes additive attention as v^T tanh(W_a [s; h]) on the concatenation [s; h]. Splitting W_a into
the block that multiplies s and the block that multiplies h gives v^T tanh(W_q s + W_k h), the same function,
and lets us project the Tq queries and the Tk keys once each instead of all Tq * Tk concatenated pairs.

Weights are passed in as tensors (shapes below) rather than owned by modules, so the functions stay pure and a
test can hand them any weights it likes. Matrices multiply from the right (x @ W), as in the opening notebook.

The lecture writes location-based attention as the weights alpha_t = softmax(W_a s_t). location_score
returns the scores W_a s_t, before the softmax, like the other five: every function here stops at the same
point, and softmax(location_score(s, W_a), dim=-1) is the lecture's alpha_t.

Leaves out: any masking or normalisation (attention.py), and Luong's local attention, which centres a window
of source positions on a predicted position p_t.
"""

from __future__ import annotations

import math

from torch import Tensor


def dot_score(query: Tensor, key: Tensor) -> Tensor:
    """Dot-product score q · k for every (query, key) pair.

    Args:
        query: (..., Tq, d).
        key: (..., Tk, d).

    Returns:
        scores (..., Tq, Tk) with scores[..., i, j] = query[..., i, :] · key[..., j, :].
    """
    raise NotImplementedError("dot_score: write this part (see its docstring)")


def scaled_dot_score(query: Tensor, key: Tensor) -> Tensor:
    """Scaled dot-product score q · k / sqrt(d), where d = query.shape[-1].

    Args:
        query: (..., Tq, d).
        key: (..., Tk, d).

    Returns:
        scores (..., Tq, Tk). The scaling keeps the scores' variance near 1 when the entries of q and k have
        variance 1, so the softmax does not saturate as d grows.
    """
    raise NotImplementedError("scaled_dot_score: write this part (see its docstring)")


def general_score(query: Tensor, key: Tensor, weight: Tensor) -> Tensor:
    """Luong's "general" score q^T W k, with a learned matrix W between query and key space.

    Args:
        query: (..., Tq, d_q).
        key: (..., Tk, d_k).
        weight: W, shape (d_q, d_k). Queries and keys may have different sizes.

    Returns:
        scores (..., Tq, Tk) with scores[..., i, j] = query[..., i, :] @ W @ key[..., j, :].
    """
    raise NotImplementedError("general_score: write this part (see its docstring)")


def additive_score(query: Tensor, key: Tensor, w_query: Tensor, w_key: Tensor, v: Tensor) -> Tensor:
    """Bahdanau's additive score v · tanh(q W_q + k W_k).

    Args:
        query: (..., Tq, d_q).
        key: (..., Tk, d_k).
        w_query: W_q, shape (d_q, d_attn).
        w_key: W_k, shape (d_k, d_attn).
        v: (d_attn,).

    Returns:
        scores (..., Tq, Tk) with scores[..., i, j] = v · tanh(query[..., i, :] @ W_q + key[..., j, :] @ W_k).
    """
    raise NotImplementedError("additive_score: write this part (see its docstring)")


def cosine_score(query: Tensor, key: Tensor, eps: float = 1e-8) -> Tensor:
    """Content-based score: the cosine similarity of q and k (Graves 2014).

    Args:
        query: (..., Tq, d).
        key: (..., Tk, d).
        eps: lower bound on each vector's norm, so a zero vector gives score 0 instead of 0/0. Each norm is
            clamped separately, as torch.nn.functional.cosine_similarity does.

    Returns:
        scores (..., Tq, Tk) in [-1, 1]: q · k / (max(|q|, eps) * max(|k|, eps)).
    """
    raise NotImplementedError("cosine_score: write this part (see its docstring)")


def location_score(query: Tensor, weight: Tensor) -> Tensor:
    """Luong's location-based score W_a s_t: each target state alone scores every source position.

    Args:
        query: the target states s_t, (..., Tq, d_q).
        weight: W_a, shape (d_q, Tk): one column per source position, so W_a fixes how many there are.

    Returns:
        scores (..., Tq, Tk) with scores[..., t, i] = query[..., t, :] @ weight[:, i]. No key enters: the
        lecture's weights alpha_t = softmax(W_a s_t) are softmax(location_score(s, W_a), dim=-1).
    """
    raise NotImplementedError("location_score: write this part (see its docstring)")
