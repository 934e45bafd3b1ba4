"""Run the public tests of this assignment folder and print a summary: `python check.py`.

This file is copied unchanged into every assignment of the student release as `check.py`. It needs only
Python, pytest and what your code imports; it holds no answers and no hidden tests. The grader's own
`grader check` runs this same file.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parent


class _Collector:
    def __init__(self) -> None:
        self.outcomes: list[tuple[str, str, str]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            message = ""
            if report.failed:
                lines = [line for line in str(report.longrepr).splitlines() if line.strip()]
                errors = [line for line in lines if line.startswith("E ")]
                message = "\n".join((errors or lines)[-6:])
            self.outcomes.append((report.nodeid.split("::", 1)[-1], report.outcome, message))


def main(folder: Path = FOLDER) -> int:
    """Run `folder/tests`, print one line per test and the failures' messages; 0 when all pass."""
    collector = _Collector()
    options = ["-qq", "--tb=short", "--no-summary", "-p", "no:cacheprovider", "-o", "addopts=", "--rootdir"]
    code = pytest.main([str(folder / "tests"), *options, str(folder)], plugins=[collector])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        print(
            f"the public tests could not run (pytest exit code {int(code)}); "
            "run `python -m pytest tests` to see why"
        )
        return 2
    width = max((len(name) for name, _, _ in collector.outcomes), default=10)
    for name, outcome, message in collector.outcomes:
        mark = "✓" if outcome == "passed" else "✗"
        print(f"{mark} {name:<{width}}  {outcome}")
        if message:
            print(textwrap.indent(message, "      "))
    passed = sum(outcome == "passed" for _, outcome, _ in collector.outcomes)
    print(
        f"\n{passed}/{len(collector.outcomes)} public tests pass in {folder.name}. "
        "The hidden tests check more: passing these is a start, not a grade."
    )
    return 0 if passed == len(collector.outcomes) and collector.outcomes else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else FOLDER))
