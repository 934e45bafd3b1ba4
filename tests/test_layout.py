"""grader/'s folders are its subsystems, and imports between them only run downward.

From the bottom: the base modules every layer uses (errors, the assignment registry, the marker grammar);
the variant catalogues; results (verdicts, the typed record, reports and pages); grading one submission
(staging, sandbox, the student proxy, the pytest plugin, the runner); the suite API hidden tests import, and
releasing to students; the class (batches, gradebooks, exports); authoring tools; the command line on top.
"""

import ast
from pathlib import Path

import grader

ROOT = Path(grader.__file__).parent
LAYERS = {
    "base": 0,
    "catalogue": 1,
    "results": 2,
    "grading": 3,
    "suite": 4,
    "release": 4,
    "classroom": 5,
    "authoring": 6,
    "cli": 7,
}
BASE_MODULES = {"__init__", "errors", "assignments", "markers"}


def _subsystem(module: str) -> str:
    parts = module.split(".")
    assert parts[0] == "grader", module
    if len(parts) == 1 or parts[1] in BASE_MODULES:
        return "base"
    return parts[1]


def _module_name(path: Path) -> str:
    relative = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(relative.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, package: str = "") -> set[str]:
    """Every grader module `path` imports, at the top or inside a function, relative imports resolved."""
    if not package:
        name = _module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("grader"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            if module.startswith("grader"):
                found.add(module)
    return found


def _sources() -> list[Path]:
    return [p for p in ROOT.rglob("*.py") if "hidden" not in p.relative_to(ROOT).parts]


def test_every_module_belongs_to_a_known_subsystem():
    for path in _sources():
        assert _subsystem(_module_name(path)) in LAYERS, f"{path}: put it in one of {sorted(LAYERS)}"


def test_imports_only_run_downward_between_subsystems():
    upward = []
    for path in _sources():
        importer = _subsystem(_module_name(path))
        for module in _imports(path):
            imported = _subsystem(module)
            if imported != importer and LAYERS[imported] >= LAYERS[importer]:
                upward.append(f"{path.relative_to(ROOT.parent)} ({importer}) imports {module} ({imported})")
    assert not upward, "imports that run up or sideways:\n" + "\n".join(upward)


def test_the_check_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "def f():\n    from grader.classroom.batch import grade_batch\n    from ..errors import X\n"
    )
    assert _imports(module, "grader.grading.sandbox") == {"grader.classroom.batch", "grader.grading.errors"}
