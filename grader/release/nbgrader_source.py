"""Release through nbgrader: an nbgrader course folder built from `templates/` and `solutions/`.

A template (`templates/<assignment>.notebook.md`) holds the course narrative in Markdown and says where code
goes with fenced directives; it never contains solution code:

    ```{module} softmax.py          one code cell `%%writefile <assignment>/softmax.py` whose body is the
    ```                             reference module, read from solutions/ at build time (an nbgrader
                                    solution cell: nbgrader's `### BEGIN SOLUTION` regions become stubs).
                                    A module without a solution region (a given file, such as hw2's
                                    data.py) is a read-only cell instead: nbgrader would replace a
                                    solution cell that has no region by the stub, whole.
    ```{test} step3_softmax points=10
    assert ...                      an autograded test cell (a check worth 0 points in nbgrader: the grade
                                    is the grader's; its points count only in a course graded by
                                    nbgrader alone, see build_notebook); `### BEGIN HIDDEN TESTS` /
    ```                             `### END HIDDEN TESTS` regions are removed from the student release
    ```{code} worked_example
    print(...)                      a read-only code cell (setup, worked examples)
    ```

Everything else is Markdown; a line `+++` starts a new Markdown cell (as in MyST). Markdown cells are
read-only. Ordinary fences (```python) stay inside the Markdown.

`build_course` writes `nbgrader_config.py` (when absent) and `source/<assignment>/<assignment>.ipynb`, and no
other file: the notebook's setup cell creates the folder its `%%writefile` cells write into. `nbgrader
generate_assignment <assignment>` then produces the student release. Nothing hidden (the grader's suites, the
reference modules as files) is written into the course folder, and the config keeps `*.py` files out of
nbgrader's copies, so running a source notebook in place cannot leak its modules into the release.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import markers
from grader.assignments import PACKAGE_ROOT, Assignment, get_assignment
from grader.errors import ConfigurationError

__all__ = [
    "TEMPLATES_ROOT",
    "TEMPLATE_SUFFIX",
    "TemplateCell",
    "build_course",
    "build_notebook",
    "config_advice",
    "parse_template",
    "templated_assignments",
]

TEMPLATES_ROOT = PACKAGE_ROOT.parent / "templates"
TEMPLATE_SUFFIX = ".notebook.md"
DIRECTIVE = re.compile(r"^```\{(?P<kind>[a-z]+)\}[ \t]*(?P<args>.*?)\s*$")
KINDS = ("module", "test", "code")
NAME = re.compile(r"^[A-Za-z_][\w-]*$")

NBGRADER_CONFIG = '''"""nbgrader's configuration, written once by `grader nbgrader-source`; edit it freely."""

c = get_config()  # noqa: F821 (nbgrader provides get_config)

c.CourseDirectory.course_id = "{course_id}"
# The solution regions of the `%%writefile` cells become this stub: the released functions raise
# NotImplementedError until the student writes them, like the stubs in assignments/.
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
# The notebooks need no file beside them: their `%%writefile` cells write every module when they run. A module
# left in source/ by running a source notebook there holds the solution; never copy one into a release.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.py"]
'''

# What build_course's nbgrader_config.py sets, and why an existing config should set it too.
CONFIG_ADVICE = {
    "*.py": 'add "*.py" to c.CourseDirectory.ignore, or a source notebook run in place leaks its modules',
    "raise NotImplementedError()": "set c.ClearSolutions.code_stub to raise NotImplementedError()",
}

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


@dataclass(frozen=True)
class TemplateCell:
    """One cell of a template: `kind` is markdown, module, test or code; `name` the module file or cell id."""

    kind: str
    source: str
    line: int
    name: str = ""
    points: float = 0


def template_path(name: str, templates_dir: Path = TEMPLATES_ROOT) -> Path:
    """Where the template of assignment `name` lives."""
    return Path(templates_dir) / f"{name}{TEMPLATE_SUFFIX}"


def templated_assignments(templates_dir: Path = TEMPLATES_ROOT) -> list[str]:
    """The assignments that have a notebook template, sorted; a template naming no assignment is an error."""
    names = sorted(p.name[: -len(TEMPLATE_SUFFIX)] for p in Path(templates_dir).glob(f"*{TEMPLATE_SUFFIX}"))
    for name in names:
        get_assignment(name)
    return names


def _parse_args(kind: str, args: str, where: str) -> tuple[str, float]:
    words = args.split()
    name = words[0] if words else ""
    points: float = 0
    for word in words[1:]:
        key, _, value = word.partition("=")
        if key != "points" or kind != "test":
            raise ConfigurationError(f"{where}: unknown option {word!r} for a {{{kind}}} cell")
        try:
            points = float(value)
            points = int(points) if points.is_integer() else points
        except ValueError:
            raise ConfigurationError(f"{where}: points must be a number, got {value!r}") from None
    if kind == "module" and not name.endswith(".py"):
        raise ConfigurationError(f"{where}: a {{module}} cell names a module file, e.g. softmax.py")
    if kind == "test" and (not name or points <= 0):
        raise ConfigurationError(f"{where}: a {{test}} cell needs an id and points, e.g. step3 points=10")
    if kind != "module" and name and not NAME.match(name):
        raise ConfigurationError(f"{where}: {name!r} is not a valid cell id (letters, digits, _ and -)")
    return name, points


def _check_hidden_markers(text: str, where: str, first_line: int, allowed: bool) -> None:
    for offset, line in enumerate(text.splitlines()):
        if line.strip() in (markers.BEGIN, markers.END):
            raise ConfigurationError(
                f"{where}:{first_line + offset}: solution code belongs in solutions/, not the template"
            )
        if line.strip() == markers.BEGIN_HIDDEN and not allowed:
            raise ConfigurationError(
                f"{where}:{first_line + offset}: hidden tests are allowed only in {{test}} cells"
            )
    markers.scan(text, where, first_line=first_line)  # hidden-test regions that nest or never close


def parse_template(path: Path) -> list[TemplateCell]:
    """The cells of a template, in order; a malformed directive is an error naming file and line."""
    path = Path(path)
    cells: list[TemplateCell] = []
    markdown: list[str] = []
    markdown_line = 1

    def flush_markdown() -> None:
        text = "".join(markdown).strip("\n")
        if text.strip():
            _check_hidden_markers(text, str(path), markdown_line, allowed=False)
            cells.append(TemplateCell("markdown", text, markdown_line))
        markdown.clear()

    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    number = 0
    while number < len(lines):
        line = lines[number]
        number += 1
        match = DIRECTIVE.match(line)
        if line.rstrip("\n") == "+++" or match:
            flush_markdown()
            markdown_line = number + 1
        if not match:
            if line.rstrip("\n") != "+++":
                markdown.append(line)
            continue
        kind, start = match["kind"], number
        where = f"{path}:{start}"
        if kind not in KINDS:
            raise ConfigurationError(f"{where}: unknown cell kind {{{kind}}}; use one of {', '.join(KINDS)}")
        name, points = _parse_args(kind, match["args"], where)
        body: list[str] = []
        while number < len(lines) and lines[number].rstrip() != "```":
            body.append(lines[number])
            number += 1
        if number == len(lines):
            raise ConfigurationError(f"{where}: the {{{kind}}} cell is never closed with ```")
        number += 1
        text = "".join(body).rstrip("\n")
        _check_hidden_markers(text, str(path), start + 1, allowed=kind == "test")
        if kind == "module" and text.strip():
            raise ConfigurationError(
                f"{where}: a {{module}} cell stays empty; its code comes from solutions/"
            )
        cells.append(TemplateCell(kind, text, start, name, points))
        markdown_line = number + 1
    flush_markdown()
    return cells


def _nbgrader_metadata(
    grade_id: str, *, solution: bool = False, grade: bool = False, points: float | None = None
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": not solution,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        metadata["points"] = points
    return metadata


def _cell(kind: str, source: str, grade_id: str, **nbgrader: Any) -> dict[str, Any]:
    # Cell ids derive from the grade id, so that rebuilding an unchanged template gives the same file.
    cell: dict[str, Any] = {
        "cell_type": "markdown" if kind == "markdown" else "code",
        "id": hashlib.sha256(grade_id.encode()).hexdigest()[:12],
        "metadata": {"nbgrader": _nbgrader_metadata(grade_id, **nbgrader)},
        "source": source,
    }
    if kind != "markdown":
        cell["execution_count"] = None
        cell["outputs"] = []
    return cell


def module_cell_source(assignment: Assignment, module: str) -> str:
    """The source of the `%%writefile` cell of `module`: the reference module verbatim, markers included."""
    text = (assignment.solution_dir / module).read_text(encoding="utf-8")
    return f"%%writefile {assignment.name}/{module}\n{text}"


def build_notebook(
    name: str, templates_dir: Path = TEMPLATES_ROOT, *, check_points: bool = False
) -> dict[str, Any]:
    """The source notebook of assignment `name` (nbformat 4.5, a JSON-ready dict) with nbgrader metadata.

    Its test cells are nbgrader grade cells worth 0 points: the grade is the grader's (`grader batch
    --nbgrader-db`), and the cells stay the students' checks. `check_points` gives them the template's
    points instead, for a course graded by nbgrader's autograde alone.
    """
    assignment = get_assignment(name)
    path = template_path(name, templates_dir)
    if not path.is_file():
        raise ConfigurationError(f"assignment {name} has no notebook template ({path} is missing)")
    cells: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    modules: dict[str, int] = {}
    for number, cell in enumerate(parse_template(path), start=1):
        where = f"{path}:{cell.line}"
        if cell.kind == "module":
            if cell.name not in assignment.modules:
                known = ", ".join(assignment.modules)
                raise ConfigurationError(f"{where}: {cell.name} is not a module of {name} ({known})")
            if cell.name in modules:
                raise ConfigurationError(
                    f"{where}: {cell.name} already has a cell (line {modules[cell.name]})"
                )
            modules[cell.name] = cell.line
            grade_id = Path(cell.name).stem
            source = module_cell_source(assignment, cell.name)
            cells.append(_cell("module", source, grade_id, solution=markers.has_solution(source, cell.name)))
        else:
            grade_id = cell.name or f"{cell.kind}-{number:02d}"
            grade = cell.kind == "test"
            points = (cell.points if check_points else 0) if grade else None
            cells.append(_cell(cell.kind, cell.source, grade_id, grade=grade, points=points))
        if grade_id in seen:
            raise ConfigurationError(f"{where}: cell id {grade_id!r} is used twice (line {seen[grade_id]})")
        seen[grade_id] = cell.line
    missing = [module for module in assignment.modules if module not in modules]
    if missing:
        raise ConfigurationError(f"{path}: no {{module}} cell for {', '.join(missing)}")
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": dict(KERNELSPEC),
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def build_course(
    course_dir: Path,
    names: list[str] | None = None,
    *,
    templates_dir: Path = TEMPLATES_ROOT,
    course_id: str = "course",
    check_points: bool = False,
) -> list[Path]:
    """Write nbgrader's source folder of each templated assignment into `course_dir`; the notebooks written.

    The test cells are worth 0 points unless `check_points` (see `build_notebook`).

    `source/<name>/` is replaced; `nbgrader_config.py` is written only when absent; nothing else in the
    course folder (release/, submitted/, the gradebook) is touched.
    """
    course_dir = Path(course_dir)
    chosen = names or templated_assignments(templates_dir)
    if not chosen:
        raise ConfigurationError(f"no notebook templates (*{TEMPLATE_SUFFIX}) in {templates_dir}")
    notebooks = {  # all or nothing
        name: build_notebook(name, templates_dir, check_points=check_points) for name in chosen
    }
    course_dir.mkdir(parents=True, exist_ok=True)
    config = course_dir / "nbgrader_config.py"
    if not config.exists():
        config.write_text(NBGRADER_CONFIG.format(course_id=course_id), encoding="utf-8")
    written = []
    for name, notebook in notebooks.items():
        folder = course_dir / "source" / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        path = folder / f"{name}.ipynb"
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


def config_advice(course_dir: Path) -> list[str]:
    """What an existing nbgrader_config.py in `course_dir` lacks of the settings build_course would write."""
    path = Path(course_dir) / "nbgrader_config.py"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    return [f"{path}: {advice}" for needle, advice in CONFIG_ADVICE.items() if needle not in text]
