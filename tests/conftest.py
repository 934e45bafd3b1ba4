"""Shared fixtures: one grading of the reference serves every test that needs it."""

from __future__ import annotations

import pytest

from grader.assignments import get_assignment
from grader.grading.runner import GradeConfig, grade
from grader.results.verdicts import AssignmentResult


@pytest.fixture(scope="session")
def hw1_reference_result() -> AssignmentResult:
    (result,) = grade(get_assignment("hw1_attention").solution_dir, config=GradeConfig(seed=0))
    return result


@pytest.fixture(scope="session")
def reference_test_count(hw1_reference_result: AssignmentResult) -> int:
    return len(hw1_reference_result.tests)
