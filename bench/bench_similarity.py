"""Similarity at class scale: a synthetic class of N students x one assignment, fingerprinted and compared.

The class is the reference plus small edits: each student is the reference with variables renamed, comments
rewritten and functions reordered (tests/similarity_class.py `disguise`, a different seed each), every third
one with some modules left as stubs (half done), every tenth an untouched release. That is the worst case
for the comparison: nearly every pair shares most fingerprints, so no pair is skipped early and nearly every
pair is flagged. Prints the time to read the class (staging), to fingerprint it (once per submission) and
to compare every pair, then to write the CSV and the side-by-side pages (capped, see
grader.classroom.similarity.MAX_PAGES).

    python bench/bench_similarity.py                      # 300 students, hw1_attention
    python bench/bench_similarity.py --students 100 --assignment hw4_agents
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from similarity_class import disguise

from grader.assignments import get_assignment
from grader.classroom.batch import find_submissions
from grader.classroom.similarity import (
    SimilarityConfig,
    _boilerplate_hashes,
    boilerplate_texts,
    compare_class,
    fingerprint,
    overlap,
    read_class,
    write_similarity,
)
from grader.release.build import stub_source


def synthetic_class(root: Path, assignment: str, students: int) -> None:
    """`students` folders under `root`, each `<student>/<assignment>/` made from the reference."""
    spec = get_assignment(assignment)
    reference = {name: (spec.solution_dir / name).read_text(encoding="utf-8") for name in spec.modules}
    for i in range(students):
        package = root / f"student{i:03d}" / assignment
        package.mkdir(parents=True)
        for k, (name, text) in enumerate(reference.items()):
            if i % 10 == 9 or (i % 3 == 2 and k % 2 == 1):
                text = stub_source(text, name)  # untouched, or half done
            else:
                text = disguise(text, seed=i)
            (package / name).write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--assignment", default="hw1_attention")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-similarity-") as tmp:
        root = Path(tmp) / "class"
        synthetic_class(root, args.assignment, args.students)
        started = time.perf_counter()
        documents, skipped = read_class(find_submissions(root))
        read_seconds = time.perf_counter() - started
        result = compare_class(documents, config=SimilarityConfig())
        started = time.perf_counter()
        written = write_similarity(result, Path(tmp) / "out")
        write_seconds = time.perf_counter() - started
    characters = sum(len(d.text) for d in documents)
    print(
        f"{args.students} students x {args.assignment} "
        f"({characters / len(documents) / 1000:.1f} kB of code each), "
        f"{os.cpu_count()} CPUs, one process"
    )
    print(f"read (staging):           {read_seconds:7.2f} s  ({len(skipped)} unreadable)")
    print(
        f"fingerprint (once each):  {result.fingerprint_seconds:7.2f} s  "
        f"({1000 * result.fingerprint_seconds / len(documents):.1f} ms per submission)"
    )
    print(
        f"compare every pair:       {result.compare_seconds:7.2f} s  ({result.compared} pairs, "
        f"{1e6 * result.compare_seconds / max(1, result.compared):.0f} us per pair)"
    )
    print(f"write CSV + pages:        {write_seconds:7.2f} s  ({len(written) - 2} pair pages)")
    print(f"flagged: {len(result.pairs)} pairs at >= {result.config.threshold:.0%}")
    total = read_seconds + result.fingerprint_seconds + result.compare_seconds + write_seconds
    print(f"total:                    {total:7.2f} s")
    # The baseline: a pairwise loop that fingerprints both sides of every pair again (as comparing two files
    # at a time does), timed on a sample of pairs and scaled to every pair.
    sample, per_pair = baseline_per_pair(documents, args.assignment)
    pairs = len(documents) * (len(documents) - 1) // 2
    print(
        f"baseline, fingerprints per pair: {1000 * per_pair:.1f} ms per pair over {sample} pairs -> "
        f"{per_pair * pairs:.0f} s for all {pairs} pairs "
        f"({per_pair * pairs / (result.fingerprint_seconds + result.compare_seconds):.0f}x the "
        "fingerprint-once comparison)"
    )


def baseline_per_pair(documents: list, assignment: str, sample: int = 60) -> tuple[int, float]:
    """Seconds per pair when each pair is fingerprinted afresh, over `sample` pairs spread over the class."""
    config = SimilarityConfig()
    boilerplate = _boilerplate_hashes(boilerplate_texts(assignment), config)
    pairs = [(i, (i * 7 + 1) % len(documents)) for i in range(min(sample, len(documents)))]
    pairs = [(i, j) for i, j in pairs if i != j]
    started = time.perf_counter()
    for i, j in pairs:
        first, second = (fingerprint(documents[k], boilerplate, config) for k in (i, j))
        overlap(first, second)
    return len(pairs), (time.perf_counter() - started) / len(pairs)


if __name__ == "__main__":
    main()
