"""Grade a submission: stage it, start its sandbox, run the hidden suite in this process, collect verdicts."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from grader.assignments import PACKAGE_ROOT
from grader.errors import ConfigurationError, IsolationError
from grader.grading.config import DEFAULTS, GradeConfig
from grader.grading.plugin import GradingPlugin
from grader.grading.sandbox import IsolationLevel, Sandbox, choose_level
from grader.grading.staging import Source, StagedSubmission, find_sources, stage
from grader.grading.student import StudentCode
from grader.results.diagnosis import diagnose_result
from grader.results.verdicts import AssignmentResult, TestResult

PYTEST_INI = PACKAGE_ROOT / "hidden" / "pytest.ini"

Progress = Callable[[str, int, int, TestResult], None]


@contextlib.contextmanager
def _pinned_pytest_environment() -> Iterator[None]:
    """No third-party plugin autoload and no PYTEST_ADDOPTS: the hidden suite runs as the grader says."""
    saved = {key: os.environ.get(key) for key in ("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_ADDOPTS")}
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.environ.pop("PYTEST_ADDOPTS", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_suite(
    staged: StagedSubmission,
    *,
    config: GradeConfig,
    level: IsolationLevel,
    progress: Progress | None = None,
    select: str | None = None,
    deadline: float | None = None,
    source: Source | None = None,
) -> AssignmentResult:
    """Run the hidden suite of `staged.assignment` against the staged submission.

    Student code is not called after `deadline` (time.monotonic(); default: the config's budget from now).
    """
    assignment = staged.assignment
    started = time.perf_counter()
    sandbox = Sandbox(staged.work_dir, level=level, limits=config.limits())
    code = StudentCode(sandbox, assignment.name, staged.present, staged.imports)
    code.set_budget(config.budget, time.monotonic() + config.budget if deadline is None else deadline)
    plugin = GradingPlugin(
        student=code,
        seed=config.seed,
        device=config.device,
        default_visibility=config.visibility,
        progress=(lambda done, total, result: progress(assignment.name, done, total, result))
        if progress
        else None,
    )
    args = [
        str(assignment.suite_dir),
        "-c", str(PYTEST_INI),
        "--rootdir", str(assignment.suite_dir),
        "--import-mode=importlib",
        "--assert=plain",
        "-p", "no:cacheprovider",
        "-p", "no:terminal",
        "-p", "no:faulthandler",
    ]  # fmt: skip
    if select:
        args += ["-k", select]
    sandbox.spawn()
    try:
        with _pinned_pytest_environment():
            exit_code = pytest.main(args, plugins=[plugin])
    finally:
        sandbox.close()
    if plugin.configuration_errors:
        raise ConfigurationError(
            f"the hidden suite of {assignment.name} is broken: " + "; ".join(plugin.configuration_errors)
        )
    if exit_code == pytest.ExitCode.NO_TESTS_COLLECTED and select:
        raise ConfigurationError(
            f"no hidden test of {assignment.name} matches -k {select}",
            hint="-k takes a pytest expression over test names, e.g. -k 'softmax and not grad'",
        )
    if exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or not plugin.results:
        raise ConfigurationError(
            f"the hidden suite of {assignment.name} did not run (pytest exit {exit_code})"
        )
    return AssignmentResult(
        assignment=assignment.name,
        tests=tuple(replace(test, assignment=assignment.name) for test in plugin.results),
        seed=config.seed,
        isolation=level.value,
        device=config.device,
        duration=time.perf_counter() - started,
        notes=() if level is IsolationLevel.NAMESPACES else (level.description,),
        timings={"child_starts": float(sandbox.starts), "child_start_seconds": sandbox.start_seconds},
        graded_files=dict(source.graded) if source else {},
        ignored_files=dict(source.ignored) if source else {},
        diagnosis=diagnose_result(assignment.name, plugin.results),
    )


def check_device(device: str) -> None:
    """A ConfigurationError unless `device` is cpu, or a CUDA device this machine has."""
    import torch

    if device == "cpu":
        return
    if not device.startswith("cuda") or not torch.cuda.is_available():
        raise ConfigurationError(
            f"cannot grade on device {device!r}: "
            + ("CUDA is not available here" if device.startswith("cuda") else "use cpu or cuda[:N]"),
            hint="`grader doctor` lists the devices",
        )


def grade(
    path: Path,
    *,
    config: GradeConfig = DEFAULTS,
    assignment: str | None = None,
    progress: Progress | None = None,
    select: str | None = None,
) -> list[AssignmentResult]:
    """Grade every assignment found at `path`; raises a GraderError when it cannot grade at all."""
    check_device(config.device)
    config.limits()  # a bad --run-as is a configuration error before any staging
    sources: list[Source] = find_sources(Path(path), assignment)
    level = choose_level(config.isolation)
    if config.isolation == "strict" and level is not IsolationLevel.NAMESPACES:
        raise IsolationError("strict isolation was required but is not available")
    deadline = time.monotonic() + config.budget  # one budget for the whole submission
    results = []
    for source in sources:
        with tempfile.TemporaryDirectory(prefix="grader-") as scratch:
            staged = stage(source, Path(scratch))
            results.append(
                run_suite(
                    staged,
                    config=config,
                    level=level,
                    progress=progress,
                    select=select,
                    deadline=deadline,
                    source=source,
                )
            )
    return results
