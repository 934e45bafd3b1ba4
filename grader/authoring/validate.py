"""`grader validate NAME`: is an assignment's hidden suite valid? The checks tests/test_validity.py holds the
course's assignments to, for any assignment, as a library function.

Without grading: the hidden suite's points total 100; the catalogue (grader/catalogue/NAME.py) has VARIANTS,
ALTERNATIVES and STUB with unique names; every variant names the hidden tests it breaks, and they exist; every
edit applies to the reference and changes it. Grading each as a submission (at each seed for the reference and
the variants, at the first for the rest): the reference scores 100 in every test with no mistake diagnosed;
the stub scores 0 in every test, as work not done; every variant loses points in exactly the tests it names,
shows the hints it declares and no other mistake's, and is diagnosed as itself; every alternative scores 100.
"""

from __future__ import annotations

import ast
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from grader.assignments import Assignment, get_assignment
from grader.catalogue.variants import Variant, materialize
from grader.classroom.executors import LocalPool
from grader.errors import ConfigurationError, GraderError
from grader.grading.runner import GradeConfig, grade
from grader.results.diagnosis import catalogue
from grader.results.verdicts import AssignmentResult

__all__ = ["DEFAULT_SEEDS", "Finding", "ValidationReport", "hidden_tests", "result_table", "validate"]

# The seeds tests/test_validity.py grades the variants at: a bug must be caught whatever seed is used.
DEFAULT_SEEDS = (0, 1, 2024)


@dataclass(frozen=True)
class Finding:
    """One check: what was checked, whether it held, and (when it did not) what happened instead."""

    check: str
    passed: bool
    detail: str = ""


@dataclass(frozen=True)
class ValidationReport:
    """Every check run on one assignment, in order."""

    assignment: str
    findings: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        return all(finding.passed for finding in self.findings)

    @property
    def failures(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.passed]


def hidden_tests(suite_dir: Path) -> dict[str, float]:
    """{test function name: points} of the hidden suite in `suite_dir`, read from the source, not run."""
    points: dict[str, float] = {}
    for path in sorted(Path(suite_dir).glob("test_*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
                continue
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and isinstance(decorator.func, ast.Attribute)
                    and decorator.func.attr == "points"
                ):
                    points[node.name] = float(ast.literal_eval(decorator.args[0]))
    return points


def result_table(result: AssignmentResult) -> str:
    """The graded tests, one line each, the first line of the message of each that lost points."""
    lines = [f"total {result.score:g}/{result.max_score:g}"]
    for test in result.tests:
        mark = ""
        if test.score < test.max_score:
            mark = "   <-- " + (test.message.splitlines() or [""])[0][:150]
        lines.append(f"  {test.name:46s} {test.score:7.4g}/{test.max_score:<3g} {test.verdict.value}{mark}")
    return "\n".join(lines)


def _catalogue(assignment: Assignment) -> ModuleType:
    module = catalogue(assignment.name)
    where = f"grader/catalogue/{assignment.name}.py"
    if module is None:
        raise ConfigurationError(f"{assignment.name} has no catalogue ({where} is missing)")
    for attribute, kind in (("VARIANTS", list), ("ALTERNATIVES", list), ("STUB", Variant)):
        if not isinstance(getattr(module, attribute, None), kind):
            raise ConfigurationError(f"{where} must define {attribute} (a {kind.__name__})")
    return module


def _static_findings(assignment: Assignment, module: ModuleType, scratch: Path) -> list[Finding]:
    points = hidden_tests(assignment.suite_dir)
    total = sum(points.values())
    findings = [
        Finding(
            f"the hidden suite's {len(points)} tests total 100 points",
            bool(points) and abs(total - 100) < 1e-9,
            f"they total {total:g}",
        )
    ]
    entries = [*module.VARIANTS, *module.ALTERNATIVES]
    names = [variant.name for variant in entries]
    repeated = sorted({name for name in names if names.count(name) > 1})
    findings.append(Finding("catalogue names are unique", not repeated, f"repeated: {', '.join(repeated)}"))
    for variant in module.VARIANTS:
        unknown = sorted(set(variant.breaks) - set(points))
        findings.append(
            Finding(
                f"variant {variant.name} names the hidden tests it breaks",
                bool(variant.description and variant.breaks) and not unknown,
                f"no such hidden tests: {unknown}" if unknown else "it needs a description and `breaks`",
            )
        )
    for variant in module.ALTERNATIVES:
        if variant.breaks:
            findings.append(Finding(f"alternative {variant.name} breaks nothing", False, "it names `breaks`"))
    for variant in entries:
        check = f"{variant.name}'s edits apply to the reference and change it"
        try:
            package = materialize(assignment.name, variant, scratch / "edits" / variant.name)
        except GraderError as exc:
            findings.append(Finding(check, False, exc.message))
            continue
        changed = [
            module_name
            for module_name in assignment.modules
            if (package / module_name).read_bytes() != (assignment.solution_dir / module_name).read_bytes()
        ]
        findings.append(Finding(check, bool(changed), "it leaves the reference unchanged"))
    return findings


def _reference_finding(assignment: Assignment, result: AssignmentResult, expected: set[str]) -> Finding:
    graded = {test.name for test in result.tests}
    passed = (
        result.score == 100
        and all(test.score == test.max_score for test in result.tests)
        and graded == expected
        and (result.diagnosis is None or result.diagnosis.lines() == [])
    )
    detail = result_table(result)
    if graded != expected:
        detail += f"\ngraded tests differ from the suite's: {sorted(graded ^ expected)}"
    if result.diagnosis is not None and result.diagnosis.lines():
        detail += "\ndiagnosed: " + " ".join(result.diagnosis.lines())
    return Finding(f"the reference scores 100 (seed {result.seed})", passed, detail)


def _stub_finding(result: AssignmentResult) -> Finding:
    earned = [test.name for test in result.tests if test.score > 0]
    diagnosis = result.diagnosis
    as_not_done = diagnosis is None or (
        not diagnosis.matches
        and not diagnosis.unexplained
        and len(diagnosis.not_implemented) == len(result.tests)
    )
    detail = result_table(result)
    if not as_not_done:
        detail += "\nevery test should read as not implemented yet, and no mistake be named"
    passed = result.score == 0 and not earned and as_not_done
    return Finding("the stub scores 0, as work not done", passed, detail)


def _variant_finding(variant: Variant, result: AssignmentResult, generic_hints: Sequence[str]) -> Finding:
    lost = sorted(test.name for test in result.tests if test.score < test.max_score)
    problems = []
    if result.score >= 100 or lost != sorted(variant.breaks):
        problems.append(f"loses points in {lost}, but the catalogue names {sorted(variant.breaks)}")
    shown = [test.hint for test in result.tests if test.hint]
    missing = [hint for hint in variant.hints if not any(hint in text for text in shown)]
    if missing:
        problems.append(f"should show the hints {missing}; it showed {shown}")
    allowed = (*variant.hints, *generic_hints)
    foreign = sorted({hint for hint in shown if not any(expected in hint for expected in allowed)})
    if foreign:
        problems.append(f"shows hints meant for other mistakes: {foreign}")
    diagnosis = result.diagnosis
    if diagnosis is None or len(diagnosis.matches) != 1 or variant.name not in diagnosis.matches[0].names:
        named = [match.names for match in diagnosis.matches] if diagnosis else []
        problems.append(f"is diagnosed as {named}, not as itself")
    elif diagnosis.unexplained:
        problems.append(f"leaves {diagnosis.unexplained} unexplained")
    detail = "; ".join(problems) + ("\n" + result_table(result) if problems else "")
    return Finding(
        f"variant {variant.name} loses exactly {', '.join(variant.breaks)} (seed {result.seed})",
        not problems,
        detail,
    )


def _alternative_finding(variant: Variant, result: AssignmentResult) -> Finding:
    return Finding(
        f"alternative {variant.name} scores 100 (seed {result.seed})",
        result.score == 100,
        f"{variant.description}\n{result_table(result)}",
    )


Job = tuple[str, Variant | None, int]  # (reference, stub, variant or alternative; the edit; the seed)


def _grade_job(name: str, variant: Variant | None, seed: int, folder: str) -> AssignmentResult:
    """Grade the reference (`variant` None) or `variant`, written into `folder`, of `name` at `seed`."""
    path = get_assignment(name).solution_dir
    if variant is not None:
        path = materialize(name, variant, Path(folder))
    (result,) = grade(path, config=GradeConfig(seed=seed), assignment=name)
    return result


def _graded(name: str, jobs: list[Job], scratch: Path, workers: int) -> Iterator[AssignmentResult]:
    """The result of each job, in order: here, or in a local pool of `workers` processes (the batch's)."""
    arguments = [
        (name, variant, seed, str(scratch / f"{i:04d}")) for i, (_, variant, seed) in enumerate(jobs)
    ]
    if workers <= 1:
        yield from (_grade_job(*job) for job in arguments)
        return
    finished: dict[int, AssignmentResult] = {}
    following = 0
    with LocalPool(workers) as pool:
        for done in pool.as_completed(_grade_job, arguments):
            if done.error is not None:
                raise done.error
            finished[done.index] = done.value
            while following in finished:
                yield finished.pop(following)
                following += 1


def validate(
    name: str,
    *,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    workers: int = 1,
    progress: Callable[[Finding], None] | None = None,
) -> ValidationReport:
    """Run every validity check on assignment `name` (see the module's docstring) and return the findings.

    The reference and every variant are graded at each of `seeds`, the stub and the alternatives at the
    first, in `workers` processes; `progress` is called with each finding as it is made, in order. A broken
    setup (no catalogue, no hidden suite, an unknown assignment) raises ConfigurationError; everything else
    is a finding.
    """
    if not seeds:
        raise ConfigurationError("validate needs at least one seed")
    if workers < 1:
        raise ConfigurationError(f"validate needs at least one worker, not {workers}")
    assignment = get_assignment(name)
    if not hidden_tests(assignment.suite_dir):
        raise ConfigurationError(f"{name} has no hidden tests with points in {assignment.suite_dir}")
    module = _catalogue(assignment)
    findings: list[Finding] = []

    def record(finding: Finding) -> None:
        findings.append(finding)
        if progress is not None:
            progress(finding)

    with tempfile.TemporaryDirectory(prefix=f"validate-{name}-") as tmp:
        scratch = Path(tmp)
        for finding in _static_findings(assignment, module, scratch):
            record(finding)
        if not all(finding.passed for finding in findings):
            return ValidationReport(name, tuple(findings))  # grading a broken catalogue says nothing more
        expected = set(hidden_tests(assignment.suite_dir))
        generic = tuple(getattr(module, "GENERIC_HINTS", ()))
        jobs: list[Job] = [
            *(("reference", None, seed) for seed in seeds),
            ("stub", module.STUB, seeds[0]),
            *(("variant", variant, seed) for variant in module.VARIANTS for seed in seeds),
            *(("alternative", variant, seeds[0]) for variant in module.ALTERNATIVES),
        ]
        for (kind, variant, _), result in zip(jobs, _graded(name, jobs, scratch / "graded", workers)):
            if kind == "reference":
                record(_reference_finding(assignment, result, expected))
            elif kind == "stub":
                record(_stub_finding(result))
            elif kind == "variant":
                record(_variant_finding(variant, result, generic))
            else:
                record(_alternative_finding(variant, result))
    return ValidationReport(name, tuple(findings))
