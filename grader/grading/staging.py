"""Staging: find what an assignment needs in a submission, wherever it is, and copy it into a scratch folder.

A submission is what a student uploads: a folder (nested, renamed, with OS and tool clutter, checkpoints,
data and plots beside the code), a zip of one, a single module, or a notebook whose solution cells start with
`%%writefile NAME.py`. Staging takes the assignment's modules from wherever they are, reads nothing else, and
records what it graded and what it ignored and why. It refuses only what is unreadable (a graded file that is
not UTF-8, too large, a symlink) or ambiguous (two different copies of one module), naming the paths.
Nothing from the submission is imported here; files are only read and copied.
"""

from __future__ import annotations

import ast
import json
import os
import re
import stat
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grader.assignments import ASSIGNMENTS, Assignment, get_assignment
from grader.errors import SubmissionError

MAX_FILE_BYTES = 2 * 1024 * 1024  # one graded module (a notebook: the source of one cell)
MAX_NOTEBOOK_BYTES = 100 * 1024 * 1024  # a whole notebook with its outputs, as nbgrader allows
MAX_GRADED_FILES = 200
MAX_ENTRIES = 50_000  # files and folders looked at (not read) in one upload

# Folders and files that tools and operating systems leave behind: never graded, never read.
CLUTTER_DIRS = {
    "__MACOSX": "macOS zip metadata",
    "__pycache__": "Python caches",
    ".ipynb_checkpoints": "Jupyter checkpoints",
    ".git": "version control",
    ".hg": "version control",
    ".svn": "version control",
    ".venv": "a virtual environment",
    "venv": "a virtual environment",
    "site-packages": "installed packages",
    "node_modules": "installed packages",
    ".idea": "editor settings",
    ".vscode": "editor settings",
    ".pytest_cache": "tool caches",
    ".mypy_cache": "tool caches",
    ".ruff_cache": "tool caches",
    ".tox": "tool caches",
}
CLUTTER_FILES = {".DS_Store": "macOS folder metadata", "Thumbs.db": "Windows thumbnails", "desktop.ini": ""}
# Files beside the modules that are not part of the solution: the release's own checks and packaging.
NOT_HELPERS = {"__init__.py", "check.py", "conftest.py", "setup.py"}
WRITEFILE = re.compile(r"^\s*%%writefile\s+(?:-a\s+)?(?P<name>[\w./ -]+\.py)\s*$")
# What browsers and file managers make of a module's name when a copy already exists: "softmax (1).py".
RENAMED = re.compile(r"^(?P<stem>\w+?)(?: ?\(\d+\)|-\d+| - Copy| copy(?: \d+)?)\.py$")


@dataclass(frozen=True)
class Source:
    """One assignment's code in a submission: module name -> text, and where each came from.

    `graded` maps each module name to the path it was read from (relative to the upload; a notebook cell is
    `notebook.ipynb:%%writefile NAME`); `ignored` maps each reason to the paths left alone for it.
    """

    assignment: Assignment
    modules: dict[str, str]
    origin: Path
    graded: dict[str, str] = field(default_factory=dict)
    ignored: dict[str, tuple[str, ...]] = field(default_factory=dict)


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


@dataclass(frozen=True)
class _Copy:
    """One candidate text for a module: from a .py file, or from a notebook cell that writes `written`."""

    path: str  # relative to the upload, for messages
    text: str
    notebook: str = ""  # the notebook's path when the text comes from a cell
    written: str = ""  # where that cell writes the file, relative to the upload
    renamed: bool = False  # "softmax (1).py" standing for softmax.py

    @property
    def normalized(self) -> str:
        return self.text.removeprefix("\ufeff").replace("\r\n", "\n").rstrip() + "\n"


@dataclass
class _Upload:
    """What a walk over an upload found: candidate files by kind, and what it ignored."""

    root: Path
    python: list[str] = field(default_factory=list)  # relative paths of .py files
    notebooks: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)  # relative path -> why (symlink, special file)
    ignored: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix() if path != self.root else path.name


def _walk(root: Path) -> _Upload:
    """List an upload's files without reading any, pruning clutter folders."""
    upload = _Upload(root)
    seen = 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        kept = []
        for name in sorted(dirs):
            path = here / name
            reason = CLUTTER_DIRS.get(name)
            if reason is None and (path / "pyvenv.cfg").is_file():
                reason = "a virtual environment"
            if path.is_symlink():
                upload.unreadable[upload.relative(path)] = "a symbolic link"
            elif reason:
                upload.ignored[reason].append(upload.relative(path) + "/")
            else:
                kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            seen += 1
            if seen > MAX_ENTRIES:
                raise SubmissionError(
                    f"{root} holds more than {MAX_ENTRIES} files", hint="upload only the assignment's folder"
                )
            path = here / name
            relative = upload.relative(path)
            mode = path.lstat().st_mode
            if name.startswith("._"):
                upload.ignored["macOS resource forks"].append(relative)
            elif name.endswith("-checkpoint.ipynb"):
                upload.ignored["Jupyter checkpoints"].append(relative)
            elif name in CLUTTER_FILES:
                upload.ignored[CLUTTER_FILES[name] or "OS clutter"].append(relative)
            elif stat.S_ISLNK(mode):
                upload.unreadable[relative] = "a symbolic link"
            elif not stat.S_ISREG(mode):
                upload.unreadable[relative] = "not a regular file (a device, pipe or socket)"
            elif name.endswith(".py"):
                upload.python.append(relative)
            elif name.endswith(".ipynb"):
                upload.notebooks.append(relative)
            else:
                upload.ignored["not code"].append(relative)
    return upload


def _read_text(path: Path, shown: str) -> str:
    size = path.lstat().st_size
    if size > MAX_FILE_BYTES:
        raise SubmissionError(
            f"{shown} is {size / 1024**2:.1f} MiB; a graded module may be at most {MAX_FILE_BYTES >> 20} MiB",
            hint="keep data and model weights out of your modules",
        )
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise SubmissionError(f"{shown} is not UTF-8 text; save it as UTF-8") from None


def _notebook_cells(path: Path, shown: str | None = None) -> list[tuple[str, str]]:
    """(path as the cell names it, source) of each `%%writefile` cell; outputs are never looked at."""
    shown = shown or str(path)
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        raise SubmissionError(f"{shown} is a symbolic link; submit regular files only")
    if info.st_size > MAX_NOTEBOOK_BYTES:
        raise SubmissionError(
            f"{shown} is {info.st_size / 1024**2:.0f} MiB, over the {MAX_NOTEBOOK_BYTES >> 20} MiB limit",
            hint="clear the outputs (Kernel > Restart & Clear Output), save, and upload it again",
        )
    try:
        notebook = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise SubmissionError(f"{shown} is not UTF-8 text; save it from Jupyter again") from None
    except json.JSONDecodeError as exc:
        raise SubmissionError(
            f"{shown} is not a valid notebook (invalid JSON at line {exc.lineno}, column {exc.colno})",
            hint="re-download the notebook from Jupyter (File > Download) instead of editing it as text",
        ) from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise SubmissionError(f"{shown} is not a Jupyter notebook (it has no list of cells)")
    found: list[tuple[str, str]] = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        text = "".join(map(str, source)) if isinstance(source, list) else str(source)
        first, _, body = text.partition("\n")
        match = WRITEFILE.match(first)
        if match:
            if len(body.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
                raise SubmissionError(
                    f"{shown}: the cell that writes {match['name']} is over {MAX_FILE_BYTES >> 20} MiB"
                )
            found.append((match["name"].strip(), body))
    return found


def notebook_modules(path: Path) -> dict[str, str]:
    """The modules a notebook writes with `%%writefile NAME.py` cells (the last cell for a name wins)."""
    return {PurePosixPath(name).name: text for name, text in _notebook_cells(Path(path))}


def _in_folder_of(name: str, copy: _Copy, origin: Path) -> bool:
    """Whether `copy` sits in (or is written into) a folder named after assignment `name`."""
    return origin.name == name or name in PurePosixPath(copy.written or copy.path).parts[:-1]


def _choose_assignments(
    upload: _Upload, copies: dict[str, list[_Copy]], origin: Path, assignment: str | None
) -> list[Assignment]:
    present = {a.name: [n for n in a.modules if n in copies] for a in ASSIGNMENTS.values()}
    present = {name: found for name, found in present.items() if found}
    if assignment is not None:
        chosen = get_assignment(assignment)
        if present and chosen.name not in present:
            others = ", ".join(f"{name} ({', '.join(found)})" for name, found in present.items())
            raise SubmissionError(
                f"no submission for {chosen.name} in {origin}: it holds modules of {others} instead",
                hint=f"{chosen.name} expects {', '.join(chosen.modules)}; check the uploaded folder",
            )
        return [chosen]
    if not present:
        if origin.name in ASSIGNMENTS or origin.stem in ASSIGNMENTS:
            return [ASSIGNMENTS.get(origin.name) or ASSIGNMENTS[origin.stem]]
        expected = "; ".join(f"{a.name}: {', '.join(a.modules)}" for a in ASSIGNMENTS.values())
        raise SubmissionError(
            f"cannot tell which assignment {origin} holds: it has none of the assignments' modules",
            hint=f"pass --assignment NAME; the assignments expect these files: {expected}",
        )
    if len(present) == 1:
        return [ASSIGNMENTS[next(iter(present))]]
    # Several assignments in one upload are graded each when each sits in a folder named after it.
    organised = [
        name
        for name, found in present.items()
        if all(_in_folder_of(name, copy, origin) for module in found for copy in copies[module])
    ]
    if len(organised) >= 2:
        return [ASSIGNMENTS[name] for name in organised]
    best = max(len(found) for found in present.values())
    leaders = [name for name, found in present.items() if len(found) == best]
    if len(leaders) == 1:
        return [ASSIGNMENTS[leaders[0]]]
    listed = "; ".join(f"{name}: {', '.join(present[name])}" for name in leaders)
    raise SubmissionError(
        f"cannot tell which assignment {origin} holds: it has as many modules of each of {listed}",
        hint="pass --assignment NAME, or put each assignment in a folder named after it",
    )


def _pick(module: str, candidates: list[_Copy]) -> tuple[_Copy, list[_Copy]]:
    """The copy of `module` to grade and the identical or overridden copies left alone; refuses ambiguity."""
    exact = [c for c in candidates if not c.renamed]
    renamed = [c for c in candidates if c.renamed] if exact else []
    candidates = exact or candidates
    files = [c for c in candidates if not c.notebook]
    cells = [c for c in candidates if c.notebook]
    # A notebook's own %%writefile output beside it is the notebook's work, possibly stale: the cell wins.
    written = {c.written for c in cells}
    overridden = [c for c in files if c.path in written]
    files = [c for c in files if c.path not in written]
    ordered = sorted(files, key=lambda c: (len(PurePosixPath(c.path).parts), c.path)) + cells
    chosen = ordered[0]
    text = chosen.normalized
    for other in ordered[1:]:
        if other.normalized != text:
            raise SubmissionError(
                f"two different copies of {module} in your upload: {chosen.path} and {other.path}",
                hint="delete the copy you do not want graded (or make them identical) and upload again",
            )
    return chosen, ordered[1:] + overridden + renamed


def _sources_from(upload: _Upload, origin: Path, assignment: str | None) -> list[Source]:
    root = upload.root
    copies: dict[str, list[_Copy]] = defaultdict(list)
    if assignment is not None:
        get_assignment(assignment)  # an unknown name is a configuration error before any file is read
    needed = {module for a in ASSIGNMENTS.values() for module in a.modules}
    for relative in upload.python:
        name = PurePosixPath(relative).name
        match = RENAMED.match(name)
        if name in needed:
            copies[name].append(_Copy(relative, _read_text(root / relative, relative)))
        elif match and f"{match['stem']}.py" in needed:
            copy = _Copy(relative, _read_text(root / relative, relative), renamed=True)
            copies[f"{match['stem']}.py"].append(copy)
    cell_helpers: dict[str, list[_Copy]] = defaultdict(list)
    for relative in upload.notebooks:
        folder = PurePosixPath(relative).parent
        for written, text in _notebook_cells(root / relative, relative):
            name = PurePosixPath(written).name
            target = os.path.normpath((folder / written).as_posix())
            copy = _Copy(f"{relative}:%%writefile {written}", text, relative, target)
            (copies if name in needed else cell_helpers)[name].append(copy)
    chosen_assignments = _choose_assignments(upload, copies, origin, assignment)
    for relative, why in upload.unreadable.items():
        if PurePosixPath(relative).name in {m for a in chosen_assignments for m in a.modules}:
            raise SubmissionError(
                f"{relative} is {why}; submit regular files only", hint="copy the file itself"
            )
    sources = []
    for chosen in chosen_assignments:
        ignored: dict[str, list[str]] = defaultdict(list, {k: list(v) for k, v in upload.ignored.items()})
        for relative, why in upload.unreadable.items():
            ignored[why].append(relative)
        modules: dict[str, str] = {}
        graded: dict[str, str] = {}
        accounted: set[str] = set()
        used_notebooks: set[str] = set()
        module_folders: list[str] = []
        for module in chosen.modules:
            candidates = copies.get(module, [])
            if len(chosen_assignments) > 1:
                candidates = [c for c in candidates if _in_folder_of(chosen.name, c, origin)]
            if not candidates:
                continue
            copy, others = _pick(module, candidates)
            modules[module], graded[module] = copy.text, copy.path
            accounted.update(c.path for c in (copy, *others))
            for other in others:
                ignored[f"another copy of {module}, identical or overwritten by the one graded"].append(
                    other.path
                )
            if copy.notebook:
                used_notebooks.add(copy.notebook)
            else:
                module_folders.append(str(PurePosixPath(copy.path).parent))
        # The student's own helper modules beside the graded ones (or written by the same notebook).
        home = max(set(module_folders), key=module_folders.count) if module_folders else None
        # With several assignments, another one's folder is graded in its own right, not ignored here.
        elsewhere = {a.name for a in chosen_assignments} - {chosen.name}
        for relative in upload.python:
            path = PurePosixPath(relative)
            if relative in accounted or elsewhere & set(path.parts[:-1]):
                continue
            helper = (
                str(path.parent) == home
                and path.name not in chosen.modules
                and path.name not in NOT_HELPERS
                and not path.name.startswith("test_")
                and len(modules) < MAX_GRADED_FILES
            )
            if not helper:
                ignored[f"not part of {chosen.name}"].append(relative)
                continue
            try:
                modules[path.name], graded[path.name] = _read_text(root / relative, relative), relative
            except SubmissionError:
                ignored["not UTF-8 text or over 2 MiB, so not a helper module"].append(relative)
        for name, cells in cell_helpers.items():
            mine = [c for c in cells if c.notebook in used_notebooks]
            if mine and name not in modules and name not in NOT_HELPERS:
                modules[name], graded[name] = mine[-1].text, mine[-1].path
        for relative in upload.notebooks:
            if elsewhere & set(PurePosixPath(relative).parts[:-1]):
                continue
            if relative not in used_notebooks and not any(
                c.notebook == relative for name in chosen.modules for c in copies.get(name, [])
            ):
                ignored[f"no %%writefile cell for {chosen.name}"].append(relative)
        sources.append(
            Source(
                chosen,
                modules,
                origin,
                graded,
                {reason: tuple(sorted(paths)) for reason, paths in ignored.items() if paths},
            )
        )
    return sources


def _extract_zip(archive: Path, into: Path) -> None:
    """Unpack the code of a zip (modules and notebooks only; clutter and other files stay packed)."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = bundle.infolist()
            if len(members) > MAX_ENTRIES:
                raise SubmissionError(f"{archive} holds more than {MAX_ENTRIES} entries")
            for member in members:
                parts = PurePosixPath(member.filename.replace("\\", "/")).parts
                if member.is_dir() or not parts or ".." in parts or parts[0] in ("/", ""):
                    continue
                target = into.joinpath(*parts)
                if not member.filename.endswith((".py", ".ipynb")) or any(p in CLUTTER_DIRS for p in parts):
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.touch()  # listed as ignored, never unpacked
                    continue
                limit = MAX_NOTEBOOK_BYTES if member.filename.endswith(".ipynb") else MAX_FILE_BYTES
                if member.file_size > limit:
                    raise SubmissionError(
                        f"{archive}: {member.filename} is {member.file_size / 1024**2:.1f} MiB, over the "
                        f"{limit >> 20} MiB limit"
                    )
                target.parent.mkdir(parents=True, exist_ok=True)
                with bundle.open(member) as packed:
                    data = packed.read(limit + 1)
                if len(data) > limit:
                    raise SubmissionError(
                        f"{archive}: {member.filename} unpacks to more than {limit >> 20} MiB"
                    )
                target.write_bytes(data)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as exc:
        if isinstance(exc, SubmissionError):
            raise
        raise SubmissionError(
            f"{archive} is not a zip file that can be read ({exc})",
            hint="zip the folder again, or upload the folder",
        ) from None


def find_sources(path: Path, assignment: str | None = None) -> list[Source]:
    """The assignment(s) a submission holds, with their modules read and checked."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise SubmissionError(f"{path} does not exist")
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        raise SubmissionError(f"{path} is a symbolic link; submit regular files only")
    if stat.S_ISDIR(info.st_mode):
        return _sources_from(_walk(path), path, assignment)
    if not stat.S_ISREG(info.st_mode):
        raise SubmissionError(f"{path} is not a regular file (a device, pipe or socket)")
    if path.suffix == ".zip":
        with tempfile.TemporaryDirectory(prefix="grader-zip-") as unpacked:
            _extract_zip(path, Path(unpacked))
            return _sources_from(_walk(Path(unpacked)), path, assignment)
    if path.suffix not in (".py", ".ipynb"):
        raise SubmissionError(f"{path} is not a folder, a zip, a .py module or a .ipynb notebook")
    upload = _Upload(path.parent)
    (upload.python if path.suffix == ".py" else upload.notebooks).append(path.name)
    return _sources_from(upload, path, assignment)


def stage(source: Source, scratch: Path) -> StagedSubmission:
    """Write `source` into `scratch/work/<assignment>/` with the grader's own empty `__init__.py`."""
    work_dir = scratch / "work"
    package = work_dir / source.assignment.name
    package.mkdir(parents=True)
    for name, text in source.modules.items():
        (package / name).write_text(text, encoding="utf-8")
    # The grader's own __init__: a broken or eager one in the submission must not sink every module.
    (package / "__init__.py").write_text("", encoding="utf-8")
    present = frozenset(source.modules)
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
