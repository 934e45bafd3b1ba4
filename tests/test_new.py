"""`grader new` scaffolds a working assignment, and docs/authoring.md's walk-through holds end to end.

The end-to-end test copies the repository (grader/, solutions/, templates/, assignments/, pyproject.toml) into
tmp_path and runs `python -m grader.cli` there with PYTHONPATH at the copy, so the real repository is never
touched. The refusals are checked in-process on a scratch root.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import time
from importlib.util import find_spec
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.authoring.new import MODULE, new_assignment, next_steps, scaffold_files
from grader.authoring.validate import hidden_tests
from grader.cli import main
from grader.errors import ConfigurationError
from grader.markers import scan, solution_lines

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("grader", "solutions", "templates", "assignments")
NAME = "demo_scaling"


def copy_repository(destination: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache")
    for folder in COPIED:
        shutil.copytree(ROOT / folder, destination / folder, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", destination / "pyproject.toml")
    return destination


def grader_cli(repo: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`grader ARGS` run in the copy `repo`, importing the copy's grader and solutions."""
    return subprocess.run(
        command(*args), cwd=repo, env=environment(repo), capture_output=True, text=True, timeout=timeout
    )


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "grader.cli", *args]


def environment(repo: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(repo)}
    env.pop("PYTEST_ADDOPTS", None)
    return env


def ok(completed: subprocess.CompletedProcess) -> str:
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return completed.stdout


def graded_score(repo: Path, submission: str) -> float:
    results = repo / "results.json"
    ok(grader_cli(repo, "run", submission, "--json", str(results)))
    return float(json.loads(results.read_text())["score"])


def snapshot(repo: Path) -> dict[Path, bytes]:
    """Every file of the copy that an assignment's scaffold or release touches, with its bytes."""
    folders = [repo / folder for folder in COPIED]
    files = [path for folder in folders for path in folder.rglob("*") if path.is_file()]
    return {path: path.read_bytes() for path in files if "__pycache__" not in path.parts}


# -- the walk-through, end to end (slow: it grades) ----------------------------------------------------------


@pytest.mark.slow
def test_the_authoring_walk_through_on_a_throwaway_assignment(tmp_path: Path):
    started = time.perf_counter()
    repo = copy_repository(tmp_path / "repo")

    # 1. Scaffold. The files are written into the copy, and the real repository has no trace of it.
    out = ok(grader_cli(repo, "new", NAME, "--title", "Demo: scaling"))
    assert f"wrote {repo / 'solutions' / NAME / MODULE}" in out and "next:" in out
    assert f"grader validate {NAME}" in out
    for relative in scaffold_files(NAME, "Demo: scaling"):
        assert (repo / relative).is_file(), relative
    assert not (ROOT / "solutions" / NAME).exists() and not (ROOT / "grader" / "hidden" / NAME).exists()
    # It passes the project's lint and format checks, as the rest of the repository does.
    sources = [path for path in scaffold_files(NAME, "Demo: scaling") if path.endswith(".py")]
    for ruff in (["check", *sources], ["format", "--check", *sources]) if find_spec("ruff") else ():
        ok(subprocess.run([sys.executable, "-m", "ruff", *ruff], cwd=repo, capture_output=True, text=True))

    # The mutation audit needs only the reference and the hidden suite: it runs while the steps below do.
    audit_log = (tmp_path / "audit.log").open("w+")
    audit = subprocess.Popen(
        command("audit", NAME, "--out", "audit", "--max", "10", "--workers", "2"),
        cwd=repo,
        env=environment(repo),
        stdout=audit_log,
        stderr=subprocess.STDOUT,
        text=True,
    )

    # 2. Release: stubs, handout and public tests, without a solution line; the release is then up to date.
    ok(grader_cli(repo, "release"))
    released = repo / "assignments" / NAME
    assert {"scaling.py", "README.md", "check.py", "tests/test_public.py", "MANIFEST.json"} <= {
        str(path.relative_to(released)) for path in released.rglob("*") if path.is_file()
    }
    reference = (repo / "solutions" / NAME / MODULE).read_text(encoding="utf-8")
    secret = [reference.splitlines()[n - 1].strip() for n in sorted(solution_lines(reference))]
    secret = [line for line in secret if line and not line.startswith("#")]
    assert len(secret) >= 4
    stub = (released / MODULE).read_text(encoding="utf-8")
    assert not [line for line in secret if line in stub] and "raise NotImplementedError(" in stub
    assert "stale" not in ok(grader_cli(repo, "release", "--check"))

    # 3. The reference scores 100, the released stub 0.
    assert graded_score(repo, f"solutions/{NAME}") == 100
    assert graded_score(repo, f"assignments/{NAME}") == 0

    # 4. The validity checks hold (one seed here, the default is three; graded in a pool of two processes).
    out = ok(grader_cli(repo, "validate", NAME, "--seed", "0", "--workers", "2"))
    assert "FAIL" not in out and "checks hold" in out

    # 5. The notebook builds from the template and the reference.
    ok(grader_cli(repo, "nbgrader-source", "course", "--assignment", NAME))
    notebook = json.loads((repo / "course" / "source" / NAME / f"{NAME}.ipynb").read_text())
    sources = ["".join(cell["source"]) for cell in notebook["cells"]]
    assert any(source.startswith(f"%%writefile {NAME}/{MODULE}") for source in sources)

    # 6. The mutation audit runs and reports a score.
    assert audit.wait(timeout=300) == 0, audit_log.seek(0) or audit_log.read()[-3000:]
    audit_log.seek(0)
    assert "mutation score" in audit_log.read() and (repo / "audit" / "audit.json").is_file()
    audit_log.close()

    # 7. A catalogue entry that names a test that does not exist fails validation (before any grading).
    catalogue = repo / "grader" / "catalogue" / f"{NAME}.py"
    text = catalogue.read_text().replace('breaks=("test_scaled_dot",)', 'breaks=("test_nope",)')
    catalogue.write_text(text)
    failed = grader_cli(repo, "validate", NAME, "--seed", "0")
    assert failed.returncode == 1 and "FAIL" in failed.stdout and "test_nope" in failed.stdout

    # 8. The name is taken now: a second `grader new` refuses and writes nothing.
    before = snapshot(repo)
    again = grader_cli(repo, "new", NAME)
    assert again.returncode == 3 and "already exists" in again.stderr
    assert snapshot(repo) == before
    print(f"walk-through: {time.perf_counter() - started:.1f} s")


# -- the scaffold itself and the refusals (fast) -------------------------------------------------------------


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A scratch root that looks like a checkout of the course repository (and holds nothing else)."""
    (tmp_path / "grader").mkdir()
    (tmp_path / "pyproject.toml").write_text("")
    return tmp_path


def checkout_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != "pyproject.toml")


def test_new_assignment_writes_the_scaffold_and_returns_its_files(checkout: Path):
    written = new_assignment("hw9_example", title="Example", root=checkout)
    assert written == sorted(checkout / relative for relative in scaffold_files("hw9_example", "Example"))
    entry = json.loads((checkout / "solutions" / "hw9_example" / "assignment.json").read_text())
    assert entry == {"title": "Example", "modules": [MODULE]}
    for path in written:
        if path.suffix == ".py":
            compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_the_scaffold_has_a_solution_region_per_function_and_a_suite_of_100_points(checkout: Path):
    new_assignment("hw9_example", title="Example", root=checkout)
    reference = (checkout / "solutions" / "hw9_example" / MODULE).read_text(encoding="utf-8")
    functions = [n.name for n in ast.parse(reference).body if isinstance(n, ast.FunctionDef)]
    assert functions == ["scaled_dot", "normalize"]
    assert len(scan(reference, MODULE)) == len(functions)
    points = hidden_tests(checkout / "grader" / "hidden" / "hw9_example")
    assert points == {"test_scaled_dot": 50.0, "test_normalize": 50.0}


def test_the_scaffolds_hidden_suite_imports_only_the_suite_api(checkout: Path):
    new_assignment("hw9_example", title="Example", root=checkout)
    suite = checkout / "grader" / "hidden" / "hw9_example" / "test_scaling.py"
    modules = {
        node.module
        for node in ast.walk(ast.parse(suite.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert {m for m in modules if m.split(".")[0] == "grader"} == {"grader.suite"}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("hw-5", "must be a Python identifier"),
        ("5th", "must be a Python identifier"),
        ("class", "must be a Python identifier"),
        ("", "must be a Python identifier"),
        ("json", "would shadow the installed module json"),
        ("torch", "would shadow the installed module torch"),
    ],
)
def test_new_assignment_refuses_a_name_that_cannot_be_a_package(checkout: Path, name: str, message: str):
    with pytest.raises(ConfigurationError, match=message):
        new_assignment(name, title="Example", root=checkout)
    assert checkout_files(checkout) == []


@pytest.mark.parametrize(
    "existing",
    ["solutions/hw9_example", "grader/hidden/hw9_example", "templates/hw9_example.notebook.md",
     "assignments/hw9_example", "grader/catalogue/hw9_example.py"],
)  # fmt: skip
def test_new_assignment_refuses_a_name_in_use_and_writes_nothing(checkout: Path, existing: str):
    (checkout / existing).parent.mkdir(parents=True, exist_ok=True)
    (checkout / existing).write_text("")
    with pytest.raises(ConfigurationError, match=f"hw9_example already exists: {existing} is there"):
        new_assignment("hw9_example", title="Example", root=checkout)
    assert checkout_files(checkout) == [checkout / existing]


def test_new_assignment_refuses_an_existing_assignment_of_the_repository():
    with pytest.raises(ConfigurationError, match="hw3_tokenization already exists: solutions/hw3_"):
        new_assignment("hw3_tokenization", title="Tokenization")


def test_new_assignment_refuses_a_folder_that_is_not_a_checkout(tmp_path: Path):
    with pytest.raises(ConfigurationError, match="is not a checkout of the course repository"):
        new_assignment("hw9_example", title="Example", root=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("title", ["  ", 'The "best" one', "two\nlines", "back\\slash"])
def test_new_assignment_refuses_a_title_that_cannot_go_into_a_docstring(checkout: Path, title: str):
    with pytest.raises(ConfigurationError, match=r"the title .* cannot be used"):
        new_assignment("hw9_example", title=title, root=checkout)
    assert checkout_files(checkout) == []


def test_the_cli_maps_a_refusal_to_a_sentence_and_status_3():
    result = CliRunner().invoke(main, ["new", "hw-5"])
    assert result.exit_code == 3
    assert "'hw-5' cannot name an assignment" in result.output and "Traceback" not in result.output


def test_validate_of_an_unknown_assignment_is_a_configuration_error():
    result = CliRunner().invoke(main, ["validate", "hw9_nope"])
    assert result.exit_code == 3 and "unknown assignment 'hw9_nope'" in result.output


def test_next_steps_name_the_walk_through_commands():
    steps = "\n".join(next_steps("hw9_example"))
    for command in ("grader release", "grader run solutions/hw9_example", "grader validate hw9_example",
                    "grader audit hw9_example", "grader nbgrader-source", "docs/authoring.md"):  # fmt: skip
        assert command in steps
