"""Release through nbgrader: templates + solutions -> nbgrader's source folder -> the real
`nbgrader generate_assignment` -> a student release without answers whose stubs raise, and whose notebook
the grader scores like the equivalent modules."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.assignments import get_assignment
from grader.cli import main
from grader.errors import ConfigurationError
from grader.grading.runner import GradeConfig, grade
from grader.grading.staging import find_sources, notebook_modules
from grader.markers import BEGIN, BEGIN_HIDDEN, END, END_HIDDEN
from grader.release.build import solution_lines
from grader.release.nbgrader_source import (
    build_course,
    build_notebook,
    config_advice,
    parse_template,
    template_path,
    templated_assignments,
)

NAMES = templated_assignments()
# What nbgrader's ClearSolutions puts in place of a solution region (the stub nbgrader_config.py sets).
NBGRADER_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")


def test_every_assignment_has_a_notebook_template():
    assert {"hw1_attention", "hw2_transformer", "hw3_tokenization", "hw4_agents"} <= set(NAMES)


# ---------------------------------------------------------------- the source notebook (no nbgrader needed)


@pytest.mark.parametrize("name", NAMES)
def test_module_cells_are_the_reference_modules(name):
    """The drift check: each solution cell is `%%writefile <package>/<module>` + the solutions/ file."""
    assignment = get_assignment(name)
    notebook = build_notebook(name)
    cells = [c for c in notebook["cells"] if c["source"].startswith("%%writefile")]
    assert [c["source"].partition("\n")[0] for c in cells] == [
        f"%%writefile {name}/{m}" for m in _template_module_order(name)
    ]
    assert sorted(_template_module_order(name)) == sorted(assignment.modules)
    for cell in cells:
        module = cell["source"].partition("\n")[0].rsplit("/", 1)[1]
        reference = (assignment.solution_dir / module).read_text(encoding="utf-8")
        assert cell["source"].partition("\n")[2] == reference
        given = BEGIN not in reference  # a given module (no solution region) is read-only, not a solution
        assert cell["metadata"]["nbgrader"] == {
            "grade": False,
            "grade_id": module[:-3],
            "locked": given,
            "schema_version": 3,
            "solution": not given,
            "task": False,
        }


def test_given_modules_are_read_only_cells_that_nbgrader_keeps():
    """hw2's provided_attention.py and data.py have no solution region: as solution cells nbgrader would
    replace them by the stub, whole; they are locked cells instead, and the release keeps them verbatim."""
    notebook = build_notebook("hw2_transformer")
    by_id = {c["metadata"]["nbgrader"]["grade_id"]: c["metadata"]["nbgrader"] for c in notebook["cells"]}
    for given in ("provided_attention", "data"):
        assert by_id[given]["locked"] and not by_id[given]["solution"] and not by_id[given]["grade"]
    assert by_id["layers"]["solution"] and not by_id["layers"]["locked"]


def _template_module_order(name: str) -> list[str]:
    return [cell.name for cell in parse_template(template_path(name)) if cell.kind == "module"]


@pytest.mark.parametrize("name", NAMES)
def test_staging_extracts_the_reference_modules_from_the_source_notebook(name, tmp_path):
    assignment = get_assignment(name)
    (path,) = build_course(tmp_path, [name])
    modules = notebook_modules(path)
    assert modules == {
        m: (assignment.solution_dir / m).read_text(encoding="utf-8") for m in assignment.modules
    }


def test_a_submitted_folder_is_graded_from_its_notebook_not_the_files_it_wrote(tmp_path):
    """nbgrader's submitted/<student>/<assignment>/ holds the notebook and the package folder its cells wrote
    (here only one module, stale): the notebook is the submission."""
    (path,) = build_course(tmp_path / "course", ["hw1_attention"])
    submitted = tmp_path / "submitted" / "ada" / "hw1_attention"
    (submitted / "hw1_attention").mkdir(parents=True)
    shutil.copy(path, submitted)
    (submitted / "hw1_attention" / "softmax.py").write_text("stale = True\n")
    (source,) = find_sources(submitted)
    assert source.assignment.name == "hw1_attention"
    reference = get_assignment("hw1_attention").solution_dir
    for module in get_assignment("hw1_attention").modules:
        assert source.modules[module] == (reference / module).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", NAMES)
def test_cells_carry_nbgrader_metadata(name):
    notebook = build_notebook(name)
    metadata = [cell["metadata"]["nbgrader"] for cell in notebook["cells"]]
    assert len({m["grade_id"] for m in metadata}) == len(metadata)
    assert len({cell["id"] for cell in notebook["cells"]}) == len(metadata)
    tests = [m for m in metadata if m["grade"]]
    assert tests and all(m["locked"] and not m["solution"] and m["points"] == 0 for m in tests)  # checks
    for cell in notebook["cells"]:
        m = cell["metadata"]["nbgrader"]
        if cell["cell_type"] == "markdown" or not (m["grade"] or m["solution"]):
            assert m["locked"], cell["source"][:80]  # narrative, setup and worked examples are read-only
    assert any(BEGIN_HIDDEN in cell["source"] for cell in notebook["cells"])


def test_the_course_folder_holds_the_notebook_and_the_config_only(tmp_path):
    build_course(tmp_path)
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert files == ["nbgrader_config.py", *[f"source/{n}/{n}.ipynb" for n in NAMES]]
    assert config_advice(tmp_path) == []
    config = tmp_path / "nbgrader_config.py"
    config.write_text("# the instructor's own\n")
    build_course(tmp_path)
    assert config.read_text() == "# the instructor's own\n"  # never overwritten
    assert len(config_advice(tmp_path)) == 2 and "*.py" in config_advice(tmp_path)[0]
    result = CliRunner().invoke(main, ["nbgrader-source", str(tmp_path)])
    assert result.exit_code == 0 and "warning:" in result.output and "leaks its modules" in result.output


def test_the_cli_builds_the_course_folder(tmp_path):
    result = CliRunner().invoke(main, ["nbgrader-source", str(tmp_path), "--assignment", "hw3_tokenization"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "source/hw3_tokenization/hw3_tokenization.ipynb").is_file()
    assert not (tmp_path / "source/hw1_attention").exists()
    assert "nbgrader generate_assignment hw3_tokenization" in result.output
    unknown = CliRunner().invoke(main, ["nbgrader-source", str(tmp_path), "--assignment", "hw9"])
    assert unknown.exit_code == 3 and "unknown assignment 'hw9'" in unknown.output


def test_no_template_is_an_error(tmp_path):
    with pytest.raises(ConfigurationError, match="no notebook templates"):
        build_course(tmp_path / "course", templates_dir=tmp_path)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("# T\n```{module} nope.py\n```\n", r"hw1_attention\.notebook\.md:2: nope\.py is not a module of"),
        ("```{test} step1\nassert True\n```\n", r"\.md:1: a \{test\} cell needs an id and points"),
        ("text\n\n```{test} a points=1\nx\n", r"\.md:3: the \{test\} cell is never closed"),
        ("```{module} softmax.py\nx = 1\n```\n", r"\.md:1: a \{module\} cell stays empty"),
        ("```{code}\n### BEGIN SOLUTION\n```\n", r"\.md:2: solution code belongs in solutions/"),
        ("```{code}\n### BEGIN HIDDEN TESTS\n```\n", r"\.md:2: hidden tests are allowed only in \{test\}"),
        (
            "```{test} a points=1\n### BEGIN HIDDEN TESTS\n```\n",
            r"\.md:2: ### BEGIN HIDDEN TESTS is never closed",
        ),
        ("```{cell}\n```\n", r"\.md:1: unknown cell kind \{cell\}"),
        ("```{module} softmax.py\n```\n", r"no \{module\} cell for scores\.py, attention\.py"),
        ("```{code} a\n```\n```{code} a\n```\n", r"\.md:3: cell id 'a' is used twice \(line 1\)"),
    ],
)
def test_malformed_templates_are_errors_naming_file_and_line(tmp_path, template, message):
    (tmp_path / "hw1_attention.notebook.md").write_text(template, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=message):
        build_notebook("hw1_attention", tmp_path)


def test_markdown_cells_break_at_plus_lines_and_keep_ordinary_fences(tmp_path):
    path = tmp_path / "x.notebook.md"
    path.write_text("# One\n```python\nx = 1\n```\n+++\n# Two\n```{code} example\nprint(1)\n```\nafter\n")
    cells = parse_template(path)
    assert [(c.kind, c.line) for c in cells] == [
        ("markdown", 1),
        ("markdown", 6),
        ("code", 7),
        ("markdown", 10),
    ]
    assert "```python" in cells[0].source and cells[2].name == "example" and cells[2].source == "print(1)"


# ---------------------------------------------------------------- the real nbgrader


def _nbgrader_env() -> dict[str, str]:
    # nbgrader runs `alembic` from PATH when it creates its gradebook: the venv's bin must come first.
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _generate_releases(root: Path) -> dict[str, Path]:
    """One course folder per assignment under `root`, each released by `nbgrader generate_assignment`."""
    courses = {name: root / f"course-{name}" for name in NAMES}
    processes = {}
    for name, course in courses.items():
        build_course(course, [name])
        processes[name] = subprocess.Popen(  # the assignments in parallel: nbgrader's start-up dominates
            [sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force"],
            cwd=course,
            env=_nbgrader_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    for name, process in processes.items():
        output, _ = process.communicate(timeout=300)
        assert process.returncode == 0, output[-4000:]
        assert (courses[name] / "release" / name / f"{name}.ipynb").is_file(), output[-4000:]
    return {name: courses[name] / "release" / name for name in NAMES}


@pytest.fixture(scope="session")
def released(tmp_path_factory, request) -> dict[str, Path]:
    """The release folder of each assignment, made once per test run (shared by pytest-xdist's workers)."""
    pytest.importorskip("nbgrader")
    worker = getattr(request.config, "workerinput", {}).get("workerid")
    if worker is None:  # not under xdist
        return _generate_releases(tmp_path_factory.mktemp("nbgrader"))
    from filelock import FileLock  # a dependency of torch

    shared = tmp_path_factory.getbasetemp().parent / "nbgrader"  # the run's folder, above each worker's
    with FileLock(str(shared) + ".lock"):
        done = shared / "done"
        if done.exists():
            return {name: shared / f"course-{name}" / "release" / name for name in NAMES}
        if shared.exists():
            shutil.rmtree(shared)  # a worker that failed half-way
        shared.mkdir()
        releases = _generate_releases(shared)
        done.write_text("ok\n")
        return releases


def _hidden_test_lines(name: str) -> set[str]:
    """The substantive lines of the template's hidden-test regions that appear nowhere else in it."""
    hidden: set[str] = set()
    public: set[str] = set()
    for cell in parse_template(template_path(name)):
        inside = False
        for line in cell.source.splitlines():
            stripped = line.strip()
            if stripped in (BEGIN_HIDDEN, END_HIDDEN):
                inside = stripped == BEGIN_HIDDEN
            elif len(stripped) > 12 and not stripped.startswith("#"):
                (hidden if inside else public).add(stripped)
    return hidden - public


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_the_release_is_valid_and_carries_no_answer(name, released):
    import nbformat

    folder = released[name]
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert files == [f"{name}.ipynb"]
    notebook = nbformat.read(folder / f"{name}.ipynb", as_version=4)
    nbformat.validate(notebook)
    text = (folder / f"{name}.ipynb").read_text(encoding="utf-8")
    secrets = solution_lines(get_assignment(name))
    hidden = _hidden_test_lines(name)
    assert secrets and hidden, "nothing to look for: the checks below would pass whatever the release holds"
    assert [line for line in secrets if line in text] == []
    assert [line for line in hidden if json.dumps(line)[1:-1] in text or line in text] == []
    for marker in (BEGIN, END, "HIDDEN TESTS", "grader.hidden", "solutions."):
        assert marker not in text
    graded = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert graded and all(not c.metadata.get("editable", True) for c in graded)  # locked by nbgrader


def _nbgrader_stubbed(text: str) -> str:
    """`text` with each solution region replaced as nbgrader does it, at the marker's indentation."""
    pattern = re.compile(rf"^([ \t]*){re.escape(BEGIN)}\n.*?^[ \t]*{re.escape(END)}\n", re.M | re.S)
    return pattern.sub(lambda m: "".join(f"{m[1]}{line}\n" for line in NBGRADER_STUB), text)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_every_solution_region_is_a_stub_that_raises(name, released, tmp_path):
    assignment = get_assignment(name)
    modules = notebook_modules(released[name] / f"{name}.ipynb")
    assert sorted(modules) == sorted(assignment.modules)
    for module, text in modules.items():
        reference = (assignment.solution_dir / module).read_text(encoding="utf-8")
        assert text.rstrip("\n") == _nbgrader_stubbed(reference).rstrip("\n"), module
    # The stubs import (running them is the next test's: every test cell of the release fails with
    # NotImplementedError).
    package = tmp_path / name
    package.mkdir()
    for module, text in modules.items():
        (package / module).write_text(text, encoding="utf-8")
    script = (
        "import importlib, sys\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        f"for module in {sorted(m[:-3] for m in modules)!r}:\n"
        f"    importlib.import_module({name!r} + '.' + module)\n"
        "print('imported')\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert completed.stdout.strip() == "imported", completed.stderr[-3000:]


def _execute(path: Path, *, allow_errors: bool):
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return notebook


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_the_test_cells_pass_on_the_source_notebook(name, tmp_path):
    pytest.importorskip("nbgrader")
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    (path,) = build_course(tmp_path, [name])
    notebook = _execute(path, allow_errors=False)  # raises CellExecutionError on the first failing cell
    assert all(o.get("output_type") != "error" for c in notebook.cells for o in c.get("outputs", []))
    assignment = get_assignment(name)
    for module in assignment.modules:  # what the %%writefile cells wrote is the reference
        written = (path.parent / name / module).read_text(encoding="utf-8")
        assert written == (assignment.solution_dir / module).read_text(encoding="utf-8")
    # The notebook ran in place, in source/: the config keeps those modules out of nbgrader's copies.
    from nbgrader.utils import find_all_files
    from traitlets.config import Config

    config = Config()
    exec((tmp_path / "nbgrader_config.py").read_text(), {"get_config": lambda: config})
    copied = find_all_files(str(path.parent), [*config.CourseDirectory.ignore, "*.ipynb"])
    assert copied == []


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_every_test_cell_of_the_release_fails_with_not_implemented(name, released, tmp_path):
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    path = tmp_path / f"{name}.ipynb"
    shutil.copy(released[name] / f"{name}.ipynb", path)
    notebook = _execute(path, allow_errors=True)
    outcomes = {}
    for cell in notebook.cells:
        metadata = cell.metadata.get("nbgrader", {})
        if metadata.get("grade"):
            errors = [o.get("ename") for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            outcomes[metadata["grade_id"]] = errors
        elif cell.cell_type == "code" and metadata.get("solution"):
            assert not any(o.get("output_type") == "error" for o in cell.outputs)  # the stubs import
    assert outcomes and all(errors == ["NotImplementedError"] for errors in outcomes.values()), outcomes


def _filled_in(release: Path, source: dict, target: Path) -> None:
    """The released notebook with each solution cell filled in with the reference, as a student would."""
    notebook = json.loads(release.read_text(encoding="utf-8"))
    answers = {c["metadata"]["nbgrader"]["grade_id"]: c["source"] for c in source["cells"]}
    for cell in notebook["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("solution"):
            cell["source"] = answers[cell["metadata"]["nbgrader"]["grade_id"]]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(notebook), encoding="utf-8")


def _nbgrader(course: Path, *args: str, timeout: float = 300) -> str:
    """Run an nbgrader command in `course`; its output, after asserting it succeeded."""
    completed = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=_nbgrader_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return completed.stdout + completed.stderr


def _generate(course: Path, names: list[str]) -> None:
    for name in names:  # one at a time: each writes the course's one gradebook
        _nbgrader(course, "generate_assignment", name, "--force")


def test_the_source_notebook_s_checks_are_worth_no_points_unless_asked():
    for check_points, total in ((False, 0), (True, 100)):
        notebook = build_notebook("hw1_attention", check_points=check_points)
        points = [c["metadata"]["nbgrader"].get("points") for c in notebook["cells"]]
        assert sum(p for p in points if p is not None) == total
        assert sum(p is not None for p in points) >= 5  # the checks are still nbgrader's grade cells


@pytest.mark.slow
def test_nbgrader_autograde_alone_runs_the_hidden_tests_with_the_templates_points(tmp_path):
    """A course graded by nbgrader alone (`nbgrader-source --nbgrader-points`): the filled-in release earns
    every point of its test cells (hidden tests included), the untouched release none."""
    name = "hw3_tokenization"
    course = tmp_path / "course"
    result = CliRunner().invoke(
        main, ["nbgrader-source", str(course), "--assignment", name, "--nbgrader-points"]
    )
    assert result.exit_code == 0, result.output
    _generate(course, [name])
    release = course / "release" / name / f"{name}.ipynb"
    _filled_in(release, build_notebook(name), course / "submitted" / "ada" / name / f"{name}.ipynb")
    (course / "submitted" / "bob" / name).mkdir(parents=True)
    shutil.copy(release, course / "submitted" / "bob" / name / f"{name}.ipynb")
    _nbgrader(course, "autograde", name, "--force")
    # (nbgrader warns that the test cells' checksums changed: it saves them before removing the hidden tests.)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="course") as gradebook:
        ada, bob = (gradebook.find_submission(name, student) for student in ("ada", "bob"))
        assert ada.max_score == 100 and ada.score == 100, ada.score
        assert bob.score == 0


def _edited(path: Path, edit) -> None:
    """The notebook at `path` with one sample bug (a variants.Edit) made in its module's cell."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = [c for c in notebook["cells"] if "".join(c["source"]).startswith("%%writefile")]
    (cell,) = [c for c in cells if "".join(c["source"]).splitlines()[0].endswith(f"/{edit.file}")]
    source = "".join(cell["source"])
    assert source.count(edit.old) == 1, edit
    cell["source"] = source.replace(edit.old, edit.new)
    path.write_text(json.dumps(notebook), encoding="utf-8")


def _export(course: Path) -> dict[tuple[str, str], tuple[float, float]]:
    """`nbgrader export`'s CSV: {(assignment, student): (score, max_score)}."""
    _nbgrader(course, "export", "--to", "grades.csv")
    with open(course / "grades.csv", newline="", encoding="utf-8") as f:
        return {
            (row["assignment"], row["student_id"]): (float(row["score"]), float(row["max_score"]))
            for row in csv.DictReader(f)
        }


@pytest.mark.slow
def test_grader_batch_gives_nbgrader_one_honest_grade_per_student_and_assignment(tmp_path):
    """A course of four students over two assignments in nbgrader's layout, graded by `grader batch
    --nbgrader-db`: nbgrader's own export shows the grader's score out of 100 for each student and
    assignment, nothing waits for a manual grade, and a later `nbgrader autograde` changes nothing."""
    pytest.importorskip("nbgrader")
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from nbgrader.api import Gradebook, MissingEntry

    from grader.classroom.batch import read_gradebook_rows
    from grader.classroom.samples import SAMPLES

    names = ["hw1_attention", "hw3_tokenization"]
    course = tmp_path / "course"
    build_course(course, names)
    _generate(course, names)
    bug = {name: next(v for v in SAMPLES[name] if v.edits).edits[0] for name in names}
    submitted = course / "submitted"
    for name in names:
        release = course / "release" / name / f"{name}.ipynb"
        answers = build_notebook(name)
        _filled_in(release, answers, submitted / "ada" / name / f"{name}.ipynb")  # complete
        (submitted / "bob" / name).mkdir(parents=True)
        shutil.copy(release, submitted / "bob" / name / f"{name}.ipynb")  # untouched
        _filled_in(release, answers, submitted / "dan" / name / f"{name}.ipynb")
    _filled_in(
        course / "release" / names[0] / f"{names[0]}.ipynb",
        build_notebook(names[0]),
        submitted / "carol" / names[0] / f"{names[0]}.ipynb",
    )  # carol hands in no hw3
    _edited(submitted / "carol" / names[0] / f"{names[0]}.ipynb", bug[names[0]])
    _edited(submitted / "dan" / names[1] / f"{names[1]}.ipynb", bug[names[1]])

    db_url = "sqlite:///gradebook.db"
    batch = subprocess.run(
        [sys.executable, "-m", "grader.cli", "batch", "submitted", "--out", "results", "--workers", "2",
         "--nbgrader-db", db_url],
        cwd=course, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert batch.returncode == 0, batch.stdout[-3000:] + batch.stderr[-3000:]
    ours = {
        (row["assignment"], row["student"]): (float(row["score"]), float(row["max_score"]))
        for row in read_gradebook_rows(course / "results" / "gradebook.csv")
    }
    assert ours[("hw1_attention", "ada")] == ours[("hw3_tokenization", "ada")] == (100, 100)
    assert ours[("hw1_attention", "bob")] == ours[("hw3_tokenization", "bob")] == (0, 100)
    assert 0 < ours[("hw1_attention", "carol")][0] < 100 and ours[("hw1_attention", "dan")] == (100, 100)
    assert 0 < ours[("hw3_tokenization", "dan")][0] < 100 and ("hw3_tokenization", "carol") not in ours
    for student in ("ada", "bob", "carol", "dan"):
        assert (course / "results" / student / "hw1_attention" / "feedback.html").is_file()

    exported = _export(course)
    # nbgrader lists every student for every assignment; one with no submission scores 0.
    expected = {**ours, ("hw3_tokenization", "carol"): (0.0, 100.0)}
    assert exported.keys() == expected.keys()  # nbgrader adds up the cells' scores: equal up to rounding
    assert all(exported[key] == pytest.approx(value, abs=1e-9) for key, value in expected.items()), exported
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="course") as gradebook:
        for name in names:
            assert gradebook.find_assignment(name).max_score == 100
            for student in ("ada", "bob", "carol", "dan"):
                try:
                    submission = gradebook.find_submission(name, student)
                except MissingEntry:
                    assert (name, student) == ("hw3_tokenization", "carol")
                    continue
                assert not submission.needs_manual_grade, (name, student)

    for name in names:
        _nbgrader(course, "autograde", name, "--force")
    assert _export(course) == exported


@pytest.mark.slow  # importing nbgrader.api and creating a gradebook cost several seconds
def test_a_gradebook_whose_notebook_checks_carry_points_is_refused_before_grading(tmp_path):
    pytest.importorskip("nbgrader")
    from nbgrader.api import Gradebook

    from grader.classroom.nbgrader_gradebook import check_gradebook

    db_url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    for bad in ("notaurl", f"sqlite:///{tmp_path / 'missing' / 'folder' / 'gradebook.db'}"):
        with pytest.raises(ConfigurationError, match=f"cannot open the nbgrader gradebook {bad}"):
            check_gradebook(bad, [])
    check_gradebook(db_url, [])  # creates the gradebook (nbgrader runs alembic for that, found by the grader)
    with Gradebook(db_url, course_id="course") as gradebook:
        gradebook.add_assignment("hw1_attention")
        gradebook.add_notebook("hw1_attention", "hw1_attention")
        gradebook.add_grade_cell("step3", "hw1_attention", "hw1_attention", max_score=10, cell_type="code")
        gradebook.add_grade_cell("essay", "hw1_attention", "hw1_attention", max_score=5, cell_type="markdown")
        gradebook.add_grade_cell("check", "hw1_attention", "hw1_attention", max_score=0, cell_type="code")
    check_gradebook(db_url, ["hw3_tokenization"])  # an assignment not in the gradebook yet is fine
    with pytest.raises(ConfigurationError, match=r"in hw1_attention.ipynb \(10 points\); nbgrader would add"):
        check_gradebook(db_url, ["hw3_tokenization", "hw1_attention"])


# ---------------------------------------------------------------- the grader accepts the notebook


@pytest.mark.slow
def test_the_filled_in_notebook_scores_like_the_modules(tmp_path, hw1_reference_result):
    (path,) = build_course(tmp_path, ["hw1_attention"])
    (result,) = grade(path, config=GradeConfig(seed=hw1_reference_result.seed))
    assert result.assignment == "hw1_attention"
    scores = {test.name: test.score for test in result.tests}
    assert scores == {test.name: test.score for test in hw1_reference_result.tests}
    assert result.score == 100


@pytest.mark.slow
def test_the_released_notebook_graded_as_is_scores_zero(released):
    (result,) = grade(released["hw3_tokenization"] / "hw3_tokenization.ipynb", config=GradeConfig())
    assert result.assignment == "hw3_tokenization" and result.score == 0 and result.max_score == 100
    for test in result.tests:
        assert "is not implemented yet (it raises NotImplementedError)" in test.message, test.message


# ---------------------------------------------------------------- the grader's scores in nbgrader's gradebook


def _row(student: str, scores: dict[str, float], status: str = "graded", assignment: str = "hw1_attention"):
    from grader.results.record import Row, Status
    from grader.results.verdicts import TestResult, Verdict

    tests = tuple(
        TestResult(name, name, 50.0, score, Verdict.PARTIAL, assignment=assignment)
        for name, score in scores.items()
    )
    return Row(student, assignment, Status(status), score=sum(scores.values()), max_score=100.0, tests=tests)


@pytest.mark.slow  # importing nbgrader.api and creating a gradebook cost several seconds
def test_scores_are_written_into_nbgrader_gradebook(tmp_path):
    pytest.importorskip("nbgrader")
    from nbgrader.api import Gradebook

    from grader.classroom.nbgrader_gradebook import export_to_nbgrader_gradebook

    db_url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    rows = [
        _row("ada", {"test_softmax": 50.0, "test_mha": 20.0}),
        _row("bob", {}, status="error"),  # refused submission: 0 on every test
        _row("eve", {}, status="grader-error"),  # the grader's failure: no score recorded
        _row("max", {}, status="missing"),  # nothing handed in: no submission
        _row("ann", {"test_x": 1.0}, assignment="hw3_tokenization"),  # into its own assignment
    ]
    assert export_to_nbgrader_gradebook(rows, db_url) == {
        "hw1_attention": ["ada", "bob"],
        "hw3_tokenization": ["ann"],
    }
    # Again with a new score: replaced, not duplicated; and renamed.
    rows[0] = _row("ada", {"test_softmax": 50.0, "test_mha": 45.0})
    export_to_nbgrader_gradebook(rows[:1], db_url)
    assert export_to_nbgrader_gradebook(rows[:1], db_url, rename={"hw1_attention": "ps1"}) == {"ps1": ["ada"]}
    with Gradebook(db_url, course_id="course") as gradebook:
        assert {s.id for s in gradebook.students} == {"ada", "bob", "ann"}
        ada = gradebook.find_submission("hw1_attention", "ada")
        assert ada.score == 95.0 and ada.max_score == 100.0
        assert gradebook.find_grade("test_mha", "grader", "hw1_attention", "ada").score == 45.0
        assert gradebook.find_submission("hw1_attention", "bob").score == 0.0
        assert gradebook.find_submission("ps1", "ada").score == 95.0
        assert not ada.needs_manual_grade
