"""Feedback pages: figures recorded by hidden tests, the per-submission page, the class summary, and both
loaded in a real headless Chromium (no console errors, every image renders)."""

from __future__ import annotations

import base64
import copy
import math
import re

import pytest
import torch
from browser import find_chromium, load_page

from grader.classroom.summary import class_summary_page
from grader.results import figures, svg
from grader.results.feedback import feedback_page, render_figure
from grader.results.report import gradescope_results

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
    _, _, pictured = page.partition("<h2>What to fix: pictures of the tests that lost points</h2>")
    assert 'alt="Your GPT&#x27;s training loss"' in pictured  # a loss curve (hw2) of a test that lost points


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


def _svgs(page: str) -> dict[str, str]:
    """The SVG images of a page by their alt text."""
    return {
        alt: base64.b64decode(data).decode("utf-8")
        for data, alt in re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]*)">', page)
    }


def test_pass_rates_are_drawn_against_100_percent_not_the_largest_rate():
    """No test has full marks from everyone: 50% is still half the track, not the whole of it."""

    def test(number: str, score: float) -> dict:
        return {"number": f"hw1_attention:{number}", "name": number, "score": score, "max_score": 2}

    rows = [{"student": s, "tests": [test("half", a), test("none", 0)]} for s, a in (("a", 2), ("b", 0))]
    chart = _svgs(class_summary_page(rows))["pass rate per test of hw1_attention"]
    tracks = [float(w) for w in re.findall(r'<rect class="track"[^>]* width="([\d.]+)"', chart)]
    bars = [float(w) for w in re.findall(r'<rect class="bar"[^>]* width="([\d.]+)"', chart)]
    assert len(tracks) == len(bars) == 2 and tracks[0] == tracks[1] > 100
    assert bars == [tracks[0] / 2, 0.0]
    assert ">50%<" in chart and ">0%<" in chart


def test_counts_are_still_drawn_against_the_largest_count():
    chart = svg.bar_chart("scores", ["a", "b"], [2, 4])
    heights = [float(h) for h in re.findall(r'<rect class="bar"[^>]* height="([\d.]+)"', chart)]
    assert heights[0] == heights[1] / 2 and "track" not in chart


def _lost(number: str, message: str, *, figures_: list | None = None, score: float = 0) -> dict:
    return {
        "name": f"title of {number}",
        "number": f"hw1_attention:{number}",
        "score": score,
        "max_score": 3,
        "extra_data": {
            "verdict": "failed",
            "message": message,
            "hint": "",
            "student_output": "",
            "figures": figures_ or [],
        },
    }


def _not_implemented(target: str, *parts: str) -> str:
    sentence = f"{target} is not implemented yet (it raises NotImplementedError)"
    return "\n".join(f"[{part}] {sentence}" for part in parts) if parts else sentence


def test_tests_that_only_found_the_same_function_missing_share_one_card():
    tests = [
        _lost("test_a", _not_implemented("softmax.softmax")),
        _lost("test_b", _not_implemented("softmax.softmax", "dim=-1", "['a] b'] ok")),
        _lost("test_c", _not_implemented("scores.dot_score")),
        _lost("test_d", "max error 0.3"),
        _lost("test_e", _not_implemented("softmax.softmax"), score=1),
        _lost("test_f", _not_implemented("softmax.softmax") + "\n[other] max error 0.3"),
    ]
    page = feedback_page({"score": 1, "tests": tests})
    assert page.count("<tr><td>") == 6 and "1 / 3" in page  # every test keeps its row and its points
    cards = re.findall(r"<section .*?</section>", page, flags=re.S)
    assert (
        len(cards) == 4
    )  # softmax (a, b, e), dot_score alone, test_d, test_f (more than a missing function)
    (grouped,) = [card for card in cards if "Not implemented yet: softmax.softmax" in card]
    assert "3 tests need it" in grouped
    assert re.findall(r'<li id="([^"]+)">', grouped) == [f"hw1_attention:test_{x}" for x in "abe"]
    assert "title of test_e · 1 / 3 points" in grouped
    for anchor in re.findall(r'href="#([^"]+)"', page):  # every row of the table still leads to its test
        assert f'id="{anchor}"' in page


def test_pictures_of_failing_tests_come_before_those_of_passed_tests():
    heat = figures.heatmap("weights", ["a"], ["b"], {"yours": [[1.0]], "expected": [[0.5]]})
    passed = {**_lost("test_p", ""), "score": 3, "extra_data": {"verdict": "passed", "figures": [heat]}}
    tests = [passed, _lost("test_x", "wrong"), _lost("test_y", "wrong too", figures_=[heat])]
    page = feedback_page({"score": 3, "tests": tests})
    headings = re.findall(r"<h2>(.*?)</h2>", page)
    assert headings == [
        "Summary",
        "What to fix: pictures of the tests that lost points",
        "What to fix: the other tests that lost points",
        "Pictures from tests you passed",
    ]
    order = [page.index(f'id="hw1_attention:{name}"') for name in ("test_y", "test_x", "test_p")]
    assert order == sorted(order)


def test_token_splits_mark_the_tokens_cut_differently():
    yours = [b"Put", b" the", b" c", b"ube", b"\xf0\x9f", b"\x99\x82"]
    expected = [b"Put", b" the", b" cube", b"\xf0\x9f\x99\x82"]
    split = figures.token_split("t", {"yours": yours, "tiktoken": expected}, compare=("yours", "tiktoken"))
    assert split["differs"] == {"yours": [2, 3, 4, 5], "tiktoken": [2, 3]}
    assert (
        split["splits"]["yours"][4:] == ["\ufffd", "\ufffd\ufffd"] and split["splits"]["tiktoken"][3] == "🙂"
    )
    html = render_figure(split)
    assert (
        html.count(" differs") == 6 + 1 and 'class="legend"' in html and "4 cut differently" in html
    )  # + the legend
    same = figures.token_split("t", {"a": ["x", "y"], "b": ["x", "y"]}, compare=("a", "b"))
    assert same["differs"] == {"a": [], "b": []} and "legend" not in render_figure(same)
    assert "a\\nb" in render_figure(figures.token_split("t", {"a": ["a\nb"]}))


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

    from grader.results.report import render_table
    from grader.results.verdicts import AssignmentResult, TestResult, Verdict

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


# -- buggy submissions, graded once per module, in a browser ---------------------------------------------

ORDER = """Array.from(document.querySelectorAll('h2, section.test')).map(e => e.tagName === 'H2' ?
  'h2:' + e.textContent : e.id + (e.querySelector('figure') ? ' pictured' : ''))"""


def _graded_page(assignment: str, name: str, tmp_path_factory) -> tuple:
    """(result, page path) of catalogue variant `name`, graded at seed 0."""
    import importlib

    from grader.catalogue.variants import materialize
    from grader.grading.runner import GradeConfig, grade

    catalogue = importlib.import_module(f"grader.catalogue.{assignment}")
    (variant,) = [v for v in [*catalogue.VARIANTS, catalogue.STUB] if v.name == name]
    folder = tmp_path_factory.mktemp(name)
    (result,) = grade(materialize(assignment, variant, folder), config=GradeConfig(seed=0))
    page = folder / "feedback.html"
    page.write_text(feedback_page(gradescope_results([result])), encoding="utf-8")
    return result, page


@pytest.fixture(scope="module")
def no_scaling(tmp_path_factory):
    return _graded_page("hw1_attention", "no-scaling", tmp_path_factory)


@pytest.fixture(scope="module")
def leftmost_merge(tmp_path_factory):
    return _graded_page("hw3_tokenization", "bpe-encode-leftmost-pair", tmp_path_factory)


def _sections(order: list[str]) -> dict[str, list[str]]:
    """The ids of the test cards under each h2 heading, in page order."""
    sections: dict[str, list[str]] = {}
    for entry in order:
        if entry.startswith("h2:"):
            current = sections.setdefault(entry[3:], [])
        else:
            current.append(entry)
    return sections


@pytest.mark.slow
def test_a_missing_scale_pictures_the_failing_attention_tests_first_in_a_browser(no_scaling, chromium):
    """A missing 1/sqrt(d): SDPA and multi-head tests picture the weights beside the expected ones, and those
    pictures come before the pictures of tests that passed."""
    result, page = no_scaling
    pictured = {t.name for t in result.tests if t.score < t.max_score and t.figures}
    assert {"test_sdpa_no_mask", "test_mha_self_attention", "test_mha_causal_mask"} <= pictured
    for test in result.tests:
        for figure in test.figures:
            if figure["kind"] == "heatmap" and "expected" in figure["panels"]:
                assert figure["panels"]["yours"] != figure["panels"]["expected"], test.name
    report = load_page(page, evaluate={"order": ORDER})
    assert report.console_errors == [] and report.broken_images == []
    assert len(report.images) == len(pictured) + 1  # + the course sentence, from a test that passed
    sections = _sections(report.values["order"])
    assert list(sections) == [
        "What your results point to",  # the diagnosis, at the top: the missing scale, named
        "Summary",
        "What to fix: pictures of the tests that lost points",
        "What to fix: the other tests that lost points",
        "Pictures from tests you passed",
    ]
    failing = sections["What to fix: pictures of the tests that lost points"]
    assert "hw1_attention:test_mha_self_attention pictured" in failing
    assert all(entry.endswith(" pictured") for entry in failing) and len(failing) == len(pictured)
    assert sections["Pictures from tests you passed"] == ["hw1_attention:test_token_attention pictured"]


@pytest.mark.slow
def test_a_leftmost_merge_pictures_the_first_text_split_differently_in_a_browser(leftmost_merge, chromium):
    """Merging the leftmost pair: the picture is a text where the split differs, with those tokens marked."""
    result, page = leftmost_merge
    by_name = {t.name: t for t in result.tests}
    for name in ("test_encode_matches_tiktoken_own_merges", "test_encode_rank_table_edge_cases"):
        test = by_name[name]
        assert test.score < test.max_score
        (split,) = test.figures
        assert split["kind"] == "tokens" and all(split["differs"].values()), name
        assert split["splits"]["yours"] != split["splits"]["tiktoken, same merges"]
    marked = "Array.from(document.querySelectorAll('.token.differs')).length"
    report = load_page(page, evaluate={"order": ORDER, "marked": marked})
    assert report.console_errors == [] and report.broken_images == []
    assert report.values["marked"] >= 4
    sections = _sections(report.values["order"])
    failing = sections["What to fix: pictures of the tests that lost points"]
    assert "hw3_tokenization:test_encode_matches_tiktoken_own_merges pictured" in failing
    order = list(sections)
    assert order.index("What to fix: pictures of the tests that lost points") == order.index("Summary") + 1


@pytest.mark.slow
def test_an_untouched_stub_gets_a_card_per_missing_function_not_per_test(tmp_path_factory):
    """The untouched hw1 release: one card per function not implemented, not one per test (36 before)."""
    result, path = _graded_page("hw1_attention", "stub", tmp_path_factory)
    page = path.read_text(encoding="utf-8")
    cards = re.findall(r"<section .*?</section>", page, flags=re.S)
    grouped = [card for card in cards if "not-implemented" in card]
    assert len(result.tests) >= 30 and len(cards) <= len(result.tests) // 2
    assert any("Not implemented yet: attention.scaled_dot_product_attention" in card for card in grouped)
    assert page.count("<tr><td>") == len(result.tests)
    for anchor in re.findall(r'href="#([^"]+)"', page):
        assert f'id="{anchor}"' in page
