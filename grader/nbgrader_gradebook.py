"""The grader's scores written into nbgrader's gradebook through nbgrader's own API (nbgrader.api.Gradebook).

Each hidden test becomes a grade cell (its points as the maximum) of one notebook, by default `grader`, of an
nbgrader assignment; each student's score on that test is the cell's auto score. nbgrader's formgrader and
`nbgrader export` then show the grader's scores beside the rest of the course. nbgrader adds up every
notebook of an assignment: export into an assignment whose notebooks nbgrader does not autograde itself (or
into an assignment of its own, e.g. `hw1_attention_grader`) so that the total is the grader's 100.

Needs the optional extra `nbgrader` (`pip install ".[nbgrader]"`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigurationError

__all__ = ["export_to_nbgrader_gradebook"]

GRADED, ERROR = "graded", "error"  # the statuses of grader.batch's rows that carry a student's score


@contextlib.contextmanager
def _alembic_on_path() -> Iterator[None]:
    # nbgrader runs the `alembic` command when it creates a new gradebook; in a virtual environment that is
    # not activated, the command sits beside this interpreter but not on PATH.
    here = str(Path(sys.executable).parent)
    if shutil.which("alembic") is not None or not (Path(here) / "alembic").exists():
        yield
        return
    previous = os.environ.get("PATH")
    os.environ["PATH"] = here + os.pathsep + (previous or "")
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("PATH", None)
        else:
            os.environ["PATH"] = previous


def _test_scores(row: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """{test name: (score, max_score)} of one results row (results.json: tests numbered `assignment:test`)."""
    scores: dict[str, tuple[float, float]] = {}
    for test in row.get("tests", []):
        name = str(test.get("number") or test.get("name", "")).split(":", 1)[-1]
        if name in scores:
            raise ConfigurationError(
                f"two tests are called {name!r} in the results of {row.get('student')!r}; "
                "export one assignment at a time"
            )
        scores[name] = (float(test.get("score", 0)), float(test.get("max_score", 0)))
    return scores


def export_to_nbgrader_gradebook(
    results: Iterable[Mapping[str, Any]],
    db_url: str,
    assignment: str,
    *,
    notebook: str = "grader",
    course_id: str = "course",
) -> list[str]:
    """Write the per-test scores of `results` into nbgrader's gradebook at `db_url`; the students written.

    Args:
        results: one row per student as `grader batch` writes them (results.json plus `student` and
            `status`): `tests` holds each hidden test's `number` (`assignment:test`), `score` and `max_score`.
        db_url: the gradebook, e.g. `sqlite:///course/gradebook.db` (created if missing).
        assignment: the nbgrader assignment to write into (created if missing).
        notebook: the notebook of that assignment that holds one grade cell per hidden test.
        course_id: nbgrader's course id (as in nbgrader_config.py).

    Students, the submission and the grade cells are created as needed; scores already there are replaced.
    A submission the grader refused (status `error`: unreadable, no assignment found) scores 0 on every test;
    a row the grader itself could not grade (any other status) is left out, so that no false 0 is recorded.
    """
    try:
        from nbgrader.api import Grade, Gradebook, MissingEntry, SubmittedNotebook
    except ImportError:
        raise ConfigurationError(
            "writing into nbgrader's gradebook needs nbgrader", hint='pip install ".[nbgrader]"'
        ) from None
    rows = [row for row in results if row.get("status", GRADED) in (GRADED, ERROR)]
    per_student = {str(row["student"]): _test_scores(row) for row in rows}
    maxima: dict[str, float] = {}
    for scores in per_student.values():
        for name, (_, max_score) in scores.items():
            maxima.setdefault(name, max_score)
    with _alembic_on_path(), Gradebook(db_url, course_id=course_id) as gradebook:
        gradebook.update_or_create_assignment(assignment)
        try:
            gradebook.find_notebook(notebook, assignment)
        except MissingEntry:
            gradebook.add_notebook(notebook, assignment)
        cells = {
            name: gradebook.update_or_create_grade_cell(
                name, notebook, assignment, max_score=max_score, cell_type="code"
            )
            for name, max_score in maxima.items()
        }
        master = gradebook.find_notebook(notebook, assignment)
        for student, scores in per_student.items():
            gradebook.update_or_create_student(student)
            try:
                submission = gradebook.find_submission(assignment, student)
            except MissingEntry:
                # no_autoflush: nbgrader builds the submission's rows before adding them to the session, and
                # an autoflush in between only warns (SQLAlchemy 2) and proceeds as without it.
                with gradebook.db.no_autoflush:
                    submission = gradebook.add_submission(assignment, student)
            # A submission made before this notebook or these cells existed lacks their rows: add them.
            submitted = next((nb for nb in submission.notebooks if nb.notebook_id == master.id), None)
            if submitted is None:
                submitted = SubmittedNotebook(notebook=master, assignment=submission)
                gradebook.db.add(submitted)
            grades = {grade.cell_id: grade for grade in submitted.grades}
            for name, cell in cells.items():
                grade = grades.get(cell.id)
                if grade is None:
                    grade = Grade(cell_id=cell.id, notebook=submitted)
                    gradebook.db.add(grade)
                grade.auto_score = scores.get(name, (0.0, 0.0))[0]
                grade.needs_manual_grade = False
            gradebook.db.commit()
    return sorted(per_student)
