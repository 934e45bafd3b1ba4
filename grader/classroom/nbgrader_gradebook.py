"""The grader's scores written into nbgrader's gradebook through nbgrader's own API (nbgrader.api.Gradebook).

Each graded assignment goes into the nbgrader assignment of the same name: each hidden test becomes a grade
cell (its points as the maximum) of one notebook, by default `grader`, and each student's score on that test
is the cell's score, written as both its auto and its manual score: `nbgrader autograde` gives a notebook
with no file in the submission 0 as its auto score, and nbgrader counts a manual score first. formgrader and
`nbgrader export` then show the grader's score out of the assignment's points, before and after autograde; a
grader may still change a score by hand in formgrader, until the next export replaces it.

nbgrader adds up every notebook of an assignment, so the released notebook's own test cells must be worth 0
points (what `grader nbgrader-source` builds): they stay the students' checks (nbgrader's Validate button
reports them) and `nbgrader autograde` may still run them, but they can neither add to nor contradict the
grade. `check_gradebook` refuses, before any grading, an assignment whose other notebooks hold autograded
cells worth points. Cells worth 0 points that nobody has autograded yet are recorded as 0, not as waiting
for a manual grade.

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

from grader.errors import ConfigurationError
from grader.results.record import Row, Status

__all__ = ["check_gradebook", "export_to_nbgrader_gradebook"]


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


def _test_scores(row: Row) -> dict[str, tuple[float, float]]:
    """{test name: (score, max_score)} of one row."""
    return {test.name: (test.score, test.max_score) for test in row.tests}


def _api() -> Any:
    try:
        import nbgrader.api
    except ImportError:
        raise ConfigurationError(
            "writing into nbgrader's gradebook needs nbgrader", hint='pip install ".[nbgrader]"'
        ) from None
    return nbgrader.api


@contextlib.contextmanager
def _opened(db_url: str, course_id: str) -> Iterator[Any]:
    """nbgrader's Gradebook at `db_url`; a ConfigurationError naming the URL when it cannot be opened."""
    api = _api()
    try:
        gradebook = api.Gradebook(db_url, course_id=course_id)
    except Exception as exc:  # SQLAlchemy's and nbgrader's own errors: a bad URL, a missing folder, a lock
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigurationError(
            f"cannot open the nbgrader gradebook {db_url}: {reason}",
            hint="give an SQLAlchemy URL of nbgrader's database, e.g. sqlite:///course/gradebook.db",
        ) from None
    with gradebook:
        yield gradebook


def _points_elsewhere(gradebook: Any, assignment: str, notebook: str) -> list[tuple[str, float]]:
    """(notebook, points) of the autograded cells worth points in the assignment's other notebooks."""
    api = _api()
    try:
        found = gradebook.find_assignment(assignment)
    except api.MissingEntry:
        return []
    elsewhere = []
    for other in found.notebooks:
        if other.name == notebook:
            continue
        answers = {cell.name for cell in other.solution_cells}  # a grade cell that is also one is manual
        points = sum(
            cell.max_score
            for cell in other.grade_cells
            if cell.cell_type == "code" and cell.name not in answers and cell.max_score > 0
        )
        if points:
            elsewhere.append((other.name, float(points)))
    return elsewhere


def check_gradebook(
    db_url: str, assignments: Iterable[str], *, notebook: str = "grader", course_id: str = "course"
) -> None:
    """Refuse, before any grading, a gradebook the grader's scores would not add up in.

    nbgrader must be installed, and no assignment of `assignments` that is already in the gradebook may hold
    autograded cells worth points in another notebook: nbgrader would add them to the grader's points.
    """
    with _alembic_on_path(), _opened(db_url, course_id) as gradebook:
        for assignment in assignments:
            elsewhere = _points_elsewhere(gradebook, assignment, notebook)
            if elsewhere:
                where = ", ".join(f"{name}.ipynb ({points:g} points)" for name, points in elsewhere)
                raise ConfigurationError(
                    f"nbgrader assignment {assignment} already has autograded cells worth points in {where}; "
                    "nbgrader would add the grader's scores to them",
                    hint=f"release its checks with 0 points: `grader nbgrader-source COURSE_DIR --assignment "
                    f"{assignment}`, then `nbgrader generate_assignment {assignment} --force`",
                )


def export_to_nbgrader_gradebook(
    rows: Iterable[Row],
    db_url: str,
    *,
    rename: Mapping[str, str] | None = None,
    notebook: str = "grader",
    course_id: str = "course",
) -> dict[str, list[str]]:
    """Write the per-test scores of `rows` into nbgrader's gradebook at `db_url`; {assignment: students}.

    Args:
        rows: a batch's rows, one per student and assignment (grader.results.record.Row).
        db_url: the gradebook, e.g. `sqlite:///course/gradebook.db` (created if missing).
        rename: the nbgrader assignment to write each grader assignment into (default: the same name).
        notebook: the notebook of each assignment that holds one grade cell per hidden test.
        course_id: nbgrader's course id (as in nbgrader_config.py), for assignments created here.

    Students, submissions and grade cells are created as needed; scores already there are replaced. A
    submission the grader refused (status `error`: unreadable) scores 0 on every test; a missing
    submission, or one the grader itself could not grade (`grader-error`), is left out, so that no false 0
    is recorded.
    """
    api = _api()
    per_assignment: dict[str, dict[str, dict[str, tuple[float, float]]]] = {}
    for row in rows:
        if row.status in (Status.GRADED, Status.ERROR) and row.assignment:
            target = (rename or {}).get(row.assignment, row.assignment)
            per_assignment.setdefault(target, {})[row.student] = _test_scores(row)
    written: dict[str, list[str]] = {}
    with _alembic_on_path(), _opened(db_url, course_id) as gradebook:
        for assignment, per_student in per_assignment.items():
            _write_assignment(api, gradebook, assignment, notebook, per_student)
            written[assignment] = sorted(per_student)
    return written


def _write_assignment(
    api: Any,
    gradebook: Any,
    assignment: str,
    notebook: str,
    per_student: Mapping[str, Mapping[str, tuple[float, float]]],
) -> None:
    maxima: dict[str, float] = {}
    for scores in per_student.values():
        for name, (_, max_score) in scores.items():
            maxima.setdefault(name, max_score)
    gradebook.update_or_create_assignment(assignment)
    try:
        gradebook.find_notebook(notebook, assignment)
    except api.MissingEntry:
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
        except api.MissingEntry:
            # no_autoflush: nbgrader builds the submission's rows before adding them to the session, and an
            # autoflush in between only warns (SQLAlchemy 2) and proceeds as without it.
            with gradebook.db.no_autoflush:
                submission = gradebook.add_submission(assignment, student)
        # A submission made before this notebook or these cells existed lacks their rows: add them.
        submitted = next((nb for nb in submission.notebooks if nb.notebook_id == master.id), None)
        if submitted is None:
            submitted = api.SubmittedNotebook(notebook=master, assignment=submission)
            gradebook.db.add(submitted)
        grades = {grade.cell_id: grade for grade in submitted.grades}
        for name, cell in cells.items():
            grade = grades.get(cell.id)
            if grade is None:
                grade = api.Grade(cell_id=cell.id, notebook=submitted)
                gradebook.db.add(grade)
            # The score is also the manual score, which nbgrader's score prefers and its autograde keeps: it
            # zeroes the auto scores of a notebook with no file in the submission, as this one is.
            grade.auto_score = grade.manual_score = scores.get(name, (0.0, 0.0))[0]
            grade.needs_manual_grade = False
        for other in submission.notebooks:
            for grade in other.grades:
                if grade.max_score == 0 and grade.auto_score is None and grade.manual_score is None:
                    grade.auto_score = 0.0  # a 0-point check: nothing to grade, by hand or otherwise
                    grade.needs_manual_grade = False
        gradebook.db.commit()
