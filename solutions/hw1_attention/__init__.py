"""Assignment 1: attention, from a hand-written softmax to multi-head attention that matches PyTorch."""

from .attention import causal_mask, padding_mask, scaled_dot_product_attention
from .multihead import MultiHeadAttention
from .scores import (
    additive_score,
    cosine_score,
    dot_score,
    general_score,
    location_score,
    scaled_dot_score,
)
from .softmax import softmax
from .word_example import build_word_index, encode_sentence, project_token, token_attention

__all__ = [
    "MultiHeadAttention",
    "additive_score",
    "build_word_index",
    "causal_mask",
    "cosine_score",
    "dot_score",
    "encode_sentence",
    "general_score",
    "location_score",
    "padding_mask",
    "project_token",
    "scaled_dot_product_attention",
    "scaled_dot_score",
    "softmax",
    "token_attention",
]
