"""Staging: find the assignment(s) in a submission and copy them, checked, into a scratch folder.

A submission is a folder (its modules at the top, or one subfolder per assignment named like it), a
single module, or a notebook whose solution cells start with `%%writefile MODULE.py`. Nothing from the
submission is imported here; files are only read and copied. Symlinks, special files and oversized
files are refused with a message naming the file.
"""

from __future__ import annotations

import ast
import json
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from .assignments import ASSIGNMENTS, Assignment, get_assignment
from .errors import SubmissionError

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_TOTAL_BYTES = 50 * 1024 * 1024
MAX_FILES = 500
SKIPPED_DIRS = {"__pycache__", ".git", ".ipynb_checkpoints", ".pytest_cache", ".venv", "venv"}
WRITEFILE = re.compile(r"^\s*%%writefile\s+(?:-a\s+)?(?P<name>[\w./-]+\.py)\s*$")


@dataclass(frozen=True)
class Source:
    """One assignment's files in a submission: module name -> text, plus other files to copy."""

    assignment: Assignment
    modules: dict[str, str]
    origin: Path
    extra_files: dict[str, bytes]


@dataclass(frozen=True)
class StagedSubmission:
    """A checked copy of one assignment's files: `work_dir/<assignment.name>/` is the package."""

    assignment: Assignment
    origin: Path
    work_dir: Path
    present: frozenset[str]
    imports: dict[str, frozenset[str]]

    @property
    def package_dir(self) -> Path:
        return self.work_dir / self.assignment.name


def _check_entry(path: Path) -> int:
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        raise SubmissionError(f"{path} is a symbolic link; submit regular files only")
    if not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
        raise SubmissionError(f"{path} is not a regular file (a device, pipe or socket); remove it")
    if stat.S_ISREG(info.st_mode) and info.st_size > MAX_FILE_BYTES:
        raise SubmissionError(
            f"{path} is {info.st_size / 1024**2:.1f} MiB; "
            f"files over {MAX_FILE_BYTES // 1024**2} MiB are refused"
        )
    return info.st_size if stat.S_ISREG(info.st_mode) else 0


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SubmissionError(f"{path} is not UTF-8 text; save it as UTF-8") from None


def notebook_modules(path: Path) -> dict[str, str]:
    """The modules a notebook writes with `%%writefile NAME.py` cells (the last cell for a name wins)."""
    _check_entry(path)
    try:
        notebook = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise SubmissionError(
            f"{path} is not a valid notebook (invalid JSON at line {exc.lineno}, column {exc.colno})",
            hint="re-download the notebook from Jupyter (File > Download) instead of editing it as text",
        ) from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise SubmissionError(f"{path} is not a Jupyter notebook (it has no list of cells)")
    modules: dict[str, str] = {}
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        first, _, body = text.partition("\n")
        match = WRITEFILE.match(first)
        if match:
            modules[Path(match["name"]).name] = body
    return modules


def _match(names: set[str]) -> list[Assignment]:
    scored = [(len(names & set(a.modules)), a) for a in ASSIGNMENTS.values()]
    best = max((score for score, _ in scored), default=0)
    return [a for score, a in scored if score == best and best > 0]


def _collect_folder(folder: Path) -> tuple[dict[str, str], dict[str, bytes]]:
    modules: dict[str, str] = {}
    extra: dict[str, bytes] = {}
    total = count = 0
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part in SKIPPED_DIRS for part in relative.parts):
            continue
        total += _check_entry(path)
        count += 1
        if count > MAX_FILES or total > MAX_TOTAL_BYTES:
            raise SubmissionError(
                f"{folder} holds more than {MAX_FILES} files or {MAX_TOTAL_BYTES >> 20} MiB"
            )
        if path.is_dir():
            continue
        if path.suffix == ".py":
            modules[str(relative)] = _read_text(path)
        elif path.suffix == ".ipynb":
            for name, text in notebook_modules(path).items():
                modules.setdefault(name, text)
        else:
            extra[str(relative)] = path.read_bytes()
    return modules, extra


def find_sources(path: Path, assignment: str | None = None) -> list[Source]:
    """The assignment(s) a submission holds, with their files read and checked."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise SubmissionError(f"{path} does not exist")
    _check_entry(path)
    if path.is_dir():
        subfolders = [path / name for name in ASSIGNMENTS if (path / name).is_dir()]
        # A notebook beside such a subfolder (nbgrader's submitted/<student>/<assignment>/) wrote it with its
        # `%%writefile <assignment>/NAME.py` cells: the notebook is the submission, the folder its output.
        if subfolders and any(notebook_modules(p) for p in sorted(path.glob("*.ipynb")) if p.is_file()):
            subfolders = []
        if subfolders and assignment is None:
            return [s for folder in subfolders for s in find_sources(folder, folder.name)]
        modules, extra = _collect_folder(path)
    elif path.suffix == ".ipynb":
        modules, extra = notebook_modules(path), {}
    elif path.suffix == ".py":
        modules, extra = {path.name: _read_text(path)}, {}
    else:
        raise SubmissionError(f"{path} is not a folder, a .py module or a .ipynb notebook")
    if assignment is not None:
        chosen = get_assignment(assignment)
    else:
        candidates = _match({Path(name).name for name in modules}) or (
            [ASSIGNMENTS[path.name]] if path.name in ASSIGNMENTS else []
        )
        if len(candidates) != 1:
            expected = "; ".join(f"{a.name}: {', '.join(a.modules)}" for a in ASSIGNMENTS.values())
            raise SubmissionError(
                f"cannot tell which assignment {path} holds",
                hint=f"pass --assignment NAME; the assignments expect these files: {expected}",
            )
        chosen = candidates[0]
    return [Source(chosen, modules, path, extra)]


def stage(source: Source, scratch: Path) -> StagedSubmission:
    """Write `source` into `scratch/work/<assignment>/` with the grader's own empty `__init__.py`."""
    work_dir = scratch / "work"
    package = work_dir / source.assignment.name
    package.mkdir(parents=True)
    for name, data in source.extra_files.items():
        target = package / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    for name, text in source.modules.items():
        target = package / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    # The grader's own __init__: a broken or eager one in the submission must not sink every module.
    (package / "__init__.py").write_text("", encoding="utf-8")
    present = frozenset(name for name in source.modules if "/" not in name)
    imports = {
        Path(name).stem: local_imports(source.modules[name], source.assignment.name, present)
        for name in present
    }
    return StagedSubmission(source.assignment, source.origin, work_dir, present, imports)


def local_imports(text: str, package: str, present: frozenset[str]) -> frozenset[str]:
    """The submission's own modules that `text` imports, read from its syntax tree (never executed)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return frozenset()
    local = {Path(name).stem for name in present}
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            parts = (node.module or "").split(".")
            if node.level == 1 or (node.level == 0 and parts[0] == package):
                inner = parts[1:] if node.level == 0 else parts
                candidates = inner[:1] if inner and inner[0] else [alias.name for alias in node.names]
                found.update(name for name in candidates if name in local)
            elif node.level == 0 and parts[0] in local:
                found.add(parts[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] in local:
                    found.add(parts[0])
                elif parts[0] == package and len(parts) > 1 and parts[1] in local:
                    found.add(parts[1])
    return frozenset(found)
