"""The closed set of verdicts and the record kept for each graded test."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


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
class Match:
    """A known mistake the results point to: its catalogue names (several when the evidence cannot tell them
    apart), what it is, the lost tests it explains and the hints of its own that were shown."""

    names: tuple[str, ...]
    description: str
    tests: tuple[str, ...]
    hints: tuple[str, ...]

    @property
    def strong(self) -> bool:
        """Whether a hint of the mistake's own was shown, besides the lost tests."""
        return bool(self.hints)

    def sentence(self) -> str:
        """The match for the student, with its evidence; a match no hint confirms says so."""
        tests = f"{len(self.tests)} of {len(self.tests)} tests it affects were lost"
        if self.hints:
            return (
                f"Your results match a known mistake: {self.description} ({tests}, and its hint was shown "
                f"({self.hints[0]}))."
            )
        return (
            f"Your results are consistent with a known mistake: {self.description} ({tests}; "
            "no hint confirms it)."
        )


@dataclass(frozen=True)
class Diagnosis:
    """What a submission's lost tests point to."""

    matches: tuple[Match, ...]
    unexplained: tuple[str, ...]
    not_implemented: tuple[str, ...]

    def lines(self) -> list[str]:
        """The diagnosis as sentences for the student (empty when nothing was lost)."""
        lines = [match.sentence() for match in self.matches]
        if self.not_implemented:
            lines.append(
                f"{len(self.not_implemented)} tests lost points because a function is not implemented yet."
            )
        if self.unexplained:
            shown = ", ".join(self.unexplained[:5]) + (", ..." if len(self.unexplained) > 5 else "")
            lines.append(
                f"No known mistake explains {len(self.unexplained)} lost tests ({shown}): "
                "read their messages."
            )
        return lines

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record (results.json keeps it under the assignment's extra_data)."""
        return {
            "matches": [
                {
                    "names": list(m.names),
                    "description": m.description,
                    "tests": list(m.tests),
                    "hints": list(m.hints),
                }
                for m in self.matches
            ],
            "unexplained": list(self.unexplained),
            "not_implemented": list(self.not_implemented),
            "lines": self.lines(),
        }


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
