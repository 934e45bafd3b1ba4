"""The grading plugin, run on small made-up suites with pytester: points, partial credit, visibility, the
verdict of each outcome, and the suites it refuses."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from grader.grading.plugin import INTERNAL_MESSAGE, GradingPlugin
from grader.grading.runner import PYTEST_INI
from grader.grading.sandbox.sandbox import BUDGET_HINT, EXIT_HINT, TIMEOUT_HINT
from grader.results.verdicts import VISIBILITIES, Verdict

pytest_plugins = ["pytester"]


class FakeSandbox:
    """What the plugin asks of the sandbox: each test's slice of the output, the seed, the reaping."""

    def __init__(self) -> None:
        self.printed = ""
        self.seed: int | None = None

    def take_output(self) -> str:
        output, self.printed = self.printed, ""
        return output

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
        "-p", "no:cacheprovider", "--assert=plain", "--strict-markers", plugins=[plugin]
    )  # as the grader (strict markers: the plugin registers its own)
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


def test_points_that_do_not_sum_to_the_declared_total_are_refused_and_nothing_runs(pytester):
    source = "".join(
        f"@pytest.mark.points({points})\ndef test_{name}():\n    open('{name}.ran', 'w').close()\n"
        for name, points in [("a", 30), ("b", 30), ("c", 30)]
    )
    plugin = run(pytester, source)
    assert plugin.configuration_errors == ["the suite's points total 90, not 100"]
    assert plugin.results == [] and plugin.collected == 0 and not list(pytester.path.glob("*.ran"))
    assert run(pytester, source, total_points=90).configuration_errors == []  # the total is the caller's


ONE_OF = ", ".join(VISIBILITIES)


@pytest.mark.parametrize(
    ("markers", "error"),
    [
        ("@pytest.mark.points('ten')", "test_suite.py::test_b has points('ten'): n must be a number >= 0"),
        ("@pytest.mark.points(-5)", "test_suite.py::test_b has points(-5): n must be a number >= 0"),
        ("@pytest.mark.points(True)", "test_suite.py::test_b has points(True): n must be a number >= 0"),
        ("@pytest.mark.points()", "test_suite.py::test_b has no points(n) marker"),
        (
            "@pytest.mark.points(50)\n@pytest.mark.visibility()",
            f"test_suite.py::test_b has visibility() with no value: use one of {ONE_OF}",
        ),
        (
            "@pytest.mark.points(50)\n@pytest.mark.visibility('secret')",
            f"test_suite.py::test_b has an unknown visibility secret: use one of {ONE_OF}",
        ),
        (
            "@pytest.mark.points(50)\n@pytest.mark.timeout(0)",
            "test_suite.py::test_b has timeout(0): seconds must be a number > 0",
        ),
        (
            "@pytest.mark.points(50)\n@pytest.mark.timeout('1m', speed=True)",
            "test_suite.py::test_b has timeout('1m'): seconds must be a number > 0",
        ),
        (
            "@pytest.mark.points(50)\n@pytest.mark.timeout()",
            "test_suite.py::test_b has timeout(): seconds must be a number > 0",
        ),
    ],
)
def test_a_marker_the_grader_cannot_use_is_an_error_naming_the_test(pytester, markers, error):
    source = f"@pytest.mark.points(50)\ndef test_a():\n    pass\n{markers}\ndef test_b():\n    pass\n"
    plugin = run(pytester, source)
    assert error in plugin.configuration_errors and plugin.results == [], plugin.configuration_errors


def test_points_totals_and_rounding(pytester):
    source = (
        "@pytest.mark.points(12.5)\ndef test_a():\n    pass\n"
        "@pytest.mark.points(37.5)\ndef test_b():\n    fail('no')\n"
        "@pytest.mark.points(10)\ndef test_c(check):\n"
        "    with check.part('one'):\n        pass\n"
        "    with check.part('two', weight=2):\n        fail('wrong')\n"
        "@pytest.mark.points(40)\ndef test_d(check):\n    pass\n"  # asked for parts, recorded none
    )
    results = run(pytester, source).results
    assert [(r.score, r.max_score) for r in results] == [(12.5, 12.5), (0, 37.5), (3.3333, 10), (40, 40)]
    assert sum(r.max_score for r in results) == 100 and round(sum(r.score for r in results), 4) == 55.8333


PARTIAL = """
from grader.grading.sandbox import CallTimeout, ChildDied, MemoryLimit

@pytest.mark.points(20)
def test_all_parts_pass(check):
    with check.part("a"):
        pass
    with check.part("b"):
        pass

@pytest.mark.points(20)
def test_every_part_fails_the_first_verdict_in_precedence_wins(check):
    with check.part("slow"):
        raise CallTimeout(2)
    with check.part("wrong"):
        fail("not this", "check the shape")
    with check.part("died"):
        raise ChildDied(1)

@pytest.mark.points(20)
def test_the_hint_is_the_first_failed_part_s(check):
    with check.part("fine", weight=2):
        pass
    with check.part("wrong"):
        fail("wrong value")
    with check.part("memory"):
        raise MemoryLimit(1024**3, "MemoryError: ")
    with check.part("hinted"):
        fail("off by one", "count from zero")

@pytest.mark.points(20)
def test_a_bare_assert_in_a_part_ends_the_test(check):
    with check.part("a"):
        pass
    with check.part("b"):
        assert False, "a bare assert"
    with check.part("never"):
        pass

@pytest.mark.points(20)
def test_an_exception_after_the_parts_wins(check):
    with check.part("a"):
        pass
    fail("after the parts")
"""


def test_partial_credit(pytester):
    results = {r.name: r for r in run(pytester, PARTIAL).results}
    outcome = {name: (r.score, r.verdict) for name, r in results.items()}
    assert outcome == {
        "test_all_parts_pass": (20, Verdict.PASSED),
        "test_every_part_fails_the_first_verdict_in_precedence_wins": (0, Verdict.TIMEOUT),
        "test_the_hint_is_the_first_failed_part_s": (8, Verdict.PARTIAL),  # 2 of 5 weights
        "test_a_bare_assert_in_a_part_ends_the_test": (0, Verdict.FAILED),
        "test_an_exception_after_the_parts_wins": (0, Verdict.FAILED),
    }
    assert results["test_all_parts_pass"].parts == (("a", 1.0, True, ""), ("b", 1.0, True, ""))
    every = results["test_every_part_fails_the_first_verdict_in_precedence_wins"]
    assert every.message == (
        "[slow] your code did not answer within the 2 s time limit\n[wrong] not this\n"
        "[died] the process running your code exited with status 1"
        " (sys.exit, os._exit or a crash in native code)"
    )
    assert every.hint == TIMEOUT_HINT
    hinted = results["test_the_hint_is_the_first_failed_part_s"]
    assert hinted.hint == "count from zero" and [p[:3] for p in hinted.parts] == [
        ("fine", 2, True),
        ("wrong", 1.0, False),
        ("memory", 1.0, False),
        ("hinted", 1.0, False),
    ]
    bare = results["test_a_bare_assert_in_a_part_ends_the_test"]
    assert bare.message.startswith("a bare assert") and bare.parts == ()
    assert results["test_an_exception_after_the_parts_wins"].message == "after the parts"


VISIBILITY = """
pytestmark = pytest.mark.visibility("after_published")

@pytest.mark.points(50)
def test_module_wide():
    pass

@pytest.mark.points(25)
@pytest.mark.visibility("hidden")
def test_own_marker_wins():
    pass

@pytest.mark.visibility("after_due_date")
class TestGroup:
    @pytest.mark.points(25)
    def test_class_marker_wins(self):
        pass
"""


def test_visibility_is_the_closest_marker_s(pytester):
    results = run(pytester, VISIBILITY, default_visibility="hidden").results
    assert {r.name: r.visibility for r in results} == {
        "test_module_wide": "after_published",
        "test_own_marker_wins": "hidden",
        "test_class_marker_wins": "after_due_date",
    }


TRACEBACK = '  File "softmax.py", line 3, in softmax\n    raise ValueError("bad shape")\n'

# (what the test raises, verdict, the student's message, hint): every exception that ends a test carries its
# verdict, and the plugin reads it from there.
OUTCOMES = [
    ('fail("expected 3, got 4", "add one less")', Verdict.FAILED, "expected 3, got 4", "add one less"),
    ('AssertionError("one is not two")', Verdict.FAILED, "one is not two", ""),
    ("AssertionError()", Verdict.FAILED, "a check failed", ""),
    (
        'NotImplementedYet("softmax.softmax is not implemented yet (it raises NotImplementedError)")',
        Verdict.FAILED,
        "softmax.softmax is not implemented yet (it raises NotImplementedError)",
        "",
    ),
    (
        f'StudentRaised("ValueError", "bad shape", {TRACEBACK!r})',
        Verdict.ERROR,
        f"your code raised ValueError: bad shape\nTraceback (your code, most recent call last):\n{TRACEBACK}",
        "",
    ),
    ('StudentRaised("KeyError", "\'q\'", "")', Verdict.ERROR, "your code raised KeyError: 'q'", ""),
    (
        'ImportFailed("softmax.py is missing from your submission")',
        Verdict.ERROR,
        "softmax.py is missing from your submission",
        "",
    ),
    (
        'ImportFailed("while importing softmax.py, your code did not answer", cause=CallTimeout(2))',
        Verdict.TIMEOUT,
        "while importing softmax.py, your code did not answer",
        "",
    ),
    (
        'ImportFailed("while importing softmax.py, it exited", cause=ChildDied(0))',
        Verdict.CRASHED,
        "while importing softmax.py, it exited",
        "",
    ),
    (
        'ImportFailed("while importing softmax.py, out of memory", cause=MemoryLimit(2 * 1024**3, "x"))',
        Verdict.MEMORY_LIMIT,
        "while importing softmax.py, out of memory",
        "",
    ),
    ("CallTimeout(2)", Verdict.TIMEOUT, "your code did not answer within the 2 s time limit", TIMEOUT_HINT),
    (
        'FunctionTimedOut("softmax.softmax", 2, again=True)',
        Verdict.TIMEOUT,
        "softmax.softmax did not answer within the 2 s time limit"
        " earlier in grading, so it was not called again",
        TIMEOUT_HINT,
    ),
    (
        "BudgetSpent(60)",
        Verdict.TIMEOUT,
        "stopped: your submission used up its time budget of 60 s",
        BUDGET_HINT,
    ),
    (
        "BudgetSpent(60, started=False)",
        Verdict.NOT_RUN,
        "not run: your submission used up its time budget of 60 s",
        BUDGET_HINT,
    ),
    (
        'MemoryLimit(6 * 1024**3, "MemoryError: ")',
        Verdict.MEMORY_LIMIT,
        "your code ran out of the 6 GiB memory limit (MemoryError: )",
        "",
    ),
    (
        "ChildDied(1)",
        Verdict.CRASHED,
        "the process running your code exited with status 1 (sys.exit, os._exit or a crash in native code)",
        EXIT_HINT,
    ),
    (
        "ChildDied(-9)",
        Verdict.CRASHED,
        "the process running your code was killed by signal SIGKILL",
        EXIT_HINT,
    ),
    (
        "ChildDied(-24)",
        Verdict.CRASHED,
        "the process running your code went over its CPU time limit",
        EXIT_HINT,
    ),
    (
        'BadAnswer("the sandbox answered with a malformed message")',
        Verdict.ERROR,
        "the sandbox answered with a malformed message",
        "",
    ),
    (
        'SandboxFailure("the model object was lost when the process running your code restarted")',
        Verdict.ERROR,
        "the model object was lost when the process running your code restarted",
        "",
    ),
    ("ZeroDivisionError('division by zero')", Verdict.INTERNAL_ERROR, INTERNAL_MESSAGE, ""),
]


def test_each_exception_ends_its_test_with_the_verdict_it_carries(pytester):
    source = (
        "from grader.grading.sandbox import (BadAnswer, BudgetSpent, CallTimeout, ChildDied, MemoryLimit,\n"
        "    SandboxFailure, StudentRaised)\n"
        "from grader.grading.student import FunctionTimedOut, ImportFailed, NotImplementedYet\n"
    )
    for number, (raised, *_) in enumerate(OUTCOMES):
        source += f"@pytest.mark.points(1)\ndef test_{number}():\n    raise {raised}\n"
    results = run(pytester, source, total_points=len(OUTCOMES)).results
    got = [(r.verdict, r.message, r.hint, r.score) for r in results]
    assert got == [(verdict, message, hint, 0) for _, verdict, message, hint in OUTCOMES]
    internal = results[-1]
    assert "ZeroDivisionError: division by zero" in internal.detail  # for the instructor only
    assert all(r.detail == "" for r in results[:-1])


def test_an_exception_in_a_fixture_is_the_test_s_outcome(pytester):
    source = """
from grader.grading.sandbox import StudentRaised

@pytest.fixture
def model():
    raise StudentRaised("RuntimeError", "cannot build", "")

@pytest.mark.points(60)
def test_uses_the_model(model):
    pass

@pytest.mark.points(40)
def test_runs_on():
    pass
"""
    results = run(pytester, source).results
    assert [(r.name, r.verdict, r.message) for r in results] == [
        ("test_uses_the_model", Verdict.ERROR, "your code raised RuntimeError: cannot build"),
        ("test_runs_on", Verdict.PASSED, ""),
    ]


def test_the_timeout_marker_reaches_the_student_fixture(pytester):
    source = """
@pytest.mark.points(50)
@pytest.mark.timeout(3, speed=True)
def test_speed(student, seed):
    fail(f"{student.timeout} {student.remember_timeouts} {student.sandbox.seed == seed}")

@pytest.mark.points(50)
def test_default(student):
    fail(f"{student.timeout} {student.remember_timeouts}")
"""
    assert [r.message for r in run(pytester, source).results] == ["3.0 False True", "None True"]


def test_output_figures_progress_and_device(pytester):
    source = """
from grader.suite import curves

@pytest.mark.points(100)
def test_a(student, figure, device):
    student.sandbox.printed = "hello from the student"
    figure.add(curves("loss", {"yours": [3, 2, 1]}))
    fail(device)
"""
    seen = []
    plugin = run(
        pytester, source, progress=lambda done, total, result: seen.append((done, total, result.name))
    )
    (result,) = plugin.results
    assert (result.message, result.output) == ("cpu", "hello from the student")
    assert [figure["title"] for figure in result.figures] == ["loss"] and result.duration >= 0
    assert seen == [(1, 1, "test_a")]


def test_pytest_fixtures_and_markers_document_the_grader_s(pytester):
    """`pytest --fixtures` in a suite's folder lists the grader's fixtures with their docstrings."""
    pytester.makepyfile(test_suite="def test_a(student):\n    pass\n")
    common = ["-c", str(PYTEST_INI), "--rootdir", str(pytester.path), "-p", "no:cacheprovider"]
    shown = pytester.runpytest_inprocess(*common, "--fixtures")
    shown.stdout.fnmatch_lines(
        [
            "*fixtures defined from grader.grading.plugin.fixtures*",
            "seed -- *",
            "*This test's seed: a stable function of the grading seed*",
            "gen -- *",
            "device -- *",
            "student -- *",
            "*The submission through the sandbox*",
            "check -- *",
            "*Partial credit*",
            "figure -- *",
            "*Pictures for the feedback page*",
        ]
    )
    markers = pytester.runpytest_inprocess(*common, "--markers")
    markers.stdout.fnmatch_lines(
        ["@pytest.mark.points(n)*", "@pytest.mark.visibility(v)*", "@pytest.mark.timeout*"]
    )
    alone = pytester.runpytest_inprocess(*common)  # without the grader, a fixture says what is missing
    alone.stdout.fnmatch_lines(
        ["*the `seed` fixture is the grader's: run the hidden suite with `grader run`*"]
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
