"""The hidden suite's fixtures: the submission, seeds and generators, the device, partial credit, figures.

They are plain module-level pytest fixtures, so `pytest --fixtures` lists them with their docstrings wherever
this module is loaded (grader/hidden/pytest.ini loads it). What they need from the grader (the student's
code, the grading seed, the device) is in `config.stash[GRADING]`, set by GradingPlugin; what a test records
(its parts, its figures) is kept in the test's own stash, where the plugin reads it when it scores the test.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import pytest
import torch

from grader.grading.plugin.markers import MARKS
from grader.grading.plugin.scoring import Parts
from grader.grading.student import StudentCode
from grader.results.figures import Figures


@dataclass(frozen=True)
class Grading:
    """What the fixtures take from the grader: the submission, the grading seed (`--seed`), the device."""

    code: StudentCode
    seed: int
    device: str


GRADING = pytest.StashKey[Grading]()  # config.stash: set by GradingPlugin
PARTS = pytest.StashKey[Parts]()  # item.stash: the test's named parts, when it asked for `check`
FIGURES = pytest.StashKey[Figures]()  # item.stash: the test's figures, when it asked for `figure`


def per_test_seed(seed: int, nodeid: str) -> int:
    """The seed of one test: a stable function of the grading seed and the test's id."""
    return zlib.crc32(f"{seed}:{nodeid}".encode()) & 0x7FFFFFFF


def _grading(request: pytest.FixtureRequest) -> Grading:
    grading = request.config.stash.get(GRADING, None)
    if grading is None:
        raise RuntimeError(
            f"the `{request.fixturename}` fixture is the grader's: run the hidden suite with `grader run`"
        )
    return grading


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> int:
    """This test's seed: a stable function of the grading seed (`--seed`) and the test's id."""
    return per_test_seed(_grading(request).seed, request.node.nodeid)


@pytest.fixture
def gen(seed: int) -> torch.Generator:
    """A torch.Generator seeded with this test's `seed`: draw every random input from it."""
    return torch.Generator().manual_seed(seed)


@pytest.fixture
def device(request: pytest.FixtureRequest) -> str:
    """The device student code runs on (`--device`): "cpu", "cuda" or "cuda:N"."""
    return _grading(request).device


@pytest.fixture
def student(request: pytest.FixtureRequest, seed: int) -> StudentCode:
    """The submission through the sandbox: `student.<module>.<function>(...)` returns plain values.

    Calls are limited by the test's `timeout` marker; the sandbox's random state is seeded with `seed`.
    """
    code = _grading(request).code
    marks = request.node.stash.get(MARKS, None)
    code.timeout = marks.timeout if marks else None
    code.remember_timeouts = not (marks and marks.speed)
    code.sandbox.set_seed(seed)
    return code


@pytest.fixture
def check(request: pytest.FixtureRequest) -> Parts:
    """Partial credit: each `with check.part(name, weight):` block is scored on its own."""
    parts = request.node.stash[PARTS] = Parts()
    return parts


@pytest.fixture
def figure(request: pytest.FixtureRequest) -> Figures:
    """Pictures for the feedback page: `figure.add(...)`, or gather data inside `figure.attempt()`."""
    figures = request.node.stash[FIGURES] = Figures()
    return figures
