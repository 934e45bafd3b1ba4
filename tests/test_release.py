"""The student release is generated, up to date, and carries no solution and no hidden test."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.assignments import ASSIGNMENTS
from grader.errors import ConfigurationError
from grader.markers import stub_source
from grader.release.build import build_release, solution_lines, stale_files

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "assignments"
NAMES = sorted(ASSIGNMENTS)


def test_the_committed_release_is_up_to_date():
    assert stale_files(RELEASE) == [], "run `grader release` and commit assignments/"


@pytest.mark.parametrize("name", NAMES)
def test_the_release_carries_no_solution_line(name):
    secret = solution_lines(ASSIGNMENTS[name])
    assert secret, "no solution line to look for: the check would pass whatever the release holds"
    for path in (RELEASE / name).rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            leaked = [line for line in secret if line in text]
            assert leaked == [], f"{path} contains solution lines: {leaked[:3]}"


def test_the_hw2_release_carries_no_hw1_answer():
    """hw2 provides a multi-head attention block; it must not hand out assignment 1's solution lines."""
    secret = solution_lines(ASSIGNMENTS["hw1_attention"])
    for path in (RELEASE / "hw2_transformer").rglob("*"):
        if path.is_file():
            leaked = [line for line in secret if line in path.read_text(encoding="utf-8")]
            assert leaked == [], f"{path} contains assignment 1's solution lines: {leaked[:3]}"


@pytest.mark.parametrize("name", NAMES)
def test_the_release_carries_no_hidden_test(name):
    hidden = ASSIGNMENTS[name].suite_dir
    hidden_names = {p.name for p in hidden.glob("test_*.py")}
    hidden_functions = {
        node.name
        for path in hidden.glob("test_*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }
    released = list((RELEASE / name).rglob("*.py"))
    public_functions = {
        node.name
        for path in released
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef)
    }
    assert not {p.name for p in released if p.parent.name == "tests"} & (hidden_names - {"test_public.py"})
    assert not public_functions & hidden_functions
    for path in released:
        assert "grader.hidden" not in path.read_text() and "solutions." not in path.read_text()


@pytest.mark.parametrize("name", NAMES)
def test_every_stub_imports_and_raises_not_implemented(name, tmp_path):
    package = tmp_path / name
    shutil.copytree(RELEASE / name, package)
    script = (
        "import importlib, inspect, sys\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        f"for module in {list(ASSIGNMENTS[name].modules)!r}:\n"
        f"    importlib.import_module('{name}.' + module[:-3])\n"
        "print('ok')\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert completed.stdout.strip() == "ok", completed.stderr
    for module in ASSIGNMENTS[name].modules:
        text = (package / module).read_text()
        # Provided modules (no solution region in the reference, e.g. hw2's data.py) are released as they are.
        if "### BEGIN SOLUTION" in (ASSIGNMENTS[name].solution_dir / module).read_text():
            assert "raise NotImplementedError(" in text


def run_check(folder: Path) -> subprocess.CompletedProcess:
    """The student-side runner shipped in the release, as a student would run it."""
    return subprocess.run(
        [sys.executable, "check.py"], cwd=folder, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("name", NAMES)
def test_public_tests_pass_on_the_reference_and_fail_on_the_stubs(name, tmp_path):
    reference = tmp_path / "reference" / name
    shutil.copytree(RELEASE / name, reference)
    for module in ASSIGNMENTS[name].modules:
        shutil.copy(ASSIGNMENTS[name].solution_dir / module, reference / module)
    passing = run_check(reference)
    assert passing.returncode == 0, passing.stdout[-3000:] + passing.stderr[-3000:]
    assert "public tests pass" in passing.stdout
    stub = tmp_path / "stub" / name
    shutil.copytree(RELEASE / name, stub)
    failing = run_check(stub)
    assert failing.returncode == 1 and "NotImplementedError" in failing.stdout
    assert "0/" in failing.stdout


def test_the_check_runner_carries_no_answer():
    runner = (RELEASE / NAMES[0] / "check.py").read_text()
    assert "solutions" not in runner and "grader.hidden" not in runner and "import grader" not in runner
    assert "BEGIN SOLUTION" not in runner


def test_stubbing_replaces_each_region_at_its_indentation():
    source = "def f(x):\n    '''Doc.'''\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n"
    stub = stub_source(source, "m.py")
    assert "return x" not in stub and "    raise NotImplementedError(" in stub and "'''Doc.'''" in stub


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n", r"m\.py:2: nested"),
        ("x = 1\n### END SOLUTION\n", r"m\.py:2: ### END SOLUTION without"),
        ("### BEGIN SOLUTION\nx = 1\n", r"m\.py:1: ### BEGIN SOLUTION is never closed"),
    ],
)
def test_unmatched_markers_are_errors_naming_file_and_line(source, message):
    with pytest.raises(ConfigurationError, match=message):
        stub_source(source, "m.py")


def test_a_stale_release_is_detected(tmp_path):
    build_release(tmp_path)
    assert stale_files(tmp_path) == []
    first = next(iter(ASSIGNMENTS))
    (tmp_path / first / "softmax.py").write_text("tampered\n")
    assert stale_files(tmp_path) == [f"{first}/softmax.py"]


def test_hidden_suites_import_only_the_declared_suite_api():
    """grader.suite is what a hidden suite may use; the rest of the grader may change under it."""
    import ast

    from grader.assignments import ASSIGNMENTS, get_assignment

    offenders = []
    for name in ASSIGNMENTS:
        for path in sorted(get_assignment(name).suite_dir.glob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                modules = []
                if isinstance(node, ast.ImportFrom) and node.module:
                    modules = [node.module]
                elif isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                offenders += [
                    f"{path.name}:{node.lineno} {module}"
                    for module in modules
                    if module.split(".")[0] == "grader" and module != "grader.suite"
                ]
    assert offenders == []
