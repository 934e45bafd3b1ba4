"""What counts as a submission in a class folder: one folder, notebook or module per student.

Two layouts are read alike: a folder per student (`ada/`, `ben.ipynb`, `cleo.py`), and nbgrader's
`submitted/<student>/<assignment>/`. Hidden entries and the folders tools leave behind (staging's clutter
list, `grader.grading.staging.CLUTTER_DIRS`: caches, checkpoints, version control, virtual environments) are
never students. Nothing is read here but folder listings.
"""

from __future__ import annotations

from pathlib import Path

from grader.assignments import ASSIGNMENTS
from grader.errors import SubmissionError
from grader.grading.staging import CLUTTER_DIRS

__all__ = ["IGNORED_NAMES", "SUBMISSION_SUFFIXES", "find_submissions"]

SUBMISSION_SUFFIXES = (".ipynb", ".py")
# One list of what is never a submission nor part of one: staging's, so that discovery, the content hash that
# resume compares and staging skip the same folders.
IGNORED_NAMES = frozenset(CLUTTER_DIRS)


def _visible(entry: Path) -> bool:
    return not entry.name.startswith(".") and entry.name not in IGNORED_NAMES


def _only_subfolder(folder: Path) -> Path | None:
    """The single folder inside `folder` when it holds nothing else (nbgrader's student/<assignment>/)."""
    if folder.is_symlink() or not folder.is_dir():
        return None
    entries = [e for e in folder.iterdir() if _visible(e)]
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        return entries[0]
    return None


def find_submissions(folder: Path, *, assignment: str | None = None) -> list[tuple[str, Path | None]]:
    """(student, path) pairs, sorted by student: one subfolder, notebook or module per student.

    nbgrader's layout `submitted/<student>/<assignment>/` is recognised when `folder/submitted` exists or
    when every student folder holds exactly one folder and nothing else; the path is then the assignment
    folder (`assignment` picks one when a student has several). In that layout, a student whose folders are
    all named after other assignments has no submission for `assignment`: the path is None. A student with
    several assignment folders and no `assignment` named gets the whole folder (each assignment is graded).
    Symlinks are listed, not followed: grading them gives the student an error row. Hidden entries and
    other files are ignored.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise SubmissionError(f"{folder} is not a folder of submissions")
    if (folder / "submitted").is_dir() and not (folder / "submitted").is_symlink():
        folder = folder / "submitted"
    entries = sorted((e for e in folder.iterdir() if _visible(e)), key=lambda e: e.name)
    found: dict[str, Path] = {}
    for entry in entries:
        if entry.is_symlink() or entry.is_dir():
            student = entry.stem if entry.suffix in SUBMISSION_SUFFIXES else entry.name
        elif entry.suffix in SUBMISSION_SUFFIXES and entry.is_file():
            student = entry.stem
        else:
            continue
        if student in found:
            raise SubmissionError(
                f"two submissions for {student!r} in {folder}: {found[student].name} and {entry.name}",
                hint="keep one folder or notebook per student",
            )
        found[student] = entry
    dirs = [p for p in found.values() if p.is_dir() and not p.is_symlink()]
    nested = folder.name == "submitted" or (
        bool(dirs) and all(_only_subfolder(p) is not None or _assignment_folders(p) for p in dirs)
        # A student folder holding one assignment-named package is the ordinary layout too; both read alike.
    )
    result: list[tuple[str, Path | None]] = []
    for student, path in found.items():
        chosen: Path | None = path
        if nested and path.is_dir() and not path.is_symlink():
            if assignment and (path / assignment).is_dir():
                chosen = path / assignment
            elif assignment and _only_other_assignments(path, assignment):
                chosen = None
            else:
                chosen = _only_subfolder(path) or path
        result.append((student, chosen))
    return result


def _only_other_assignments(folder: Path, assignment: str) -> bool:
    """Whether `folder` holds only folders named after assignments, none of them `assignment`."""
    names = _assignment_folders(folder)
    return bool(names) and assignment not in names


def _assignment_folders(folder: Path) -> list[str]:
    """The names of the folders in `folder` when it holds nothing but folders named after assignments."""
    entries = [e for e in folder.iterdir() if _visible(e)]
    if all(e.is_dir() and not e.is_symlink() and e.name in ASSIGNMENTS for e in entries):
        return [e.name for e in entries]
    return []
