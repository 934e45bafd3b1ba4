"""The gradebook CSV: one line per student and assignment, from a batch's rows (grader.results.record)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from grader.results.record import Row

__all__ = ["gradebook_csv", "read_gradebook_rows"]


def gradebook_csv(rows: Sequence[Row]) -> str:
    """One line per student and assignment (as nbgrader's `export` does): student, assignment, score,
    max_score, status, error, then each hidden test's score.

    A test column is the test's name; with several assignments in the batch it is `assignment:name`, and a
    line leaves the other assignments' columns empty.
    """
    several = len({row.assignment for row in rows if row.tests}) > 1
    columns: list[str] = []
    per_row = []
    for row in rows:
        scores = {}
        for test in row.tests:
            name = test.number if several else test.name
            scores[name] = test.score
            if name not in columns:
                columns.append(name)
        per_row.append(scores)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "assignment", "score", "max_score", "status", "error", *columns])
    for row, scores in zip(rows, per_row):
        writer.writerow(
            [
                row.student,
                row.assignment,
                f"{row.score:g}",
                f"{row.max_score:g}",
                row.status.value,
                row.error,
                *(f"{scores[c]:g}" if c in scores else "" for c in columns),
            ]
        )
    return buffer.getvalue()


def read_gradebook_rows(path: Path) -> list[dict[str, str]]:
    """The gradebook CSV as a list of dicts (for tests and scripts)."""
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))
