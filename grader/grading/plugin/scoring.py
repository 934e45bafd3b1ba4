"""Scoring: from what happened in one test to its TestResult (verdict, score, the student's message).

The verdict comes from the exception that ended the test, which carries it: `verdict`, `hint` and `feedback`
(the student's message) on GradingFailure and on every sandbox failure (grader.grading.sandbox,
grader.grading.student). A plain `assert` that fails is a failed check; anything else is the grader's own
error: the student reads that the grader failed, the instructor reads the traceback.

Partial credit: the `check` fixture's named parts (`with check.part(name, weight):`) each earn their weight's
share of the test's points; a part that fails with a verdict-carrying exception is recorded, and the test goes
on to its next part.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from grader.results.verdicts import TestResult, Verdict

INTERNAL_MESSAGE = "the grader hit an internal error in this test; your instructor can see the details"
PRECEDENCE = list(Verdict)  # the first verdict in the enum's order wins when several parts fail


class CarriesVerdict(Protocol):
    """An exception that ends a test with a known verdict (GradingFailure, SandboxFailure and their kinds)."""

    verdict: Verdict
    hint: str

    @property
    def feedback(self) -> str: ...


class Outcome(NamedTuple):
    """What an exception makes of a test: verdict, the student's message and hint, the instructor's detail."""

    verdict: Verdict
    message: str
    hint: str = ""
    detail: str = ""


def carries_verdict(exc: BaseException) -> bool:
    return isinstance(getattr(exc, "verdict", None), Verdict)


def outcome(exc: BaseException) -> Outcome:
    """The outcome of a test that raised `exc`."""
    if carries_verdict(exc):
        known: CarriesVerdict = exc  # type: ignore[assignment]
        return Outcome(known.verdict, known.feedback, known.hint)
    if isinstance(exc, AssertionError):
        return Outcome(Verdict.FAILED, str(exc) or "a check failed")
    detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return Outcome(Verdict.INTERNAL_ERROR, INTERNAL_MESSAGE, detail=detail)


@dataclass
class Part:
    name: str
    weight: float
    passed: bool
    message: str
    verdict: Verdict
    hint: str = ""


@dataclass
class Parts:
    """Named parts of one test, each worth a share of its points (partial credit): the `check` fixture."""

    parts: list[Part] = field(default_factory=list)

    @contextlib.contextmanager
    def part(self, name: str, weight: float = 1.0) -> Iterator[None]:
        """Score the block on its own: a failure in it costs `weight` shares, and the test goes on."""
        try:
            yield
        except Exception as exc:
            if not carries_verdict(exc):  # a grader bug or a bare assert ends the whole test
                raise
            verdict, message, hint, _ = outcome(exc)
            self.parts.append(Part(name, weight, False, message, verdict, hint))
        else:
            self.parts.append(Part(name, weight, True, "", Verdict.PASSED))


def score(points: float, exc: BaseException | None, parts: Parts | None) -> tuple[float, Outcome, tuple]:
    """(score, outcome, part records) of a test worth `points` that raised `exc` (None: it returned)."""
    if exc is not None:
        return 0.0, outcome(exc), ()
    if parts is None or not parts.parts:
        return points, Outcome(Verdict.PASSED, ""), ()
    weight = sum(p.weight for p in parts.parts)
    earned = sum(p.weight for p in parts.parts if p.passed)
    failed = [p for p in parts.parts if not p.passed]
    if not failed:
        verdict = Verdict.PASSED
    elif earned > 0:
        verdict = Verdict.PARTIAL
    else:
        verdict = min((p.verdict for p in failed), key=PRECEDENCE.index)
    result = Outcome(
        verdict,
        "\n".join(f"[{p.name}] {p.message}" for p in failed),
        next((p.hint for p in failed if p.hint), ""),
    )
    records = tuple((p.name, p.weight, p.passed, p.message) for p in parts.parts)
    return (points * earned / weight if weight else 0.0), result, records


def to_result(
    *,
    name: str,
    title: str,
    points: float,
    visibility: str,
    exc: BaseException | None,
    parts: Parts | None = None,
    figures: tuple[dict, ...] = (),
    output: str = "",
    duration: float = 0.0,
) -> TestResult:
    """The record of one graded test."""
    earned, (verdict, message, hint, detail), records = score(points, exc, parts)
    return TestResult(
        name=name,
        title=title,
        max_score=points,
        score=round(earned, 4),
        verdict=verdict,
        message=message,
        hint=hint,
        output=output,
        duration=duration,
        visibility=visibility,
        detail=detail,
        parts=records,
        figures=figures,
    )
