"""A class's grades, one row per student and assignment, and the gradebook CSV built from those rows.

A batch grades each student's submission once (it may hold several assignments) and stores that
results.json whole; `assignment_rows` splits it into one row per assignment, each a results.json of its own
(Gradescope's format, that assignment's tests and totals only) plus `student`, `assignment`, `max_score`,
`status` and `error`. The gradebook, the class summary, the feedback pages and the nbgrader export all
read these rows.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path, PurePath
from typing import Any

from grader.assignments import ASSIGNMENTS
from grader.results.report import assignment_of_test

__all__ = [
    "ERROR",
    "GRADED",
    "GRADER_ERROR",
    "MISSING",
    "assignment_rows",
    "gradebook_csv",
    "missing_row",
    "read_gradebook_rows",
]

# Row statuses: graded (a score, whatever it is); error (the submission cannot be graded: the student's
# to fix, kept on resume); grader-error (the grader failed: not kept, so a re-run tries again); missing
# (the student handed in nothing for this assignment).
GRADED, ERROR, GRADER_ERROR, MISSING = "graded", "error", "grader-error", "missing"

# What a per-assignment row keeps of its student's results.json besides the tests and totals.
IDENTITY_KEYS = (
    "student",
    "submission",
    "content_hash",
    "grader_version",
    "seed",
    "options",
    "seconds",
    "status",
    "error",
)


def assignment_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per assignment of one student's results.json (as `batch.grade_one` returns it).

    The assignments and their totals are the results' `extra_data.assignments`, else those of the tests'
    numbers (`assignment:test`). A submission that could not be graded gives one row with its error, for the
    assignment it was graded as, else the one its folder is named after (nbgrader's
    `<student>/<assignment>/`), else `""`.
    """
    identity = {key: results[key] for key in IDENTITY_KEYS if key in results}
    totals = (results.get("extra_data") or {}).get("assignments") or _totals(results.get("tests", []))
    if not totals:
        row = {key: value for key, value in results.items() if key not in ("tests", "extra_data")}
        folder = PurePath(str(results.get("submission") or "")).name
        named = results.get("assignment") or (folder if folder in ASSIGNMENTS else "")
        row.update(identity, assignment=named, max_score=0, tests=[])
        return [row]
    rows = []
    for assignment, total in totals.items():
        tests = [test for test in results.get("tests", []) if assignment_of_test(test) == assignment]
        prefix = f"{assignment}: "
        others = tuple(f"{name}: " for name in totals if name != assignment)
        lines = [line for line in str(results.get("output", "")).splitlines() if not line.startswith(others)]
        row = {
            "score": total.get("score", 0),
            "max_score": total.get("max_score", 0),
            "output": "\n".join(line.removeprefix(prefix) for line in lines),
            "output_format": results.get("output_format", "text"),
            "visibility": results.get("visibility", "visible"),
            "tests": tests,
            "extra_data": {
                **(results.get("extra_data") or {}),
                "assignments": {assignment: total},
            },
        }
        row.update(identity, assignment=assignment)
        rows.append(row)
    return rows


def _totals(tests: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """{assignment: {score, max_score}} added up from the tests' own numbers and points."""
    totals: dict[str, dict[str, float]] = {}
    for test in tests:
        total = totals.setdefault(assignment_of_test(test), {"score": 0.0, "max_score": 0.0})
        total["score"] += float(test.get("score", 0))
        total["max_score"] += float(test.get("max_score", 0))
    return totals


def missing_row(student: str, assignment: str, max_score: float) -> dict[str, Any]:
    """The row of a student who handed in nothing for `assignment`."""
    message = f"no submission for {assignment}"
    return {
        "student": student,
        "assignment": assignment,
        "score": 0,
        "max_score": max_score,
        "status": MISSING,
        "error": message,
        "output": message,
        "tests": [],
        "seconds": 0.0,
    }


def gradebook_csv(rows: list[dict[str, Any]]) -> str:
    """One line per student and assignment (as nbgrader's `export` does): student, assignment, score,
    max_score, status, error, then each hidden test's score.

    A test column is the test's name; with several assignments in the batch it is `assignment:name`, and a
    line leaves the other assignments' columns empty.
    """
    several = len({row.get("assignment") for row in rows if row.get("tests")}) > 1
    columns: list[str] = []
    per_row = []
    for row in rows:
        scores = {}
        for test in row.get("tests", []):
            number = str(test.get("number", test.get("name", "")))
            name = number if several else number.split(":", 1)[-1]
            scores[name] = test.get("score", 0)
            if name not in columns:
                columns.append(name)
        per_row.append(scores)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "assignment", "score", "max_score", "status", "error", *columns])
    for row, scores in zip(rows, per_row):
        writer.writerow(
            [
                row.get("student", ""),
                row.get("assignment") or "",
                f"{row.get('score', 0):g}",
                f"{row.get('max_score', 0):g}",
                row.get("status", ""),
                row.get("error") or "",
                *(f"{scores[c]:g}" if c in scores else "" for c in columns),
            ]
        )
    return buffer.getvalue()


def read_gradebook_rows(path: Path) -> list[dict[str, str]]:
    """The gradebook CSV as a list of dicts (for tests and scripts)."""
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))
