"""The student release: `assignments/<name>/` generated from `solutions/<name>/`, never written by hand.

The pipeline, in order, per assignment:
1. every `.py` module: each region between `### BEGIN SOLUTION` and `### END SOLUTION` becomes a
   `raise NotImplementedError(...)` at the marker's indentation (an unmatched or nested marker is an
   error naming file and line);
2. the handout README.md is copied;
3. the public tests in `tests/` are copied (they compare against PyTorch, never against answers), with
   a conftest that imports the student's folder as the assignment's package, and `check.py`, the
   student-side check runner (`grader/release/student_check.py`, which holds no answers);
4. a manifest lists every file with its SHA-256, so a stale release is detected by comparing manifests.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from grader import markers
from grader.assignments import ASSIGNMENTS, Assignment
from grader.errors import ConfigurationError
from grader.release import student_check

MANIFEST = "MANIFEST.json"

PUBLIC_CONFTEST = '''"""Lets the public tests import this folder as the package `{package}`; no answers."""

import importlib.util
import sys
from pathlib import Path

_FOLDER = Path(__file__).resolve().parent.parent


def _load_package() -> None:
    if "{package}" in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(
        "{package}", _FOLDER / "__init__.py", submodule_search_locations=[str(_FOLDER)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["{package}"] = module
    spec.loader.exec_module(module)


_load_package()
'''


def _release_files(assignment: Assignment) -> dict[str, bytes]:
    source = assignment.solution_dir
    files: dict[str, bytes] = {}
    for path in sorted(source.glob("*.py")):
        files[path.name] = markers.stub_source(path.read_text(encoding="utf-8"), path.name).encode()
    files["README.md"] = (source / "README.md").read_bytes()
    for path in sorted((source / "tests").glob("*.py")):
        if path.name != "conftest.py":
            files[f"tests/{path.name}"] = path.read_bytes()
    files["tests/conftest.py"] = PUBLIC_CONFTEST.format(package=assignment.name).encode()
    files["check.py"] = Path(student_check.__file__).read_bytes()
    for name, data in files.items():
        text = data.decode("utf-8", "replace")
        for marker in (markers.BEGIN, markers.END, markers.BEGIN_HIDDEN, markers.END_HIDDEN):
            if marker in text:
                raise ConfigurationError(f"{assignment.name}/{name} still contains {marker!r} after stubbing")
    manifest = {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}
    files[MANIFEST] = (json.dumps(manifest, indent=2) + "\n").encode()
    return files


def build_release(destination: Path, names: list[str] | None = None) -> list[Path]:
    """Write the student release of each assignment into `destination/<name>/`, replacing what was there."""
    written = []
    for name in names or sorted(ASSIGNMENTS):
        assignment = ASSIGNMENTS[name]
        target = Path(destination) / name
        if target.exists():
            shutil.rmtree(target)
        for relative, data in _release_files(assignment).items():
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        written.append(target)
    return written


def stale_files(destination: Path, names: list[str] | None = None) -> list[str]:
    """Files of the committed release that differ from a fresh build (empty when up to date)."""
    stale = []
    for name in names or sorted(ASSIGNMENTS):
        expected = _release_files(ASSIGNMENTS[name])
        folder = Path(destination) / name
        actual = (
            {
                str(p.relative_to(folder)): p.read_bytes()
                for p in folder.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts and ".pytest_cache" not in p.parts
            }
            if folder.is_dir()
            else {}
        )
        for relative in sorted(set(expected) | set(actual)):
            if expected.get(relative) != actual.get(relative):
                stale.append(f"{name}/{relative}")
    return stale


def solution_lines(assignment: Assignment) -> set[str]:
    """Every substantive line inside a solution region (for leak checks on the release)."""
    lines: set[str] = set()
    for path in assignment.solution_dir.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        numbered = text.splitlines()
        for number in markers.solution_lines(text, str(path)):
            stripped = numbered[number - 1].strip()
            if len(stripped) > 25 and not stripped.startswith("#"):
                lines.add(stripped)
    return lines
