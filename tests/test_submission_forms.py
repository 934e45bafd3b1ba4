"""A notebook and a single module are graded like the equivalent folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader.assignments import get_assignment
from grader.grading.runner import GradeConfig, grade
from grader.results.verdicts import AssignmentResult

HW1 = get_assignment("hw1_attention")


def _scores(result: AssignmentResult) -> dict[str, float]:
    return {test.name: test.score for test in result.tests}


@pytest.mark.slow
def test_a_notebook_of_writefile_cells_scores_like_the_folder(tmp_path: Path, hw1_reference_result):
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# Assignment 1"]}]
    for module in HW1.modules:
        source = (HW1.solution_dir / module).read_text()
        cells.append(
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": f"%%writefile {module}\n{source}",
            }
        )
        cells.append(
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": "print('scratch work between the modules is not graded')",
            }
        )
    notebook = tmp_path / "attention.ipynb"
    notebook.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    (result,) = grade(notebook, config=GradeConfig(seed=hw1_reference_result.seed))
    assert result.assignment == HW1.name
    assert _scores(result) == _scores(hw1_reference_result)


@pytest.mark.slow
def test_a_single_module_earns_the_points_of_that_module(tmp_path: Path):
    module = tmp_path / "scores.py"
    shutil.copy(HW1.solution_dir / "scores.py", module)
    (result,) = grade(module, config=GradeConfig())
    earned = {test.name for test in result.tests if test.score > 0}
    assert earned and all("score" in name for name in earned)
    missing = [test for test in result.tests if test.score == 0]
    assert all("missing from your submission" in test.message for test in missing)
