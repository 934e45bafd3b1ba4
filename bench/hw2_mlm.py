"""hw2's masked language model: the margins of its hidden checks, and MLM beside GPT on the same data.

Three measurements, each on the reference, in this process, with one thread (as the sandbox runs):

- `--stats N`: what test_mask_tokens_statistics and test_mlm_loss_only_at_chosen_positions measure, over N
  grading seeds, for the reference (an exact 15% count per row) and the handout's alternative (a Bernoulli
  draw per position): the worst deviation of each share from its expectation, beside the tolerance;
- `--seeds N`: what test_mlm_training_masked_accuracy measures (train_mlm with the hidden test's budget,
  then one blanked word per held-out sentence), seeds 0..N-1, beside two broken models trained alike: the
  causal mask left on, and the loss's labels shifted by one as for next-token prediction;
- `--compare`: the GPT (train_gpt, next-token prediction) and the EncoderMLM (train_mlm, masked LM) of the
  same size, on the same sentences with the same step budget: training throughput in tokens/s (every token
  the model reads, padding included) and, on the same held-out sentences, the GPT's next-word accuracy
  beside the MLM's masked-word accuracy, and what each does with "The robot [MASK] the cube ...".

    python bench/hw2_mlm.py --stats 200 --seeds 12 --compare
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import torch

from solutions.hw2_transformer import gpt, mlm, train

HIDDEN = Path(__file__).resolve().parent.parent / "grader" / "hidden" / "hw2_transformer" / "test_mlm.py"


def _hidden():
    spec = importlib.util.spec_from_file_location("hw2_hidden_test_mlm", HIDDEN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bernoulli_mask_tokens(ids, vocab_size, generator, mask_prob=mlm.MASK_PROB):
    """The handout's alternative: each ordinary position chosen with probability mask_prob on its own."""
    eligible = ids >= mlm.NUM_SPECIAL
    chosen = eligible & (torch.rand(ids.shape, generator=generator) < mask_prob)
    split = torch.rand(ids.shape, generator=generator)
    random_tokens = torch.randint(mlm.NUM_SPECIAL, vocab_size, ids.shape, generator=generator)
    inputs = torch.where(chosen & (split >= 0.8) & (split < 0.9), random_tokens, ids)
    inputs = inputs.masked_fill(chosen & (split < 0.8), mlm.MASK_ID)
    return inputs, ids.masked_fill(~chosen, mlm.IGNORE_INDEX)


def bench_stats(hidden, seeds: int) -> None:
    print(
        f"## masking statistics over {seeds} grading seeds ({hidden.DRAWS} x {hidden.ROWS} x {hidden.LENGTH})"
    )
    for name, function in (
        ("exact count (reference)", mlm.mask_tokens),
        ("Bernoulli", bernoulli_mask_tokens),
    ):
        worst = {"changed": 0.0, "mask share": 0.0, "labelled": 0.0}
        for seed in range(seeds):
            gen = torch.Generator().manual_seed(seed)
            ids = [hidden._ordinary(gen, hidden.ROWS, hidden.LENGTH) for _ in range(hidden.DRAWS)]
            draws = [
                function(batch, hidden.VOCAB, torch.Generator().manual_seed(seed + k))
                for k, batch in enumerate(ids)
            ]
            original = torch.cat(ids)
            inputs = torch.cat([i for i, _ in draws])
            labels = torch.cat([lab for _, lab in draws])
            changed = inputs != original
            shares = {
                "changed": float(changed.double().mean()) - hidden.P_CHANGED,
                "mask share": float((inputs == mlm.MASK_ID).sum() / changed.sum()) - hidden.MASK_SHARE,
                "labelled": float((labels != mlm.IGNORE_INDEX).double().mean()) - hidden.P_CHOSEN,
            }
            for key, value in shares.items():
                worst[key] = max(worst[key], abs(value))
        print(
            f"{name:24s} worst |deviation|: changed {worst['changed']:.4f} (tol {hidden.TOL_CHANGED}), "
            f"mask share {worst['mask share']:.4f} (tol {hidden.TOL_MASK_SHARE}), "
            f"labelled {worst['labelled']:.4f} (tol {hidden.TOL_LABELLED})",
            flush=True,
        )


class CausalMLM(mlm.EncoderMLM):
    """A broken EncoderMLM: the GPT's causal mask left on."""

    def forward(self, idx):
        keep = (idx != mlm.PAD_ID)[:, None, None, :]
        x = self.drop(self.wte(idx) + self.wpe(idx))
        for block in self.blocks:
            x = block(x, mask=keep, is_causal=True)
        return self.lm_head(self.ln_f(x))


def shifted_mlm_loss(logits, labels):
    """A broken mlm_loss: logits and labels shifted by one, as lm_loss's targets are."""
    return torch.nn.functional.cross_entropy(
        logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1), ignore_index=mlm.IGNORE_INDEX
    )


MASK_TOKENS = mlm.mask_tokens


def labels_everywhere(ids, vocab_size, generator, mask_prob=mlm.MASK_PROB):
    """A broken mask_tokens: the original token as the label at every position (the loss over all of them)."""
    return MASK_TOKENS(ids, vocab_size, generator, mask_prob)[0], ids.clone()


def trained_accuracy(hidden, seed: int, model_class=mlm.EncoderMLM) -> tuple[float, float]:
    tokenizer, sentences, held_out = hidden.corpus()
    block = max(sentences.shape[1], held_out.shape[1])
    torch.manual_seed(seed)
    model = model_class(gpt.GPTConfig(vocab_size=tokenizer.vocab_size, block_size=block, **hidden.TRAIN))
    config = train.TrainConfig(
        steps=hidden.TRAIN_STEPS,
        batch_size=hidden.TRAIN_BATCH,
        lr=1e-2,
        min_lr=1e-3,
        warmup_steps=30,
        seed=seed,
    )
    started = time.perf_counter()
    mlm.train_mlm(model, sentences, config)
    seconds = time.perf_counter() - started
    inputs, where = hidden.blank_one_word(held_out, torch.Generator().manual_seed(seed))
    with torch.no_grad():
        return hidden.masked_accuracy(model(inputs), held_out, where), seconds


def bench_thresholds(hidden, seeds: int) -> None:
    print(f"\n## test_mlm_training_masked_accuracy on the reference, seeds 0..{seeds - 1}")
    ours, causal, shifted, everywhere = [], [], [], []
    for seed in range(seeds):
        accuracy, seconds = trained_accuracy(hidden, seed)
        ours.append(accuracy)
        causal.append(trained_accuracy(hidden, seed, CausalMLM)[0])
        original = mlm.mlm_loss
        mlm.mlm_loss = shifted_mlm_loss
        try:
            shifted.append(trained_accuracy(hidden, seed)[0])
        finally:
            mlm.mlm_loss = original
        mlm.mask_tokens = labels_everywhere
        try:
            everywhere.append(trained_accuracy(hidden, seed)[0])
        finally:
            mlm.mask_tokens = MASK_TOKENS
        print(
            f"seed {seed:3d}  reference {ours[-1]:.3f} ({seconds:.1f} s)   "
            f"causal mask left on {causal[-1]:.3f}   labels shifted {shifted[-1]:.3f}   "
            f"labels everywhere {everywhere[-1]:.3f}",
            flush=True,
        )
    for name, values in (
        ("reference", ours),
        ("causal", causal),
        ("shifted", shifted),
        ("everywhere", everywhere),
    ):
        mean = sum(values) / len(values)
        print(f"{name:10s} worst {min(values):.3f}, best {max(values):.3f}, mean {mean:.3f}")
    print(f"threshold >= {hidden.MASKED_ACCURACY_THRESHOLD}")
    _, _, held_out = hidden.corpus()
    words = held_out[held_out >= mlm.NUM_SPECIAL]
    print(
        f"most frequent word's share of the held-out words: {float(words.bincount().max() / len(words)):.3f}"
    )


def _throughput(model, step, steps: int, tokens_per_step: int) -> float:
    for i in range(3):
        step(i)
    started = time.perf_counter()
    for i in range(steps):
        step(i)
    return steps * tokens_per_step / (time.perf_counter() - started)


def bench_compare(hidden, steps: int) -> None:
    tokenizer, sentences, held_out = hidden.corpus()
    block = max(sentences.shape[1], held_out.shape[1])
    config = gpt.GPTConfig(vocab_size=tokenizer.vocab_size, block_size=block, **hidden.TRAIN)
    stream = sentences[sentences != mlm.PAD_ID]  # the same sentences, back to back, for next-token prediction
    batch = hidden.TRAIN_BATCH
    print(
        f"\n## GPT (next-token) vs EncoderMLM (masked LM): same sentences, {steps} steps of batch {batch}, "
        f"2 layers, d {config.d_model}, {torch.get_num_threads()} thread(s)"
    )
    # Throughput: the two training steps, alternated in rounds so that load changes hit both alike.
    torch.manual_seed(0)
    gpt_model, mlm_model = gpt.GPT(config), mlm.EncoderMLM(config)
    generator = torch.Generator().manual_seed(0)
    train_config = train.TrainConfig(steps=10_000, batch_size=batch, block_size=block - 1, warmup_steps=1)
    gpt_opt, mlm_opt = (
        train.make_optimizer(gpt_model, train_config),
        train.make_optimizer(mlm_model, train_config),
    )

    def gpt_step(i: int) -> None:
        x, y = train.get_batch(stream, batch, block - 1, generator)
        train.train_step(gpt_model, gpt_opt, x, y, i, train_config)

    def mlm_step(i: int) -> None:
        inputs, labels = mlm.mask_tokens(
            mlm.sentence_batch(sentences, batch, generator), config.vocab_size, generator
        )
        loss = mlm.mlm_loss(mlm_model(inputs), labels)
        train._step(mlm_model, mlm_opt, loss, i, train_config)

    gpt_tps, mlm_tps = [], []
    for _ in range(3):
        gpt_tps.append(_throughput(gpt_model, gpt_step, 50, batch * (block - 1)))
        mlm_tps.append(_throughput(mlm_model, mlm_step, 50, batch * block))
    gpt_best, mlm_best = sorted(gpt_tps)[1], sorted(mlm_tps)[1]
    print(
        f"training throughput (median of 3 rounds): GPT {gpt_best:9,.0f} tokens/s   "
        f"MLM {mlm_best:9,.0f} tokens/s   MLM / GPT {mlm_best / gpt_best:.2f}x"
    )
    # What each learned with the same budget, on the same held-out sentences.
    for seed in range(3):
        torch.manual_seed(seed)
        gpt_model, mlm_model = gpt.GPT(config), mlm.EncoderMLM(config)
        common = dict(
            steps=steps, batch_size=batch, lr=1e-2, min_lr=1e-3, warmup_steps=steps // 10, seed=seed
        )
        started = time.perf_counter()
        train.train_gpt(gpt_model, stream, train.TrainConfig(block_size=block - 1, **common))
        gpt_seconds = time.perf_counter() - started
        started = time.perf_counter()
        mlm.train_mlm(mlm_model, sentences, train.TrainConfig(**common))
        mlm_seconds = time.perf_counter() - started
        next_word = mlm.next_token_accuracy(gpt_model, held_out)
        masked = mlm.masked_accuracy(mlm_model, held_out, torch.Generator().manual_seed(seed))
        print(
            f"seed {seed}: GPT next-word accuracy {next_word:.3f} ({gpt_seconds:.1f} s)   "
            f"MLM masked-word accuracy {masked:.3f} ({mlm_seconds:.1f} s)"
        )
    prompt = "The robot [MASK] the cube on the table."
    print(f"MLM fill_mask({prompt!r}) -> {mlm.fill_mask(mlm_model, tokenizer, prompt)!r}")
    ids = tokenizer.encode("The robot")[:-1].unsqueeze(0)  # [CLS] The robot, no [SEP]
    out = gpt_model.generate(ids, 8, greedy=True)
    print(f"GPT generate('The robot', greedy) -> {tokenizer.decode(out[0])!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stats", type=int, default=0, metavar="N", help="masking statistics over N seeds")
    parser.add_argument("--seeds", type=int, default=0, metavar="N", help="the training check over N seeds")
    parser.add_argument("--compare", action="store_true", help="GPT vs MLM throughput and accuracy")
    parser.add_argument("--steps", type=int, default=300, help="training steps of --compare")
    args = parser.parse_args()
    torch.set_num_threads(1)
    hidden = _hidden()
    if args.stats:
        bench_stats(hidden, args.stats)
    if args.seeds:
        bench_thresholds(hidden, args.seeds)
    if args.compare:
        bench_compare(hidden, args.steps)


if __name__ == "__main__":
    main()
