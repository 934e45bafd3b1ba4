"""`grader audit`: mutants of the reference, made only where students write code, graded like submissions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.assignments import get_assignment
from grader.authoring.audit import audit, generate_mutants, mutation_sites, report_text
from grader.markers import solution_lines

HW1 = get_assignment("hw1_attention")


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
