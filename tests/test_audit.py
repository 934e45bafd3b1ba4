"""`grader audit`: mutants of the reference, made only where students write code, graded like submissions."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from grader.assignments import get_assignment
from grader.authoring.audit import (
    AuditReport,
    Equivalent,
    audit,
    declared_equivalents,
    generate_mutants,
    match_equivalents,
    mutation_sites,
    report_text,
)
from grader.errors import ConfigurationError
from grader.markers import solution_lines

HW1 = get_assignment("hw1_attention")
ASSIGNMENTS = ("hw1_attention", "hw2_transformer", "hw3_tokenization", "hw4_agents")


def test_mutants_change_only_solution_regions_and_compile():
    sites = mutation_sites(HW1)
    assert len(sites) >= 100 and sites == mutation_sites(HW1)  # a fixed order
    mutants = generate_mutants(HW1, sites[::5])
    assert len(mutants) >= 20
    operators = {mutant.operator for mutant in mutants}
    assert {"arithmetic", "constant", "statement"} <= operators, operators
    for mutant in mutants:
        text = (HW1.solution_dir / mutant.module).read_text(encoding="utf-8")
        assert mutant.line in solution_lines(text), mutant
        assert mutant.source != mutant.original and mutant.diff().count("\n-") >= 1
        compile(mutant.source, mutant.module, "exec")


def test_solution_lines_are_the_lines_between_the_markers():
    text = "a = 1\n    ### BEGIN SOLUTION\n    b = 2\n    c = 3\n    ### END SOLUTION\nd = 4\n"
    assert solution_lines(text) == {3, 4}


@pytest.mark.slow
def test_an_audit_grades_its_sample_reports_survivors_and_resumes(tmp_path: Path):
    first = audit("hw3_tokenization", tmp_path, max_mutants=3, seed=5)
    assert first.total == 3 and len(first.caught) + len(first.survived) == 3 and not first.not_graded
    stored = json.loads((tmp_path / "audit.json").read_text())
    assert stored["mutation_score"] == round(first.score, 2) and len(stored["caught"]) == len(first.caught)
    assert sum(first.per_test.values()) >= len(first.caught)  # each caught mutant lost at least one test
    assert report_text(first).startswith(f"hw3_tokenization: {len(first.caught)} of 3 mutants caught")
    results = sorted((tmp_path / "results").glob("*/results.json"))
    stamps = [path.stat().st_mtime_ns for path in results]
    again = audit("hw3_tokenization", tmp_path, max_mutants=3, seed=5)  # resumes: nothing graded again
    assert [path.stat().st_mtime_ns for path in results] == stamps
    assert (again.caught, [m.id for m in again.survived]) == (first.caught, [m.id for m in first.survived])


def test_an_equivalent_mutant_is_known_by_its_change_not_by_its_id():
    mutants = generate_mutants(HW1, mutation_sites(HW1)[:40])
    first, second = mutants[0], mutants[1]
    original, mutated = first.change()
    assert original and mutated and original != mutated
    assert original in first.diff() and mutated in first.diff()
    entry = Equivalent(first.module, original, mutated, "the reason")
    moved = dataclasses.replace(first, id="renumbered-0999")  # the reference changed above it: a new id
    matched, stale = match_equivalents([moved, second], [entry])
    assert matched == {"renumbered-0999": entry} and stale == []
    gone = Equivalent(first.module, original, mutated + " + 1", "no mutant makes this change any more")
    other_module = Equivalent("elsewhere.py", original, mutated, "same lines, another module")
    matched, stale = match_equivalents(mutants, [entry, gone, other_module])
    assert first.id in matched and stale == [gone, other_module]


def _report(**overrides) -> AuditReport:
    mutants = {m.id: m for m in generate_mutants(HW1, mutation_sites(HW1)[:12])}
    ids = list(mutants)
    fields = {
        "assignment": "hw1_attention",
        "total": 10,
        "caught": ids[:6],
        "survived": [mutants[i] for i in ids[6:10]],
        "not_graded": [],
        "per_test": {"test_a": 6, "test_b": 0},
        "seed": 0,
        "wall_seconds": 12.0,
        "equivalent": {ids[6]: "overwritten before it is read", ids[7]: "only saves work"},
        "stale": [],
    }
    return AuditReport(**{**fields, **overrides})


def test_the_report_gives_the_score_over_the_mutants_not_declared_equivalent():
    report = _report()
    assert report.score == 60.0 and report.adjusted_score == 75.0  # 6 of 10; 6 of the 8 not declared
    assert [m.id for m in report.unexplained] == [m.id for m in report.survived[2:]]
    text = report_text(report)
    assert "6 of 10 mutants caught (mutation score 60.0%)" in text
    assert "2 declared equivalent: 6 of the other 8 caught (75.0% over the mutants not declared" in text
    declared = text.split("survived, declared equivalent:")[1]
    assert f"{report.survived[0].id}: overwritten before it is read" in declared
    for mutant in report.unexplained:  # the unexplained survivors are shown as diffs, the declared ones not
        assert f"survived {mutant.id} (" in text
    assert f"survived {report.survived[0].id} (" not in text
    stored = report.to_dict()
    assert stored["adjusted_score"] == 75.0 and stored["unexplained"] == [m.id for m in report.unexplained]
    assert "stale" not in text and "declared equivalent but caught" not in text


def test_the_report_names_stale_declarations_and_declared_mutants_that_were_caught():
    report = _report(equivalent={"attention-0000": "x"}, stale=["gone.py: a = 1 -> a = 2"])
    caught = report.caught[0]
    report = _report(equivalent={caught: "judged equivalent, yet it lost points"}, stale=report.stale)
    assert report.equivalent_caught == [caught] and report.adjusted_score == 5 / 9 * 100
    text = report_text(report)
    assert f"declared equivalent but caught (the declaration or the suite is wrong): {caught}" in text
    assert (
        "stale EQUIVALENT_MUTANTS entries (they match no mutant of the reference):\n  gone.py: a = 1" in text
    )


def test_a_malformed_declaration_is_a_configuration_error():
    entries = [{"module": "bpe.py", "original": "a", "mutated": "b"}]  # no reason
    with pytest.raises(
        ConfigurationError, match="each entry is a dict with module, original, mutated and reason"
    ):
        declared_equivalents("hw3_tokenization", entries)
    assert declared_equivalents("hw9_no_such_assignment") == []  # no catalogue: nothing declared


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_every_declared_equivalent_mutant_is_one_mutant_of_the_reference(name: str):
    """No stale entry, and none that covers a second place (the same change of the same line elsewhere)."""
    declared = declared_equivalents(name)
    mutants = generate_mutants(get_assignment(name)) if declared else []
    matched, stale = match_equivalents(mutants, declared)
    assert stale == [], f"stale EQUIVALENT_MUTANTS entries of {name}: {stale}"
    covers = {str(entry): [i for i, e in matched.items() if e == entry] for entry in declared}
    places = {str(entry): entry.places for entry in declared}
    assert all(len(ids) == places[entry] for entry, ids in covers.items()), covers
    assert all(entry.reason.strip() for entry in declared)
