"""Benchmarks for the foundation: grading a complete hw1 submission, the sandbox, and multi-head attention.

Each figure is printed beside its baseline measured in the same run (these machines vary by 10-15%
between processes, so only same-run ratios mean anything).

    python bench/bench_hw1.py            # everything
    python bench/bench_hw1.py --only mha
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent


def timed_command(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - started


def bench_grading(repeats: int) -> None:
    from grader.grading.runner import GradeConfig, grade

    print("## grader run on a complete hw1 submission (the reference)")
    floor = [
        timed_command([sys.executable, "-c", "import torch, gymnasium, numpy, pytest"])
        for _ in range(repeats)
    ]
    cli = [
        timed_command([sys.executable, "-m", "grader.cli", "run", "solutions/hw1_attention"])
        for _ in range(repeats)
    ]
    started = time.perf_counter()
    (result,) = grade(ROOT / "solutions" / "hw1_attention", config=GradeConfig())
    in_process = time.perf_counter() - started
    suite = sum(test.duration for test in result.tests)
    print(f"start-up floor (import torch, gymnasium, numpy, pytest): {statistics.median(floor):6.2f} s")
    print(
        f"`grader run` wall, median of {repeats}:                  {statistics.median(cli):6.2f} s  "
        f"(issue bar 20 s; {statistics.median(cli) / statistics.median(floor):.1f}x the floor)"
    )
    print(
        f"  split: grader start-up ≈ {statistics.median(cli) - in_process:5.2f} s, "
        f"child start {result.timings['child_start_seconds']:5.2f} s "
        f"({int(result.timings['child_starts'])} start(s)), suite {suite:5.2f} s, score {result.score:g}"
    )


def bench_sandbox(calls: int) -> None:
    from grader.grading.sandbox import IsolationLevel, Sandbox, fallback_reason

    print("\n## sandbox: start-up and per-call round trip, namespaces vs plain subprocess")
    rows = {}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch) / "work" / "pkg"
        work.mkdir(parents=True)
        (work / "__init__.py").write_text("")
        (work / "m.py").write_text("def f(x):\n    return x\n")
        levels = [IsolationLevel.PROCESS] + ([IsolationLevel.NAMESPACES] if fallback_reason() is None else [])
        for _ in range(3):
            for level in levels:
                with Sandbox(work.parent, level=level) as box:
                    started = time.perf_counter()
                    box.start()
                    start = time.perf_counter() - started
                    x = torch.randn(64, 64)
                    started = time.perf_counter()
                    for _ in range(calls):
                        box.request({"op": "call", "target": {"module": "pkg.m", "attr": "f"}, "args": [x]})
                    round_trip = (time.perf_counter() - started) / calls
                rows.setdefault(level.value, []).append((start, round_trip))
    for level, samples in rows.items():
        start = statistics.median(s for s, _ in samples)
        trip = statistics.median(r for _, r in samples)
        print(f"{level:<11} start {start:5.2f} s   round trip {trip * 1e6:7.0f} µs (64x64 float32 each way)")


def bench_mha(repeats: int) -> None:
    from solutions.hw1_attention.multihead import MultiHeadAttention

    print("\n## multi-head attention forward+backward, batch 8, seq 256, d_model 256, 8 heads, CPU float32")
    torch.manual_seed(0)
    batch, seq, d_model, heads = 8, 256, 256, 8
    ours = MultiHeadAttention(d_model, heads)
    theirs = torch.nn.MultiheadAttention(d_model, heads, batch_first=True)
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(batch, seq, d_model, requires_grad=True)

    def step(module, need_weights: bool) -> None:
        if module is theirs:
            out, _ = module(x, x, x, need_weights=need_weights, average_attn_weights=False)
        else:
            out, _ = module(x, need_weights=need_weights)
        out.sum().backward()

    for need_weights in (False, True):
        times = {"ours": [], "torch": []}
        for _ in range(3):
            step(ours, need_weights)
            step(theirs, need_weights)
        for _ in range(repeats):
            for name, module in (("ours", ours), ("torch", theirs)):
                started = time.perf_counter()
                step(module, need_weights)
                times[name].append(time.perf_counter() - started)
        ours_ms = statistics.median(times["ours"]) * 1e3
        torch_ms = statistics.median(times["torch"]) * 1e3
        print(
            f"need_weights={need_weights!s:<5}  reference {ours_ms:6.1f} ms   "
            f"nn.MultiheadAttention {torch_ms:6.1f} ms"
            f"   ratio {ours_ms / torch_ms:.2f}x (bar 1.3x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["grading", "sandbox", "mha"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(2)
    if args.only in (None, "grading"):
        bench_grading(args.repeats)
    if args.only in (None, "sandbox"):
        bench_sandbox(200)
    if args.only in (None, "mha"):
        bench_mha(max(args.repeats, 10))


if __name__ == "__main__":
    main()
