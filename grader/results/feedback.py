"""Feedback pages: one self-contained HTML page per graded submission (the class's: grader.classroom.summary).

Pages are rendered from rows (grader.results.record), which a batch also reads back from stored results.json,
so a page can be rebuilt without grading again. Pages carry no script and load nothing: charts
are SVG `data:` images, the style is inline, and a Content-Security-Policy forbids everything else, so
text from a submission (its messages, what it printed) can only ever show up as text.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from html import escape
from typing import Any

from grader import __version__
from grader.results import svg
from grader.results.record import Row
from grader.results.report import format_points
from grader.results.verdicts import TestResult, Verdict

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
MAX_OUTPUT = 20_000
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222 }
h1 { font-size: 1.5rem } h2 { font-size: 1.2rem; margin-top: 2rem }
.total { font-size: 1.25rem; font-weight: bold }
.meta { color: #555 }
table { border-collapse: collapse; width: 100% }
td, th { padding: .3rem .5rem; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top }
.passed { color: #17692b } .partial { color: #8a6100 }
.failed, .error, .crashed, .timeout, .memory-limit, .internal-error { color: #a11 }
section.test { border: 1px solid #ddd; border-left: .4rem solid #a11; border-radius: .3rem;
  padding: .5rem 1rem; margin: 1rem 0 }
section.test.passed { border-left-color: #17692b } section.test.partial { border-left-color: #d9a400 }
pre { white-space: pre-wrap; background: #f6f6f6; padding: .5rem; border-radius: .2rem; overflow-x: auto }
.hint { background: #eef5ff; padding: .4rem .6rem; border-radius: .2rem }
section.diagnosis { background: #fff6e0; padding: .2rem 1rem; border-radius: .3rem }
figure { margin: .8rem 0 } figcaption { color: #555; font-size: .9rem } img { max-width: 100% }
.token { display: inline-block; padding: 0 .15rem; margin: .1rem 0; border-radius: .15rem;
  font-family: monospace; white-space: pre }
.t0 { background: #dbe9f6 } .t1 { background: #fde2c8 }
.t2 { background: #d8f0d2 } .t3 { background: #ecdff5 }
.token.differs { background: #fbd0d0; outline: 2px solid #a11; outline-offset: -1px; font-weight: bold }
.legend { color: #555; font-size: .9rem }
ul.tests li { margin: .15rem 0 }
"""


def page(title: str, body: list[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(body)
        + f'\n<p class="meta">course-grader {escape(__version__)}</p></body></html>\n'
    )


def image(svg_text: str, alt: str) -> str:
    data = base64.b64encode(svg_text.encode("utf-8")).decode("ascii")
    return f'<img src="data:image/svg+xml;base64,{data}" alt="{escape(alt)}">'


def _pre(text: str) -> str:
    if len(text) > MAX_OUTPUT:
        text = text[:MAX_OUTPUT] + f"\n… ({len(text) - MAX_OUTPUT} more characters)"
    return f"<pre>{escape(text)}</pre>"


def _shown(token: str) -> str:
    """A token as text, its line breaks and tabs written out so that each stays visibly inside its box."""
    return escape(token).replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


def render_figure(figure: dict[str, Any]) -> str:
    """One recorded figure (see grader.results.figures) as HTML: an SVG image, or token spans for a split."""
    kind, title = figure.get("kind"), str(figure.get("title", ""))
    caption = str(figure.get("caption", ""))
    if kind == "heatmap":
        content = image(svg.heatmap(title, figure["rows"], figure["columns"], figure["panels"]), title)
    elif kind == "curves":
        series = {name: (line["x"], line["y"]) for name, line in figure["series"].items()}
        chart = svg.line_chart(
            title,
            series,
            x_label=figure.get("x_label", ""),
            y_label=figure.get("y_label", ""),
            threshold=figure.get("threshold"),
        )
        content = image(chart, title)
    elif kind == "tokens":
        differs = figure.get("differs") or {}
        rows = []
        for name, tokens in figure["splits"].items():
            marked = set(differs.get(name) or ())
            spans = "".join(
                f'<span class="token t{i % 4}{" differs" if i in marked else ""}">{_shown(token)}</span>'
                for i, token in enumerate(tokens)
            )
            count = f"{len(tokens)} tokens" + (f", {len(marked)} cut differently" if marked else "")
            rows.append(f"<p><strong>{escape(name)}</strong> ({count}): {spans}</p>")
        content = f"<p><strong>{escape(title)}</strong></p>" + "".join(rows)
        if any(differs.values()):
            content += (
                '<p class="legend"><span class="token differs">marked</span> a token the other split does '
                "not have: the same part of the text, cut differently</p>"
            )
    else:
        return ""
    return (
        f"<figure>{content}"
        + (f"<figcaption>{escape(caption)}</figcaption>" if caption else "")
        + "</figure>"
    )


def _css_class(verdict: Verdict) -> str:
    return verdict.value.replace(" ", "-")


def _points(test: TestResult) -> str:
    return f"{format_points(test.score)} / {format_points(test.max_score)}"


def _test_section(test: TestResult) -> str:
    verdict = test.verdict
    parts = [
        f'<section class="test {_css_class(verdict)}" id="{escape(test.number)}">',
        f"<h3>{escape(test.title)}</h3>",
        f'<p><span class="{_css_class(verdict)}">{escape(verdict.value)}</span> · {_points(test)} points</p>',
    ]
    if test.message:
        parts.append(_pre(test.message))
    if test.hint:
        parts.append(f'<p class="hint"><strong>Hint:</strong> {escape(test.hint)}</p>')
    if test.output.strip():
        parts.append("<details><summary>What your code printed</summary>")
        parts.append(_pre(test.output) + "</details>")
    parts.extend(render_figure(figure) for figure in test.figures)
    parts.append("</section>")
    return "\n".join(parts)


def feedback_page(rows: Row | Sequence[Row], *, student: str | None = None) -> str:
    """The feedback page of one student's submission: one row, or the rows of the assignments it holds."""
    rows = [rows] if isinstance(rows, Row) else list(rows)
    student = student or next((row.student for row in rows if row.student), None)
    tests = [test for row in rows for test in row.tests]
    max_score = sum(row.max_score for row in rows)
    assignments = ", ".join(row.assignment for row in rows if row.assignment)
    heading = (
        "Feedback" + (f" on {assignments}" if assignments else "") + (f" for {student}" if student else "")
    )
    body = [f"<h1>{escape(heading)}</h1>"]
    body.append(
        f'<p class="total">Score: {format_points(sum(row.score for row in rows))}'
        + (f" / {format_points(max_score)}" if max_score else "")
        + "</p>"
    )
    diagnoses = [lines for row in rows if row.diagnosis and (lines := row.diagnosis.lines())]
    if diagnoses:
        body.append('<section class="diagnosis"><h2>What your results point to</h2><ul>')
        body.extend(f"<li>{escape(line)}</li>" for lines in diagnoses for line in lines)
        body.append("</ul></section>")
    output = "\n".join(dict.fromkeys(row.output for row in rows if row.output))
    if output:
        body.append(_pre(output))
    if tests:
        body.append("<h2>Summary</h2><table><tr><th>test</th><th>points</th><th>result</th></tr>")
        for test in tests:
            body.append(
                f'<tr><td><a href="#{escape(test.number)}">{escape(test.title)}</a></td>'
                f"<td>{_points(test)}</td>"
                f'<td class="{_css_class(test.verdict)}">{escape(test.verdict.value)}</td></tr>'
            )
        body.append("</table>")
        lost = [t for t in tests if t.score < t.max_score]
        lost_pictured = [t for t in lost if t.figures]
        lost_other = [t for t in lost if not t.figures]
        passed_pictured = [t for t in tests if t not in lost and t.figures]
        if lost_pictured:
            body.append("<h2>What to fix: pictures of the tests that lost points</h2>")
            body.append(
                '<p class="meta">Each picture shows what your code gave beside what was expected, '
                "in the case where the test failed.</p>"
            )
            body.extend(_test_section(test) for test in lost_pictured)
        if lost_other:
            body.append(
                "<h2>What to fix" + (": the other tests that lost points" if lost_pictured else "") + "</h2>"
            )
            body.extend(_lost_sections(lost_other))
        if passed_pictured:
            body.append("<h2>Pictures from tests you passed</h2>")
            body.extend(_test_section(test) for test in passed_pictured)
    return page(heading, body)


NOT_IMPLEMENTED = re.compile(r"^(?:\[.*\] )?(\S+) is not implemented yet \(it raises NotImplementedError\)$")


def _not_implemented(test: TestResult) -> tuple[str, ...]:
    """The functions a test found not implemented, when that is all its message says (else ())."""
    if test.figures or test.hint or test.output.strip():
        return ()
    targets: list[str] = []
    for line in filter(str.strip, test.message.splitlines()):
        match = NOT_IMPLEMENTED.match(line.strip())
        if match is None:
            return ()
        if match.group(1) not in targets:
            targets.append(match.group(1))
    return tuple(targets)


def _lost_sections(tests: list[TestResult]) -> list[str]:
    """A card per test, except that tests which only found the same functions not implemented share one
    card, listing them with their points (an untouched stub gets a few cards, not one per test)."""
    groups: dict[tuple[str, ...], list[TestResult]] = {}
    for test in tests:
        groups.setdefault(_not_implemented(test), []).append(test)
    sections = []
    for test in tests:
        key = _not_implemented(test)
        members = groups.pop(key, []) if key else [test]
        if len(members) == 1:
            sections.append(_test_section(test))
        elif members:
            sections.append(_not_implemented_section(key, members))
    return sections


def _not_implemented_section(targets: tuple[str, ...], tests: list[TestResult]) -> str:
    items = "".join(
        f'<li id="{escape(test.number)}">{escape(test.title)} · {_points(test)} points</li>' for test in tests
    )
    sentences = "".join(
        f"<pre>{escape(target)} is not implemented yet (it raises NotImplementedError)</pre>"
        for target in targets
    )
    return (
        '<section class="test failed not-implemented">'
        f"<h3>Not implemented yet: {escape(', '.join(targets))}</h3>{sentences}"
        f"<p>{len(tests)} tests need {'it' if len(targets) == 1 else 'them'} and lost their points:</p>"
        f'<ul class="tests">{items}</ul></section>'
    )


def feedback_path(row: Row) -> str:
    """Where a batch writes the feedback page of one row, relative to its results folder.

    `<student>/<assignment>/feedback.html`, or `<student>/feedback.html` when no assignment is known.
    """
    parts = [row.student, row.assignment, "feedback.html"]
    return "/".join(part for part in parts if part)
