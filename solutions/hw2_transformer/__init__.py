"""Assignment 2: the Transformer, from positional encodings to an encoder-decoder and a GPT that train."""

from .data import CharTokenizer, generate_corpus, get_batch, load_text, seq2seq_batch, train_val_split
from .gpt import GPT, GPTConfig, sample_next
from .layers import (
    DecoderLayer,
    EncoderLayer,
    FeedForward,
    LearnedPositionalEmbedding,
    causal_mask,
    sinusoidal_encoding,
)
from .provided_attention import KVCache, MultiHeadAttention
from .train import TrainConfig, learning_rate, lm_loss, make_optimizer, train_gpt, train_seq2seq, train_step
from .transformer import Transformer, seq2seq_loss, shift_targets

__all__ = [
    "GPT",
    "CharTokenizer",
    "DecoderLayer",
    "EncoderLayer",
    "FeedForward",
    "GPTConfig",
    "KVCache",
    "LearnedPositionalEmbedding",
    "MultiHeadAttention",
    "TrainConfig",
    "Transformer",
    "causal_mask",
    "generate_corpus",
    "get_batch",
    "learning_rate",
    "lm_loss",
    "load_text",
    "make_optimizer",
    "sample_next",
    "seq2seq_batch",
    "seq2seq_loss",
    "shift_targets",
    "sinusoidal_encoding",
    "train_gpt",
    "train_seq2seq",
    "train_step",
    "train_val_split",
]
