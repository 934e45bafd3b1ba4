"""The assignments the grader knows: their student-facing modules, hidden suite and reference.

The registry is data, not code: each reference package `solutions/<name>/` that holds an `assignment.json`
is an assignment called `<name>`. The file gives the title and the modules students write, in order:

    {"title": "Attention", "modules": ["softmax.py", "scores.py", "attention.py"]}

Assignments are read once, at import, and listed in the order of their names. A malformed file is a
ConfigurationError naming it.
"""

from __future__ import annotations

import json
import keyword
from dataclasses import dataclass
from pathlib import Path

from grader.errors import ConfigurationError

PACKAGE_ROOT = Path(__file__).resolve().parent
HIDDEN_ROOT = PACKAGE_ROOT / "hidden"
SOLUTIONS_ROOT = PACKAGE_ROOT.parent / "solutions"
ASSIGNMENT_FILE = "assignment.json"
ENTRY_KEYS = ("title", "modules")


@dataclass(frozen=True)
class Assignment:
    """One assignment: `name` is also the package name its modules are imported under."""

    name: str
    title: str
    modules: tuple[str, ...]

    @property
    def suite_dir(self) -> Path:
        return HIDDEN_ROOT / self.name

    @property
    def solution_dir(self) -> Path:
        return SOLUTIONS_ROOT / self.name


def is_assignment_name(name: str) -> bool:
    """Whether `name` can name an assignment: a Python identifier (its package name) and not a keyword."""
    return name.isidentifier() and not keyword.iskeyword(name)


def read_entry(path: Path) -> Assignment:
    """The assignment described by `path` (`solutions/<name>/assignment.json`); its folder gives the name."""
    path = Path(path)
    name = path.parent.name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path}: cannot read the assignment entry ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ConfigurationError(
            f"{path}:{exc.lineno}: not valid JSON ({exc.msg})",
            hint='an entry looks like {"title": "Attention", "modules": ["softmax.py", "scores.py"]}',
        ) from None
    if not is_assignment_name(name):
        raise ConfigurationError(f"{path}: the folder name {name!r} is not a Python identifier")
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path}: the entry must be a JSON object with {', '.join(ENTRY_KEYS)}")
    unknown = sorted(set(data) - set(ENTRY_KEYS))
    missing = [key for key in ENTRY_KEYS if key not in data]
    if unknown or missing:
        problems = [f"unknown key(s) {', '.join(unknown)}"] if unknown else []
        problems += [f"missing key(s) {', '.join(missing)}"] if missing else []
        expected = ", ".join(ENTRY_KEYS)
        raise ConfigurationError(f"{path}: {'; '.join(problems)} (an entry has exactly {expected})")
    title, modules = data["title"], data["modules"]
    if not isinstance(title, str) or not title.strip():
        raise ConfigurationError(f"{path}: title must be a non-empty string, not {title!r}")
    if not isinstance(modules, list) or not modules:
        raise ConfigurationError(f"{path}: modules must be a non-empty list of module files, not {modules!r}")
    for module in modules:
        if not (isinstance(module, str) and module.endswith(".py") and is_assignment_name(module[:-3])):
            raise ConfigurationError(f"{path}: {module!r} is not a module file name such as softmax.py")
        if not (path.parent / module).is_file():
            raise ConfigurationError(f"{path}: lists {module}, but {path.parent / module} does not exist")
    if len(set(modules)) != len(modules):
        raise ConfigurationError(f"{path}: a module is listed twice in {modules}")
    return Assignment(name=name, title=title, modules=tuple(modules))


def load_registry(solutions_root: Path = SOLUTIONS_ROOT) -> dict[str, Assignment]:
    """Every assignment under `solutions_root` (each folder with an `assignment.json`), sorted by name."""
    entries = sorted(Path(solutions_root).glob(f"*/{ASSIGNMENT_FILE}"))
    return {assignment.name: assignment for assignment in map(read_entry, entries)}


ASSIGNMENTS: dict[str, Assignment] = load_registry()


def get_assignment(name: str) -> Assignment:
    """The assignment called `name`, or a ConfigurationError listing the known ones."""
    try:
        return ASSIGNMENTS[name]
    except KeyError:
        known = ", ".join(sorted(ASSIGNMENTS))
        raise ConfigurationError(f"unknown assignment {name!r}; known assignments: {known}") from None
