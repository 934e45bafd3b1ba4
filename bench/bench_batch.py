"""Benchmark: batch grading of N generated hw1 submissions at 1 and 2 workers and on a Dask LocalCluster.

The submissions cycle through reference, stub, a buggy variant (no 1/sqrt(d) scaling) and a hostile one
(os._exit at import). Each mode grades into a fresh results folder, so nothing is skipped.

    python bench/bench_batch.py        # N = 12
    python bench/bench_batch.py 8

Printed per mode: submissions per minute, and the batch overhead per submission. With one worker the
overhead is (wall time - sum of per-submission grading times) / N: worker start-up (importing torch in a
spawned process), pickling, hashing and writing results. With W workers it is (W x wall - sum) / N, the
worker time not spent grading, which also counts workers idle at the end of the batch.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from grader.catalogue.variants import Edit, Variant, materialize
from grader.classroom.batch import BatchSummary, find_submissions, grade_batch
from grader.grading.runner import GradeConfig

MIX = [
    Variant("reference", ""),
    Variant("stub", "", base="stub"),
    Variant(
        "no-scaling",
        "",
        edits=(Edit("scores.py", "scale = 1.0 / math.sqrt(query.shape[-1])", "scale = 1.0"),),
    ),
    Variant("exits-at-import", "", base="stub", extra_files={"softmax.py": "import os\nos._exit(0)\n"}),
]


def make_class(root: Path, n: int) -> Path:
    for i in range(n):
        variant = MIX[i % len(MIX)]
        materialize("hw1_attention", variant, root / "class" / f"s{i:03d}-{variant.name}")
    return root / "class"


def describe(label: str, summary: BatchSummary, workers: int) -> float:
    n = len(summary.rows)
    rate = n / summary.wall_seconds * 60
    grading = summary.grading_seconds
    overhead = (workers * summary.wall_seconds - grading) / n
    print(
        f"{label:<26} {n} submissions in {summary.wall_seconds:6.1f} s: {rate:5.2f} /min; "
        f"mean grading {grading / n:5.2f} s; overhead {overhead:5.2f} s per submission "
        f"({overhead / (grading / n) * 100:4.1f}% of grading)"
    )
    return rate


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 12
    config = GradeConfig(seed=0)
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        root = Path(tmp)
        submissions = find_submissions(make_class(root, n))
        one = grade_batch(submissions, config=config, out_dir=root / "w1", workers=1)
        two = grade_batch(submissions, config=config, out_dir=root / "w2", workers=2)
        rate1 = describe("local pool, 1 worker", one, 1)
        rate2 = describe("local pool, 2 workers", two, 2)
        print(f"scaling 1 -> 2 workers: {rate2 / rate1:.2f}x")
        try:
            import distributed
        except ImportError:
            print("Dask LocalCluster: skipped (pip install 'course-grader[dask]')")
            return
        with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            dask = grade_batch(submissions, config=config, out_dir=root / "dask", scheduler=cluster)
        describe("Dask LocalCluster, 2 workers", dask, 2)
        same = (
            [r["score"] for r in one.rows]
            == [r["score"] for r in two.rows]
            == [r["score"] for r in dask.rows]
        )
        print(f"identical scores in all three modes: {same}")


if __name__ == "__main__":
    main()
