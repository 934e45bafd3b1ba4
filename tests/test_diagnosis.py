"""The diagnosis names the known mistakes a submission's results point to, and claims nothing more.

The unit tests use a small made-up catalogue; the validity tests (tests/test_validity.py) check that every
real catalogue entry, graded, is diagnosed as itself, and the slow test here that two mistakes made together
are both named.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.catalogue.variants import Variant, materialize
from grader.grading.runner import GradeConfig, grade
from grader.results.diagnosis import catalogue, diagnose
from grader.results.verdicts import TestResult as GradedTest
from grader.results.verdicts import Verdict

SUITE = ("t_softmax", "t_dim", "t_scores", "t_mask", "t_mha", "t_train")
CATALOGUE = (
    Variant("no-scaling", "forgets 1/sqrt(d)", breaks=("t_scores", "t_mha"), hints=("divide by sqrt(d)",)),
    Variant("mask-flipped", "masks the wrong side", breaks=("t_mask",), hints=("True means masked",)),
    Variant("dim-last", "sums the last dim", breaks=("t_dim",)),
    Variant("dim-shift", "shifts by the last dim", breaks=("t_dim",)),
    Variant("no-train", "never steps the optimiser", breaks=("t_train", "t_mha")),
    Variant("half-done", "left the stub", breaks=("t_mask",), stub_modules=("attention.py",)),
)
GENERIC = ("the output itself is already wrong",)


def outcome(lost: dict[str, str] | None = None, messages: dict[str, str] | None = None) -> list[GradedTest]:
    """The suite graded: `lost` maps each lost test to the hint it showed ("" for none)."""
    lost, messages = lost or {}, messages or {}
    return [
        GradedTest(
            name,
            name,
            10,
            0 if name in lost else 10,
            Verdict.FAILED if name in lost else Verdict.PASSED,
            message=messages.get(name, "wrong values" if name in lost else ""),
            hint=(lost or {}).get(name, ""),
        )
        for name in SUITE
    ]


def names(diagnosis) -> list[tuple[str, ...]]:
    return [match.names for match in diagnosis.matches]


def test_nothing_lost_nothing_to_say():
    diagnosis = diagnose(outcome(), CATALOGUE, GENERIC)
    assert diagnosis.matches == () and diagnosis.lines() == []


def test_a_mistake_with_its_tests_and_its_hint_is_named_with_the_evidence():
    diagnosis = diagnose(outcome({"t_scores": "divide by sqrt(d) here", "t_mha": ""}), CATALOGUE, GENERIC)
    assert names(diagnosis) == [("no-scaling",)] and diagnosis.matches[0].strong
    assert diagnosis.unexplained == ()
    assert diagnosis.lines() == [
        "Your results match a known mistake: forgets 1/sqrt(d) (2 of 2 tests it affects were lost, "
        "and its hint was shown (divide by sqrt(d)))."
    ]


def test_a_hinted_mistake_whose_hint_was_not_shown_is_not_claimed():
    diagnosis = diagnose(outcome({"t_scores": "", "t_mha": ""}), CATALOGUE, GENERIC)
    assert names(diagnosis) == [] and diagnosis.unexplained == ("t_scores", "t_mha")
    assert diagnosis.lines()[-1].startswith("No known mistake explains 2 lost tests (t_scores, t_mha)")


def test_a_mistake_without_hints_is_claimed_only_when_it_explains_everything():
    exact = diagnose(outcome({"t_train": "", "t_mha": ""}), CATALOGUE, GENERIC)
    assert names(exact) == [("no-train",)] and not exact.matches[0].strong
    assert exact.lines() == [
        "Your results are consistent with a known mistake: never steps the optimiser "
        "(2 of 2 tests it affects were lost; no hint confirms it)."
    ]
    # The same tests lost, and one more that nothing explains: the pattern alone is no longer evidence.
    shaky = diagnose(outcome({"t_train": "", "t_mha": "", "t_softmax": ""}), CATALOGUE, GENERIC)
    assert names(shaky) == [] and shaky.unexplained == ("t_softmax", "t_mha", "t_train")


def test_mistakes_the_evidence_cannot_tell_apart_are_named_together():
    diagnosis = diagnose(outcome({"t_dim": ""}), CATALOGUE, GENERIC)
    assert names(diagnosis) == [("dim-last", "dim-shift")]
    assert diagnosis.matches[0].description == "sums the last dim or shifts by the last dim"


def test_two_mistakes_made_together_are_both_named():
    lost = {"t_scores": "divide by sqrt(d)", "t_mha": "", "t_mask": "True means masked, False kept"}
    assert sorted(names(diagnose(outcome(lost), CATALOGUE, GENERIC))) == [("mask-flipped",), ("no-scaling",)]


def test_a_generic_hint_is_no_evidence_and_unknown_failures_are_unexplained():
    diagnosis = diagnose(outcome({"t_softmax": "the output itself is already wrong"}), CATALOGUE, GENERIC)
    assert names(diagnosis) == [] and diagnosis.unexplained == ("t_softmax",)


def test_work_not_done_is_not_a_mistake():
    stub = "attention.causal_mask is not implemented yet (it raises NotImplementedError)"
    lost = dict.fromkeys(SUITE, "")
    diagnosis = diagnose(outcome(lost, dict.fromkeys(SUITE, stub)), CATALOGUE, GENERIC)
    assert diagnosis.matches == () and diagnosis.unexplained == () and len(diagnosis.not_implemented) == 6
    assert diagnosis.lines() == ["6 tests lost points because a function is not implemented yet."]
    assert diagnosis.to_dict()["not_implemented"] == list(SUITE)


def test_every_assignment_has_a_catalogue_and_an_unknown_one_has_none():
    for name in ("hw1_attention", "hw2_transformer", "hw3_tokenization", "hw4_agents"):
        module = catalogue(name)
        assert module is not None and module.VARIANTS and isinstance(module.VARIANTS[0], Variant)
    assert catalogue("hw9_nothing") is None


def combined(a: Variant, b: Variant) -> Variant:
    return Variant(f"{a.name}+{b.name}", "both", edits=a.edits + b.edits)


# Two realistic mistakes in different parts of each assignment, made together.
PAIRS = {
    "hw1_attention": ("softmax-unstable", "padding-mask-flipped"),
    "hw2_transformer": ("sin-cos-swapped", "clip-grad-value"),
    "hw3_tokenization": ("word-min-freq-strict", "numbers-compare-as-strings"),
    "hw4_agents": ("bicycle-bump-when-standing-on-it", "dyna-extra-planning-step"),
}


@pytest.mark.slow
@pytest.mark.parametrize("assignment", sorted(PAIRS))
def test_two_real_mistakes_made_together_are_both_named(assignment: str, tmp_path: Path):
    module = catalogue(assignment)
    first, second = (next(v for v in module.VARIANTS if v.name == name) for name in PAIRS[assignment])
    (result,) = grade(materialize(assignment, combined(first, second), tmp_path), config=GradeConfig(seed=0))
    named = {name for match in result.diagnosis.matches for name in match.names}
    assert {first.name, second.name} <= named, [m.names for m in result.diagnosis.matches]
    assert result.diagnosis.unexplained == ()


def test_the_student_sees_the_diagnosis_first_and_the_instructor_the_class_s_mistakes():
    from grader.classroom.summary import class_summary_page
    from grader.results.feedback import feedback_page
    from grader.results.record import rows_from_json
    from grader.results.report import gradescope_results
    from grader.results.verdicts import AssignmentResult

    def graded(student: str, lost: dict[str, str]) -> dict:
        tests = outcome(lost)
        result = AssignmentResult(
            "hw1_attention", tuple(tests), seed=0, isolation="process", device="cpu", duration=1,
            diagnosis=diagnose(tests, CATALOGUE, GENERIC),
        )  # fmt: skip
        (row,) = rows_from_json({**gradescope_results([result]), "student": student, "status": "graded"})
        return row

    ada = graded("ada", {"t_scores": "divide by sqrt(d)", "t_mha": ""})
    ben = graded("ben", {"t_scores": "divide by sqrt(d)", "t_mha": "", "t_softmax": ""})
    cleo = graded("cleo", {})
    assert ada.output.splitlines()[1].startswith("Your results match a known mistake: forgets 1/sqrt(d)")
    page = feedback_page(ada)
    assert page.index("What your results point to") < page.index("<h2>Summary</h2>")
    assert "forgets 1/sqrt(d) (2 of 2 tests it affects were lost" in page
    assert "What your results point to" not in feedback_page(cleo)
    summary = class_summary_page([ada, ben, cleo])
    section = summary[summary.index("Mistakes in this class") :]
    assert "<td>forgets 1/sqrt(d)</td><td>2</td><td>ada, ben</td>" in section
    assert "<li>t_softmax: 1</li>" in section


@pytest.mark.slow
def test_a_real_mistake_no_catalogue_entry_describes_is_reported_as_unexplained(tmp_path: Path):
    from grader.catalogue.variants import Edit

    unknown = Variant(
        "softmax-slightly-off",
        "caps every probability at 0.9 (no bug the catalogue knows)",
        (
            Edit(
                "softmax.py",
                "return exps * total.reciprocal()",
                "return (exps * total.reciprocal()).clamp(max=0.9)",
            ),
        ),
    )
    (result,) = grade(materialize("hw1_attention", unknown, tmp_path), config=GradeConfig(seed=0))
    assert result.score < 100
    assert result.diagnosis.matches == () and result.diagnosis.unexplained, result.diagnosis
    assert result.diagnosis.lines()[-1].startswith("No known mistake explains")
