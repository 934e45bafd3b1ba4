"""Submissions made from the reference by small edits: buggy variants for validity tests, and samples.

A variant names the edits that turn the reference (or the generated stub) into a realistic submission.
Each edit's `old` text must occur exactly once in its file, so a catalogue that no longer matches the
reference fails loudly instead of silently grading the reference.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from grader.assignments import get_assignment
from grader.errors import ConfigurationError
from grader.markers import stub_source


@dataclass(frozen=True)
class Edit:
    """Replace the one occurrence of `old` with `new` in `file` (relative to the assignment package)."""

    file: str
    old: str
    new: str


@dataclass(frozen=True)
class Variant:
    """A named submission: `base` ("reference" or "stub") with `edits`.

    `breaks` lists the hidden tests it must lose points in; `hints` the hints its grading must show (a
    substring of each), and no other mistake hint may fire for it.

    `stub_modules` are taken from the stub even when the base is the reference (work not done yet).
    """

    name: str
    description: str
    edits: tuple[Edit, ...] = ()
    breaks: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    base: str = "reference"
    extra_files: dict[str, str] = field(default_factory=dict)
    stub_modules: tuple[str, ...] = ()


def materialize(assignment_name: str, variant: Variant, dest: Path) -> Path:
    """Write `variant` as a submission folder `dest/<assignment_name>/` and return that folder."""
    assignment = get_assignment(assignment_name)
    package = Path(dest) / assignment.name
    if package.exists():
        shutil.rmtree(package)
    package.mkdir(parents=True)
    for module in assignment.modules:
        text = (assignment.solution_dir / module).read_text(encoding="utf-8")
        if variant.base == "stub" or module in variant.stub_modules:
            text = stub_source(text, module)
        (package / module).write_text(text, encoding="utf-8")
    for edit in variant.edits:
        target = package / edit.file
        text = target.read_text(encoding="utf-8") if target.exists() else ""
        count = text.count(edit.old)
        if count != 1:
            raise ConfigurationError(
                f"variant {variant.name!r}: the text to replace occurs {count} times in {edit.file}, not once"
            )
        target.write_text(text.replace(edit.old, edit.new), encoding="utf-8")
    for name, text in variant.extra_files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text, encoding="utf-8")
    return package
