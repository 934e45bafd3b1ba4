"""The exported Gradescope autograder, run against a folder laid out like Gradescope's."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.assignments import get_assignment
from grader.gradescope import build_autograder
from grader.variants import Variant, materialize

HW1 = get_assignment("hw1_attention")
GRADER_BIN = str(Path(sys.executable).with_name("grader"))


def autograder(tmp_path: Path, **options) -> Path:
    """An /autograder-like folder with the zip unpacked as Gradescope does (source/, run_autograder)."""
    zip_path = build_autograder(HW1.name, tmp_path / "dist", **options)
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
        names = archive.namelist()
    assert {"setup.sh", "run_autograder"} <= set(names)
    assert not [name for name in names if name.startswith("source/grader/hidden") and "__pycache__" in name]
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    return root


def run(root: Path) -> dict:
    completed = subprocess.run(
        ["bash", str(root / "run_autograder")],
        env={"AUTOGRADER_ROOT": str(root), "GRADER_BIN": GRADER_BIN, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads((root / "results" / "results.json").read_text())


def check_schema(results: dict) -> None:
    assert isinstance(results["score"], (int, float)) and isinstance(results["tests"], list)
    for test in results["tests"]:
        assert {"name", "score", "max_score", "output", "visibility"} <= set(test)
        assert test["visibility"] in {"visible", "hidden", "after_due_date", "after_published"}


@pytest.mark.slow
def test_the_reference_scores_100_with_results_hidden_until_the_due_date(tmp_path):
    root = autograder(tmp_path)
    for module in HW1.modules:
        shutil.copy(HW1.solution_dir / module, root / "submission" / module)
    results = run(root)
    check_schema(results)
    assert results["score"] == 100 and len(results["tests"]) > 30
    assert {test["visibility"] for test in results["tests"]} == {"after_due_date"}
    assert results["execution_time"] > 0


@pytest.mark.slow
def test_the_stub_scores_0_and_says_why(tmp_path):
    root = autograder(tmp_path, visibility="visible")
    package = materialize(HW1.name, Variant("stub", "", base="stub"), tmp_path / "stub")
    for module in HW1.modules:
        shutil.copy(package / module, root / "submission" / module)
    results = run(root)
    check_schema(results)
    assert results["score"] == 0
    assert all("not implemented yet" in test["output"] for test in results["tests"])


def test_an_unreadable_submission_still_gets_a_results_file(tmp_path):
    root = autograder(tmp_path)
    (root / "submission" / "softmax.py").symlink_to("/etc/passwd")
    results = run(root)
    assert results["score"] == 0 and "symbolic link" in results["output"]


def test_a_grader_that_cannot_run_still_leaves_a_results_file(tmp_path):
    root = autograder(tmp_path)
    completed = subprocess.run(
        ["bash", str(root / "run_autograder")],
        env={"AUTOGRADER_ROOT": str(root), "GRADER_BIN": "/bin/false", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and "could not grade" in results["output"]
