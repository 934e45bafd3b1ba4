"""`grader check`: the release's own check runner (`check.py`), run on an assignment folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from grader.errors import SubmissionError
from grader.release import student_check

CHECK_TIMEOUT = 600


def run_public_tests(folder: Path) -> int:
    """Run the public tests of `folder` in a separate process, streaming the summary; returns its status."""
    folder = Path(folder).resolve()
    if not (folder / "tests").is_dir():
        raise SubmissionError(
            f"{folder} has no tests/ folder",
            hint="run `grader check` inside an assignment folder, e.g. assignments/hw1_attention",
        )
    try:
        completed = subprocess.run(
            [sys.executable, student_check.__file__, str(folder)],
            cwd=folder,
            timeout=CHECK_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SubmissionError(f"the public tests in {folder} ran for more than {CHECK_TIMEOUT} s") from None
    return completed.returncode
