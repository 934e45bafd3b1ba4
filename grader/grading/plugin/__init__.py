"""The pytest plugin that turns a hidden suite's tests into scored, student-readable verdicts.

Split along pytest's lines, one concern a module:
    markers    points / visibility / timeout: registered, read into each test's stash and checked at
               collection (a suite that is not usable is refused, naming the test, before anything runs)
    fixtures   student, seed, gen, device, check, figure (`pytest --fixtures` documents them)
    scoring    from the exception that ended a test (it carries its verdict) or its parts to a TestResult
GradingPlugin wires them for one run of a hidden suite: `pytest.main(args, plugins=[GradingPlugin(...)])`,
then read `results` (one TestResult per test run, in order) and `configuration_errors`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from grader.grading.plugin import fixtures, markers
from grader.grading.plugin.fixtures import FIGURES, GRADING, PARTS, Grading
from grader.grading.plugin.markers import MARKS
from grader.grading.plugin.scoring import INTERNAL_MESSAGE, Outcome, Parts, outcome, to_result
from grader.grading.sandbox import BudgetSpent
from grader.grading.student import StudentCode
from grader.results.verdicts import TestResult

__all__ = ["INTERNAL_MESSAGE", "GradingPlugin", "Outcome", "Parts", "outcome"]

STARTED = pytest.StashKey[float]()  # item.stash: time.perf_counter() when the test's setup began


class GradingPlugin:
    """Grade one run of a hidden suite against `student`; the results collect in `results`."""

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

    # -- configuration ---------------------------------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[GRADING] = Grading(code=self.code, seed=self.grading_seed, device=self.device_name)
        for module in (markers, fixtures):  # unless the suite's pytest.ini loaded them already (-p)
            if not config.pluginmanager.is_registered(module):
                config.pluginmanager.register(module, module.__name__)

    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        self.configuration_errors.extend(markers.check(items, self.total_points))
        if self.configuration_errors:
            items.clear()
        self.collected = len(items)

    # -- running ---------------------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        item.stash[STARTED] = time.perf_counter()
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

    # -- results ---------------------------------------------------------------------------------
    def _record(self, item: pytest.Item, call: pytest.CallInfo) -> None:
        marks = item.stash[MARKS]
        function = getattr(item, "function", None)
        doc = ((function.__doc__ if function is not None else None) or "").strip().splitlines()
        figures = item.stash.get(FIGURES, None)
        result = to_result(
            name=item.name,
            title=doc[0].strip() if doc else item.name,
            points=marks.points,
            visibility=marks.visibility or self.default_visibility,
            exc=call.excinfo.value if call.excinfo is not None else None,
            parts=item.stash.get(PARTS, None),
            figures=tuple(figures.items) if figures else (),
            output=self.code.sandbox.take_output(),
            duration=time.perf_counter() - item.stash.get(STARTED, time.perf_counter()),
        )
        self.results.append(result)
        if self.progress is not None:
            self.progress(len(self.results), self.collected, result)
