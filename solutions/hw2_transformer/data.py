"""Data for assignment 2: PROVIDED, not graded. Nothing is downloaded; everything is generated from a seed.

Implements:
- a procedurally generated English-like corpus (`generate_corpus`): sentences from a small grammar about
  objects on tables and agents chasing each other (the course's example sentences), deterministic for a seed
  and free of any licence; or any text file you pass (`load_text`);
- a character-level tokenizer (`CharTokenizer`) and random language-modelling batches (`get_batch`);
- the toy sequence-to-sequence tasks: copy, reverse or sort a string of digits (`seq2seq_batch`), with the
  special tokens PAD = 0, BOS = 1, EOS = 2 and the digits 0..9 as tokens 3..12.

Everything random takes a torch.Generator (or a seed), so a grader or a benchmark can reproduce a run exactly.
"""

from __future__ import annotations

import random
from pathlib import Path

import torch
from torch import Tensor

# ---------------------------------------------------------------------------------------------------- corpus

# The grammar's word lists, taken from the course's example sentences ("put the cube on the table", "the FBI
# is chasing a criminal on the run"). A few hundred possible sentences: enough variety that a tiny model must
# learn the grammar, small enough that it can within a few hundred steps.

_SUBJECTS = ["the robot", "a student", "the agent", "my friend", "the cat", "a teacher", "the FBI", "the dog"]
_VERBS = ["puts", "moves", "finds", "chases", "sees", "lifts", "drops", "paints"]
_OBJECTS = ["the cube", "a ball", "the red box", "a criminal", "the blue cup", "a small key", "the book"]
_PLACES = ["on the table", "under the bed", "in the box", "near the door", "on the run", "by the window"]
_ENDINGS = [".", ".", ".", "!", "?"]


def generate_corpus(num_sentences: int = 4000, seed: int = 0) -> str:
    """`num_sentences` sentences of a small grammar, one per line; the same text for the same seed.

    A sentence is "<subject> <verb> <object> <place><end>" (sometimes with "then" and a second verb phrase),
    capitalised. A character-level model learns the words quickly and the grammar more slowly, so the
    validation loss falls steadily over a few hundred steps: a good signal of whether training works.
    """
    # A private Random, not the module-level functions: the corpus must not depend on (or disturb) anyone
    # else's use of the global random state.
    rng = random.Random(seed)
    lines = []
    for _ in range(num_sentences):
        sentence = (
            f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_PLACES)}"
        )
        if rng.random() < 0.3:
            sentence += f", then {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}"
        lines.append(sentence[0].upper() + sentence[1:] + rng.choice(_ENDINGS))
    return "\n".join(lines) + "\n"


def load_text(path: str | Path) -> str:
    """The text of a UTF-8 file (your own corpus: any plain text works with the character tokenizer)."""
    return Path(path).read_text(encoding="utf-8")


class CharTokenizer:
    """One token per distinct character of `text`, numbered in sorted order."""

    def __init__(self, text: str) -> None:
        # Sorted, so the same text always gives the same ids whatever order the characters first appear in.
        self.chars = sorted(set(text))  # id -> character
        self.stoi = {c: i for i, c in enumerate(self.chars)}  # character -> id ("string to integer")

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> Tensor:
        """(len(text),) long tensor of token ids."""
        return torch.tensor([self.stoi[c] for c in text], dtype=torch.long)

    def decode(self, ids: Tensor | list[int]) -> str:
        return "".join(self.chars[int(i)] for i in ids)  # int(): ids may be 0-d tensors


def train_val_split(data: Tensor, val_fraction: float = 0.1) -> tuple[Tensor, Tensor]:
    """The first (1 - val_fraction) of the tokens for training, the rest held out for validation."""
    # A contiguous split, not a random one: random windows of the training part would overlap the held-out
    # text, and the validation loss would no longer measure text the model has not seen.
    cut = int(len(data) * (1.0 - val_fraction))
    return data[:cut], data[cut:]


def get_batch(
    data: Tensor, batch_size: int, block_size: int, generator: torch.Generator | None = None
) -> tuple[Tensor, Tensor]:
    """Random windows of `data` (N,): inputs x (B, T) and next-token targets y (B, T) = x shifted by one."""
    # The highest start leaves room for T inputs AND the target one step beyond the last of them.
    starts = torch.randint(len(data) - block_size - 1, (batch_size,), generator=generator)  # (B,)
    offsets = torch.arange(block_size)  # (T,)
    # (B, 1) + (T,) broadcasts to a (B, T) table of indices: all windows gathered in one indexing operation.
    x = data[starts.unsqueeze(1) + offsets]  # (B, T)
    y = data[starts.unsqueeze(1) + offsets + 1]  # (B, T), the same windows shifted by one
    # One window holds T training examples: y[:, t] is the next token after the prefix x[:, : t + 1].
    return x, y


# ------------------------------------------------------------------------------------------ seq2seq tasks

# PAD is 0 so that torch.full(..., PAD) and zero-initialised tensors are padding by default; BOS starts every
# target (the decoder's first input), EOS ends it (the model learns when to stop).
PAD, BOS, EOS = 0, 1, 2
DIGIT0 = 3  # digit k is token DIGIT0 + k
SEQ2SEQ_VOCAB = DIGIT0 + 10
TASKS = ("copy", "reverse", "sort")


def seq2seq_batch(
    task: str,
    batch_size: int,
    min_len: int = 1,
    max_len: int = 8,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """A batch of digit strings and their answers, padded with PAD.

    Returns:
        src (B, max_len): the digits, then PAD.
        tgt (B, max_len + 2): BOS, the answer's digits, EOS, then PAD. Teacher forcing feeds tgt[:, :-1] to
        the decoder and scores its predictions against tgt[:, 1:].
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    # Draw everything first, from the one generator, so a seed fixes the whole batch.
    lengths = torch.randint(min_len, max_len + 1, (batch_size,), generator=generator)  # (B,)
    digits = torch.randint(0, 10, (batch_size, max_len), generator=generator)  # (B, max_len); row i uses :n_i
    src = torch.full((batch_size, max_len), PAD, dtype=torch.long)
    tgt = torch.full((batch_size, max_len + 2), PAD, dtype=torch.long)
    for row, n in enumerate(lengths.tolist()):
        seq = digits[row, :n]
        answer = {"copy": seq, "reverse": seq.flip(0), "sort": seq.sort().values}[task]
        # Shift the digits past the special tokens, so digit 0 is never mistaken for PAD.
        src[row, :n] = seq + DIGIT0
        tgt[row, 0] = BOS
        tgt[row, 1 : n + 1] = answer + DIGIT0
        tgt[row, n + 1] = EOS
    return src, tgt
