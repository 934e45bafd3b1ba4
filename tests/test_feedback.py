"""Feedback pages: figures recorded by hidden tests, the per-submission page, the class summary, and both
loaded in a real headless Chromium (no console errors, every image renders)."""

from __future__ import annotations

import copy
import math
import re

import pytest
import torch
from browser import find_chromium, load_page

from grader import figures, svg
from grader.feedback import class_summary_page, feedback_page
from grader.report import gradescope_results

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def failing_row() -> dict:
    """A results row with a failed test carrying every kind of figure, and hostile student text."""
    curve = figures.curves(
        "Your GPT's training loss",
        {
            "your loss": [3.0 * 0.97**i + 0.5 for i in range(300)],
            "reference": [3 * 0.95**i for i in range(300)],
        },
        y_label="loss",
        threshold=1.0,
    )
    split = figures.token_split("How your tokenizer cut a text", {"yours": ["Put", " the", " c", "ube"]})
    attention = figures.heatmap("weights", ["a", "b"], ["a", "b"], {"yours": [[1, 0], [0.5, 0.5]]})
    test = {
        "name": "the GPT trains below the bar",
        "number": "hw2_transformer:test_gpt_trains",
        "score": 2.5,
        "max_score": 10,
        "visibility": "visible",
        "extra_data": {
            "verdict": "partial",
            "message": f"validation loss 1.62 > 1.20 {HOSTILE}",
            "hint": "check the causal mask",
            "student_output": f"epoch 1 {HOSTILE}",
            "figures": [curve, split, attention],
        },
    }
    passed = {
        "name": "softmax works",
        "number": "hw2_transformer:test_softmax",
        "score": 90,
        "max_score": 90,
        "visibility": "visible",
        "extra_data": {"verdict": "passed", "message": "", "hint": "", "student_output": "", "figures": []},
    }
    return {"student": "ada", "score": 92.5, "status": "graded", "tests": [test, passed], "output": "seed 0"}


# -- figures ------------------------------------------------------------------------------------------------


def test_figures_are_plain_bounded_data():
    heat = figures.heatmap("t", ["a"], ["x", "y"], {"yours": torch.tensor([[0.25, float("nan")]])})
    assert heat["panels"]["yours"] == [[0.25, None]]
    with pytest.raises(ValueError, match="not 1 x 2"):
        figures.heatmap("t", ["a"], ["x", "y"], {"yours": [[1.0]]})
    with pytest.raises(ValueError, match="at most"):
        figures.heatmap("t", ["a"] * 100, ["b"] * 100, {"yours": torch.zeros(100, 100)})
    long = figures.curves("loss", {"yours": list(range(10_000))})
    assert len(long["series"]["yours"]["y"]) <= figures.MAX_POINTS
    assert long["series"]["yours"]["x"][-1] <= 9999 and long["series"]["yours"]["y"][1] > 1
    split = figures.token_split("t", {"yours": ["a"] * 10_000})
    assert len(split["splits"]["yours"]) == figures.MAX_PIECES


def test_a_figure_that_cannot_be_gathered_is_dropped_not_raised():
    collected = figures.Figures()
    with collected.attempt():
        raise RuntimeError("the student's code failed while the figure was gathered")
    with collected.attempt():
        collected.add(figures.curves("c", {"a": [1, 2]}))
    assert len(collected.items) == 1


def test_nice_ticks_cover_the_range():
    ticks = svg.nice_ticks(0.37, 2.9)
    assert ticks[0] <= 0.37 and ticks[-1] >= 2.9 and len(ticks) <= 15
    assert svg.ramp_colour(0) == "#440154" and svg.ramp_colour(1) == "#fde725"


# -- the pages ----------------------------------------------------------------------------------------------


def test_the_page_shows_what_failed_with_hint_and_escapes_student_text():
    page = feedback_page(failing_row())
    assert "validation loss 1.62 &gt; 1.20" in page and "check the causal mask" in page
    assert HOSTILE not in page and "<script" not in page and "<img src=x" not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert page.count('<img src="data:image/svg+xml;base64,') == 2  # the curves and the heatmap
    assert page.count('class="token t') == 4
    assert "92.5 / 100" in page and "Feedback for ada" in page


def test_the_reference_page_pictures_the_students_attention_next_to_the_reference(hw1_reference_result):
    results = gradescope_results([hw1_reference_result])
    (test,) = [t for t in results["tests"] if t["extra_data"]["figures"]]
    assert test["number"] == "hw1_attention:test_token_attention"
    (heat,) = test["extra_data"]["figures"]
    assert heat["rows"] == ["Put", "the", "cube", "on", "the", "table"]
    yours, reference = heat["panels"]["yours"], heat["panels"]["reference"]
    assert all(math.isclose(a, b, abs_tol=1e-6) for r, s in zip(yours, reference) for a, b in zip(r, s))
    assert all(math.isclose(sum(row), 1.0, abs_tol=1e-5) for row in yours)
    page = feedback_page(results)
    assert "Pictures from tests you passed" in page and "What to fix" not in page


def test_a_submission_that_could_not_be_graded_still_gets_a_page():
    page = feedback_page(
        {"score": 0, "output": "Your submission could not be graded: x.py has a syntax error"}
    )
    assert "could not be graded" in page and "Score: 0" in page


def test_the_class_summary_ranks_the_tests_most_students_fail():
    base = failing_row()
    rows = []
    for i, score in enumerate([100, 92.5, 40, 0]):
        row = copy.deepcopy(base)
        row.update(student=f"s{i}", score=score)
        full = score == 100
        row["tests"][0]["score"] = 10 if full else 2.5
        row["tests"][1]["score"] = 90 if score > 10 else 0
        rows.append(row)
    rows.append({"student": "broken", "score": 0, "status": "error", "error": "syntax error in a.py"})
    page = class_summary_page(rows)
    assert "5 students, 5 submissions: 4 graded, 1 could not be graded" in page
    hardest = re.findall(r"<li>(.*?)</li>", page)
    assert hardest[0].startswith("the GPT trains below the bar: 3 of 4")
    assert hardest[1].startswith("softmax works: 1 of 4")
    assert "syntax error in a.py" in page and 'href="s0/hw2_transformer/feedback.html"' in page
    assert 'href="broken/feedback.html"' in page  # a submission of no known assignment
    assert page.count("<img ") == 2  # histogram, pass rates


# -- a real browser -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium():
    if find_chromium() is None:
        pytest.fail("Chromium is missing: scripts/test.sh installs Debian's chromium-headless-shell")


def test_browser_harness_sees_broken_images_and_console_errors(tmp_path, chromium):
    """The control: a page with a broken image and a script the policy blocks is reported as such."""
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html><head>"
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'
        '</head><body><img alt="broken" src="data:image/svg+xml;base64,AAAA"><script>1</script></body></html>'
    )
    report = load_page(page)
    assert [image["alt"] for image in report.broken_images] == ["broken"]
    assert any("Content Security Policy" in error for error in report.console_errors), report.console_errors


def test_feedback_pages_render_in_a_browser(tmp_path, chromium, hw1_reference_result):
    pages = {
        "failing.html": feedback_page(failing_row()),
        "reference.html": feedback_page(gradescope_results([hw1_reference_result])),
        "summary.html": class_summary_page([failing_row(), {**failing_row(), "student": "ben", "score": 10}]),
    }
    expected_images = {"failing.html": 2, "reference.html": 1, "summary.html": 2}
    for name, html in pages.items():
        (tmp_path / name).write_text(html, encoding="utf-8")
        report = load_page(tmp_path / name)
        assert report.console_errors == [], f"{name}: {report.console_errors}"
        assert len(report.images) == expected_images[name], f"{name}: {report.images}"
        assert report.broken_images == [], f"{name}: {report.broken_images}"
        assert all(image["width"] > 100 and image["height"] > 50 for image in report.images), report.images


def test_the_terminal_table_shows_brackets_in_messages_as_text():
    from rich.console import Console

    from grader.report import render_table
    from grader.verdicts import AssignmentResult, TestResult, Verdict

    test = TestResult("t", "a [bold]title", 4, 2, Verdict.PARTIAL, message="[weights] max error 0.3 [/]")
    result = AssignmentResult(
        "hw1_attention", (test,), seed=0, isolation="namespaces", device="cpu", duration=1
    )
    console = Console(record=True, width=200)
    render_table(result, console)
    text = console.export_text()
    assert "[weights] max error 0.3 [/]" in text and "a [bold]title" in text


def test_the_class_summary_has_a_section_per_assignment_scored_in_percent():
    def test(number: str, score: float, top: float) -> dict:
        return {"number": number, "name": number.split(":")[1], "score": score, "max_score": top}

    rows = [
        {
            "student": "ada",
            "score": 103,
            "tests": [test("hw1_attention:a", 100, 100), test("hw3_tokenization:b", 3, 3)],
        },
        {"student": "ben", "score": 50, "tests": [test("hw1_attention:a", 50, 100)]},
    ]
    page = class_summary_page(rows)
    assert re.findall(r"<h2>(hw\w+)</h2>", page) == ["hw1_attention", "hw3_tokenization"]
    assert "2 students graded. Mean 75.0%, median 75%, min 50%, max 100%." in page
    assert page.count("<img ") == 4
    students = re.findall(r"<tr><td>(\w+)</td>(.*?)</tr>", page)
    assert [student for student, _ in students] == ["ada", "ben"]
    assert re.findall(r">([^<>]+)</a>", students[0][1]) == ["100 / 100", "3 / 3"]
    assert re.findall(r"<td>(.*?)</td>", students[1][1]) == [
        '<a href="ben/hw1_attention/feedback.html">50 / 100</a>',
        "",  # ben handed in no hw3 (in a batch: a "missing" row, shown as "no submission")
    ]


@pytest.mark.slow
def test_a_failing_attention_test_is_pictured_under_what_to_fix_in_a_browser(tmp_path, chromium):
    """A missing 1/sqrt(d): the page draws the SDPA weights beside the expected ones where the test failed."""
    from variants.hw1_attention import VARIANTS

    from grader.runner import GradeConfig, grade
    from grader.variants import materialize

    (no_scaling,) = [variant for variant in VARIANTS if variant.name == "no-scaling"]
    (result,) = grade(materialize("hw1_attention", no_scaling, tmp_path), config=GradeConfig(seed=0))
    failing = {t.name for t in result.tests if t.score < t.max_score and t.figures}
    assert "test_sdpa_no_mask" in failing
    page = feedback_page(gradescope_results([result]))
    fix, _, passed = page.partition("Pictures from tests you passed")
    assert "Your attention weights beside the expected ones" in fix
    assert "Your attention weights beside the expected ones" not in passed
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    report = load_page(tmp_path / "page.html")
    assert report.console_errors == [] and report.broken_images == []
    assert len(report.images) >= len(failing) + 1  # + the course sentence, from a test that passed
