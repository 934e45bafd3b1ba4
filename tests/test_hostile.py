"""Hostile and broken submissions, each graded by the real `grader run` command in a subprocess.

Every case must leave the grader exiting 0 with a complete report, a score no higher than the honest
part of the submission deserves, a message that says what went wrong, nothing changed outside the
scratch folder, no process left behind, and no hidden text in what the student sees.
"""

from __future__ import annotations

import ast
import json
import os
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from processes import processes_with, unique_sleep

from grader.assignments import PACKAGE_ROOT, SOLUTIONS_ROOT, get_assignment
from grader.catalogue.variants import Edit, Variant, materialize

HW1 = get_assignment("hw1_attention")
SENTINEL = Path("/tmp") / f"grader-hostile-sentinel-{uuid.uuid4().hex}"
MARKER = unique_sleep()
TORCH_LINE = "import torch\n"

# A listener on the grading host's loopback: the sandbox has its own network namespace and must not reach it.
_HOST_LISTENER = socket.create_server(("127.0.0.1", 0))
HOST_PORT = _HOST_LISTENER.getsockname()[1]


@dataclass(frozen=True)
class Case:
    variant: Variant
    max_score: float
    message: str
    min_score: float = 0.0
    empty: bool = False
    echoes_paths: bool = False  # the student's own messages name grader paths they tried


def stub_with(module: str, text: str) -> dict[str, str]:
    return {module: text}


CASES = [
    Case(Variant("empty-folder", "nothing submitted"), 0, "missing from your submission", empty=True),
    Case(
        Variant("syntax-error", "", base="stub", extra_files=stub_with("softmax.py", "def softmax(x:\n")),
        0,
        "SyntaxError",
    ),
    Case(
        Variant(
            "raises-at-import",
            "",
            base="stub",
            extra_files=stub_with("scores.py", "raise RuntimeError('broken on purpose')\n"),
        ),
        0,
        "broken on purpose",
    ),
    Case(
        Variant(
            "loops-at-import", "", base="stub", extra_files=stub_with("softmax.py", "while True:\n    pass\n")
        ),
        0,
        "time limit",
    ),
    Case(
        Variant(
            "exits-at-import",
            "",
            base="stub",
            extra_files=stub_with("softmax.py", "import os\nos._exit(0)\n"),
        ),
        0,
        "exited with status 0",
    ),
    Case(
        Variant(
            "fake-results-json",
            "",
            base="stub",
            extra_files=stub_with(
                "softmax.py",
                (
                    "import json, sys\n"
                    "print(json.dumps({'score': 100, 'tests': []}))\n"
                    "sys.stdout.flush()\n"
                    "def softmax(x, dim=-1):\n    print('{\"score\": 100}')\n    raise SystemExit(0)\n"
                ),
            ),
        ),
        0,
        "SystemExit",
    ),
    Case(
        Variant(
            "always-equal",
            "",
            base="stub",
            extra_files=stub_with(
                "softmax.py",
                (
                    "class AlwaysEqual:\n"
                    "    def __eq__(self, other):\n        return True\n"
                    "    def __ne__(self, other):\n        return False\n"
                    "def softmax(x, dim=-1):\n    return AlwaysEqual()\n"
                ),
            ),
        ),
        0,
        "cannot read",
    ),
    Case(
        Variant(
            "allocates-10-gib",
            "",
            base="stub",
            extra_files=stub_with(
                "softmax.py", ("import torch\nhog = torch.ones(10 * 1024**3, dtype=torch.uint8)\n")
            ),
        ),
        0,
        "memory limit",
    ),
    Case(
        Variant(
            "conftest-and-sitecustomize",
            "",
            base="stub",
            extra_files={
                "conftest.py": (
                    "import pytest\n@pytest.hookimpl(tryfirst=True)\n"
                    "def pytest_runtest_call(item):\n    return True\n"
                ),
                "sitecustomize.py": (
                    "import builtins\nbuiltins.NotImplementedError = type('X', (Exception,), {})\n"
                ),
                "pytest.ini": "[pytest]\naddopts = -p no:grader\n",
            },
        ),
        0,
        "not implemented yet",
    ),
    Case(
        Variant(
            "reference-that-cheats",
            "correct code that also tries to read the answers and escape",
            edits=(
                Edit(
                    "softmax.py",
                    TORCH_LINE,
                    TORCH_LINE
                    + (
                        "import os, pathlib, subprocess\n"
                        f"for p in [{str(SOLUTIONS_ROOT)!r}, {str(PACKAGE_ROOT / 'hidden')!r}]:\n"
                        "    print('can see' if os.path.exists(p) else 'cannot see', 'the answers')\n"
                        "try:\n"
                        f"    pathlib.Path({str(SENTINEL)!r}).write_text('escaped')\n"
                        "except OSError as exc:\n"
                        "    print('write refused:', exc)\n"
                        f"subprocess.Popen(['sleep', {MARKER!r}], start_new_session=True)\n"
                    ),
                ),
            ),
        ),
        100,
        "",
        min_score=100,
    ),
    Case(
        Variant(
            "reference-that-is-noisy",
            "correct code that prints a lot and leaves a thread running",
            edits=(
                Edit(
                    "attention.py",
                    TORCH_LINE,
                    TORCH_LINE
                    + (
                        "import threading, time\n"
                        "print('debug ' * 100000)\n"
                        "threading.Thread(target=lambda: time.sleep(3600), daemon=False).start()\n"
                    ),
                ),
            ),
        ),
        100,
        "",
        min_score=100,
    ),
]


def stub_case(name: str, module: str, code: str, message: str, echoes_paths: bool = False) -> Case:
    """The untouched stub with `module` replaced by hostile `code`: its honest score is 0."""
    return Case(
        Variant(name, "", base="stub", extra_files={module: code}), 0, message, echoes_paths=echoes_paths
    )


STUB_SOFTMAX = "def softmax(x, dim=-1):\n    raise NotImplementedError\n"
CASES += [
    stub_case(
        "imports-the-reference",
        "softmax.py",
        "from solutions.hw1_attention.softmax import softmax\n",
        "No module named 'solutions'",
    ),
    stub_case(
        "reads-the-hidden-suite",
        "softmax.py",
        f"import pathlib\nprint(pathlib.Path({str(HW1.suite_dir / 'test_softmax.py')!r}).read_text())\n",
        "No such file or directory",
        echoes_paths=True,
    ),
    stub_case(
        "patches-the-comparisons",
        "softmax.py",
        "import numpy, torch\n"
        "torch.allclose = numpy.allclose = lambda *a, **k: True\n"
        "torch.equal = lambda *a, **k: True\n"
        "torch.Tensor.__eq__ = lambda *a, **k: True\n" + STUB_SOFTMAX,
        "not implemented yet",
    ),
    stub_case(
        "reads-the-callers-frame",
        "softmax.py",
        "import sys\n"
        "def softmax(x, dim=-1):\n"
        "    frame = sys._getframe(1)\n"
        "    while frame is not None:\n"
        "        for value in frame.f_locals.values():\n"
        "            if getattr(value, 'shape', None) == x.shape and value is not x:\n"
        "                return value\n"
        "        frame = frame.f_back\n"
        "    return x\n",
        "softmax",
    ),
    stub_case(
        "fork-bomb-at-import",
        "softmax.py",
        "import os, subprocess\nwhile True:\n    subprocess.Popen(['sleep', '1000'])\n",
        "Resource temporarily unavailable",
    ),
    stub_case(
        "writes-a-huge-file",
        "softmax.py",
        "with open('/tmp/huge', 'wb') as f:\n    f.write(b'x' * (1 << 30))\n" + STUB_SOFTMAX,
        "File too large",
    ),
    stub_case(
        "fills-the-scratch-space",
        "softmax.py",
        "chunk = b'x' * (1 << 20)\nfor i in range(10000):\n    open(f'fill-{i}', 'wb').write(chunk)\n",
        "No space left on device",
    ),
    stub_case(
        "reaches-the-network",
        "softmax.py",
        "import socket\n"
        f"socket.create_connection(('127.0.0.1', {HOST_PORT}), timeout=2)\n"
        "raise RuntimeError('reached the grading host')\n",
        "Connection refused",
    ),
    stub_case(
        "signals-the-grader",
        "softmax.py",
        "import os, signal\n"
        "for target in (os.getppid(), 1):\n"
        "    try:\n        os.kill(target, signal.SIGKILL)\n    except OSError as exc:\n        print(exc)\n"
        "os.killpg(0, signal.SIGKILL)\n",
        "killed by signal SIGKILL",
    ),
    stub_case(
        "reads-the-environment",
        "softmax.py",
        "import os\nassert 'GRADER_TEST_SECRET' not in os.environ, 'leaked'\n"
        "raise RuntimeError('environment is clean: ' + ','.join(sorted(os.environ)))\n",
        "environment is clean",
    ),
    stub_case(
        "returns-a-deeply-nested-value",
        "softmax.py",
        "def softmax(x, dim=-1):\n    value = []\n    for _ in range(200):\n        value = [value]\n"
        "    return value\n",
        "nested more than",
    ),
    stub_case(
        "returns-nan",
        "softmax.py",
        "import torch\ndef softmax(x, dim=-1):\n    return torch.full_like(x, float('nan'))\n",
        "contains NaN",
    ),
    stub_case(
        "rewrites-its-own-source",
        "softmax.py",
        "with open(__file__, 'a') as f:\n    f.write('# changed')\n" + STUB_SOFTMAX,
        "Read-only file system",
    ),
    stub_case(
        "prints-forever-from-a-thread",
        "softmax.py",
        "import threading\n"
        "threading.Thread(target=lambda: [print('spam ' * 100) for _ in iter(int, 1)], daemon=True).start()\n"
        + STUB_SOFTMAX,
        "more bytes of output not shown",
    ),
]


def grade_cli(folder: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess, dict]:
    results = tmp_path / "results.json"
    command = [
        sys.executable,
        "-m",
        "grader.cli",
        "run",
        str(folder),
        "--assignment",
        HW1.name,
        "--json",
        str(results),
        "--timeout",
        "4",
        "--verbose",
    ]
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "COLUMNS": "200", "GRADER_TEST_SECRET": "hunter2"},
    )
    return completed, json.loads(results.read_text()) if results.exists() else {}


@pytest.fixture(scope="module")
def hidden_lines() -> set[str]:
    """The hidden suite's lines of code; a line that is only a string is text written for students."""
    lines = set()
    for path in HW1.suite_dir.glob("test_*.py"):
        for line in path.read_text().splitlines():
            line = line.strip()
            skipped = line.startswith(("#", '"""', "def ", "with ", "@", "from ", "import "))
            if len(line) > 30 and not skipped and not _only_text(line):
                lines.add(line)
    return lines


def _only_text(line: str) -> bool:
    try:
        return isinstance(ast.literal_eval(line.rstrip(",")), str)
    except (ValueError, SyntaxError):
        return False


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.variant.name)
def test_hostile_submission(case: Case, tmp_path: Path, hidden_lines: set[str], reference_test_count: int):
    if case.empty:
        folder = tmp_path / "submission" / HW1.name
        folder.mkdir(parents=True)
    else:
        folder = materialize(HW1.name, case.variant, tmp_path / "submission")
    completed, results = grade_cli(folder, tmp_path)
    report = completed.stdout + completed.stderr
    assert completed.returncode == 0, report
    assert len(results["tests"]) == reference_test_count, report
    assert case.min_score <= results["score"] <= case.max_score, report
    student_view = report + json.dumps(results)
    assert case.message in student_view, report
    assert not [line for line in hidden_lines if line in student_view]
    if not case.echoes_paths:
        assert str(PACKAGE_ROOT) not in json.dumps(results)
    assert not SENTINEL.exists()
    assert processes_with(MARKER) == []
    if case.variant.name == "reference-that-cheats":
        assert student_view.count("cannot see the answers") >= 2 and "can see the answers" not in student_view
