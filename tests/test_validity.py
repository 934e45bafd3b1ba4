"""Every hidden suite is valid: it grades the reference 100 (on several seeds, identically twice), the stub 0,
every buggy variant below 100 in exactly the tests its bug touches at every grading seed, with exactly the
hints its mistake calls for and diagnosed as itself, and every valid alternative 100.

The catalogues live in grader/catalogue/<assignment>.py (the grader reads them to diagnose a submission).
`grader validate NAME` runs the same checks on any one assignment (grader/authoring/validate.py).
Grading a submission takes a few seconds, so the grading tests are marked slow; each catalogue's own
consistency is checked without grading.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.assignments import get_assignment
from grader.authoring.validate import hidden_tests as suite_points
from grader.authoring.validate import result_table as table
from grader.catalogue.variants import Variant, materialize
from grader.grading.runner import GradeConfig, grade
from grader.results.diagnosis import catalogue
from grader.results.verdicts import AssignmentResult


@dataclass(frozen=True)
class Catalogue:
    assignment: str
    test_count: tuple[int, int]  # the range the hidden suite's size must fall in
    min_variants: int

    @property
    def module(self):
        return catalogue(self.assignment)


CATALOGUES = [
    Catalogue("hw1_attention", (30, 45), 14),
    Catalogue("hw2_transformer", (18, 40), 12),
    Catalogue("hw3_tokenization", (20, 40), 10),
    Catalogue("hw4_agents", (20, 40), 12),
]
VARIANT_CASES = [
    pytest.param(c.assignment, v, id=f"{c.assignment}:{v.name}")
    for c in CATALOGUES
    for v in c.module.VARIANTS
]
ALTERNATIVE_CASES = [
    pytest.param(c.assignment, v, id=f"{c.assignment}:{v.name}")
    for c in CATALOGUES
    for v in c.module.ALTERNATIVES
]
ALL_CASES = VARIANT_CASES + ALTERNATIVE_CASES
# A bug must be caught whatever seed the instructor grades with: the inputs that exercise each case are built
# in, not left to the seed. The reference is graded 100 at each of these seeds below.
VARIANT_SEEDS = (0, 1, 2024)
ASSIGNMENTS = [c.assignment for c in CATALOGUES]


def hidden_tests(assignment: str) -> dict[str, float]:
    """{test function name: points} read from the hidden suite's source, without running it."""
    return suite_points(get_assignment(assignment).suite_dir)


def grade_variant(assignment: str, variant: Variant, dest: Path, seed: int = 0) -> AssignmentResult:
    (result,) = grade(materialize(assignment, variant, dest), config=GradeConfig(seed=seed))
    return result


def snapshot(result: AssignmentResult) -> list[tuple]:
    return [(t.name, t.score, t.max_score, t.verdict, t.message, t.hint, t.parts) for t in result.tests]


@pytest.fixture(scope="session")
def reference_results(hw1_reference_result: AssignmentResult) -> dict[str, AssignmentResult]:
    """The reference of each assignment graded once (seed 0), shared by the tests that need it."""
    cache = {"hw1_attention": hw1_reference_result}
    for assignment in ASSIGNMENTS:
        if assignment not in cache:
            (cache[assignment],) = grade(get_assignment(assignment).solution_dir, config=GradeConfig(seed=0))
    return cache


# -- the catalogues themselves (fast) ------------------------------------------------------------------------


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.assignment)
def test_hidden_suite_totals_100_points(catalogue: Catalogue):
    points = hidden_tests(catalogue.assignment)
    low, high = catalogue.test_count
    assert low <= len(points) <= high, f"{len(points)} hidden tests"
    assert sum(points.values()) == 100, f"the hidden suite totals {sum(points.values())} points"


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.assignment)
def test_catalogue_names_are_unique_and_breaks_name_hidden_tests(catalogue: Catalogue):
    variants, alternatives = catalogue.module.VARIANTS, catalogue.module.ALTERNATIVES
    names = [variant.name for variant in (*variants, *alternatives)]
    assert len(names) == len(set(names)), "duplicate variant names"
    assert len(variants) >= catalogue.min_variants
    hidden = set(hidden_tests(catalogue.assignment))
    for variant in variants:
        assert variant.description, f"{variant.name} has no description"
        assert variant.breaks, f"{variant.name} names no test it breaks"
        unknown = sorted(set(variant.breaks) - hidden)
        assert not unknown, f"{variant.name} names tests that do not exist: {unknown}"
    for variant in alternatives:
        assert not variant.breaks, f"the alternative {variant.name} must break nothing"


@pytest.mark.parametrize(("assignment", "variant"), ALL_CASES)
def test_catalogue_edits_apply_to_the_reference(assignment: str, variant: Variant, tmp_path: Path):
    """Each edit's text occurs exactly once in the reference (materialize raises otherwise) and changes it."""
    chosen = get_assignment(assignment)
    package = materialize(assignment, variant, tmp_path)
    changed = [
        module
        for module in chosen.modules
        if (package / module).read_text(encoding="utf-8")
        != (chosen.solution_dir / module).read_text(encoding="utf-8")
    ]
    assert changed, f"{variant.name} leaves the reference unchanged"
    for module in changed:
        compile((package / module).read_text(encoding="utf-8"), module, "exec")


# -- grading (slow) ------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_scores_100(assignment: str, reference_results):
    result = reference_results[assignment]
    assert result.score == 100 and all(t.score == t.max_score for t in result.tests), table(result)
    assert result.diagnosis is not None and result.diagnosis.lines() == []  # no mistake to name
    assert {t.name for t in result.tests} == set(hidden_tests(assignment)), (
        "graded tests differ from the suite's"
    )


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_grading_is_repeatable(assignment: str, reference_results):
    first = reference_results[assignment]
    again = grade(get_assignment(assignment).solution_dir, config=GradeConfig(seed=first.seed))[0]
    assert snapshot(again) == snapshot(first), f"first:\n{table(first)}\nsecond:\n{table(again)}"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("seed", [1, 2024])
def test_reference_scores_100_on_other_seeds(assignment: str, seed: int):
    result = grade(get_assignment(assignment).solution_dir, config=GradeConfig(seed=seed))[0]
    assert result.score == 100, f"seed {seed}: {table(result)}"


@pytest.mark.slow
@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.assignment)
def test_stub_scores_0(catalogue: Catalogue, tmp_path: Path):
    result = grade_variant(catalogue.assignment, catalogue.module.STUB, tmp_path)
    earned = [t.name for t in result.tests if t.score > 0]
    assert result.score == 0 and not earned, table(result)
    # Not a mistake: work not done yet.
    assert result.diagnosis is not None and not result.diagnosis.matches and not result.diagnosis.unexplained
    assert len(result.diagnosis.not_implemented) == len(result.tests)


def unexplained_hints(assignment: str, variant: Variant, result: AssignmentResult) -> list[str]:
    """Hints in `result` that neither `variant` declares nor the catalogue lists as generic (about form)."""
    generic = getattr(catalogue(assignment), "GENERIC_HINTS", ())
    allowed = (*variant.hints, *generic)
    shown = {test.hint for test in result.tests if test.hint}
    return sorted(hint for hint in shown if not any(expected in hint for expected in allowed))


@pytest.mark.slow
@pytest.mark.parametrize("seed", VARIANT_SEEDS)
@pytest.mark.parametrize(("assignment", "variant"), VARIANT_CASES)
def test_variant_loses_exactly_the_points_of_what_it_breaks(
    assignment: str, variant: Variant, seed: int, tmp_path: Path
):
    result = grade_variant(assignment, variant, tmp_path, seed=seed)
    lost = sorted(test.name for test in result.tests if test.score < test.max_score)
    assert result.score < 100 and lost == sorted(variant.breaks), (
        f"seed {seed}: {variant.name} ({variant.description}) loses points in {lost}, "
        f"but its catalogue entry names {sorted(variant.breaks)}:\n{table(result)}"
    )
    shown = [test.hint for test in result.tests if test.hint]
    missing = [hint for hint in variant.hints if not any(hint in text for text in shown)]
    assert not missing, f"seed {seed}: {variant.name} should get the hints {missing}; it got {shown}"
    wrong = unexplained_hints(assignment, variant, result)
    assert not wrong, f"seed {seed}: {variant.name} got hints meant for other mistakes: {wrong}"
    # The catalogue entry is a fingerprint: the grader's diagnosis names this very mistake first, and nothing
    # it cannot explain.
    diagnosis = result.diagnosis
    assert diagnosis is not None and diagnosis.matches, f"seed {seed}: {variant.name} is not diagnosed"
    assert len(diagnosis.matches) == 1 and variant.name in diagnosis.matches[0].names, (
        f"seed {seed}: {variant.name} is diagnosed as {[m.names for m in diagnosis.matches]}"
    )
    assert not diagnosis.unexplained, (
        f"seed {seed}: {variant.name} leaves {diagnosis.unexplained} unexplained"
    )


@pytest.mark.slow
@pytest.mark.parametrize(("assignment", "variant"), ALTERNATIVE_CASES)
def test_alternative_scores_100(assignment: str, variant: Variant, tmp_path: Path):
    result = grade_variant(assignment, variant, tmp_path)
    assert result.score == 100, f"{variant.name} ({variant.description}) is valid:\n{table(result)}"
