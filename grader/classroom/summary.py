"""The class summary page: a class's results at a glance, per assignment, linked to every student's page."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from html import escape
from typing import Any
from urllib.parse import quote

from grader.classroom.gradebook import assignment_rows
from grader.results import svg
from grader.results.feedback import feedback_path, image, page
from grader.results.report import format_points


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
    body.append(f"<figure>{image(histogram, f'histogram of {assignment} scores')}</figure>")
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
    body.append(f"<figure>{image(chart, f'pass rate per test of {assignment}')}</figure>")
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


def class_summary_page(
    rows: Sequence[dict[str, Any]], *, title: str = "Class summary", sections: Sequence[str] = ()
) -> str:
    """A class's results at a glance, per assignment: score histogram, pass rate per test, the tests most
    students fail; then what could not be graded and every student's scores, linked to their pages.

    `rows` are a batch's rows, one per student and assignment (grader.classroom.gradebook); a row holding
    several
    assignments' tests (one student's whole results.json) counts once per assignment. `sections` are HTML
    sections (already escaped) put before the students' table, e.g.
    grader.classroom.similarity.summary_section.
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
    return page(title, body)


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
