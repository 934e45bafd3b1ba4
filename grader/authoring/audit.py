"""Mutation testing of a hidden suite: how many small changes to the reference the suite notices.

Each mutant is the reference with one small change inside a solution region (the code students write):
an arithmetic or comparison operator swapped, a constant moved by one (dimensions and axes included), a
statement dropped, a mask or condition inverted, a slice shifted, a sign removed. Every mutant is graded with
the real grader as a student's submission would be (`grader.classroom.batch`: a local pool or a Dask
cluster, and resumable), and a mutant is caught when it loses points. The mutation score is the share
caught; each surviving mutant is shown as a diff, and each test with the number of mutants it caught (a
test that catches none is suspect). A survivor is either equivalent (no observable difference: nothing to
fix) or a blind spot of the suite (add a test or an input that tells it apart).
"""

from __future__ import annotations

import ast
import difflib
import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from grader.assignments import Assignment, get_assignment
from grader.classroom.executors import DEFAULT_WORKERS
from grader.grading.config import DEFAULTS
from grader.markers import solution_lines

__all__ = [
    "AuditReport",
    "Equivalent",
    "Mutant",
    "audit",
    "declared_equivalents",
    "generate_mutants",
    "match_equivalents",
    "mutation_sites",
    "report_text",
]

SWAPS: dict[type, type] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Pow: ast.Mult,
    ast.MatMult: ast.Mult,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.And: ast.Or,
    ast.Or: ast.And,
    ast.BitAnd: ast.BitOr,
    ast.BitOr: ast.BitAnd,
}


@dataclass(frozen=True)
class Mutant:
    """One change to one module of the reference: where, what, and the module's whole mutated source."""

    id: str
    module: str
    line: int
    operator: str
    description: str
    source: str
    original: str  # the module as the mutant's source is written (ast.unparse), for the diff

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.original.splitlines(keepends=True),
                self.source.splitlines(keepends=True),
                f"reference/{self.module}",
                f"mutant/{self.module}",
                n=1,
            )
        )

    def change(self) -> tuple[str, str]:
        """(original, mutated): the first line of the reference the mutant removes and the first it adds,
        stripped, as its diff shows them (a dropped statement mostly adds `pass`)."""
        diff = list(difflib.unified_diff(self.original.splitlines(), self.source.splitlines(), n=0))[2:]
        removed = next((line[1:].strip() for line in diff if line.startswith("-")), "")
        added = next((line[1:].strip() for line in diff if line.startswith("+")), "")
        return removed, added


@dataclass(frozen=True)
class Equivalent:
    """A change to the reference the instructor judged equivalent: no test may tell it apart.

    Declared next to the assignment's variant catalogue, as `EQUIVALENT_MUTANTS` in
    grader/catalogue/<assignment>.py: each entry a dict with the module, the reference's line and the
    mutated line as the survivor's diff shows them (stripped), and the reason. An entry is keyed by that
    change, not by the mutant's id, which shifts when the reference changes; it covers every mutant of
    `module` whose diff turns the line `original` into `mutated` (`places` says how many there are). The
    audit reports the score over the mutants not declared equivalent besides the raw score, lists declared
    survivors apart from the unexplained ones, and names the entries that match no mutant of the reference
    any more (stale) and declared mutants that lost points all the same (the declaration, or the suite, is
    wrong).
    """

    module: str
    original: str
    mutated: str
    reason: str
    places: int = 1  # how many places of the module make this same change, all judged equivalent

    def __str__(self) -> str:
        return f"{self.module}: {self.original} -> {self.mutated}"


def declared_equivalents(name: str, entries: Iterable[dict[str, str]] | None = None) -> list[Equivalent]:
    """`entries`, by default the EQUIVALENT_MUTANTS of `name`'s catalogue (none without a catalogue)."""
    import importlib

    from grader.errors import ConfigurationError

    if entries is None:
        try:
            module = importlib.import_module(f"grader.catalogue.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"grader.catalogue.{name}":
                raise
            module = None
        entries = getattr(module, "EQUIVALENT_MUTANTS", ())
    declared = []
    for entry in entries:
        try:
            declared.append(Equivalent(**entry))
        except TypeError as error:
            raise ConfigurationError(
                f"{name}'s EQUIVALENT_MUTANTS entry {entry!r}: {error}; each entry is a dict with module, "
                "original, mutated and reason (and places, when the same line occurs more than once)"
            ) from error
    return declared


def match_equivalents(
    mutants: list[Mutant], declared: list[Equivalent]
) -> tuple[dict[str, Equivalent], list[Equivalent]]:
    """({mutant id: the entry that declares it equivalent}, the entries that match none of `mutants`)."""
    by_change = {(entry.module, entry.original, entry.mutated): entry for entry in declared}
    changes = {m.id: (m.module, *m.change()) for m in mutants} if declared else {}
    matched = {i: by_change[key] for i, key in changes.items() if key in by_change}
    used = set(matched.values())
    return matched, [entry for entry in declared if entry not in used]


Change = tuple[str, str, Callable[[], None]]  # operator, description, apply (in place)


def _changes(node: ast.AST) -> Iterator[Change]:
    """The mutations one node offers, each applied in place by its callable."""
    if isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in SWAPS:
        new = SWAPS[type(node.op)]
        yield "arithmetic", f"{type(node.op).__name__} -> {new.__name__}", lambda: setattr(node, "op", new())
    elif isinstance(node, ast.BoolOp) and type(node.op) in SWAPS:
        new = SWAPS[type(node.op)]
        yield "logic", f"{type(node.op).__name__} -> {new.__name__}", lambda: setattr(node, "op", new())
    elif isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in SWAPS:
                new = SWAPS[type(op)]

                def swap(i: int = i, new: type = new) -> None:
                    node.ops[i] = new()

                yield "comparison", f"{type(op).__name__} -> {new.__name__}", swap
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert | ast.Not | ast.USub):
        kind = "mask inversion" if isinstance(node.op, ast.Invert | ast.Not) else "sign"
        yield kind, f"drop {type(node.op).__name__}", lambda: None  # replaced by its operand: see _apply
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        value = node.value
        moved = value + 1 if isinstance(value, int) else (value * 2 if value else 1.0)
        yield "constant", f"{value!r} -> {moved!r}", lambda: setattr(node, "value", moved)
        if isinstance(value, int) and value != 0:
            yield "constant", f"{value!r} -> {value - 1!r}", lambda: setattr(node, "value", value - 1)
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        yield "constant", f"{node.value} -> {not node.value}", lambda: setattr(node, "value", not node.value)
    elif isinstance(node, ast.Slice):
        for part in ("lower", "upper"):
            bound = getattr(node, part)
            if bound is None:
                continue

            def shift(part: str = part, bound: ast.expr = bound) -> None:
                setattr(node, part, ast.BinOp(bound, ast.Add(), ast.Constant(1)))

            yield "slice", f"{part} bound + 1", shift


def _statements(tree: ast.Module, lines: set[int]) -> Iterator[tuple[list[ast.stmt], int]]:
    """(body, index) of each statement in a solution region that can be dropped (not the last `return`)."""
    for node in ast.walk(tree):
        for field in ("body", "orelse"):
            body = getattr(node, field, None)
            if not isinstance(body, list):
                continue
            for index, statement in enumerate(body):
                droppable = isinstance(statement, ast.Assign | ast.AugAssign | ast.Expr | ast.If | ast.For)
                if droppable and statement.lineno in lines and not _is_docstring(statement):
                    yield body, index


def _is_docstring(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)


def _mutation_points(text: str) -> list[tuple[str, str, int]]:
    """(operator, description, line) of each mutation the module's solution regions offer, in fixed order."""
    lines = solution_lines(text)
    tree = ast.parse(text)
    points = [
        (operator, description, node.lineno)
        for node in ast.walk(tree)
        if getattr(node, "lineno", None) in lines
        for operator, description, _ in _changes(node)
    ]
    points += [("statement", "drop the statement", body[i].lineno) for body, i in _statements(tree, lines)]
    return points


def _apply(text: str, k: int) -> tuple[str, str, str, int]:
    """The module with its k-th mutation applied: (source, operator, description, line)."""
    lines = solution_lines(text)
    tree = ast.parse(text)
    seen = 0
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) not in lines:
            continue
        for operator, description, change in _changes(node):
            if seen == k:
                if isinstance(node, ast.UnaryOp):
                    _replace(tree, node, node.operand)
                else:
                    change()
                return ast.unparse(ast.fix_missing_locations(tree)), operator, description, node.lineno
            seen += 1
    for body, index in _statements(tree, lines):
        if seen == k:
            line = body[index].lineno
            body[index] = ast.Pass()
            return ast.unparse(ast.fix_missing_locations(tree)), "statement", "drop the statement", line
        seen += 1
    raise IndexError(k)


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list) and any(item is old for item in value):
                value[next(i for i, item in enumerate(value) if item is old)] = new
                return


def mutation_sites(assignment: Assignment) -> list[tuple[str, int]]:
    """(module, k) of every mutation the reference's solution regions offer, in a fixed order."""
    sites = []
    for module in assignment.modules:
        text = (assignment.solution_dir / module).read_text(encoding="utf-8")
        sites += [(module, k) for k in range(len(_mutation_points(text)))]
    return sites


def generate_mutants(assignment: Assignment, sites: list[tuple[str, int]] | None = None) -> list[Mutant]:
    """The mutants at `sites` (default: every site), leaving out those that change nothing."""
    mutants = []
    texts: dict[str, str] = {}
    for module, k in mutation_sites(assignment) if sites is None else sites:
        if module not in texts:
            texts[module] = (assignment.solution_dir / module).read_text(encoding="utf-8")
        text = texts[module]
        original = ast.unparse(ast.parse(text))
        source, operator, description, line = _apply(text, k)
        if source != original:
            stem = Path(module).stem
            mutants.append(Mutant(f"{stem}-{k:04d}", module, line, operator, description, source, original))
    return mutants


@dataclass(frozen=True)
class AuditReport:
    """What an audit found: the graded mutants, which were caught, and what each test caught."""

    assignment: str
    total: int
    caught: list[str]
    survived: list[Mutant]
    not_graded: list[str]
    per_test: dict[str, int]
    seed: int
    wall_seconds: float
    equivalent: dict[str, str]  # graded mutant declared equivalent -> the reason
    stale: list[str]  # declarations that match no mutant of the reference

    @property
    def score(self) -> float:
        graded = len(self.caught) + len(self.survived)
        return 100.0 * len(self.caught) / graded if graded else 0.0

    @property
    def unexplained(self) -> list[Mutant]:
        """The survivors not declared equivalent: blind spots until judged."""
        return [m for m in self.survived if m.id not in self.equivalent]

    @property
    def equivalent_caught(self) -> list[str]:
        """Mutants declared equivalent that lost points all the same."""
        return [m for m in self.caught if m in self.equivalent]

    @property
    def adjusted_score(self) -> float:
        """The mutation score over the graded mutants not declared equivalent."""
        caught = len(self.caught) - len(self.equivalent_caught)
        graded = caught + len(self.unexplained)
        return 100.0 * caught / graded if graded else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "assignment": self.assignment,
            "mutants": self.total,
            "caught": self.caught,
            "survived": [{**asdict(m), "diff": m.diff()} for m in self.survived],
            "not_graded": self.not_graded,
            "per_test": self.per_test,
            "mutation_score": round(self.score, 2),
            "equivalent": self.equivalent,
            "equivalent_caught": self.equivalent_caught,
            "unexplained": [m.id for m in self.unexplained],
            "adjusted_score": round(self.adjusted_score, 2),
            "stale_equivalents": self.stale,
            "seed": self.seed,
            "wall_seconds": round(self.wall_seconds, 1),
        }


def audit(
    name: str,
    out_dir: Path,
    *,
    max_mutants: int = 60,
    seed: int = DEFAULTS.seed,
    workers: int = DEFAULT_WORKERS,
    scheduler: Any = None,
    progress: Callable[[int, int, dict[str, Any]], None] | None = None,
) -> AuditReport:
    """Grade a deterministic sample of `max_mutants` mutants of `name`'s reference; see the module docstring.

    Mutants are written to `out_dir/mutants/<id>/` and graded into `out_dir/results/` by
    `grader.classroom.batch`, so an interrupted audit resumes where it stopped; the report goes to
    `out_dir/audit.json`.
    """
    from grader.classroom.batch import grade_batch
    from grader.grading.runner import GradeConfig
    from grader.results.report import write_json_atomic

    assignment = get_assignment(name)
    sites = mutation_sites(assignment)
    sample = sorted(random.Random(seed).sample(sites, min(max_mutants, len(sites))))
    chosen = generate_mutants(assignment, sample)
    out_dir = Path(out_dir)
    submissions = []
    for mutant in chosen:
        package = out_dir / "mutants" / mutant.id / assignment.name
        package.mkdir(parents=True, exist_ok=True)
        for module in assignment.modules:
            text = mutant.source if module == mutant.module else None
            if text is None:
                text = (assignment.solution_dir / module).read_text(encoding="utf-8")
            target = package / module
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                target.write_text(text, encoding="utf-8")
        submissions.append((mutant.id, package))
    summary = grade_batch(
        submissions,
        config=GradeConfig(seed=seed),
        out_dir=out_dir / "results",
        workers=workers,
        scheduler=scheduler,
        assignment=assignment.name,
        progress=progress,
    )
    by_id = {mutant.id: mutant for mutant in chosen}
    declared = declared_equivalents(assignment.name)
    equivalent, _ = match_equivalents(chosen, declared)
    _, stale = match_equivalents(generate_mutants(assignment) if declared else [], declared)
    caught, survived, not_graded = [], [], []
    per_test: Counter[str] = Counter()
    for row in summary.rows:
        if not row.graded:
            not_graded.append(row.student)
            continue
        lost = [test for test in row.tests if test.score < test.max_score]
        per_test.update(test.name for test in lost)
        (caught if lost else survived).append(row.student)
    tests = [test.name for row in summary.rows for test in row.tests]
    report = AuditReport(
        assignment=assignment.name,
        total=len(chosen),
        caught=caught,
        survived=[by_id[student] for student in survived],
        not_graded=not_graded,
        per_test={test: per_test.get(test, 0) for test in dict.fromkeys(tests)},
        seed=seed,
        wall_seconds=summary.wall_seconds,
        equivalent={i: entry.reason for i, entry in equivalent.items() if i in survived or i in caught},
        stale=[str(entry) for entry in stale],
    )
    write_json_atomic(out_dir / "audit.json", report.to_dict())
    (out_dir / "survivors.diff").write_text("".join(m.diff() for m in report.unexplained), encoding="utf-8")
    return report


def report_text(report: AuditReport) -> str:
    """The audit for a terminal: the scores, each unexplained survivor as a diff, the declared equivalent
    ones, stale declarations, and the tests that caught nothing."""
    graded = len(report.caught) + len(report.survived)
    lines = [
        f"{report.assignment}: {len(report.caught)} of {graded} mutants caught "
        f"(mutation score {report.score:.1f}%), seed {report.seed}, {report.wall_seconds:.0f} s"
    ]
    if report.equivalent:
        kept = graded - len(report.equivalent)
        caught = len(report.caught) - len(report.equivalent_caught)
        lines.append(
            f"{len(report.equivalent)} declared equivalent: {caught} of the other {kept} caught "
            f"({report.adjusted_score:.1f}% over the mutants not declared equivalent)"
        )
    if report.not_graded:
        lines.append(f"{len(report.not_graded)} mutants could not be graded: {', '.join(report.not_graded)}")
    for mutant in report.unexplained:
        lines.append(f"\nsurvived {mutant.id} ({mutant.operator}: {mutant.description}, line {mutant.line}):")
        lines.append(mutant.diff().rstrip("\n"))
    survived = {m.id for m in report.survived}
    declared = [f"  {i}: {reason}" for i, reason in report.equivalent.items() if i in survived]
    if declared:
        lines.append("\nsurvived, declared equivalent:\n" + "\n".join(declared))
    if report.equivalent_caught:
        lines.append(
            "\ndeclared equivalent but caught (the declaration or the suite is wrong): "
            + ", ".join(report.equivalent_caught)
        )
    if report.stale:
        lines.append(
            "\nstale EQUIVALENT_MUTANTS entries (they match no mutant of the reference):\n"
            + "\n".join(f"  {entry}" for entry in report.stale)
        )
    idle = [test for test, count in report.per_test.items() if count == 0]
    if idle:
        lines.append(f"\ntests that caught no mutant: {', '.join(idle)}")
    return "\n".join(lines)
