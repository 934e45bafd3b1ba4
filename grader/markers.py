"""The marker grammar of the reference, scanned in one place: nbgrader's solution and hidden-test regions.

A region opens with a line that is exactly `### BEGIN SOLUTION` (or `### BEGIN HIDDEN TESTS`) once its
indent is stripped, and closes with the matching END line. Regions do not nest, and every region closes.
The release replaces each solution region by a stub, the nbgrader source keeps the markers for nbgrader,
the audit mutates only lines inside them, and the leak checks look for their lines in what students get:
all of them read regions through `scan`, which names file and line when the markers are malformed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.errors import ConfigurationError

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
SOLUTION = "solution"
HIDDEN_TESTS = "hidden tests"
MARKERS = {SOLUTION: (BEGIN, END), HIDDEN_TESTS: (BEGIN_HIDDEN, END_HIDDEN)}
STUB_LINE = 'raise NotImplementedError("{what}: write this part (see its docstring)")'


@dataclass(frozen=True)
class Region:
    """One marked region: its kind, the lines of its BEGIN and END markers (1-based), the marker's indent."""

    kind: str
    begin: int
    end: int
    indent: str

    @property
    def inner(self) -> range:
        """The line numbers between the markers."""
        return range(self.begin + 1, self.end)


def scan(text: str, where: str, *, first_line: int = 1) -> list[Region]:
    """Every marked region of `text`, in order; malformed markers raise ConfigurationError at `where:line`.

    `first_line` is the number of `text`'s first line in the file it comes from (a notebook cell's offset).
    """
    regions: list[Region] = []
    open_kind: str | None = None
    open_line, open_indent = 0, ""
    for offset, line in enumerate(text.splitlines()):
        number, stripped = first_line + offset, line.strip()
        for kind, (begin, end) in MARKERS.items():
            if stripped == begin:
                if open_kind is not None:
                    previous = MARKERS[open_kind][0]
                    raise ConfigurationError(
                        f"{where}:{number}: nested {begin} (the {previous} of line {open_line} is still open)"
                    )
                open_kind, open_line, open_indent = kind, number, line[: len(line) - len(line.lstrip())]
            elif stripped == end:
                if open_kind != kind:
                    raise ConfigurationError(f"{where}:{number}: {end} without a {begin} before it")
                regions.append(Region(kind, open_line, number, open_indent))
                open_kind = None
    if open_kind is not None:
        raise ConfigurationError(f"{where}:{open_line}: {MARKERS[open_kind][0]} is never closed")
    return regions


def solution_lines(text: str, where: str = "<text>") -> set[int]:
    """The line numbers (1-based) inside the solution regions of `text`."""
    return {number for region in scan(text, where) if region.kind == SOLUTION for number in region.inner}


def has_solution(text: str, where: str = "<text>") -> bool:
    """Whether `text` holds a solution region (a module without one is handed out as it is)."""
    return any(region.kind == SOLUTION for region in scan(text, where))


def _enclosing_name(lines: list[str], before: int, default: str) -> str:
    """The name of the last `def` or `class` above line `before` (1-based): what a stub says to write."""
    for line in reversed(lines[: before - 1]):
        stripped = line.strip()
        if stripped.startswith(("def ", "class ")):
            return stripped.split()[1].split("(")[0].rstrip(":")
    return default


def stub_source(text: str, filename: str) -> str:
    """`text` with every solution region replaced by a NotImplementedError stub that names its function."""
    lines = text.splitlines(keepends=True)
    regions = [region for region in scan(text, filename) if region.kind == SOLUTION]
    out: list[str] = []
    previous_end = 0
    for region in regions:
        out.extend(lines[previous_end : region.begin - 1])
        what = _enclosing_name(lines, region.begin, Path(filename).stem)
        out.append(region.indent + STUB_LINE.format(what=what) + "\n")
        previous_end = region.end
    out.extend(lines[previous_end:])
    return "".join(out)
