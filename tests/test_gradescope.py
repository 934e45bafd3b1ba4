"""The exported Gradescope autograder, run against a folder laid out like Gradescope's."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from grader.assignments import get_assignment
from grader.catalogue.variants import Variant, materialize
from grader.classroom.gradescope import build_autograder

HW1 = get_assignment("hw1_attention")
GRADER_BIN = str(Path(sys.executable).with_name("grader"))


def autograder(tmp_path: Path, **options) -> Path:
    """An /autograder-like folder with the zip unpacked as Gradescope does (source/, run_autograder).

    These tests run the development environment's grader (GRADER_BIN), whose Python may sit where an
    unprivileged user cannot reach it, so student code keeps the grader's user unless a test asks;
    test_setup_hides_the_answers_from_student_code runs the real setup.sh and the dropped user.
    """
    options.setdefault("run_as", None)
    zip_path = build_autograder(HW1.name, tmp_path / "dist", **options)
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
        names = archive.namelist()
    assert {"setup.sh", "run_autograder", "pyproject.toml", "grader/hidden/pytest.ini"} <= set(names)
    assert not [name for name in names if name.startswith("grader/hidden") and "__pycache__" in name]
    others = [a for a in ("hw2_transformer", "hw3_tokenization", "hw4_agents") if a != HW1.name]
    assert not [
        n
        for n in names
        if n.startswith(tuple(f"{d}/{a}/" for a in others for d in ("grader/hidden", "solutions")))
    ]
    assert not [n for n in names if n.startswith(tuple(f"grader/catalogue/{a}.py" for a in others))]
    assert (
        f"solutions/{HW1.name}/softmax.py" in names and f"grader/hidden/{HW1.name}/test_softmax.py" in names
    )
    assert f"grader/catalogue/{HW1.name}.py" in names  # its known mistakes, for the diagnosis
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    return root


def run(root: Path, grader_bin: str = GRADER_BIN) -> dict:
    completed = subprocess.run(
        ["bash", str(root / "run_autograder")],
        env={"AUTOGRADER_ROOT": str(root), "GRADER_BIN": grader_bin, "PATH": "/usr/bin:/bin"},
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
def test_the_reference_scores_100_with_results_visible_at_once(tmp_path):
    root = autograder(tmp_path)
    for module in HW1.modules:
        shutil.copy(HW1.solution_dir / module, root / "submission" / module)
    results = run(root)
    check_schema(results)
    assert results["score"] == 100 and len(results["tests"]) > 30
    assert {test["visibility"] for test in results["tests"]} == {"visible"}
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


SPY = """
import os as _os
print("uid", _os.getuid())
for _path in _os.environ.get("SPY_PATHS", "").split(":") + SPY_TARGETS:
    try:
        with open(_path, "a" if _path.endswith(".json") else "r") as _f:
            print("REACHED", _path)
    except OSError as _exc:
        print("DENIED", _path, type(_exc).__name__)
"""


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="setup.sh and --run-as need root, as on Gradescope")
def test_setup_hides_the_answers_from_student_code(tmp_path):
    """setup.sh as Gradescope runs it, then grading as the unprivileged user: full marks for the reference,
    while code in the submission can reach neither the hidden tests, the reference, the source folder nor
    the results file, with namespaces (run_autograder's default here) and without (process level)."""
    base = Path(tempfile.mkdtemp(prefix="gradescope-", dir="/tmp"))  # reachable by `nobody`, unlike tmp_path
    try:
        base.chmod(0o755)
        root = autograder(base, run_as="nobody", visibility="visible")
        setup = subprocess.run(
            ["bash", str(root / "source" / "setup.sh")],
            env={
                **os.environ,
                "AUTOGRADER_ROOT": str(root),
                "PYTHON": "/usr/bin/python3",
                "GRADER_SKIP_APT": "1",
            },
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert setup.returncode == 0, setup.stderr[-3000:]
        site = next((root / "venv" / "lib").glob("python3*/site-packages"))
        targets = [
            str(site / "grader" / "hidden" / "hw1_attention" / "test_softmax.py"),
            str(site / "solutions" / "hw1_attention" / "softmax.py"),
            str(root / "source" / "grader" / "hidden" / "hw1_attention" / "test_softmax.py"),
            str(root / "results" / "results.json"),
        ]
        for target in targets[:3]:
            assert Path(target).is_file(), f"setup.sh did not install {target}"
        for module in HW1.modules:
            shutil.copy(HW1.solution_dir / module, root / "submission" / module)
        softmax = root / "submission" / "softmax.py"
        softmax.write_text(softmax.read_text() + f"\nSPY_TARGETS = {targets!r}\n{SPY}")
        grader_bin = str(root / "venv" / "bin" / "grader")
        outputs = {}
        results = run(root, grader_bin)
        outputs["run_autograder"] = results
        process = root / "process.json"
        completed = subprocess.run(
            [grader_bin, "run", str(root / "submission"), "--assignment", HW1.name, "--run-as", "nobody",
             "--isolation", "process", "--json", str(process)],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
        outputs["process level"] = json.loads(process.read_text())
        for how, result in outputs.items():
            printed = "\n".join(test["output"] for test in result["tests"])
            assert result["score"] == 100, f"{how}: {result['score']}"
            assert "uid 65534" in printed, f"{how}: {printed[:2000]}"
            assert "REACHED" not in printed, f"{how}: {printed[:2000]}"
            assert printed.count("DENIED") >= len(targets), f"{how}: {printed[:2000]}"
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_the_export_grades_within_a_budget_below_the_gradescope_timeout(tmp_path):
    from grader.classroom.gradescope import grading_budget
    from grader.errors import ConfigurationError

    assert grading_budget(600) == 480 and grading_budget(300) == 240 and grading_budget(3600) == 2880
    zip_path = build_autograder(HW1.name, tmp_path, gradescope_timeout=300)
    with zipfile.ZipFile(zip_path) as archive:
        script = archive.read("run_autograder").decode()
    assert "--budget 240 " in script and "--visibility visible " in script
    build_autograder(HW1.name, tmp_path, visibility="after_due_date")
    with zipfile.ZipFile(zip_path) as archive:
        assert "--visibility after_due_date " in archive.read("run_autograder").decode()
    with pytest.raises(ConfigurationError, match="leaves no time to grade"):
        build_autograder(HW1.name, tmp_path, gradescope_timeout=60)


FAKE_PYTHON = """#!/usr/bin/env bash
# Stands in for `python3 -m venv DIR`: a venv whose pip logs its arguments (and fails on PyTorch's index
# when INDEX_DOWN is set) and whose python prints a site-packages folder.
venv="$3"
mkdir -p "$venv/bin" "$venv/site/grader" "$venv/site/solutions"
cat > "$venv/bin/pip" <<'PIP'
#!/usr/bin/env bash
echo "$*" >> "$PIP_LOG"
case "$*" in *--index-url*) [ -z "${INDEX_DOWN:-}" ] ;; esac
PIP
printf '#!/usr/bin/env bash\\necho "%s/site"\\n' "$venv" > "$venv/bin/python"
chmod +x "$venv/bin/pip" "$venv/bin/python"
"""


@pytest.mark.parametrize("index_down", [False, True], ids=["cpu-index", "pypi-fallback"])
def test_setup_installs_the_cpu_build_of_torch_with_pypi_as_the_fallback(tmp_path, index_down):
    """setup.sh takes torch from PyTorch's CPU-only index (Gradescope has no GPU; PyPI's Linux torch is the
    CUDA build), and from PyPI, with the same pin, when that index fails."""
    from grader.classroom.gradescope import TORCH_CPU_INDEX, TORCH_PIN

    assert TORCH_PIN == "torch==2.13.0" and TORCH_CPU_INDEX == "https://download.pytorch.org/whl/cpu"
    root = autograder(tmp_path)
    fake_python = tmp_path / "python3"
    fake_python.write_text(FAKE_PYTHON)
    fake_python.chmod(0o755)
    pip_log = tmp_path / "pip.log"
    env = {
        "AUTOGRADER_ROOT": str(root),
        "PYTHON": str(fake_python),
        "GRADER_SKIP_APT": "1",
        "PIP_LOG": str(pip_log),
        "PATH": "/usr/bin:/bin",
        **({"INDEX_DOWN": "1"} if index_down else {}),
    }
    completed = subprocess.run(
        ["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    first, second = pip_log.read_text().splitlines()
    assert f"--index-url {TORCH_CPU_INDEX} {TORCH_PIN}" in first and "source" not in first
    assert second.endswith(f"{TORCH_PIN} {root}/source") and "--index-url" not in second
    assert ("comes from PyPI instead" in completed.stderr) is index_down
