"""The hidden suite's markers: registered with pytest, read once per test at collection, checked there.

    @pytest.mark.points(n)                     what the test is worth (required; a suite totals its points)
    @pytest.mark.visibility("hidden")          Gradescope's values: visible, hidden, after_due_date,
                                               after_published (default: the grading config's)
    @pytest.mark.timeout(seconds, speed=False) the limit of each call into student code; `speed=True` when
                                               the limit is what the test checks, so that a function too
                                               slow there is still called in later tests

A marker that is missing or malformed is an error naming the test, found before any test runs (pytest's
own markers are checked the same way, at collection: `--strict-markers`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pytest

from grader.results.verdicts import VISIBILITIES

MARKERS = {
    "points": "points(n): the points this test is worth",
    "visibility": "visibility(v): visible, hidden, after_due_date, after_published",
    "timeout": "timeout(seconds, speed=False): the time limit of each sandbox call (speed: it is the check)",
}


@dataclass(frozen=True)
class Marks:
    """What one test's markers say, read and checked at collection."""

    points: float
    visibility: str | None = None  # None: the grading config's default
    timeout: float | None = None  # None: the sandbox's default per-call limit
    speed: bool = False  # the time limit is the check: a timeout here is not remembered for later tests


MARKS = pytest.StashKey[Marks]()  # item.stash[MARKS]: set for every test that is graded


class MarkerError(ValueError):
    """A test whose markers the grader cannot use; the message names the test."""


def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS.values():
        config.addinivalue_line("markers", line)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def read(item: pytest.Item) -> Marks:
    """The markers of `item`, checked; a MarkerError naming the test when one cannot be used."""
    points_marker = item.get_closest_marker("points")
    if points_marker is None or not points_marker.args:
        raise MarkerError(f"{item.nodeid} has no points(n) marker")
    points = _number(points_marker.args[0])
    if points is None or points < 0:
        raise MarkerError(f"{item.nodeid} has points({points_marker.args[0]!r}): n must be a number >= 0")
    visibility = None
    visibility_marker = item.get_closest_marker("visibility")
    if visibility_marker is not None:
        one_of = ", ".join(VISIBILITIES)
        if not visibility_marker.args:
            raise MarkerError(f"{item.nodeid} has visibility() with no value: use one of {one_of}")
        visibility = visibility_marker.args[0]
        if visibility not in VISIBILITIES:
            raise MarkerError(f"{item.nodeid} has an unknown visibility {visibility}: use one of {one_of}")
    timeout = None
    speed = False
    timeout_marker = item.get_closest_marker("timeout")
    if timeout_marker is not None:
        timeout = _number(timeout_marker.args[0]) if timeout_marker.args else None
        if timeout is None or timeout <= 0:
            shown = ", ".join(repr(arg) for arg in timeout_marker.args)
            raise MarkerError(f"{item.nodeid} has timeout({shown}): seconds must be a number > 0")
        speed = bool(timeout_marker.kwargs.get("speed", False))
    return Marks(points=points, visibility=visibility, timeout=timeout, speed=speed)


def check(items: list[pytest.Item], total_points: float) -> list[str]:
    """Read every test's markers into its stash; the errors, one sentence each (none: the suite is usable).

    Besides each test's own markers, the points must add up to `total_points`.
    """
    errors = []
    total = 0.0
    for item in items:
        try:
            marks = read(item)
        except MarkerError as exc:
            errors.append(str(exc))
            continue
        item.stash[MARKS] = marks
        total += marks.points
    if items and abs(total - total_points) > 1e-9:
        errors.append(f"the suite's points total {total:g}, not {total_points:g}")
    return errors
