"""Assignment 2: the Transformer, from positional encodings to an encoder-decoder, a GPT and a masked LM that
train."""

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
from .mlm import EncoderMLM, WordTokenizer, fill_mask, mask_tokens, mlm_loss, train_mlm
from .provided_attention import KVCache, MultiHeadAttention
from .train import TrainConfig, learning_rate, lm_loss, make_optimizer, train_gpt, train_seq2seq, train_step
from .transformer import Transformer, seq2seq_loss, shift_targets

__all__ = [
    "GPT",
    "CharTokenizer",
    "DecoderLayer",
    "EncoderLayer",
    "EncoderMLM",
    "FeedForward",
    "GPTConfig",
    "KVCache",
    "LearnedPositionalEmbedding",
    "MultiHeadAttention",
    "TrainConfig",
    "Transformer",
    "WordTokenizer",
    "causal_mask",
    "fill_mask",
    "generate_corpus",
    "get_batch",
    "learning_rate",
    "lm_loss",
    "load_text",
    "make_optimizer",
    "mask_tokens",
    "mlm_loss",
    "sample_next",
    "seq2seq_batch",
    "seq2seq_loss",
    "shift_targets",
    "sinusoidal_encoding",
    "train_gpt",
    "train_mlm",
    "train_seq2seq",
    "train_step",
    "train_val_split",
]
