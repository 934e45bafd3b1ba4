"""Real uploads: each assignment's reference, packaged the ways students really upload it, is graded
exactly like the plain reference (100, every test passed) through `grader run`; ambiguous uploads are refused
naming both paths; a submission that blocks finishes within its time budget with a complete results.json.

Staging is checked for every shape and assignment without grading (fast); grading every shape is slow.
"""

from __future__ import annotations

import ast
import base64
import json
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.assignments import ASSIGNMENTS, Assignment
from grader.cli import main
from grader.grading.staging import find_sources
from grader.markers import stub_source
from grader.results.report import intake_lines

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 6000).decode()  # ~2 MB in the notebook
MAC_FORK = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \xff\xfe\x80"  # AppleDouble: not UTF-8


def reference(assignment: Assignment) -> dict[str, str]:
    return {m: (assignment.solution_dir / m).read_text(encoding="utf-8") for m in assignment.modules}


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8", newline="")
    return path


def write_modules(folder: Path, modules: dict[str, str]) -> None:
    for name, text in modules.items():
        write(folder / name, text)


def notebook(modules: dict[str, str], package: str, *, outputs: bool = False) -> str:
    """An nbgrader-style notebook: a `%%writefile <package>/<module>` cell per module, plots between."""
    cells: list[dict] = [
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": ["# The assignment\n", "![plot](attachment:plot.png)"],
            "attachments": {"plot.png": {"image/png": PNG}} if outputs else {},
        }
    ]
    for name, text in modules.items():
        cells.append(
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": 1,
                "outputs": [{"output_type": "stream", "name": "stdout", "text": [f"Writing {name}\n"]}],
                "source": f"%%writefile {package}/{name}\n{text}",
            }
        )
        plot = {
            "output_type": "display_data",
            "metadata": {},
            "data": {"image/png": PNG, "text/plain": ["<Figure>"]},
        }
        cells.append(
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": 2,
                "outputs": [plot] if outputs else [],
                "source": "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])",
            }
        )
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


# -- the shapes: each writes the reference of `a` under `d` as students upload it; returns what to grade --


def top_level(a: Assignment, d: Path) -> Path:
    write_modules(d / "upload", reference(a))
    return d / "upload"


def nested_twice(a: Assignment, d: Path) -> Path:
    write_modules(d / "upload" / a.name / a.name, reference(a))
    return d / "upload"


def renamed_folders(a: Assignment, d: Path) -> Path:
    write_modules(d / "upload" / "HW (2)" / f"{a.name}-main", reference(a))
    return d / "upload"


def macos_clutter(a: Assignment, d: Path) -> Path:
    root = d / "upload"
    write_modules(root / a.name, reference(a))
    for name in a.modules:
        write(root / "__MACOSX" / a.name / f"._{name}", MAC_FORK)
        write(root / a.name / f"._{name}", MAC_FORK)
    write(root / ".DS_Store", b"\x00\x00\x00\x01Bud1\xff\xfe")
    write(root / a.name / ".DS_Store", b"\x00\x00\x00\x01Bud1\xff\xfe")
    write(root / "Thumbs.db", b"\xd0\xcf\x11\xe0")
    return root


def tool_folders(a: Assignment, d: Path) -> Path:
    root = d / "upload"
    write_modules(root, reference(a))
    stale = stub_source(reference(a)[a.modules[0]], a.modules[0])  # different copies, all in clutter
    write(root / ".git" / "objects" / "ab" / "cdef0123", b"x\x9c\xff\x00")
    write(root / ".git" / "config", "[core]\n")
    write(root / ".venv" / "pyvenv.cfg", "home = /usr/bin\n")
    write(root / ".venv" / "lib" / "python3.11" / "site-packages" / a.modules[0], stale)
    write(root / "myenv" / "pyvenv.cfg", "home = /usr/bin\n")  # a virtual environment by any name
    write(root / "myenv" / "lib" / a.modules[0], stale)
    write(root / "__pycache__" / "x.cpython-311.pyc", b"\xa7\r\r\n\x00\xff")
    write(root / ".ipynb_checkpoints" / a.modules[0].replace(".py", "-checkpoint.py"), stale)
    write(root / ".idea" / "workspace.xml", "<project/>\n")
    write(root / ".vscode" / "settings.json", "{}\n")
    return root


def checkpoint_and_data(a: Assignment, d: Path) -> Path:
    root = d / "upload"
    write_modules(root / a.name, reference(a))
    with open(write(root / a.name / "model.pt", b""), "r+b") as f:
        f.truncate(30 * 1024 * 1024)  # a 30 MB checkpoint (sparse on disk)
    write(root / a.name / "plots" / "attention.png", b"\x89PNG" + b"\xff" * (3 * 1024 * 1024))
    write(root / "report.pdf", b"%PDF-1.7\n\xe2\xe3\xcf\xd3")
    write(root / "data" / "corpus.txt", "the cat sat on the mat\n" * 200_000)
    return root


def notebook_with_outputs(a: Assignment, d: Path) -> Path:
    path = write(d / "upload" / f"{a.name}.ipynb", notebook(reference(a), a.name, outputs=True))
    assert path.stat().st_size > 4 * 1024 * 1024
    return d / "upload"


def crlf_and_bom(a: Assignment, d: Path) -> Path:
    windows = {name: "\ufeff" + text.replace("\n", "\r\n") for name, text in reference(a).items()}
    write_modules(d / "upload", windows)
    return d / "upload"


def zip_from_a_mac(a: Assignment, d: Path) -> Path:
    path = d / f"{a.name}.zip"
    with zipfile.ZipFile(path, "w") as bundle:
        for name, text in reference(a).items():
            bundle.writestr(f"{a.name}/{name}", text)
            bundle.writestr(f"__MACOSX/{a.name}/._{name}", MAC_FORK)
        bundle.writestr(f"{a.name}/.DS_Store", b"\x00\x00\x00\x01Bud1")
        bundle.writestr(f"{a.name}/model.pt", b"\x80\x02" * 1000)
    return path


def checkpoint_notebook_beside(a: Assignment, d: Path) -> Path:
    root = d / "upload"
    write(root / f"{a.name}.ipynb", notebook(reference(a), a.name))
    stubs = {name: stub_source(text, name) for name, text in reference(a).items()}
    write(root / ".ipynb_checkpoints" / f"{a.name}-checkpoint.ipynb", notebook(stubs, a.name))
    write(root / f"{a.name}-checkpoint.ipynb", notebook(stubs, a.name))
    return root


def browser_renamed(a: Assignment, d: Path) -> Path:
    modules = reference(a)
    first = a.modules[0]
    modules[first.replace(".py", " (1).py")] = modules.pop(first)
    write_modules(d / "upload", modules)
    return d / "upload"


def identical_copies(a: Assignment, d: Path) -> Path:
    root = d / "upload"
    write_modules(root / a.name, reference(a))
    write(root / "backup" / a.modules[0], reference(a)[a.modules[0]].replace("\n", "\r\n"))
    return root


def notebook_beside_its_stale_output(a: Assignment, d: Path) -> Path:
    """nbgrader's layout: the notebook and the files its %%writefile cells wrote when it was last run."""
    root = d / "upload"
    write(root / f"{a.name}.ipynb", notebook(reference(a), a.name))
    write_modules(root / a.name, {name: stub_source(text, name) for name, text in reference(a).items()})
    return root


SHAPES: list[Callable[[Assignment, Path], Path]] = [
    top_level,
    nested_twice,
    renamed_folders,
    macos_clutter,
    tool_folders,
    checkpoint_and_data,
    notebook_with_outputs,
    crlf_and_bom,
    zip_from_a_mac,
    checkpoint_notebook_beside,
    browser_renamed,
    identical_copies,
    notebook_beside_its_stale_output,
]
CASES = [
    pytest.param(a, shape, id=f"{a.name}:{shape.__name__}") for a in ASSIGNMENTS.values() for shape in SHAPES
]


def normalized(text: str) -> str:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").rstrip() + "\n"


@pytest.mark.parametrize(("assignment", "shape"), CASES)
def test_every_shape_stages_exactly_the_reference(assignment: Assignment, shape, tmp_path: Path):
    (source,) = find_sources(shape(assignment, tmp_path))
    assert source.assignment == assignment
    assert set(source.modules) == set(assignment.modules)
    for name, text in reference(assignment).items():
        assert normalized(source.modules[name]) == normalized(text), (
            f"{name} staged from {source.graded[name]}"
        )


@pytest.mark.slow
@pytest.mark.parametrize(("assignment", "shape"), CASES)
def test_every_shape_is_graded_like_the_plain_reference(assignment: Assignment, shape, tmp_path: Path):
    upload = shape(assignment, tmp_path)
    results = tmp_path / "results.json"
    outcome = CliRunner().invoke(main, ["run", str(upload), "--json", str(results)])
    assert outcome.exit_code == 0, outcome.output
    report = json.loads(results.read_text())
    lost = [(t["name"], t["output"][:200]) for t in report["tests"] if t["score"] < t["max_score"]]
    assert report["score"] == 100 and not lost, lost
    graded = report["extra_data"]["assignments"][assignment.name]["graded_files"]
    assert set(graded) == set(assignment.modules)


def test_what_was_ignored_is_listed_with_the_reason(tmp_path: Path):
    hw1 = ASSIGNMENTS["hw1_attention"]
    (source,) = find_sources(checkpoint_and_data(hw1, tmp_path / "a"))
    assert source.graded["softmax.py"] == "hw1_attention/softmax.py"
    assert source.ignored["not code"] == (
        "data/corpus.txt",
        "hw1_attention/model.pt",
        "hw1_attention/plots/attention.png",
        "report.pdf",
    )
    (source,) = find_sources(macos_clutter(hw1, tmp_path / "b"))
    lines = intake_lines(source.graded, source.ignored)
    assert lines[0].startswith("Graded from your upload: hw1_attention/softmax.py, ")
    assert "__MACOSX/ (macOS zip metadata)" in lines[1] and "(macOS resource forks)" in lines[1]
    (source,) = find_sources(browser_renamed(hw1, tmp_path / "c"))
    assert "softmax (1).py → softmax.py" in intake_lines(source.graded, source.ignored)[0]


def _refused(upload: Path, tmp_path: Path) -> tuple[str, dict]:
    results = tmp_path / "refused.json"
    outcome = CliRunner().invoke(main, ["run", str(upload), "--json", str(results)])
    assert outcome.exit_code == 2, outcome.output
    return outcome.output, json.loads(results.read_text())


def test_two_different_copies_of_a_module_are_refused_naming_both(tmp_path: Path):
    hw3 = ASSIGNMENTS["hw3_tokenization"]
    root = top_level(hw3, tmp_path)
    write(root / "old" / "bpe.py", stub_source(reference(hw3)["bpe.py"], "bpe.py"))
    output, report = _refused(root, tmp_path)
    assert "two different copies of bpe.py" in output and "old/bpe.py" in output
    assert "bpe.py and old/bpe.py" in report["output"] and report["score"] == 0


def test_a_notebook_and_modules_that_disagree_are_refused_naming_both(tmp_path: Path):
    hw4 = ASSIGNMENTS["hw4_agents"]
    root = tmp_path / "upload"
    write(root / "agents.ipynb", notebook(reference(hw4), "."))
    write(root / "src" / "dyna.py", stub_source(reference(hw4)["dyna.py"], "dyna.py"))
    _, report = _refused(root, tmp_path)
    assert "two different copies of dyna.py" in report["output"]
    assert "src/dyna.py" in report["output"] and "agents.ipynb:%%writefile ./dyna.py" in report["output"]


# -- the time budget -----------------------------------------------------------------------------------------


def blocking(text: str, only: str | None = None) -> str:
    """`text` with every function (or only the one named `only`) sleeping before it does anything."""
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and only in (None, node.name):
            node.body.insert(0, ast.parse("__import__('time').sleep(10**6)").body[0])
    return ast.unparse(tree)


@pytest.mark.slow
def test_a_submission_whose_every_function_blocks_stops_at_its_budget(tmp_path: Path):
    hw1 = ASSIGNMENTS["hw1_attention"]
    write_modules(tmp_path / "upload", {name: blocking(text) for name, text in reference(hw1).items()})
    results = tmp_path / "results.json"
    started = time.monotonic()
    outcome = CliRunner().invoke(
        main, ["run", str(tmp_path / "upload"), "--budget", "20", "--timeout", "4", "--json", str(results)]
    )
    elapsed = time.monotonic() - started
    assert outcome.exit_code == 0, outcome.output
    assert elapsed < 20 + 30, f"{elapsed:.0f} s"
    report = json.loads(results.read_text())
    verdicts = [t["extra_data"]["verdict"] for t in report["tests"]]
    assert report["score"] == 0 and len(verdicts) == len(report["tests"]) >= 30
    assert "not run" in verdicts and set(verdicts) <= {"timeout", "not run", "failed"}, verdicts
    not_run = [t for t in report["tests"] if t["extra_data"]["verdict"] == "not run"]
    assert all("used up its time budget of 20 s" in t["output"] for t in not_run)


@pytest.mark.slow
def test_a_function_that_times_out_once_costs_only_the_tests_that_need_it(
    tmp_path: Path, hw1_reference_result
):
    hw1 = ASSIGNMENTS["hw1_attention"]
    modules = reference(hw1)
    modules["word_example.py"] = blocking(modules["word_example.py"], only="token_attention")
    write_modules(tmp_path / "upload", modules)
    results = tmp_path / "results.json"
    outcome = CliRunner().invoke(
        main, ["run", str(tmp_path / "upload"), "--timeout", "3", "--json", str(results)]
    )
    assert outcome.exit_code == 0, outcome.output
    report = json.loads(results.read_text())
    lost = {t["number"].split(":")[1]: t for t in report["tests"] if t["score"] < t["max_score"]}
    assert set(lost) == {"test_token_attention"}, sorted(lost)
    assert "token_attention did not answer within the 3 s" in lost["test_token_attention"]["output"]
    # one time limit, not one per call: the second call fails at once
    assert report["execution_time"] < hw1_reference_result.duration + 2 * 3 + 5
