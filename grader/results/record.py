"""The typed record of a class's results: one Row per student and assignment, and the file boundary.

Grading produces AssignmentResults (grader.results.verdicts); a batch stores each submission's results as
Gradescope's results.json. Everything that reads results afterwards (feedback pages, the gradebook, the class
summary, the LMS and nbgrader exports, the command line) reads Rows. Gradescope's JSON is written by
grader.results.report and read back into Rows only here, so no other module parses `assignment:test` or
digs through `extra_data`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from grader.assignments import ASSIGNMENTS
from grader.results.diagnosis import Diagnosis, Match
from grader.results.verdicts import AssignmentResult, TestResult, Verdict

__all__ = ["Row", "Status", "missing_row", "rows_from_json", "rows_of", "test_from_json"]


class Status(str, enum.Enum):
    """What a row holds: a score (whatever it is), a submission that cannot be graded (the student's to fix,
    kept on resume), a failure of the grader (not kept: a re-run tries again), or no submission at all."""

    GRADED = "graded"
    ERROR = "error"
    GRADER_ERROR = "grader-error"
    MISSING = "missing"


@dataclass(frozen=True)
class Row:
    """One student's result on one assignment."""

    student: str
    assignment: str
    status: Status
    score: float = 0.0
    max_score: float = 0.0
    tests: tuple[TestResult, ...] = ()
    error: str = ""  # why it could not be graded, for the student
    output: str = ""  # the report's lines for this assignment: seed, what was graded and ignored, warnings
    diagnosis: Diagnosis | None = None
    seconds: float = 0.0
    submission: str = ""  # the folder or file graded, as the batch found it

    @property
    def graded(self) -> bool:
        return self.status is Status.GRADED


def rows_of(results: Sequence[AssignmentResult], *, student: str = "", output: str = "") -> list[Row]:
    """The rows of one submission graded just now (no JSON in between)."""
    return [
        Row(
            student=student,
            assignment=result.assignment,
            status=Status.GRADED,
            score=result.score,
            max_score=result.max_score,
            tests=result.tests,
            output=output,
            diagnosis=result.diagnosis,
            seconds=result.duration,
        )
        for result in results
    ]


def missing_row(student: str, assignment: str, max_score: float) -> Row:
    """The row of a student who handed in nothing for `assignment`."""
    message = f"no submission for {assignment}"
    return Row(student, assignment, Status.MISSING, max_score=max_score, error=message, output=message)


def test_from_json(test: Mapping[str, Any]) -> TestResult:
    """One test of a results.json: its `number` is `assignment:test`, its `extra_data` holds the verdict."""
    extra = test.get("extra_data") or {}
    number = str(test.get("number") or test.get("name") or "")
    assignment, _, name = number.rpartition(":")
    verdict = extra.get("verdict") or ("passed" if test.get("status") == "passed" else "failed")
    has_message = "message" in extra
    return TestResult(
        name=name,
        title=str(test.get("name") or name),
        max_score=float(test.get("max_score") or 0),
        score=float(test.get("score") or 0),
        verdict=Verdict(verdict),
        message=str(extra["message"] if has_message else test.get("output") or ""),
        hint=str(extra.get("hint") or ""),
        output=str(extra.get("student_output") or ""),
        duration=float(extra.get("seconds") or 0),
        visibility=str(test.get("visibility") or "visible"),
        figures=tuple(f for f in extra.get("figures") or () if isinstance(f, dict)),
        assignment=assignment,
    )


def _diagnosis_from_json(data: Mapping[str, Any] | None) -> Diagnosis | None:
    if not data:
        return None
    matches = tuple(
        Match(
            names=tuple(m.get("names") or ()),
            description=str(m.get("description", "")),
            tests=tuple(m.get("tests") or ()),
            hints=tuple(m.get("hints") or ()),
        )
        for m in data.get("matches") or ()
    )
    return Diagnosis(matches, tuple(data.get("unexplained") or ()), tuple(data.get("not_implemented") or ()))


def rows_from_json(results: Mapping[str, Any]) -> list[Row]:
    """The rows of one stored results.json (Gradescope's format, plus the batch's `student`, `status`,
    `error`, `submission` and `seconds`): one per assignment it holds.

    The assignments and their totals are the results' `extra_data.assignments`, else those of the tests'
    numbers. A submission that could not be graded gives one row with its error, for the assignment it was
    graded as, else the one its folder is named after (nbgrader's `<student>/<assignment>/`), else "".
    """
    tests = [test_from_json(test) for test in results.get("tests") or ()]
    totals: dict[str, Mapping[str, Any]] = dict((results.get("extra_data") or {}).get("assignments") or {})
    for test in tests:
        totals.setdefault(test.assignment, {})
    student = str(results.get("student") or "")
    status = Status(results.get("status") or Status.GRADED)
    common = {
        "student": student,
        "status": status,
        "error": str(results.get("error") or ""),
        "seconds": float(results.get("seconds") or 0),
        "submission": str(results.get("submission") or ""),
    }
    if not totals:
        folder = PurePath(common["submission"]).name
        named = results.get("assignment") or (folder if folder in ASSIGNMENTS else "")
        output = str(results.get("output") or "")
        score, max_score = float(results.get("score") or 0), float(results.get("max_score") or 0)
        return [Row(assignment=str(named), score=score, max_score=max_score, output=output, **common)]
    output_lines = str(results.get("output") or "").splitlines()
    rows = []
    for assignment, total in totals.items():
        own = tuple(test for test in tests if test.assignment == assignment)
        others = tuple(f"{name}: " for name in totals if name != assignment)
        lines = [line.removeprefix(f"{assignment}: ") for line in output_lines if not line.startswith(others)]
        rows.append(
            Row(
                assignment=assignment,
                score=float(total.get("score", sum(test.score for test in own))),
                max_score=float(total.get("max_score", sum(test.max_score for test in own))),
                tests=own,
                output="\n".join(lines),
                diagnosis=_diagnosis_from_json(total.get("diagnosis")),
                **common,
            )
        )
    return rows
