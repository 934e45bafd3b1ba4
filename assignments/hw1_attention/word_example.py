"""The course's opening example: one token of 'Put the cube on the table' attends to the whole sentence.

Implements, as small functions, the steps of the opening notebook: give every word of a sentence an integer
id, turn the sentence into a tensor of ids, project the embedded tokens into queries, keys and values, and
compute one token's unnormalised attention scores omega, its attention weights and its context vector. The
notebook stops at omega = query_2 @ keys.T; token_attention finishes the computation with the scaled softmax.

Follows: the notebook's conventions (commas removed, whitespace split, case kept, so 'Put' sorts before
'cube'; projection matrices multiply from the right, x @ W_q with W_q of shape (d, d_q)). Its result for one
token equals row `position` of scaled_dot_product_attention over the whole sentence (attention.py).

One deliberate difference: the notebook numbers words with enumerate(sorted(words)), duplicates included, so
the second 'the' overwrites the first and the ids skip 4:
    {'Put': 0, 'cube': 1, 'on': 2, 'table': 3, 'the': 5}.
Here ids are dense, 0..n-1 over the sorted unique words ('the' -> 4). The grader accepts either numbering:
what matters is that equal words share an id, different words do not, and ids follow the words' sorted order.

Leaves out: the embedding itself (a torch.nn.Embedding lookup, done by the caller), batching, learned
parameters (the weight matrices are inputs), and masking.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .softmax import softmax


def build_word_index(sentence: str) -> dict[str, int]:
    """Map each distinct word of `sentence` to an integer id.

    Args:
        sentence: text such as 'Put the cube on the table'. Commas are removed, then the text is split on
            whitespace; case is kept.

    Returns:
        {word: id} with the sorted distinct words numbered 0, 1, ..., n-1 (sorted by Python's string order, in
        which capitals come first).
    """
    raise NotImplementedError("build_word_index: write this part (see its docstring)")


def encode_sentence(sentence: str, word_index: dict[str, int]) -> Tensor:
    """Turn `sentence` into a tensor of word ids.

    Args:
        sentence: text, cleaned and split exactly as in build_word_index.
        word_index: {word: id}, e.g. from build_word_index; every word of the sentence must be in it.

    Returns:
        int64 tensor (T,), one id per word, in sentence order (repeated words repeat their id).
    """
    raise NotImplementedError("encode_sentence: write this part (see its docstring)")


def project_token(
    embedded: Tensor, w_query: Tensor, w_key: Tensor, w_value: Tensor, position: int
) -> tuple[Tensor, Tensor, Tensor]:
    """The query of one token, and the keys and values of every token.

    Args:
        embedded: (T, d), the embedded sentence, one row per token.
        w_query: W_q, shape (d, d_q).
        w_key: W_k, shape (d, d_k), with d_k = d_q (queries and keys are compared by dot product).
        w_value: W_v, shape (d, d_v).
        position: index of the token that asks the question (the notebook's x_2 is position 1).

    Returns:
        (query, keys, values): query (d_q,) = embedded[position] @ W_q, keys (T, d_k) = embedded @ W_k,
        values (T, d_v) = embedded @ W_v.
    """
    raise NotImplementedError("project_token: write this part (see its docstring)")


def token_attention(
    embedded: Tensor, w_query: Tensor, w_key: Tensor, w_value: Tensor, position: int
) -> tuple[Tensor, Tensor, Tensor]:
    """Self-attention for the single token at `position`.

    Args:
        embedded: (T, d), the embedded sentence.
        w_query: W_q, shape (d, d_q).
        w_key: W_k, shape (d, d_k), d_k = d_q.
        w_value: W_v, shape (d, d_v).
        position: index of the attending token.

    Returns:
        (scores, weights, context): scores (T,), the unnormalised omega = query · key_j for every token j (the
        notebook's omega_2); weights (T,) = softmax(scores / sqrt(d_k)), computed with softmax.py; context
        (d_v,) = weights @ values, the token's attention output.
    """
    raise NotImplementedError("token_attention: write this part (see its docstring)")
