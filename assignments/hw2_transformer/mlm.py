"""An encoder-only model trained by masked language modelling (BERT's objective), beside the GPT.

Implements (Devlin et al. 2019, BERT, section 3.1 "Task #1: Masked LM"):
- `WordTokenizer` (given): the words and punctuation of the generated corpus, plus the special tokens
  [PAD] [CLS] [SEP] [MASK]; `encode_sentences` and `sentence_batch` (given) pad sentences into batches;
- `mask_tokens`: choose 15% of the ordinary tokens; of those, 80% become [MASK], 10% a random token, 10% stay
  as they are; labels hold the original token where chosen and -100 (ignored) everywhere else;
- `EncoderMLM`: the GPT's stack without the causal mask (every token attends to both sides, never to
  padding), with an MLM head whose weight is the token embedding's (weight tying, as in the GPT);
- `mlm_loss`: cross-entropy over the chosen positions only; `train_mlm`: the training loop of train.py with
  masking instead of shifting;
- `fill_mask`: the lecture's infill, "The robot [MASK] the cube on the table." -> the most likely word;
- `masked_accuracy` and `next_token_accuracy` (given): what the two objectives learned, on held-out text.

The lecture's two objectives side by side: GPT predicts "This is the AI Agents ____" from the left context
only, at every position; BERT predicts "This is the AI [MASK] Course." from both sides, at 15% of positions.

Leaves out: next-sentence prediction and segment embeddings, BERT's head transform (dense + GELU + layer norm
before the tied decoder) and its output bias, whole-word masking (here a word is one token anyway), and a cap
on the number of predictions per sentence.
"""

from __future__ import annotations

import re

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .gpt import GPTConfig
from .layers import EncoderLayer, LearnedPositionalEmbedding
from .train import TrainConfig, _step, autocast, make_optimizer, resolve_device

# ------------------------------------------------------------------------------------ given: the vocabulary

PAD_ID, CLS_ID, SEP_ID, MASK_ID = 0, 1, 2, 3
SPECIAL_TOKENS = ("[PAD]", "[CLS]", "[SEP]", "[MASK]")
NUM_SPECIAL = len(SPECIAL_TOKENS)  # ordinary tokens have ids NUM_SPECIAL .. vocab_size - 1
IGNORE_INDEX = -100  # F.cross_entropy's default ignore_index: a label that costs nothing
MASK_PROB = 0.15  # BERT: 15% of the ordinary tokens are chosen for prediction
_WORDS = re.compile(r"\[MASK\]|\w+|[^\w\s]")  # [MASK], a word, or one punctuation mark


class WordTokenizer:
    """One token per distinct word or punctuation mark of `text`, after the four special tokens.

    The generated corpus has about fifty of them ("The", "robot", "puts", ",", ...), so that a blank stands
    for a whole word, as in the lecture's "This is the AI [MASK] Course.".
    """

    def __init__(self, text: str) -> None:
        # The special tokens take ids 0..3 whatever the text; the words follow in sorted order (reproducible).
        words = sorted(set(_WORDS.findall(text)) - set(SPECIAL_TOKENS))
        self.tokens = list(SPECIAL_TOKENS) + words
        self.ids = {token: i for i, token in enumerate(self.tokens)}

    @property
    def vocab_size(self) -> int:
        return len(self.tokens)

    def encode(self, sentence: str) -> Tensor:
        """(n + 2,) long: [CLS], the sentence's tokens ("[MASK]" written in the text is MASK_ID), [SEP]."""
        ids = [self.ids[word] for word in _WORDS.findall(sentence)]
        return torch.tensor([CLS_ID, *ids, SEP_ID], dtype=torch.long)

    def decode(self, ids: Tensor | list[int]) -> str:
        """The text of `ids`, without [PAD], [CLS] and [SEP]; no space before punctuation."""
        words = [self.tokens[int(i)] for i in ids if int(i) not in (PAD_ID, CLS_ID, SEP_ID)]
        # Join with spaces, then take back the space before each punctuation mark ("table ." -> "table.").
        return re.sub(r" ([^\w\s\[])", r"\1", " ".join(words))


def encode_sentences(tokenizer: WordTokenizer, text: str) -> Tensor:
    """Every line of `text` encoded, padded with PAD_ID to the longest: (N, T) long."""
    rows = [tokenizer.encode(line) for line in text.splitlines() if line.strip()]
    # Sentences differ in length; a tensor must be rectangular. PAD fills the rest, and the model's padding
    # mask makes sure no real token ever attends to it.
    return nn.utils.rnn.pad_sequence(rows, batch_first=True, padding_value=PAD_ID)


def sentence_batch(sentences: Tensor, batch_size: int, generator: torch.Generator | None = None) -> Tensor:
    """`batch_size` rows of `sentences` (N, T) drawn at random (with replacement): (B, T)."""
    rows = torch.randint(len(sentences), (batch_size,), generator=generator)  # (B,)
    return sentences[rows]  # (N, T) indexed by (B,) -> (B, T)


# ----------------------------------------------------------------------------------------------- masking


def mask_tokens(
    ids: Tensor, vocab_size: int, generator: torch.Generator, mask_prob: float = MASK_PROB
) -> tuple[Tensor, Tensor]:
    """BERT's corruption of a batch of token ids (B, T) long, on the CPU: (inputs, labels), both (B, T) long.

    1. Choose `mask_prob` (15%) of each row's ORDINARY positions: never [PAD], [CLS], [SEP] or [MASK] (ids
       below NUM_SPECIAL). Either choose exactly round(mask_prob * n) of a row's n ordinary positions
       (BERT's code) or choose each one independently with probability mask_prob (Hugging Face's): both
       are accepted.
    2. Of the chosen positions, 80% become MASK_ID, 10% a random ORDINARY token (uniform over ids
       NUM_SPECIAL .. vocab_size - 1), 10% keep their token. Every other position keeps its token.
    3. labels: the original token at the chosen positions, IGNORE_INDEX (-100) everywhere else.

    Every random number comes from `generator` (torch.rand / torch.randint / torch.randperm with
    generator=generator): the same generator state gives the same masks, and torch's global generator is
    never used.
    """
    raise NotImplementedError("mask_tokens: write this part (see its docstring)")


# ------------------------------------------------------------------------------------------------- model


class EncoderMLM(nn.Module):
    """Encoder-only transformer (BERT-style) with a masked-language-modelling head.

    The GPT of gpt.py with one change in forward: no causal mask. Every token attends to every other
    non-[PAD] token, before and after it, so the prediction at a [MASK] uses both sides of the blank.

    Parameters (names matter: the grader loads the reference's weights into your model), as the GPT's:
        `wte` nn.Embedding(vocab_size, d_model); `wpe` LearnedPositionalEmbedding(block_size, d_model);
        `drop` nn.Dropout(dropout); `blocks` nn.ModuleList of n_layer
        EncoderLayer(d_model, n_head, 4 * d_model, dropout, norm_first=True, activation="gelu");
        `ln_f` nn.LayerNorm(d_model); `lm_head` nn.Linear(d_model, vocab_size, bias=False) whose weight IS
        wte.weight (assign wte's Parameter object to lm_head's `weight` attribute).
    Initialisation: `_init_weights` (N(0, 0.02)) applied to every submodule, before tying.
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

    def forward(self, idx: Tensor) -> Tensor:
        """Logits (B, T, vocab_size) for the token AT every position of idx (B, T), T <= block_size.

        Self-attention is bidirectional (no causal mask) and never looks at [PAD] keys: pass every block
        the padding mask (idx != PAD_ID) as (B, 1, 1, T) (True = may attend). Padding at the end of a row then
        changes nothing at its other positions.
        """
        raise NotImplementedError("forward: write this part (see its docstring)")


def mlm_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """Mean cross-entropy over the CHOSEN positions only: logits (B, T, V), labels (B, T) long -> scalar.

    labels hold the original token at the chosen positions and IGNORE_INDEX (-100) elsewhere; the other
    positions add nothing to the loss or its gradient. MLM predicts the token at the blank itself: unlike
    lm_loss, nothing is shifted.
    """
    raise NotImplementedError("mlm_loss: write this part (see its docstring)")


def train_mlm(model: nn.Module, sentences: Tensor, config: TrainConfig) -> list[float]:
    """Train `model` (an EncoderMLM) for exactly config.steps steps on `sentences` (N, T) long (padded).

    Each step: a batch from sentence_batch(sentences, batch_size, generator), mask_tokens(batch,
    model.config.vocab_size, generator), the logits and mlm_loss inside autocast, then train.py's `_step`
    (the optimizer from train.py's make_optimizer). One torch.Generator seeded with config.seed, made here,
    gives both the batches and the masks. The device as in train_gpt; leaves the model in eval mode.
    Returns the training loss of every step.
    """
    raise NotImplementedError("train_mlm: write this part (see its docstring)")


@torch.no_grad()
def fill_mask(model: nn.Module, tokenizer: WordTokenizer, text: str) -> str:
    """`text` with every "[MASK]" replaced by the model's most likely ORDINARY token there.

    Encode the text (tokenizer.encode adds [CLS] and [SEP]), run the model once on the (1, T) batch, take
    the argmax over the ordinary tokens (ids NUM_SPECIAL ..: a blank is never filled with [PAD] or [MASK]) at
    every [MASK] position, put them in, and decode. E.g. "The robot [MASK] the cube on the table." ->
    "The robot puts the cube on the table.".
    """
    raise NotImplementedError("fill_mask: write this part (see its docstring)")


# ------------------------------------------------------------------------- given: what each objective learned


@torch.no_grad()
def masked_accuracy(model: nn.Module, sentences: Tensor, generator: torch.Generator) -> float:
    """Share of blanked ordinary tokens of `sentences` (N, T) that the model's argmax restores.

    One ordinary position per sentence, drawn from `generator`, becomes [MASK]; the model sees the rest.
    """
    eligible = sentences >= NUM_SPECIAL  # (N, T)
    # Random scores, -1 at special tokens: the argmax of each row is a uniformly random ordinary position.
    scores = torch.rand(sentences.shape, generator=generator).masked_fill(~eligible, -1.0)  # (N, T)
    where = scores.argmax(dim=1)  # (N,): one ordinary position per row
    rows = torch.arange(len(sentences))
    inputs = sentences.clone()
    inputs[rows, where] = MASK_ID
    device = next(model.parameters()).device
    logits = model(inputs.to(device)).float().cpu()  # (N, T, V)
    predicted = logits[rows, where, NUM_SPECIAL:].argmax(dim=-1) + NUM_SPECIAL  # (N,)
    return float((predicted == sentences[rows, where]).double().mean())


@torch.no_grad()
def next_token_accuracy(model: nn.Module, sentences: Tensor) -> float:
    """Share of the ordinary tokens of `sentences` (N, T) that a GPT's argmax predicts from the left context.

    The GPT reads each padded row [CLS] w1 .. wn [SEP]; its prediction at position t is scored against the
    token at t + 1 wherever that is an ordinary token (every word but the first is predicted from the words
    before it; the first from [CLS] alone).
    """
    device = next(model.parameters()).device
    # Input drops the last token, targets drop the first: the GPT's shift by one (see lm_loss).
    logits = model(sentences[:, :-1].to(device)).float().cpu()  # (N, T - 1, V)
    targets = sentences[:, 1:]  # (N, T - 1)
    scored = targets >= NUM_SPECIAL
    predicted = logits[..., NUM_SPECIAL:].argmax(dim=-1) + NUM_SPECIAL  # (N, T - 1)
    return float((predicted == targets)[scored].double().mean())
