"""The grading plugin, run on small made-up suites with pytester: points, partial credit, visibility, the
verdict of each outcome, and the suites it refuses."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from grader.grading.plugin import INTERNAL_MESSAGE, GradingPlugin
from grader.results.verdicts import Verdict

pytest_plugins = ["pytester"]


class FakeSandbox:
    def take_output(self) -> str:
        return ""

    def reap(self) -> None:
        pass

    def set_seed(self, seed: int) -> None:
        self.seed = seed


def run(pytester: pytest.Pytester, source: str, *, budget_spent: bool = False, **options) -> GradingPlugin:
    """Run the suite `source` under the plugin; the plugin, with its results."""
    student = SimpleNamespace(
        sandbox=FakeSandbox(), budget_spent=budget_spent, budget=60.0, timeout=None, remember_timeouts=True
    )
    plugin = GradingPlugin(student=student, seed=7, device="cpu", **options)
    pytester.makepyfile(test_suite="import pytest\nfrom grader.suite import fail\n" + source)
    pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "--assert=plain", plugins=[plugin]
    )  # as the grader
    return plugin


SUITE = '''
@pytest.mark.points(40)
def test_passes():
    """What passing looks like."""

@pytest.mark.points(30)
@pytest.mark.visibility("after_due_date")
def test_fails():
    fail("expected 3, got 4", "add one less")

@pytest.mark.points(20)
def test_half(check):
    with check.part("first"):
        pass
    with check.part("second", weight=3):
        fail("the second part is wrong")

@pytest.mark.points(5)
def test_plain_assert():
    assert 1 == 2, "one is not two"

@pytest.mark.points(5)
def test_grader_bug():
    1 / 0
'''


def test_points_partial_credit_visibility_and_verdicts(pytester):
    plugin = run(pytester, SUITE)
    assert plugin.configuration_errors == []
    results = {r.name: r for r in plugin.results}
    assert [r.name for r in plugin.results] == ["test_passes", "test_fails", "test_half", "test_plain_assert",
                                                "test_grader_bug"]  # fmt: skip
    assert {name: (r.score, r.max_score, r.verdict) for name, r in results.items()} == {
        "test_passes": (40, 40, Verdict.PASSED),
        "test_fails": (0, 30, Verdict.FAILED),
        "test_half": (5, 20, Verdict.PARTIAL),  # 1 of 4 weights
        "test_plain_assert": (0, 5, Verdict.FAILED),
        "test_grader_bug": (0, 5, Verdict.INTERNAL_ERROR),
    }
    assert results["test_passes"].title == "What passing looks like."
    assert (results["test_fails"].message, results["test_fails"].hint) == (
        "expected 3, got 4",
        "add one less",
    )
    assert (
        results["test_fails"].visibility == "after_due_date"
        and results["test_passes"].visibility == "visible"
    )
    assert results["test_half"].message == "[second] the second part is wrong"
    assert results["test_half"].parts == (
        ("first", 1.0, True, ""),
        ("second", 3, False, "the second part is wrong"),
    )
    assert results["test_plain_assert"].message.startswith("one is not two")  # (pytester rewrites asserts)
    bug = results["test_grader_bug"]
    assert (
        bug.message == INTERNAL_MESSAGE and "ZeroDivisionError" in bug.detail
    )  # the detail is not the student's


def test_the_default_visibility_is_the_config_s(pytester):
    plugin = run(pytester, SUITE, default_visibility="hidden")
    assert {r.name: r.visibility for r in plugin.results}["test_passes"] == "hidden"


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("@pytest.mark.points(60)\ndef test_a():\n    pass\n", "the suite's points total 60, not 100"),
        ("def test_a():\n    pass\n", "test_a has no points(n) marker"),
        (
            '@pytest.mark.points(100)\n@pytest.mark.visibility("sometimes")\ndef test_a():\n    pass\n',
            "has an unknown visibility sometimes",
        ),
    ],
)
def test_a_suite_that_does_not_add_up_is_refused_before_anything_runs(pytester, source, error):
    plugin = run(pytester, source)
    assert plugin.results == [] and any(error in e for e in plugin.configuration_errors), (
        plugin.configuration_errors
    )


def test_seeds_are_per_test_and_follow_the_grading_seed(pytester):
    source = (
        "SEEN = {}\n"
        "@pytest.mark.points(50)\ndef test_a(seed, gen):\n    SEEN['a'] = seed\n    fail(str(seed))\n"
        "@pytest.mark.points(50)\ndef test_b(seed):\n    fail(str(seed))\n"
    )
    first = [r.message for r in run(pytester, source).results]
    again = [r.message for r in run(pytester, source).results]
    assert first == again and first[0] != first[1]


def test_once_the_budget_is_spent_tests_are_recorded_as_not_run(pytester):
    plugin = run(pytester, SUITE, budget_spent=True)
    assert [r.verdict for r in plugin.results] == [Verdict.NOT_RUN] * 5
    assert all(r.score == 0 and "time budget" in r.message for r in plugin.results)
