"""Class-scale grading: a folder of submissions graded in worker processes, with resume and a gradebook.

Each submission is graded by `grade_one` in a separate worker process: a local process pool
(`concurrent.futures.ProcessPoolExecutor` with the "spawn" context, never fork: the grader process holds
torch threads) or, beyond one machine, a Dask distributed cluster (`scheduler` is its address or a
`distributed` cluster object). No scheduler of our own. With Dask, the submission paths must be readable
from the workers (a shared filesystem).

Per student, `out_dir/<student>/results.json` (Gradescope's format plus `student`, `content_hash`,
`grader_version`, `seed`, `options`, `seconds`, `status`, `error`) and a feedback page per assignment,
`out_dir/<student>/<assignment>/feedback.html`, are written atomically as soon as that student is graded, so
an interrupted batch loses nothing already graded. A re-run skips a student whose content hash, grader
version, seed, options and assignment are unchanged. The class's rows, one per student and assignment
(grader.classroom.gradebook), are
rebuilt at the end from the per-student files into `out_dir/gradebook.csv` and the
class summary `out_dir/summary.html`, so a resumed run's are complete.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import multiprocessing
import os
import stat
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader import __version__
from grader.assignments import ASSIGNMENTS
from grader.classroom.gradebook import (
    ERROR,
    GRADED,
    GRADER_ERROR,
    MISSING,
    assignment_rows,
    gradebook_csv,
    missing_row,
    read_gradebook_rows,
)
from grader.classroom.lms import canvas_csv, gradescope_csv
from grader.classroom.summary import class_summary_page
from grader.errors import ConfigurationError, GraderError, SubmissionError
from grader.grading.runner import GradeConfig, grade
from grader.results.feedback import feedback_page, feedback_path
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
]

RESULTS_NAME = "results.json"
INSTRUCTOR_KEY = "_instructor"
GRADEBOOK_NAME = "gradebook.csv"
SUMMARY_NAME = "summary.html"
LMS_NAMES = {"canvas.csv": canvas_csv, "gradescope.csv": gradescope_csv}  # the grades to import
SUBMISSION_SUFFIXES = (".ipynb", ".py")
IGNORED_NAMES = {"__pycache__", ".ipynb_checkpoints", ".git"}

Progress = Callable[[int, int, dict[str, Any]], None]


@dataclass(frozen=True)
class BatchSummary:
    """What a batch did: one row per student and assignment (grader.classroom.gradebook), in submission order.

    `graded`, `errors` and `missing` count rows by status; `fresh` counts the students graded in this run,
    `skipped` those whose stored results were up to date.
    """

    rows: list[dict[str, Any]]
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
        seconds = {r["student"]: float(r.get("seconds") or 0.0) for r in self.rows}  # a student's, per row
        return sum(value for student, value in seconds.items() if student not in skipped)


def _visible(entry: Path) -> bool:
    return not entry.name.startswith(".") and entry.name not in IGNORED_NAMES


def _only_subfolder(folder: Path) -> Path | None:
    """The single folder inside `folder` when it holds nothing else (nbgrader's student/<assignment>/)."""
    if folder.is_symlink() or not folder.is_dir():
        return None
    entries = [e for e in folder.iterdir() if _visible(e)]
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        return entries[0]
    return None


def find_submissions(folder: Path, *, assignment: str | None = None) -> list[tuple[str, Path | None]]:
    """(student, path) pairs, sorted by student: one subfolder, notebook or module per student.

    nbgrader's layout `submitted/<student>/<assignment>/` is recognised when `folder/submitted` exists or
    when every student folder holds exactly one folder and nothing else; the path is then the assignment
    folder (`assignment` picks one when a student has several). In that layout, a student whose folders are
    all named after other assignments has no submission for `assignment`: the path is None. A student with
    several assignment folders and no `assignment` named gets the whole folder (each assignment is graded).
    Symlinks are listed, not followed: grading them gives the student an error row. Hidden entries and
    other files are ignored.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise SubmissionError(f"{folder} is not a folder of submissions")
    if (folder / "submitted").is_dir() and not (folder / "submitted").is_symlink():
        folder = folder / "submitted"
    entries = sorted((e for e in folder.iterdir() if _visible(e)), key=lambda e: e.name)
    found: dict[str, Path] = {}
    for entry in entries:
        if entry.is_symlink() or entry.is_dir():
            student = entry.stem if entry.suffix in SUBMISSION_SUFFIXES else entry.name
        elif entry.suffix in SUBMISSION_SUFFIXES and entry.is_file():
            student = entry.stem
        else:
            continue
        if student in found:
            raise SubmissionError(
                f"two submissions for {student!r} in {folder}: {found[student].name} and {entry.name}",
                hint="keep one folder or notebook per student",
            )
        found[student] = entry
    dirs = [p for p in found.values() if p.is_dir() and not p.is_symlink()]
    nested = folder.name == "submitted" or (
        bool(dirs) and all(_only_subfolder(p) is not None or _assignment_folders(p) for p in dirs)
        # A student folder holding one assignment-named package is the ordinary layout too; both read alike.
    )
    result: list[tuple[str, Path | None]] = []
    for student, path in found.items():
        chosen: Path | None = path
        if nested and path.is_dir() and not path.is_symlink():
            if assignment and (path / assignment).is_dir():
                chosen = path / assignment
            elif assignment and _only_other_assignments(path, assignment):
                chosen = None
            else:
                chosen = _only_subfolder(path) or path
        result.append((student, chosen))
    return result


def _only_other_assignments(folder: Path, assignment: str) -> bool:
    """Whether `folder` holds only folders named after assignments, none of them `assignment`."""
    names = _assignment_folders(folder)
    return bool(names) and assignment not in names


def _assignment_folders(folder: Path) -> list[str]:
    """The names of the folders in `folder` when it holds nothing but folders named after assignments."""
    entries = [e for e in folder.iterdir() if _visible(e)]
    if all(e.is_dir() and not e.is_symlink() and e.name in ASSIGNMENTS for e in entries):
        return [e.name for e in entries]
    return []


def content_hash(path: Path) -> str:
    """sha256 over the submission's files: each relative path and its bytes, in sorted order.

    Symlinks are not followed: their target text is hashed, so changing where one points is a change.
    """
    path = Path(path)
    digest = hashlib.sha256()
    items: list[tuple[str, bytes]] = []
    if path.is_symlink() or not path.is_dir():
        items.append((path.name, _entry_bytes(path)))
    else:
        for root, dirs, files in os.walk(path, followlinks=False):
            dirs[:] = sorted(d for d in dirs if d not in IGNORED_NAMES)
            for name in [*files, *(d for d in dirs if Path(root, d).is_symlink())]:
                full = Path(root, name)
                items.append((full.relative_to(path).as_posix(), _entry_bytes(full)))
    for relative, data in sorted(items):
        encoded = relative.encode("utf-8", "surrogateescape")
        digest.update(len(encoded).to_bytes(8, "big") + encoded)
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def _entry_bytes(path: Path) -> bytes:
    try:
        info = path.lstat()
    except OSError:
        return b"<missing>"
    if stat.S_ISLNK(info.st_mode):
        return b"<symlink>" + os.fsencode(os.readlink(path))
    if not stat.S_ISREG(info.st_mode):
        return b"<special>"
    try:
        return path.read_bytes()
    except OSError as exc:
        return f"<unreadable: {exc.strerror}>".encode()


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
        row.update(status=GRADED, error=None)
        details = instructor_details(results)
        if details:
            row[INSTRUCTOR_KEY] = details  # taken out before results.json is written
    except SubmissionError as exc:
        row = gradescope_error(exc.message, exc.hint)
        row.update(status=ERROR, error=exc.message)
    except GraderError as exc:
        row = gradescope_error(exc.message, exc.hint)
        row.update(status=GRADER_ERROR, error=exc.message)
    row.update(_identity(student, path, config, assignment), seconds=round(time.perf_counter() - started, 3))
    return row


def _identity(student: str, path: Path, config: GradeConfig, assignment: str | None) -> dict[str, Any]:
    """What a results row records about what was graded, and how: the keys resume compares."""
    return {
        "student": student,
        "submission": str(path),
        "content_hash": content_hash(path),
        "grader_version": __version__,
        "seed": config.seed,
        "assignment": assignment,
        "options": _options(config),
    }


def _options(config: GradeConfig) -> dict[str, Any]:
    """The grading options besides the seed that can change a score: a change regrades on resume."""
    return {
        "device": config.device,
        "timeout": config.timeout,
        "budget": config.budget,
        "memory_gib": config.memory_gib,
        "isolation": config.isolation,
        "run_as": config.run_as,
    }


def _load(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _up_to_date(
    previous: dict[str, Any] | None, digest: str, config: GradeConfig, assignment: str | None
) -> bool:
    return (
        previous is not None
        and previous.get("status") in (GRADED, ERROR)
        and previous.get("content_hash") == digest
        and previous.get("grader_version") == __version__
        and previous.get("seed") == config.seed
        and previous.get("assignment") == assignment
        and previous.get("options") == _options(config)
    )


def _failed_row(
    student: str, path: Path, config: GradeConfig, assignment: str | None, exc: BaseException
) -> dict[str, Any]:
    message = f"the worker grading this submission failed: {type(exc).__name__}: {exc}"
    row = gradescope_error(message)
    row.update(_identity(student, path, config, assignment), seconds=0.0, status=GRADER_ERROR, error=message)
    return row


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
    workers: int = 1,
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
    if workers < 1:
        raise ConfigurationError(f"--workers must be at least 1, not {workers}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    present = [(student, path) for student, path in submissions if path is not None]
    total = len(present)
    done = 0
    skipped: list[str] = []
    todo: list[tuple[str, Path]] = []
    for student, path in present:
        previous = _load(out_dir / student / RESULTS_NAME)
        if _up_to_date(previous, content_hash(path), config, assignment):
            skipped.append(student)
            done += 1
            if progress and previous is not None:
                progress(done, total, previous)
        else:
            todo.append((student, path))

    def finish(results: dict[str, Any]) -> None:
        nonlocal done
        details = results.pop(INSTRUCTOR_KEY, None)
        stored = out_dir / results["student"] / RESULTS_NAME
        write_json_atomic(stored, results)
        if details:
            write_json_atomic(instructor_path(stored), {"details": details})
        for row in assignment_rows(results):
            write_text_atomic(out_dir / feedback_path(row), feedback_page(row))
        done += 1
        if progress:
            progress(done, total, results)

    if todo:
        if scheduler is None:
            _run_local(todo, config, assignment, workers, finish)
        else:
            _run_dask(todo, config, assignment, scheduler, finish)
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
    statuses = Counter(row.get("status") for row in rows)
    return BatchSummary(
        rows=rows,
        graded=statuses[GRADED],
        errors=statuses[ERROR] + statuses[GRADER_ERROR],
        missing=statuses[MISSING],
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
) -> list[dict[str, Any]]:
    """The rows of every student, from the stored results; a missing submission out of the assignment's
    points as the others were graded (0 when nobody was)."""
    rows: list[dict[str, Any]] = []
    for student, path in submissions:
        if path is None:
            rows.append(missing_row(student, assignment or "", 0))
            continue
        stored = _load(out_dir / student / RESULTS_NAME)
        if stored is None:  # unreadable after the run: say so rather than drop the student
            stored = {"student": student, "status": GRADER_ERROR, "error": f"{RESULTS_NAME} is unreadable"}
        rows.extend(assignment_rows(stored))
    points = {row["assignment"]: row["max_score"] for row in rows if row.get("status") == GRADED}
    for row in rows:
        if row["status"] == MISSING:
            row["max_score"] = points.get(row["assignment"], 0)
    return rows


def _init_worker(threads: int) -> None:
    """Share the machine's cores among the workers: torch in each would otherwise take all of them."""
    import torch

    torch.set_num_threads(threads)


def _run_local(
    todo: list[tuple[str, Path]],
    config: GradeConfig,
    assignment: str | None,
    workers: int,
    finish: Callable[[dict[str, Any]], None],
) -> None:
    context = multiprocessing.get_context("spawn")
    workers = min(workers, len(todo))
    threads = max(1, (os.cpu_count() or 1) // workers)
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(threads,)
    ) as pool:
        futures = {
            pool.submit(grade_one, student, str(path), config, assignment): (student, path)
            for student, path in todo
        }
        for future in concurrent.futures.as_completed(futures):
            student, path = futures[future]
            try:
                row = future.result()
            except Exception as exc:  # a worker that died (BrokenProcessPool) or a grader bug
                row = _failed_row(student, path, config, assignment, exc)
            finish(row)


def _missing_paths(paths: list[str]) -> list[str]:
    """The paths this worker cannot see (runs on each Dask worker)."""
    return [path for path in paths if not os.path.lexists(path)]


def _run_dask(
    todo: list[tuple[str, Path]],
    config: GradeConfig,
    assignment: str | None,
    scheduler: Any,
    finish: Callable[[dict[str, Any]], None],
) -> None:
    try:
        import distributed
    except ImportError:
        raise ConfigurationError(
            "grading on a Dask scheduler needs the dask extra",
            hint='pip install "course-grader[dask]"',
        ) from None
    try:
        client = distributed.Client(scheduler)
    except (OSError, TimeoutError) as exc:
        raise ConfigurationError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
    with client:
        # As in the local pool: one torch thread per grading; the workers' cores go to parallel gradings.
        client.run(_init_worker, 1)
        # Paths leave this machine: absolute, and checked where they will be read.
        todo = [(student, Path(os.path.abspath(path))) for student, path in todo]  # symlinks stay links
        unseen = {
            worker: where
            for worker, where in client.run(_missing_paths, [str(path) for _, path in todo]).items()
            if where
        }
        if unseen:
            worker, where = next(iter(unseen.items()))
            raise ConfigurationError(
                f"{len(unseen)} Dask worker(s) cannot see the submissions "
                f"(e.g. on {worker}, {where[0]} does not exist)",
                hint="put the submissions on a filesystem every worker mounts at the same path",
            )
        students = [student for student, _ in todo]
        futures = client.map(
            grade_one,
            students,
            [str(path) for _, path in todo],
            [config] * len(todo),
            [assignment] * len(todo),
            pure=False,
            key=[f"grade-{student}-{os.urandom(4).hex()}" for student in students],
        )
        where = {future.key: (student, path) for future, (student, path) in zip(futures, todo)}
        for future in distributed.as_completed(futures):
            student, path = where[future.key]
            try:
                row = future.result()
            except Exception as exc:  # a worker lost or a grader bug: an error row, retried next run
                row = _failed_row(student, path, config, assignment, exc)
            finish(row)
