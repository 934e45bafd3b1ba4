"""The closed set of verdicts and the record kept for each graded test."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.results.diagnosis import Diagnosis


class Verdict(enum.Enum):
    """What happened in one test; the order is the precedence when a test has several outcomes."""

    INTERNAL_ERROR = "internal error"
    NOT_RUN = "not run"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory limit"
    CRASHED = "crashed"
    ERROR = "error"
    FAILED = "failed"
    PARTIAL = "partial"
    PASSED = "passed"

    @property
    def symbol(self) -> str:
        return {"passed": "✓", "partial": "◐"}.get(self.value, "✗")


class GradingFailure(AssertionError):
    """A check that did not hold; `message` is for the student, `hint` suggests the usual cause."""

    verdict = Verdict.FAILED  # the verdict of the test it ends (the sandbox's failures carry theirs too)

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    @property
    def feedback(self) -> str:
        return self.message


VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


@dataclass(frozen=True)
class TestResult:
    """One hidden test, graded: points, verdict, the student-facing message and the instructor-only detail."""

    name: str
    title: str
    max_score: float
    score: float
    verdict: Verdict
    message: str = ""
    hint: str = ""
    output: str = ""
    duration: float = 0.0
    visibility: str = "visible"
    detail: str = ""
    parts: tuple[tuple[str, float, bool, str], ...] = field(default_factory=tuple)
    figures: tuple[dict, ...] = field(default_factory=tuple)
    assignment: str = ""

    @property
    def number(self) -> str:
        """`assignment:name`, the test's id across assignments (Gradescope's `number`)."""
        return f"{self.assignment}:{self.name}" if self.assignment else self.name


@dataclass(frozen=True)
class AssignmentResult:
    """All tests of one assignment for one submission."""

    assignment: str
    tests: tuple[TestResult, ...]
    seed: int
    isolation: str
    device: str
    duration: float
    notes: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    graded_files: dict[str, str] = field(default_factory=dict)  # module -> path in the upload
    ignored_files: dict[str, tuple[str, ...]] = field(default_factory=dict)  # reason -> paths
    diagnosis: Diagnosis | None = None  # the known mistakes the results point to; None without a catalogue

    @property
    def score(self) -> float:
        return round(sum(test.score for test in self.tests), 4)

    @property
    def max_score(self) -> float:
        return round(sum(test.max_score for test in self.tests), 4)
