"""CPU/GPU parity of the reference models and hw2's bf16 training speed (the Python half of gpu_check.sh).

parity: each check builds a reference (hw1's softmax, score functions, attention and multi-head attention;
hw2's Transformer and GPT; hw4's policy network and Decision Transformer) with a fixed seed on the CPU, copies
it to the device, feeds both the same inputs, and compares the outputs, the loss and every gradient. A check
passes when max |device - cpu| <= atol + rtol * max |cpu| over each tensor, with the tolerances of TOLERANCES:
float32 runs with TF32 switched off, so the two sides differ only by the order of their float additions
(about 1e-6 of the values' size per layer); float64 differs by about 1e-15. hw3 (tokenization) and hw4's
tabular agents compute with Python and numpy only, so there is nothing to compare.

train: the reference GPT (GPTConfig's defaults, and a larger one) trained by hw2's train_gpt under bfloat16
autocast, beside the same run in float32 on the same device: tokens/s after a warm-up, peak memory, and
whether the loss fell.

Without CUDA every step prints "no CUDA: skipped" and the script exits 0. `--device cpu` runs everything
against the CPU itself (differences 0, float32 training), which is how the tests check this script.

    python scripts/gpu_check.py                      # parity, then training, on cuda
    python scripts/gpu_check.py --only parity
    python scripts/gpu_check.py --device cpu --steps 3

Exit status: 0 when every check passed or was skipped, 1 when one failed.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

# (atol, rtol) per dtype of the compared tensors; see the module docstring.
TOLERANCES: dict[torch.dtype, tuple[float, float]] = {
    torch.float32: (1e-5, 2e-4),
    torch.float64: (1e-12, 1e-9),
}
SKIPPED = "no CUDA: skipped"


@dataclass(frozen=True)
class Difference:
    """The worst tensor of a check: its name, max |device - cpu|, and what its tolerance allowed there."""

    name: str
    max_abs: float
    allowed: float

    @property
    def ok(self) -> bool:
        return self.max_abs <= self.allowed


def difference(name: str, cpu: Tensor, device: Tensor) -> Difference:
    """max |device - cpu| of one tensor and the tolerance it is held to (from the CPU tensor's dtype)."""
    if cpu.shape != device.shape:
        return Difference(f"{name} (shapes {tuple(cpu.shape)} and {tuple(device.shape)})", float("inf"), 0.0)
    cpu64, device64 = cpu.detach().double(), device.detach().cpu().double()
    atol, rtol = TOLERANCES.get(cpu.dtype, TOLERANCES[torch.float32])
    finite, infinite = torch.isfinite(cpu64), torch.isinf(cpu64)
    same_nonfinite = (
        torch.equal(torch.isnan(cpu64), torch.isnan(device64))
        and torch.equal(infinite, torch.isinf(device64))
        and torch.equal(cpu64[infinite], device64[infinite])
    )
    if not same_nonfinite:
        return Difference(f"{name} (inf/NaN in other places)", float("inf"), 0.0)
    if not finite.any():
        return Difference(name, 0.0, atol)
    gap = (cpu64[finite] - device64[finite]).abs().max().item()
    return Difference(name, gap, atol + rtol * cpu64[finite].abs().max().item())


def worst(cpu: dict[str, Tensor], device: dict[str, Tensor]) -> Difference:
    """The tensor whose difference uses the largest share of its tolerance."""
    differences = [difference(name, cpu[name], device[name]) for name in cpu]
    return max(differences, key=lambda d: d.max_abs / d.allowed if d.allowed else float("inf"))


def report(label: str, cpu: dict[str, Tensor], device: dict[str, Tensor]) -> bool:
    """Print one parity line (the worst of the tensors compared) and return whether the check passed."""
    w = worst(cpu, device)
    verdict = "ok" if w.ok else "FAIL"
    print(
        f"parity  {label:44s} {len(cpu):3d} tensors  max |Δ| {w.max_abs:9.2e}  "
        f"allowed {w.allowed:9.2e}  ({w.name})  {verdict}",
        flush=True,
    )
    return w.ok


def _run_on(
    model: nn.Module, inputs: tuple, loss_of: Callable[..., Tensor], device: torch.device
) -> dict[str, Tensor]:
    """Outputs, loss and every parameter's gradient of a copy of `model` on `device`."""
    model = copy.deepcopy(model).to(device).eval()  # eval: no dropout, the same numbers on both sides
    moved = tuple(x.to(device) if isinstance(x, Tensor) else x for x in inputs)
    out = model(*moved)
    outputs = out if isinstance(out, tuple) else (out,)
    loss = loss_of(*outputs, *moved)
    loss.backward()
    result = {f"output[{i}]": o for i, o in enumerate(outputs) if isinstance(o, Tensor)}
    result["loss"] = loss
    result.update({f"grad {name}": p.grad for name, p in model.named_parameters() if p.grad is not None})
    return result


def model_parity(
    label: str, model: nn.Module, inputs: tuple, loss_of: Callable, device: torch.device
) -> bool:
    return report(
        label, _run_on(model, inputs, loss_of, torch.device("cpu")), _run_on(model, inputs, loss_of, device)
    )


def function_parity(label: str, fn: Callable[..., object], inputs: tuple, device: torch.device) -> bool:
    """Outputs and input gradients of a pure function (every float input is a leaf that wants a gradient)."""

    def run(on: torch.device) -> dict[str, Tensor]:
        leaves = tuple(
            x.detach().to(on).requires_grad_(x.is_floating_point()) if isinstance(x, Tensor) else x
            for x in inputs
        )
        out = fn(*leaves)
        outputs = [o for o in (out if isinstance(out, tuple) else (out,)) if isinstance(o, Tensor)]
        result = {f"output[{i}]": o for i, o in enumerate(outputs)}
        # A fixed random weighting of each output, so that every entry's gradient matters (a plain sum
        # of softmax weights has gradient 0).
        gen = torch.Generator().manual_seed(1)
        total = sum(
            (o.nan_to_num() * torch.randn(o.shape, generator=gen, dtype=o.dtype).to(on)).sum()
            for o in outputs
            if o.is_floating_point()
        )
        total.backward()
        for i, x in enumerate(leaves):
            if isinstance(x, Tensor) and x.grad is not None:
                result[f"grad input[{i}]"] = x.grad
        return result

    return report(label, run(torch.device("cpu")), run(device))


# -- the checks ----------------------------------------------------------------------------------------------


def hw1_parity(device: torch.device) -> list[bool]:
    from solutions.hw1_attention import attention, multihead, scores
    from solutions.hw1_attention.softmax import softmax

    results = []
    for dtype in (torch.float32, torch.float64):
        name = str(dtype).removeprefix("torch.")
        gen = torch.Generator().manual_seed(0)
        logits = torch.randn(4, 8, 33, 33, generator=gen, dtype=dtype) * 5
        logits[0, 0, 3] = float("-inf")  # a fully masked row: zeros on both sides, not NaN
        results.append(function_parity(f"hw1 softmax {name}", softmax, (logits,), device))
        q, k = (
            torch.randn(2, 4, 9, 16, generator=gen, dtype=dtype),
            torch.randn(2, 4, 11, 16, generator=gen, dtype=dtype),
        )
        w, w_k = (
            torch.randn(16, 16, generator=gen, dtype=dtype),
            torch.randn(16, 12, generator=gen, dtype=dtype),
        )
        v_a, w_a = (
            torch.randn(12, generator=gen, dtype=dtype),
            torch.randn(16, 11, generator=gen, dtype=dtype),
        )

        def all_scores(q: Tensor, k: Tensor, w: Tensor, w_k: Tensor, v_a: Tensor, w_a: Tensor) -> tuple:
            return (
                scores.dot_score(q, k),
                scores.scaled_dot_score(q, k),
                scores.general_score(q, k, w),
                scores.additive_score(q, k, w[:, :12], w_k, v_a),
                scores.cosine_score(q, k),
                scores.location_score(q, w_a),
            )

        results.append(
            function_parity(f"hw1 six score functions {name}", all_scores, (q, k, w, w_k, v_a, w_a), device)
        )
        value = torch.randn(2, 4, 11, 8, generator=gen, dtype=dtype)
        mask = attention.causal_mask(9, 11) & attention.padding_mask(torch.tensor([11, 6]))[:, None, None, :]
        mask[1, :, 0] = False  # a query that may attend to nothing

        def masked_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor = mask) -> tuple:
            return attention.scaled_dot_product_attention(q, k, v, mask=mask.to(q.device))

        results.append(
            function_parity(f"hw1 attention, masks {name}", masked_attention, (q, k, value), device)
        )
    torch.manual_seed(0)
    mha = multihead.MultiHeadAttention(64, 8)
    x = torch.randn(4, 33, 64, generator=torch.Generator().manual_seed(2))
    causal = attention.causal_mask(33)
    for need_weights in (True, False):

        def mha_loss(out: Tensor, weights: Tensor | None, x: Tensor) -> Tensor:
            return out.square().mean() + (0 if weights is None else weights.square().mean())

        results.append(
            model_parity(
                f"hw1 MultiHeadAttention need_weights={need_weights}",
                _Call(mha, mask=causal, need_weights=need_weights),
                (x,),
                mha_loss,
                device,
            )
        )
    return results


class _Call(nn.Module):
    """`module(*inputs, **fixed)`, with fixed keyword tensors moved along with the module."""

    def __init__(self, module: nn.Module, **fixed: object) -> None:
        super().__init__()
        self.module, self.fixed = module, fixed

    def to(self, device: torch.device) -> _Call:  # type: ignore[override]
        super().to(device)
        self.fixed = {k: v.to(device) if isinstance(v, Tensor) else v for k, v in self.fixed.items()}
        return self

    def forward(self, *inputs: Tensor) -> object:
        return self.module(*inputs, **self.fixed)


def hw2_parity(device: torch.device) -> list[bool]:
    from solutions.hw2_transformer import data, gpt, train, transformer

    gen = torch.Generator().manual_seed(0)
    results = []
    for norm_first in (False, True):
        torch.manual_seed(0)
        model = transformer.Transformer(data.SEQ2SEQ_VOCAB, data.SEQ2SEQ_VOCAB, norm_first=norm_first)
        src, tgt = data.seq2seq_batch("reverse", 16, generator=gen)
        tgt_in, tgt_out = transformer.shift_targets(tgt)

        def seq2seq_loss(logits: Tensor, src: Tensor, tgt_in: Tensor, tgt_out: Tensor = tgt_out) -> Tensor:
            return nn.functional.cross_entropy(
                logits.flatten(0, 1), tgt_out.to(logits.device).flatten(), ignore_index=data.PAD
            )

        results.append(
            model_parity(
                f"hw2 Transformer norm_first={norm_first}", model, (src, tgt_in), seq2seq_loss, device
            )
        )
    text = data.generate_corpus(500, seed=0)
    tokenizer = data.CharTokenizer(text)
    tokens = tokenizer.encode(text)
    torch.manual_seed(0)
    model = gpt.GPT(gpt.GPTConfig(vocab_size=tokenizer.vocab_size))
    x, y = data.get_batch(tokens, 8, 64, generator=gen)

    def lm_loss(logits: Tensor, x: Tensor, y: Tensor = y) -> Tensor:
        return train.lm_loss(logits, y.to(logits.device))

    results.append(model_parity("hw2 GPT (GPTConfig defaults)", model, (x,), lm_loss, device))
    return results


def hw4_parity(device: torch.device) -> list[bool]:
    from solutions.hw4_agents import decision_transformer as dt
    from solutions.hw4_agents import reinforce

    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    policy = reinforce.PolicyNetwork(4, 2)
    obs, actions = torch.randn(64, 4, generator=gen), torch.randint(0, 2, (64,), generator=gen)
    advantages = torch.randn(64, generator=gen)

    def policy_loss(logits: Tensor, obs: Tensor) -> Tensor:
        return reinforce.reinforce_loss(logits, actions.to(logits.device), advantages.to(logits.device))

    results = [model_parity("hw4 REINFORCE PolicyNetwork", policy, (obs,), policy_loss, device)]
    torch.manual_seed(0)
    model = dt.DecisionTransformer(dt.DTConfig(state_dim=4, n_actions=2))
    b, k = 8, 10
    rtg = torch.rand(b, k, generator=gen) * 200
    states = torch.randn(b, k, 4, generator=gen)
    acts = torch.randint(0, 2, (b, k), generator=gen)
    steps = torch.arange(k).expand(b, k) + torch.randint(0, 100, (b, 1), generator=gen)

    def dt_loss(logits: Tensor, *inputs: Tensor) -> Tensor:
        return dt.dt_loss(logits, inputs[2])

    results.append(
        model_parity("hw4 DecisionTransformer", model, (rtg, states, acts, steps), dt_loss, device)
    )
    return results


def train_speed(device: torch.device, steps: int) -> bool:
    """hw2's train_gpt in bf16 autocast and in float32 on `device`: tokens/s after a warm-up, peak memory."""
    from solutions.hw2_transformer import data, gpt, train

    text = data.generate_corpus(4000, seed=0)
    tokenizer = data.CharTokenizer(text)
    tokens, vocab = tokenizer.encode(text), tokenizer.vocab_size
    sizes = {
        "GPTConfig defaults": (gpt.GPTConfig(vocab_size=vocab), 32),
        "6 layers, d_model 384, context 256": (
            gpt.GPTConfig(vocab_size=vocab, block_size=256, n_layer=6, n_head=6, d_model=384),
            64,
        ),
    }
    precisions = (True, False)  # bf16 autocast, then the float32 baseline
    if device.type != "cuda":  # the self-test: a tiny model in float32 (autocast is CUDA-only in train.py)
        tiny = gpt.GPTConfig(vocab_size=vocab, block_size=16, n_layer=1, n_head=2, d_model=32)
        sizes, precisions = {"1 layer, d_model 32, context 16": (tiny, 4)}, (False,)
    ok = True
    for size, (config, batch) in sizes.items():
        for bf16 in precisions:
            precision = "bf16 autocast" if bf16 and device.type == "cuda" else "float32"
            torch.manual_seed(0)
            model = gpt.GPT(config)
            run = train.TrainConfig(
                steps=steps,
                batch_size=batch,
                block_size=config.block_size,
                warmup_steps=max(1, steps // 10),
                device=str(device),
                bf16=bf16,
            )
            warm = train.TrainConfig(**{**run.__dict__, "steps": 3})
            train.train_gpt(copy.deepcopy(model), tokens, warm)  # kernels compiled, allocator warmed
            model.to(device)  # the copy to the device is not training time
            if device.type == "cuda":
                torch.cuda.synchronize(device)
                torch.cuda.reset_peak_memory_stats(device)
            started = time.perf_counter()
            losses = train.train_gpt(model, tokens, run)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            wall = time.perf_counter() - started
            peak = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else float("nan")
            fell = losses[-1] < losses[0]
            ok &= fell
            speed = steps * batch * config.block_size / wall
            print(
                f"train   {size:36s} {precision:14s} {speed:12,.0f} tokens/s  "
                f"peak {peak:8.1f} MiB  loss {losses[0]:.3f} -> {losses[-1]:.3f}  {'ok' if fell else 'FAIL'}",
                flush=True,
            )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="the device compared with the CPU (default cuda)")
    parser.add_argument("--only", choices=["parity", "train"], help="run one step only")
    parser.add_argument("--steps", type=int, default=100, help="timed training steps per run (default 100)")
    args = parser.parse_args(argv)
    steps = ["parity", "train"] if args.only is None else [args.only]
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        for step in steps:
            print(f"{step}: {SKIPPED}", flush=True)
        return 0
    torch.backends.cuda.matmul.allow_tf32 = False  # full float32 matmuls: see TOLERANCES
    torch.backends.cudnn.allow_tf32 = False
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"device {device} ({name}), torch {torch.__version__}", flush=True)
    passed = True
    if "parity" in steps:
        results = hw1_parity(device) + hw2_parity(device) + hw4_parity(device)
        print("parity  hw3_tokenization and hw4's tabular agents: Python and numpy only, nothing to compare")
        print(f"parity: {sum(results)}/{len(results)} checks within tolerance", flush=True)
        passed &= all(results)
    if "train" in steps:
        passed &= train_speed(device, args.steps)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
