"""Feedback pages: one self-contained HTML page per graded submission, and a class summary.

Both are rendered from results.json dicts (what `grader run --json` and `grader batch` write), so a page
can be rebuilt from stored results without grading again. Pages carry no script and load nothing: charts
are SVG `data:` images, the style is inline, and a Content-Security-Policy forbids everything else, so
text from a submission (its messages, what it printed) can only ever show up as text.
"""

from __future__ import annotations

import base64
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from html import escape
from typing import Any
from urllib.parse import quote

from . import __version__, svg
from .gradebook import assignment_rows
from .report import format_points

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


def _page(title: str, body: list[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(body)
        + f'\n<p class="meta">course-grader {escape(__version__)}</p></body></html>\n'
    )


def _image(svg_text: str, alt: str) -> str:
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
    """One recorded figure (see grader.figures) as HTML: an SVG image, or token spans for a split."""
    kind, title = figure.get("kind"), str(figure.get("title", ""))
    caption = str(figure.get("caption", ""))
    if kind == "heatmap":
        content = _image(svg.heatmap(title, figure["rows"], figure["columns"], figure["panels"]), title)
    elif kind == "curves":
        series = {name: (line["x"], line["y"]) for name, line in figure["series"].items()}
        chart = svg.line_chart(
            title,
            series,
            x_label=figure.get("x_label", ""),
            y_label=figure.get("y_label", ""),
            threshold=figure.get("threshold"),
        )
        content = _image(chart, title)
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


def _verdict(test: dict[str, Any]) -> str:
    extra = test.get("extra_data") or {}
    return str(extra.get("verdict") or test.get("status") or "")


def _css_class(verdict: str) -> str:
    return verdict.replace(" ", "-")


def _test_section(test: dict[str, Any]) -> str:
    extra = test.get("extra_data") or {}
    verdict = _verdict(test)
    parts = [
        f'<section class="test {_css_class(verdict)}" id="{escape(str(test.get("number", "")))}">',
        f"<h3>{escape(str(test.get('name', '')))}</h3>",
        f'<p><span class="{_css_class(verdict)}">{escape(verdict)}</span> · '
        f"{format_points(test.get('score', 0))} / {format_points(test.get('max_score', 0))} points</p>",
    ]
    if "message" in extra:
        if extra.get("message"):
            parts.append(_pre(str(extra["message"])))
        if extra.get("hint"):
            parts.append(f'<p class="hint"><strong>Hint:</strong> {escape(str(extra["hint"]))}</p>')
        if str(extra.get("student_output", "")).strip():
            parts.append("<details><summary>What your code printed</summary>")
            parts.append(_pre(str(extra["student_output"])) + "</details>")
    elif test.get("output"):
        parts.append(_pre(str(test["output"])))
    parts.extend(render_figure(figure) for figure in extra.get("figures", []) if isinstance(figure, dict))
    parts.append("</section>")
    return "\n".join(parts)


def feedback_page(results: dict[str, Any], *, student: str | None = None) -> str:
    """The feedback page of one graded submission, from its results.json dict."""
    student = student or results.get("student")
    tests = list(results.get("tests", []))
    max_score = sum(float(t.get("max_score", 0)) for t in tests)
    named = (results.get("extra_data") or {}).get("assignments") or {}
    assignments = results.get("assignment") or ", ".join(named)
    heading = (
        "Feedback" + (f" on {assignments}" if assignments else "") + (f" for {student}" if student else "")
    )
    body = [f"<h1>{escape(heading)}</h1>"]
    body.append(
        f'<p class="total">Score: {format_points(results.get("score", 0))}'
        + (f" / {format_points(max_score)}" if max_score else "")
        + "</p>"
    )
    diagnoses = [
        lines
        for totals in ((results.get("extra_data") or {}).get("assignments") or {}).values()
        if (lines := (totals.get("diagnosis") or {}).get("lines"))
    ]
    if diagnoses:
        body.append('<section class="diagnosis"><h2>What your results point to</h2><ul>')
        body.extend(f"<li>{escape(str(line))}</li>" for lines in diagnoses for line in lines)
        body.append("</ul></section>")
    if results.get("output"):
        body.append(_pre(str(results["output"])))
    if tests:
        body.append("<h2>Summary</h2><table><tr><th>test</th><th>points</th><th>result</th></tr>")
        for test in tests:
            verdict = _verdict(test)
            anchor, name = escape(str(test.get("number", ""))), escape(str(test.get("name", "")))
            body.append(
                f'<tr><td><a href="#{anchor}">{name}</a></td>'
                f"<td>{format_points(test.get('score', 0))} / {format_points(test.get('max_score', 0))}</td>"
                f'<td class="{_css_class(verdict)}">{escape(verdict)}</td></tr>'
            )
        body.append("</table>")
        lost = [t for t in tests if float(t.get("score", 0)) < float(t.get("max_score", 0))]
        lost_pictured = [t for t in lost if _figures(t)]
        lost_other = [t for t in lost if not _figures(t)]
        passed_pictured = [t for t in tests if t not in lost and _figures(t)]
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
    return _page(heading, body)


def _figures(test: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in (test.get("extra_data") or {}).get("figures") or [] if isinstance(f, dict)]


NOT_IMPLEMENTED = re.compile(r"^(?:\[.*\] )?(\S+) is not implemented yet \(it raises NotImplementedError\)$")


def _not_implemented(test: dict[str, Any]) -> tuple[str, ...]:
    """The functions a test found not implemented, when that is all its message says (else ())."""
    extra = test.get("extra_data") or {}
    if _figures(test) or extra.get("hint") or str(extra.get("student_output", "")).strip():
        return ()
    message = str(extra["message"] if "message" in extra else test.get("output", ""))
    targets: list[str] = []
    for line in filter(str.strip, message.splitlines()):
        match = NOT_IMPLEMENTED.match(line.strip())
        if match is None:
            return ()
        if match.group(1) not in targets:
            targets.append(match.group(1))
    return tuple(targets)


def _lost_sections(tests: list[dict[str, Any]]) -> list[str]:
    """A card per test, except that tests which only found the same functions not implemented share one
    card, listing them with their points (an untouched stub gets a few cards, not one per test)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
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


def _not_implemented_section(targets: tuple[str, ...], tests: list[dict[str, Any]]) -> str:
    items = "".join(
        f'<li id="{escape(str(test.get("number", "")))}">{escape(str(test.get("name", "")))} · '
        f"{format_points(test.get('score', 0))} / {format_points(test.get('max_score', 0))} points</li>"
        for test in tests
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


def _test_key(test: dict[str, Any]) -> str:
    return str(test.get("number") or test.get("name"))


def _assignment_section(
    assignment: str, entries: list[tuple[float, float, list[dict[str, Any]]]]
) -> list[str]:
    """Histogram, pass rate per test and hardest tests of one assignment; entries: (score, max, tests)."""
    body = [f"<h2>{escape(assignment or 'Results')}</h2>"]
    percents = [100.0 * score / top if top else 0.0 for score, top, _ in entries]
    body.append(
        f"<p>{len(entries)} students graded. Mean {statistics.fmean(percents):.1f}%, median "
        f"{format_points(statistics.median(percents))}%, min {format_points(min(percents))}%, "
        f"max {format_points(max(percents))}%.</p>"
    )
    bins = Counter(min(int(percent // 10), 9) for percent in percents)
    labels = [f"{10 * b}–{10 * b + 10}" if b < 9 else "90–100" for b in range(10)]
    histogram = svg.bar_chart("Scores (% of the points)", labels, [bins.get(b, 0) for b in range(10)])
    body.append(f"<figure>{_image(histogram, f'histogram of {assignment} scores')}</figure>")
    names: dict[str, str] = {}
    passed: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for _, _, tests in entries:
        for test in tests:
            key = _test_key(test)
            names.setdefault(key, str(test.get("name", key)))
            seen[key] += 1
            passed[key] += float(test.get("score", 0)) >= float(test.get("max_score", 0))
    if not seen:
        return body
    rates = {key: 100.0 * passed[key] / seen[key] for key in seen}
    order = list(seen)
    chart = svg.bar_chart(
        "Students with full marks, per test",
        [names[key] for key in order],
        [round(rates[key], 1) for key in order],
        horizontal=True,
        unit="%",
        full=100,
    )
    body.append(f"<figure>{_image(chart, f'pass rate per test of {assignment}')}</figure>")
    hardest = [
        key for key in sorted(order, key=lambda key: (rates[key], order.index(key))) if rates[key] < 100
    ]
    if hardest:
        body.append("<h3>The tests most students fail</h3><ol>")
        body.extend(
            f"<li>{escape(names[key])}: {seen[key] - passed[key]} of {seen[key]} students "
            "without full marks</li>"
            for key in hardest[:5]
        )
        body.append("</ol>")
    return body


def feedback_path(row: dict[str, Any]) -> str:
    """Where a batch writes the feedback page of one row, relative to its results folder.

    `<student>/<assignment>/feedback.html`, or `<student>/feedback.html` when no assignment is known.
    """
    parts = [str(row.get("student", "")), str(row.get("assignment") or ""), "feedback.html"]
    return "/".join(part for part in parts if part)


def class_summary_page(
    rows: Sequence[dict[str, Any]], *, title: str = "Class summary", sections: Sequence[str] = ()
) -> str:
    """A class's results at a glance, per assignment: score histogram, pass rate per test, the tests most
    students fail; then what could not be graded and every student's scores, linked to their pages.

    `rows` are a batch's rows, one per student and assignment (grader.gradebook); a row holding several
    assignments' tests (one student's whole results.json) counts once per assignment. `sections` are HTML
    sections (already escaped) put before the students' table, e.g. grader.similarity.summary_section.
    """
    rows = [part for row in rows for part in ([row] if row.get("assignment") else assignment_rows(row))]
    graded = [r for r in rows if r.get("status", "graded") == "graded"]
    missing = [r for r in rows if r.get("status") == "missing"]
    errors = [r for r in rows if r not in graded and r not in missing]
    students = list(dict.fromkeys(str(r.get("student", "")) for r in rows))
    body = [f"<h1>{escape(title)}</h1>"]
    counts = f"{len(graded)} graded, {len(errors)} could not be graded"
    if missing:
        counts += f", {len(missing)} missing"
    body.append(f"<p>{len(students)} students, {len(rows) - len(missing)} submissions: {counts}.</p>")
    per_assignment: dict[str, list[tuple[float, float, list[dict[str, Any]]]]] = {}
    for row in graded:
        tests = list(row.get("tests", []))
        score = sum(float(t.get("score", 0)) for t in tests)
        top = sum(float(t.get("max_score", 0)) for t in tests)
        per_assignment.setdefault(str(row.get("assignment") or ""), []).append((score, top, tests))
    for assignment in sorted(per_assignment):
        body.extend(_assignment_section(assignment, per_assignment[assignment]))
        body.extend(_mistakes_section([r for r in graded if (r.get("assignment") or "") == assignment]))
    if errors:
        body.append(
            "<h2>Could not be graded</h2><table><tr><th>student</th><th>assignment</th><th>why</th></tr>"
        )
        for r in errors:
            link = f'<a href="{escape(quote(feedback_path(r)))}">{escape(str(r.get("student", "")))}</a>'
            assignment, why = escape(str(r.get("assignment") or "")), escape(str(r.get("error", "")))
            body.append(f"<tr><td>{link}</td><td>{assignment}</td><td>{why}</td></tr>")
        body.append("</table>")
    body.extend(sections)
    assignments = sorted({str(r.get("assignment") or "") for r in rows} - {""})
    by_student: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        by_student.setdefault(str(row.get("student", "")), {})[str(row.get("assignment") or "")] = row
    header = "".join(f"<th>{escape(a)}</th>" for a in assignments) or "<th>score</th>"
    body.append(f"<h2>Students</h2><table><tr><th>student</th>{header}</tr>")
    for student in students:
        cells = []
        for assignment in assignments or [""]:
            row = by_student[student].get(assignment) or by_student[student].get("")
            cells.append(f"<td>{_student_cell(row)}</td>")
        body.append(f"<tr><td>{escape(student)}</td>{''.join(cells)}</tr>")
    body.append("</table>")
    return _page(title, body)


def _diagnosis(row: dict[str, Any]) -> dict[str, Any]:
    totals = ((row.get("extra_data") or {}).get("assignments") or {}).get(str(row.get("assignment") or ""))
    return (totals or {}).get("diagnosis") or {}


def _mistakes_section(rows: list[dict[str, Any]]) -> list[str]:
    """The known mistakes of one assignment's graded rows: how many students made each, and who; then the lost
    tests no known mistake explains."""
    made: dict[str, list[str]] = {}
    unexplained: Counter[str] = Counter()
    for row in rows:
        diagnosis = _diagnosis(row)
        for match in diagnosis.get("matches", []):
            made.setdefault(str(match.get("description", "")), []).append(str(row.get("student", "")))
        unexplained.update(str(test) for test in diagnosis.get("unexplained", []))
    if not made and not unexplained:
        return []
    body = ["<h3>Mistakes in this class</h3>"]
    if made:
        body.append("<table><tr><th>known mistake</th><th>students</th><th>who</th></tr>")
        for description, students in sorted(made.items(), key=lambda item: (-len(item[1]), item[0])):
            body.append(
                f"<tr><td>{escape(description)}</td><td>{len(students)}</td>"
                f"<td>{escape(', '.join(students))}</td></tr>"
            )
        body.append("</table>")
    if unexplained:
        body.append("<p>Lost tests no known mistake explains (students):</p><ul>")
        body.extend(f"<li>{escape(test)}: {count}</li>" for test, count in unexplained.most_common())
        body.append("</ul>")
    return body


def _student_cell(row: dict[str, Any] | None) -> str:
    """One student's result on one assignment in the summary's table, linked to its feedback page."""
    if row is None:
        return ""
    status = row.get("status", "graded")
    if status == "missing":
        return "no submission"
    if status == "graded":
        text = f"{format_points(row.get('score', 0))} / {format_points(row.get('max_score', 0))}"
    else:
        text = "could not be graded"
    return f'<a href="{escape(quote(feedback_path(row)))}">{escape(text)}</a>'
