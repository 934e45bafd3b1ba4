"""grader.suite.compare: which hint a failed comparison shows."""

from __future__ import annotations

import pytest
import torch

from grader.suite.compare import RESHAPE_HINT, GradingFailure, assert_close

EXPECTED = torch.arange(6.0).reshape(2, 3)
MISTAKES = [(EXPECTED.T, "laid out (Tk, Tq)"), (EXPECTED * 2, "doubled")]


@pytest.mark.parametrize(
    ("got", "hint"),
    [
        (EXPECTED * 2, "doubled"),
        (EXPECTED.T.contiguous(), "laid out (Tk, Tq)"),  # a reproduced mistake of another shape names itself
        (torch.zeros(3, 2), RESHAPE_HINT),  # a wrong shape that reproduces no mistake
        (EXPECTED + 1, "the default"),
    ],
)
def test_assert_close_names_the_mistake_the_value_reproduces(got: torch.Tensor, hint: str):
    with pytest.raises(GradingFailure) as failure:
        assert_close(got, EXPECTED, what="the scores", hint="the default", mistakes=MISTAKES)
    assert failure.value.hint == hint


def test_assert_close_passes_the_right_answer():
    assert_close(EXPECTED.clone(), EXPECTED, what="the scores", mistakes=MISTAKES)
