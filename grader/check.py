"""`grader check`: the public tests of an assignment folder, run for a student with a readable summary."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .errors import SubmissionError

CHECK_TIMEOUT = 600


@dataclass(frozen=True)
class PublicTest:
    name: str
    passed: bool
    message: str


@dataclass(frozen=True)
class CheckOutcome:
    folder: Path
    tests: tuple[PublicTest, ...]
    output: str

    @property
    def ok(self) -> bool:
        return bool(self.tests) and all(test.passed for test in self.tests)


def _first_lines(text: str, count: int = 6) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[-count:])


def run_public_tests(folder: Path) -> CheckOutcome:
    """Run `folder/tests` with pytest in a separate process (the student's own code, their own machine)."""
    folder = Path(folder).resolve()
    if not (folder / "tests").is_dir():
        raise SubmissionError(
            f"{folder} has no tests/ folder",
            hint="run `grader check` inside an assignment folder, e.g. assignments/hw1_attention",
        )
    with tempfile.TemporaryDirectory(prefix="grader-check-") as scratch:
        junit = Path(scratch) / "junit.xml"
        command = [
            sys.executable,
            "-m",
            "pytest",
            "tests",
            "-p",
            "no:cacheprovider",
            "-q",
            f"--junitxml={junit}",
            "-o",
            "junit_family=xunit1",
        ]
        try:
            completed = subprocess.run(
                command, cwd=folder, capture_output=True, text=True, timeout=CHECK_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            raise SubmissionError(
                f"the public tests in {folder} ran for more than {CHECK_TIMEOUT} s"
            ) from None
        output = completed.stdout + completed.stderr
        if not junit.exists():
            raise SubmissionError(f"the public tests in {folder} could not run:\n{_first_lines(output, 20)}")
        tests = []
        for case in ElementTree.parse(junit).getroot().iter("testcase"):
            problem = next((child for child in case if child.tag in ("failure", "error")), None)
            message = ""
            if problem is not None:
                message = _first_lines(problem.text or problem.get("message", ""))
            tests.append(PublicTest(case.get("name", "?"), problem is None, message))
    return CheckOutcome(folder, tuple(tests), output)


def render_check(outcome: CheckOutcome, console: Console) -> None:
    table = Table(title=f"public tests: {outcome.folder.name}", title_justify="left")
    table.add_column("test", overflow="fold")
    table.add_column("status")
    table.add_column("message", overflow="fold")
    for test in outcome.tests:
        status = Text("✓ passed", style="green") if test.passed else Text("✗ failed", style="red")
        table.add_row(test.name, status, test.message)
    console.print(table)
    passed = sum(test.passed for test in outcome.tests)
    console.print(
        f"[bold]{passed}/{len(outcome.tests)} public tests pass.[/bold] "
        "The hidden tests check more; passing these is a start, not a grade."
    )
