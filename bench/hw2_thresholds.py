"""Measure the hw2 training checks on the reference over many seeds (the margins behind the thresholds).

Runs, in this process and with one thread (as the sandbox does), exactly what the hidden tests
test_gpt_training_val_loss and test_seq2seq_training_exact_match do with a student's code, on the reference,
for seeds 0..N-1 (model init from torch.manual_seed(seed), batches from the seed). Prints each seed's figure
and the worst one beside the threshold. The results are recorded in docs/hw2_thresholds.md.

    python bench/hw2_thresholds.py --seeds 12
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import torch

from solutions.hw2_transformer import data, gpt, train, transformer

HIDDEN = Path(__file__).resolve().parent.parent / "grader" / "hidden" / "hw2_transformer"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"hw2_hidden_{name}", HIDDEN / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def gpt_val_loss(hidden, seed: int) -> float:
    tokenizer, train_data, val = hidden.corpus()
    torch.manual_seed(seed)
    model = gpt.GPT(gpt.GPTConfig(vocab_size=tokenizer.vocab_size, **hidden.TRAIN))
    config = train.TrainConfig(
        steps=hidden.TRAIN_STEPS,
        batch_size=16,
        block_size=hidden.TRAIN["block_size"],
        lr=1e-2,
        min_lr=1e-3,
        warmup_steps=15,
        seed=seed,
    )
    train.train_gpt(model, train_data, config)
    idx, positions, targets = hidden.prefix_batch(
        val, hidden.TRAIN["block_size"], hidden.VAL_WINDOWS, torch.Generator().manual_seed(seed)
    )
    with torch.no_grad():
        return hidden.validation_loss(model(idx), positions, targets)


def seq2seq_exact_match(hidden, seed: int) -> float:
    vocab = data.SEQ2SEQ_VOCAB
    torch.manual_seed(seed)
    model = transformer.Transformer(
        vocab, vocab, d_model=32, num_heads=4, num_layers=2, d_ff=64, max_len=16, dropout=0.0, pad_id=data.PAD
    )
    config = train.TrainConfig(
        steps=hidden.TRAIN_STEPS, batch_size=32, lr=1e-2, min_lr=1e-3, warmup_steps=15, seed=seed
    )
    train.train_seq2seq(model, hidden.TASK, config, hidden.TRAIN_MIN_LEN, hidden.TRAIN_MAX_LEN)
    src, tgt = data.seq2seq_batch(
        hidden.TASK, 200, hidden.TRAIN_MIN_LEN, hidden.TRAIN_MAX_LEN, torch.Generator().manual_seed(seed + 1)
    )
    with torch.no_grad():
        return hidden.exact_match(hidden._grader_greedy(model, src, hidden.TRAIN_MAX_LEN + 1), tgt)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=12)
    parser.add_argument("--first", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    gpt_tests, s2s_tests = _load("test_gpt"), _load("test_transformer")
    losses, rates = [], []
    for seed in range(args.first, args.first + args.seeds):
        start = time.perf_counter()
        losses.append(gpt_val_loss(gpt_tests, seed))
        middle = time.perf_counter()
        rates.append(seq2seq_exact_match(s2s_tests, seed))
        end = time.perf_counter()
        print(
            f"seed {seed:3d}  GPT val loss {losses[-1]:.3f} ({middle - start:.1f} s)   "
            f"seq2seq exact match {rates[-1]:.3f} ({end - middle:.1f} s)",
            flush=True,
        )
    print(
        f"GPT val loss: worst {max(losses):.3f}, best {min(losses):.3f}, "
        f"mean {sum(losses) / len(losses):.3f}; "
        f"threshold <= {gpt_tests.VAL_LOSS_THRESHOLD}"
    )
    print(
        f"seq2seq exact match: worst {min(rates):.3f}, best {max(rates):.3f}, "
        f"mean {sum(rates) / len(rates):.3f}; "
        f"threshold >= {s2s_tests.EXACT_MATCH_THRESHOLD}"
    )


if __name__ == "__main__":
    main()
