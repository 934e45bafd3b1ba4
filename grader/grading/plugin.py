"""The pytest plugin that turns a hidden suite's tests into scored, student-readable verdicts.

Markers: `points(n)` (required on every test; a suite totals 100), `visibility(...)` (Gradescope's
values), `timeout(seconds, speed=False)` (per sandbox call; `speed=True` when the limit is what the test
checks, so that a function too slow there is still called in later tests). Fixtures: `student` (the
submission, through the sandbox), `seed` and `gen` (per-test seed and torch generator derived from the
grading seed), `check` (named parts for partial credit), `device`, `figure` (pictures for the feedback page;
see grader.results.figures).
"""

from __future__ import annotations

import contextlib
import time
import traceback
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
import torch

from grader.grading.sandbox import (
    BadAnswer,
    BudgetSpent,
    CallTimeout,
    ChildDied,
    MemoryLimit,
    SandboxFailure,
    StudentRaised,
)
from grader.grading.student import ImportFailed, NotImplementedYet, StudentCode
from grader.results.figures import Figures
from grader.results.verdicts import VISIBILITIES, GradingFailure, TestResult, Verdict

INTERNAL_MESSAGE = "the grader hit an internal error in this test; your instructor can see the details"
TIMEOUT_HINT = "look for an infinite loop or needless work in a hot loop"
BUDGET_HINT = "the tests before this one took most of the time: look at the ones that timed out"


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
    """Named parts of one test, each worth a share of its points (partial credit)."""

    parts: list[Part] = field(default_factory=list)

    @contextlib.contextmanager
    def part(self, name: str, weight: float = 1.0) -> Iterator[None]:
        try:
            yield
        except (GradingFailure, SandboxFailure) as exc:
            verdict, message, hint, _ = classify(exc)
            self.parts.append(Part(name, weight, False, message, verdict, hint))
        else:
            self.parts.append(Part(name, weight, True, "", Verdict.PASSED))


def classify(exc: BaseException) -> tuple[Verdict, str, str, str]:
    """(verdict, student message, hint, instructor detail) for an exception raised by a test."""
    if isinstance(exc, GradingFailure):
        return Verdict.FAILED, exc.message, exc.hint, ""
    if isinstance(exc, NotImplementedYet):
        return Verdict.FAILED, str(exc), "", ""
    if isinstance(exc, ImportFailed):
        if exc.cause is not None:
            verdict = classify(exc.cause)[0]
            return verdict, str(exc), "", ""
        return Verdict.ERROR, _with_traceback(str(exc), exc.student_traceback), "", ""
    if isinstance(exc, StudentRaised):
        message = f"your code raised {exc.error_type}: {exc.error_message}"
        return Verdict.ERROR, _with_traceback(message, exc.student_traceback), "", ""
    if isinstance(exc, BudgetSpent):
        return (Verdict.TIMEOUT if exc.started else Verdict.NOT_RUN), str(exc), BUDGET_HINT, ""
    if isinstance(exc, CallTimeout):
        return Verdict.TIMEOUT, str(exc), TIMEOUT_HINT, ""
    if isinstance(exc, MemoryLimit):
        return Verdict.MEMORY_LIMIT, str(exc), "", ""
    if isinstance(exc, ChildDied):
        return Verdict.CRASHED, str(exc), "do not call exit() or os._exit() in submitted code", ""
    if isinstance(exc, (BadAnswer, SandboxFailure)):
        return Verdict.ERROR, str(exc), "", ""
    if isinstance(exc, AssertionError):
        return Verdict.FAILED, str(exc) or "a check failed", "", ""
    detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return Verdict.INTERNAL_ERROR, INTERNAL_MESSAGE, "", detail


def _with_traceback(message: str, student_traceback: str) -> str:
    if not student_traceback.strip():
        return message
    return f"{message}\nTraceback (your code, most recent call last):\n{student_traceback}"


def test_seed(seed: int, nodeid: str) -> int:
    """The seed of one test: a stable function of the grading seed and the test's id."""
    return zlib.crc32(f"{seed}:{nodeid}".encode()) & 0x7FFFFFFF


class GradingPlugin:
    def __init__(
        self,
        *,
        student: StudentCode,
        seed: int,
        device: str,
        default_visibility: str = "visible",
        progress: Callable[[int, int, TestResult], None] | None = None,
        total_points: float = 100.0,
    ) -> None:
        self.code = student
        self.grading_seed = seed
        self.device_name = device
        self.default_visibility = default_visibility
        self.progress = progress
        self.total_points = total_points
        self.results: list[TestResult] = []
        self.configuration_errors: list[str] = []
        self.collected = 0
        self._parts: dict[str, Parts] = {}
        self._figures: dict[str, Figures] = {}
        self._started: dict[str, float] = {}

    # -- configuration ---------------------------------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "points(n): the points this test is worth")
        config.addinivalue_line("markers", "visibility(v): visible, hidden, after_due_date, after_published")
        config.addinivalue_line(
            "markers",
            "timeout(seconds, speed=False): the time limit of each sandbox call (speed: it is the check)",
        )

    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list
    ) -> None:
        total = 0.0
        for item in items:
            marker = item.get_closest_marker("points")
            if marker is None or not marker.args or float(marker.args[0]) < 0:
                self.configuration_errors.append(f"{item.nodeid} has no points(n) marker")
                continue
            total += float(marker.args[0])
            visibility = item.get_closest_marker("visibility")
            if visibility is not None and visibility.args[0] not in VISIBILITIES:
                self.configuration_errors.append(
                    f"{item.nodeid} has an unknown visibility {visibility.args[0]}"
                )
        if items and abs(total - self.total_points) > 1e-9:
            self.configuration_errors.append(f"the suite's points total {total:g}, not {self.total_points:g}")
        if self.configuration_errors:
            items.clear()
        self.collected = len(items)

    # -- fixtures --------------------------------------------------------------------------------
    @pytest.fixture
    def seed(self, request: pytest.FixtureRequest) -> int:
        """This test's seed: a stable function of the grading seed (`--seed`) and the test's id."""
        return test_seed(self.grading_seed, request.node.nodeid)

    @pytest.fixture
    def gen(self, seed: int) -> torch.Generator:
        """A torch.Generator seeded with this test's `seed`: draw every random input from it."""
        return torch.Generator().manual_seed(seed)

    @pytest.fixture
    def device(self) -> str:
        """The device student code runs on (`--device`): "cpu", "cuda" or "cuda:N"."""
        return self.device_name

    @pytest.fixture
    def student(self, request: pytest.FixtureRequest, seed: int) -> StudentCode:
        """The submission through the sandbox: `student.<module>.<function>(...)` returns plain values.

        Calls are limited by the test's `timeout` marker; the sandbox's random state is seeded with `seed`.
        """
        marker = request.node.get_closest_marker("timeout")
        self.code.timeout = float(marker.args[0]) if marker else None
        self.code.remember_timeouts = not (marker and marker.kwargs.get("speed", False))
        self.code.sandbox.set_seed(seed)
        return self.code

    @pytest.fixture
    def check(self, request: pytest.FixtureRequest) -> Parts:
        """Partial credit: each `with check.part(name, weight):` block is scored on its own."""
        parts = Parts()
        self._parts[request.node.nodeid] = parts
        return parts

    @pytest.fixture
    def figure(self, request: pytest.FixtureRequest) -> Figures:
        """Pictures for the feedback page: `figure.add(...)`, or gather data inside `figure.attempt()`."""
        figures = Figures()
        self._figures[request.node.nodeid] = figures
        return figures

    # -- results ---------------------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self._started[item.nodeid] = time.perf_counter()
        self.code.sandbox.take_output()
        if self.code.budget_spent:  # before any fixture runs: the test is recorded as not run, at once
            raise BudgetSpent(self.code.budget or 0.0, started=False)

    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        self.code.sandbox.reap()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
        yield
        if call.when == "call" or (call.when == "setup" and call.excinfo is not None):
            self._record(item, call)

    def _record(self, item: pytest.Item, call: pytest.CallInfo) -> None:
        points = float(item.get_closest_marker("points").args[0])
        visibility_marker = item.get_closest_marker("visibility")
        visibility = visibility_marker.args[0] if visibility_marker else self.default_visibility
        doc = (getattr(item, "function", None).__doc__ or "").strip().splitlines()
        title = doc[0].strip() if doc else item.name
        parts = self._parts.pop(item.nodeid, None)
        figures = self._figures.pop(item.nodeid, None)
        message = hint = detail = ""
        part_records: tuple = ()
        if call.excinfo is not None:
            verdict, message, hint, detail = classify(call.excinfo.value)
            score = 0.0
        elif parts is not None and parts.parts:
            weight = sum(p.weight for p in parts.parts)
            earned = sum(p.weight for p in parts.parts if p.passed)
            score = points * earned / weight if weight else 0.0
            failed = [p for p in parts.parts if not p.passed]
            if not failed:
                verdict = Verdict.PASSED
            elif earned > 0:
                verdict = Verdict.PARTIAL
            else:
                verdict = min((p.verdict for p in failed), key=list(Verdict).index)
            message = "\n".join(f"[{p.name}] {p.message}" for p in failed)
            hint = next((p.hint for p in failed if p.hint), "")
            part_records = tuple((p.name, p.weight, p.passed, p.message) for p in parts.parts)
        else:
            verdict, score = Verdict.PASSED, points
        result = TestResult(
            name=item.name,
            title=title,
            max_score=points,
            score=round(score, 4),
            verdict=verdict,
            message=message,
            hint=hint,
            output=self.code.sandbox.take_output(),
            duration=time.perf_counter() - self._started.get(item.nodeid, time.perf_counter()),
            visibility=visibility,
            detail=detail,
            parts=part_records,
            figures=tuple(figures.items) if figures else (),
        )
        self.results.append(result)
        if self.progress is not None:
            self.progress(len(self.results), self.collected, result)
