"""Class-scale grading: a folder of submissions graded in worker processes, with resume and a gradebook.

The orchestration only; each job has its module:
- grader.classroom.discovery: what counts as a submission (`find_submissions`);
- grader.classroom.resume: when a stored result stands (`content_hash`, the identity a result records);
- grader.classroom.executors: where gradings run, a local process pool or a Dask cluster, one interface;
- grader.classroom.gradebook, .lms and .summary: the class's rows, its exports and its summary page.

Each submission is graded by `grade_one` in a worker process. Per student, `out_dir/<student>/results.json`
(Gradescope's format plus `student`, `content_hash`, `grader_version`, `seed`, `options`, `seconds`,
`status`, `error`) and a feedback page per assignment, `out_dir/<student>/<assignment>/feedback.html`, are
written atomically as soon as that student is graded, so an interrupted batch loses nothing already graded.
A re-run skips a student whose stored result is up to date (grader.classroom.resume). The class's rows, one
per student and assignment (grader.classroom.gradebook), are rebuilt at the end from the per-student files
into `out_dir/gradebook.csv` and the class summary `out_dir/summary.html`, so a resumed run's are complete.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from grader.assignments import ASSIGNMENTS
from grader.classroom.discovery import find_submissions
from grader.classroom.executors import DEFAULT_WORKERS, executor_for
from grader.classroom.gradebook import gradebook_csv, read_gradebook_rows
from grader.classroom.lms import canvas_csv, gradescope_csv
from grader.classroom.resume import content_hash, identity, is_up_to_date, load_results
from grader.classroom.summary import class_summary_page
from grader.errors import ConfigurationError, GraderError, SubmissionError
from grader.grading.runner import GradeConfig, grade
from grader.results.feedback import feedback_page, feedback_path
from grader.results.record import Row, Status, missing_row, rows_from_json
from grader.results.report import (
    gradescope_error,
    gradescope_results,
    instructor_details,
    instructor_path,
    write_json_atomic,
    write_text_atomic,
)

__all__ = [
    "BatchSummary",
    "content_hash",
    "find_submissions",
    "grade_batch",
    "grade_one",
    "read_gradebook_rows",
    "rebuild_summary",
]

RESULTS_NAME = "results.json"
INSTRUCTOR_KEY = "_instructor"
GRADEBOOK_NAME = "gradebook.csv"
SUMMARY_NAME = "summary.html"
LMS_NAMES = {"canvas.csv": canvas_csv, "gradescope.csv": gradescope_csv}  # the grades to import

Progress = Callable[[int, int, list[Row]], None]  # done, total, the rows of the student just finished


@dataclass(frozen=True)
class BatchSummary:
    """What a batch did: one row per student and assignment (grader.classroom.gradebook), in submission order.

    `graded`, `errors` and `missing` count rows by status; `fresh` counts the students graded in this run,
    `skipped` those whose stored results were up to date.
    """

    rows: list[Row]
    graded: int
    errors: int
    missing: int
    fresh: int
    skipped: int
    wall_seconds: float
    gradebook: Path
    summary_page: Path
    skipped_students: list[str] = field(default_factory=list)
    similarity: Any = None  # grader.classroom.similarity.ClassSimilarity when the batch compared the class

    @property
    def grading_seconds(self) -> float:
        """Sum of the per-submission grading times of the students graded in this run (not skipped)."""
        skipped = set(self.skipped_students)
        seconds = {row.student: row.seconds for row in self.rows}  # a student's, per row
        return sum(value for student, value in seconds.items() if student not in skipped)


def grade_one(student: str, path: str | Path, config: GradeConfig, assignment: str | None) -> dict[str, Any]:
    """Grade one submission; a plain JSON-able dict, also when it cannot be graded (with `error`).

    Module-level so that a process pool and Dask can pickle it. Runs in a worker process.
    """
    started = time.perf_counter()
    path = Path(path)
    row: dict[str, Any]
    try:
        results = grade(path, config=config, assignment=assignment)
        row = gradescope_results(results)
        row.update(status=Status.GRADED.value, error=None)
        details = instructor_details(results)
        if details:
            row[INSTRUCTOR_KEY] = details  # taken out before results.json is written
    except SubmissionError as exc:
        row = gradescope_error(exc.message, exc.hint)
        row.update(status=Status.ERROR.value, error=exc.message)
    except GraderError as exc:
        row = gradescope_error(exc.message, exc.hint)
        row.update(status=Status.GRADER_ERROR.value, error=exc.message)
    row.update(identity(student, path, config, assignment), seconds=round(time.perf_counter() - started, 3))
    return row


def _failed_row(
    student: str, path: Path, config: GradeConfig, assignment: str | None, exc: BaseException
) -> dict[str, Any]:
    message = f"the worker grading this submission failed: {type(exc).__name__}: {exc}"
    row = gradescope_error(message)
    row.update(identity(student, path, config, assignment), seconds=0.0, error=message)
    row["status"] = Status.GRADER_ERROR.value
    return row


def _store(results: dict[str, Any], out_dir: Path) -> list[Row]:
    """Write a student's results.json, its instructor-only details, and a feedback page per assignment."""
    details = results.pop(INSTRUCTOR_KEY, None)
    stored = out_dir / results["student"] / RESULTS_NAME
    write_json_atomic(stored, results)
    if details:
        write_json_atomic(instructor_path(stored), {"details": details})
    rows = rows_from_json(results)
    for row in rows:
        write_text_atomic(out_dir / feedback_path(row), feedback_page(row))
    return rows


def _check_students(submissions: list[tuple[str, Path | None]]) -> None:
    seen: set[str] = set()
    for student, _ in submissions:
        if not student or student in (".", "..") or "/" in student or os.sep in student:
            raise ConfigurationError(f"{student!r} cannot name a student's results folder")
        if student in seen:
            raise ConfigurationError(f"student {student!r} appears twice in the batch")
        seen.add(student)


def grade_batch(
    submissions: Iterable[tuple[str, Path | None]],
    *,
    config: GradeConfig,
    out_dir: Path,
    workers: int = DEFAULT_WORKERS,
    scheduler: Any = None,
    assignment: str | None = None,
    progress: Progress | None = None,
    similarity: Any = None,
) -> BatchSummary:
    """Grade `submissions` ((student, path) pairs) in worker processes; write results and the gradebook.

    `scheduler`: None for a local process pool of `workers` processes; else a Dask scheduler address
    (`tcp://host:8786`) or a `distributed` cluster object. Students whose results are up to date in
    `out_dir` are skipped. A submission that cannot be graded gets a row with its error; it never stops
    the batch. A path of None is a student with no submission for `assignment`: a "missing" row, nothing
    graded. `progress` is called once per student with that student's whole results.json.
    `similarity` (a grader.classroom.similarity.SimilarityConfig) also compares every pair of submissions per
    assignment: similarity.csv, a page per flagged pair, and their list in the class summary.
    """
    submissions = [(student, None if path is None else Path(path)) for student, path in submissions]
    _check_students(submissions)
    if assignment is not None and assignment not in ASSIGNMENTS:
        from grader.assignments import get_assignment

        get_assignment(assignment)  # raises the ConfigurationError that lists the known ones
    executor = executor_for(workers=workers, scheduler=scheduler)  # checks --workers before any grading
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    present = [(student, path) for student, path in submissions if path is not None]
    total = len(present)
    done = 0
    skipped: list[str] = []
    todo: list[tuple[str, Path]] = []
    for student, path in present:
        previous = load_results(out_dir / student / RESULTS_NAME)
        if is_up_to_date(previous, content_hash(path), config, assignment):
            skipped.append(student)
            done += 1
            if progress and previous is not None:
                progress(done, total, rows_from_json(previous))
        else:
            todo.append((student, path))

    def finish(results: dict[str, Any]) -> None:
        nonlocal done
        rows = _store(results, out_dir)
        done += 1
        if progress:
            progress(done, total, rows)

    if todo:
        with executor:
            paths = executor.resolve_paths([path for _, path in todo])
            students = [student for student, _ in todo]
            tasks = [(student, str(path), config, assignment) for student, path in zip(students, paths)]
            for call in executor.as_completed(grade_one, tasks, names=students):
                if call.error is not None:  # an error row, graded again by the next run
                    student, path = students[call.index], paths[call.index]
                    finish(_failed_row(student, path, config, assignment, call.error))
                else:
                    finish(call.value)
    rows = _class_rows(submissions, out_dir, assignment)
    gradebook = out_dir / GRADEBOOK_NAME
    write_text_atomic(gradebook, gradebook_csv(rows))
    for name, export in LMS_NAMES.items():
        write_text_atomic(out_dir / name, export(rows))
    compared, sections = None, []
    if similarity is not None:
        from grader.classroom.similarity import compare_submissions, summary_section, write_similarity

        compared = compare_submissions(submissions, assignment=assignment, config=similarity)
        write_similarity(compared, out_dir)
        sections.append(summary_section(compared))
    summary_page = out_dir / SUMMARY_NAME
    write_text_atomic(summary_page, class_summary_page(rows, sections=sections))
    statuses = Counter(row.status for row in rows)
    return BatchSummary(
        rows=rows,
        graded=statuses[Status.GRADED],
        errors=statuses[Status.ERROR] + statuses[Status.GRADER_ERROR],
        missing=statuses[Status.MISSING],
        fresh=len(todo),
        skipped=len(skipped),
        wall_seconds=time.perf_counter() - started,
        gradebook=gradebook,
        summary_page=summary_page,
        skipped_students=skipped,
        similarity=compared,
    )


def rebuild_summary(
    submissions: list[tuple[str, Path | None]], out_dir: Path, assignment: str | None, sections: list[str]
) -> Path:
    """Rewrite the class summary of a graded batch in `out_dir` from its stored results, with `sections`."""
    rows = _class_rows(submissions, Path(out_dir), assignment)
    summary_page = Path(out_dir) / SUMMARY_NAME
    write_text_atomic(summary_page, class_summary_page(rows, sections=sections))
    return summary_page


def _class_rows(
    submissions: list[tuple[str, Path | None]], out_dir: Path, assignment: str | None
) -> list[Row]:
    """The rows of every student, from the stored results; a missing submission out of the assignment's
    points as the others were graded (0 when nobody was)."""
    rows: list[Row] = []
    for student, path in submissions:
        if path is None:
            rows.append(missing_row(student, assignment or "", 0))
            continue
        stored = load_results(out_dir / student / RESULTS_NAME)
        if stored is None:  # unreadable after the run: say so rather than drop the student
            error = f"{RESULTS_NAME} is unreadable"
            stored = {"student": student, "status": Status.GRADER_ERROR.value, "error": error}
        rows.extend(rows_from_json(stored))
    points = {row.assignment: row.max_score for row in rows if row.graded}
    return [
        replace(row, max_score=points.get(row.assignment, 0)) if row.status is Status.MISSING else row
        for row in rows
    ]
