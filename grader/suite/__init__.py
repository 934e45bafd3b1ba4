"""What a hidden suite may use: the one public module for suite authors.

A hidden suite (grader/hidden/<assignment>/test_*.py) is plain pytest run by the grader. It imports only from
here; everything else in `grader` may change without notice.

Markers (every test needs `points`; the suite's points total 100):
    @pytest.mark.points(n)                     what the test is worth
    @pytest.mark.visibility("hidden")          visible (default), hidden, after_due_date, after_published
    @pytest.mark.timeout(seconds, speed=False) the limit of each call into student code; with speed=True a
                                               timeout is the test's verdict, not remembered for later tests

Fixtures (`pytest --fixtures` in a suite's folder documents them):
    student   the submission, reached through the sandbox: `student.<module>.<function>(...)` returns plain
              values; objects it creates stay in the sandbox and are reached by handle
    seed      this test's seed, a stable function of the grading seed and the test's id
    gen       a torch.Generator seeded with `seed`
    device    the device student code runs on ("cpu", "cuda", ...)
    check     partial credit: `with check.part("name", weight):` blocks, each scored on its own
    figure    pictures for the feedback page: `figure.add(heatmap(...))`, or gather inside
              `with figure.attempt():` so that nothing there can change a score

Comparisons raise a failure the student reads (what was expected, what came back, a hint); a value that
reproduces a known mistake gets that mistake's hint (`mistakes=`).
"""

from __future__ import annotations

from grader.grading.sandbox import StudentRaised
from grader.results.figures import curves, heatmap, token_split
from grader.suite.compare import (
    Mistakes,
    assert_close,
    assert_equal,
    expect_tensor,
    fail,
    first_difference,
    mistake_hint,
    reproduces,
)
from grader.suite.rollouts import rollout
from grader.suite.testdata import randomize_parameters

__all__ = [
    "Mistakes",
    "StudentRaised",
    "assert_close",
    "assert_equal",
    "curves",
    "expect_tensor",
    "fail",
    "first_difference",
    "heatmap",
    "mistake_hint",
    "randomize_parameters",
    "reproduces",
    "rollout",
    "token_split",
]
