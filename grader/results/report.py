"""Reports: the terminal table and Gradescope's results.json."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.results.verdicts import AssignmentResult, TestResult, Verdict

STYLE = {
    Verdict.PASSED: "green",
    Verdict.PARTIAL: "yellow",
    Verdict.FAILED: "red",
    Verdict.ERROR: "red",
    Verdict.CRASHED: "red",
    Verdict.TIMEOUT: "magenta",
    Verdict.MEMORY_LIMIT: "magenta",
    Verdict.NOT_RUN: "magenta",
    Verdict.INTERNAL_ERROR: "bold red",
}


def format_points(value: float) -> str:
    """A score, points or a percentage as people read it: at most two decimals, no trailing zeros.

    84.666667 -> "84.67", 87.5 -> "87.5", 3.0 -> "3". Only for display: results.json keeps full precision.
    """
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def student_feedback(test: TestResult) -> str:
    """What a student reads for one test: message, hint, their own output."""
    lines = [test.message] if test.message else []
    if test.hint:
        lines.append(f"Hint: {test.hint}")
    if test.output.strip():
        lines.append("Your code printed:\n" + test.output.rstrip())
    return "\n".join(lines)


def intake_lines(graded: dict[str, str], ignored: dict[str, tuple[str, ...]], shown: int = 4) -> list[str]:
    """What was graded (module -> path in the upload) and what was ignored (reason -> paths), a line each."""
    lines = []
    if graded:
        taken = ", ".join(
            path if Path(path).name == name else f"{path} → {name}" for name, path in graded.items()
        )
        lines.append(f"Graded from your upload: {taken}.")
    if ignored:
        groups = []
        for reason, paths in ignored.items():
            more = f" and {len(paths) - shown} more" if len(paths) > shown else ""
            groups.append(f"{', '.join(paths[:shown])}{more} ({reason})")
        count = sum(len(paths) for paths in ignored.values())
        lines.append(f"Ignored {count} {'path' if count == 1 else 'paths'}: " + "; ".join(groups) + ".")
    return lines


def short_message(message: str, lines: int = 4) -> str:
    """The first `lines` lines of a message, and how many more `-v` would show."""
    shown = message.splitlines()
    if len(shown) <= lines:
        return "\n".join(shown)
    return "\n".join(shown[:lines]) + f"\n(+{len(shown) - lines} more lines: run with -v)"


def render_table(result: AssignmentResult, console: Console, *, verbose: bool = False) -> None:
    """A table per assignment: test, points, status, message; then the total, the seed and the isolation."""
    table = Table(title=f"{result.assignment}", title_justify="left", show_lines=False, expand=False)
    table.add_column("test", overflow="fold")
    table.add_column("points", justify="right")
    table.add_column("status")
    table.add_column("message", overflow="fold")
    for test in result.tests:
        message = student_feedback(test) if verbose else short_message(test.message)
        if not verbose and test.hint:
            message += f"\nHint: {test.hint}"
        table.add_row(  # Text, not markup: messages hold brackets ("[weights] ...") and the student's text
            Text(test.title),
            f"{format_points(test.score)}/{format_points(test.max_score)}",
            Text(f"{test.verdict.symbol} {test.verdict.value}", style=STYLE[test.verdict]),
            Text(message),
        )
    console.print(table)
    total = f"{format_points(result.score)}/{format_points(result.max_score)}"
    console.print(
        f"[bold]Total: {total}[/bold]   seed {result.seed}   "
        f"isolation: {result.isolation}   device: {result.device}   {result.duration:.1f} s"
    )
    for line in result.diagnosis.lines() if result.diagnosis else ():
        console.print(Text(line, style="bold"), soft_wrap=True)
    for line in intake_lines(result.graded_files, result.ignored_files):
        console.print(Text(line, style="dim"), soft_wrap=True)
    for note in result.notes:
        console.print(f"[yellow]warning:[/yellow] {note}")


def gradescope_results(results: list[AssignmentResult]) -> dict[str, Any]:
    """Gradescope's results.json: score, per-test name/score/max_score/output/visibility, execution_time."""
    tests = []
    for result in results:
        for test in result.tests:
            tests.append(
                {
                    "name": test.title,
                    "name_format": "text",
                    "number": f"{result.assignment}:{test.name}",
                    "score": test.score,
                    "max_score": test.max_score,
                    "status": "passed" if test.verdict is Verdict.PASSED else "failed",
                    "output": f"{test.verdict.value}\n{student_feedback(test)}".strip(),
                    "output_format": "text",
                    "visibility": test.visibility,
                    "extra_data": {
                        "verdict": test.verdict.value,
                        "message": test.message,
                        "hint": test.hint,
                        "student_output": test.output,
                        "seconds": round(test.duration, 3),
                        "figures": list(test.figures),
                    },
                }
            )
    notes = [note for result in results for note in result.notes]
    seeds = sorted({result.seed for result in results})
    intake = [
        (f"{r.assignment}: {line}" if len(results) > 1 else line)
        for r in results
        for line in (
            *(r.diagnosis.lines() if r.diagnosis else ()),
            *intake_lines(r.graded_files, r.ignored_files),
        )
    ]
    return {
        "score": round(sum(r.score for r in results), 4),
        "execution_time": round(sum(r.duration for r in results), 3),
        "output": f"Graded with seed {', '.join(map(str, seeds))}."
        + "".join(f"\n{line}" for line in intake)
        + "".join(f"\nWarning: {n}" for n in notes),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "seed": seeds[0] if len(seeds) == 1 else seeds,
            "assignments": {
                r.assignment: {
                    "score": r.score,
                    "max_score": r.max_score,
                    "isolation": r.isolation,
                    "graded_files": r.graded_files,
                    "ignored_files": {reason: list(paths) for reason, paths in r.ignored_files.items()},
                    **({"diagnosis": r.diagnosis.to_dict()} if r.diagnosis else {}),
                }
                for r in results
            },
        },
    }


def instructor_details(results: list[AssignmentResult]) -> dict[str, str]:
    """{`assignment:test`: detail} of the tests with instructor-only detail (the grader's own tracebacks).

    Never part of results.json or a feedback page: the student sees only that the grader failed.
    """
    return {f"{r.assignment}:{t.name}": t.detail for r in results for t in r.tests if t.detail}


def instructor_path(json_path: Path) -> Path:
    """Where the instructor-only details of a results.json go: beside it, `<name>.instructor.json`."""
    return json_path.with_name(f"{json_path.stem}.instructor.json")


def gradescope_error(message: str, hint: str | None = None) -> dict[str, Any]:
    """results.json for a submission that could not be graded: score 0 and what to fix."""
    text = f"Your submission could not be graded: {message}" + (f"\nHint: {hint}" if hint else "")
    return {"score": 0, "output": text, "output_format": "text", "visibility": "visible", "tests": []}


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON next to `path` and rename it into place, so a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, delete=False, suffix=".tmp", encoding="utf-8"
    ) as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    os.chmod(f.name, 0o644)
    os.replace(f.name, path)


def write_text_atomic(path: Path, text: str) -> None:
    """Write text next to `path` and rename it into place, so a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, delete=False, suffix=".tmp", encoding="utf-8", newline=""
    ) as f:
        f.write(text)
    os.chmod(f.name, 0o644)
    os.replace(f.name, path)
