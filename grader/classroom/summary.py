"""The class summary page: a class's results at a glance, per assignment, linked to every student's page."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from html import escape
from urllib.parse import quote

from grader.results import svg
from grader.results.feedback import feedback_path, image, page
from grader.results.record import Row, Status
from grader.results.report import format_points


def _assignment_section(assignment: str, rows: list[Row]) -> list[str]:
    """Histogram, pass rate per test and hardest tests of one assignment, from its graded rows."""
    body = [f"<h2>{escape(assignment or 'Results')}</h2>"]
    percents = [100.0 * row.score / row.max_score if row.max_score else 0.0 for row in rows]
    body.append(
        f"<p>{len(rows)} students graded. Mean {statistics.fmean(percents):.1f}%, median "
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
    for row in rows:
        for test in row.tests:
            names.setdefault(test.number, test.title)
            seen[test.number] += 1
            passed[test.number] += test.score >= test.max_score
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
    rows: Sequence[Row], *, title: str = "Class summary", sections: Sequence[str] = ()
) -> str:
    """A class's results at a glance, per assignment: score histogram, pass rate per test, the tests most
    students fail; then what could not be graded and every student's scores, linked to their pages.

    `rows` are a batch's rows, one per student and assignment. `sections` are HTML sections (already escaped)
    put before the students' table, e.g. grader.classroom.similarity.summary_section.
    """
    graded = [row for row in rows if row.status is Status.GRADED]
    missing = [row for row in rows if row.status is Status.MISSING]
    errors = [row for row in rows if row.status in (Status.ERROR, Status.GRADER_ERROR)]
    students = list(dict.fromkeys(row.student for row in rows))
    body = [f"<h1>{escape(title)}</h1>"]
    counts = f"{len(graded)} graded, {len(errors)} could not be graded"
    if missing:
        counts += f", {len(missing)} missing"
    body.append(f"<p>{len(students)} students, {len(rows) - len(missing)} submissions: {counts}.</p>")
    per_assignment: dict[str, list[Row]] = {}
    for row in graded:
        per_assignment.setdefault(row.assignment, []).append(row)
    for assignment in sorted(per_assignment):
        body.extend(_assignment_section(assignment, per_assignment[assignment]))
        body.extend(_mistakes_section(per_assignment[assignment]))
    if errors:
        body.append(
            "<h2>Could not be graded</h2><table><tr><th>student</th><th>assignment</th><th>why</th></tr>"
        )
        for row in errors:
            link = f'<a href="{escape(quote(feedback_path(row)))}">{escape(row.student)}</a>'
            body.append(
                f"<tr><td>{link}</td><td>{escape(row.assignment)}</td><td>{escape(row.error)}</td></tr>"
            )
        body.append("</table>")
    body.extend(sections)
    assignments = sorted({row.assignment for row in rows} - {""})
    by_student: dict[str, dict[str, Row]] = {}
    for row in rows:
        by_student.setdefault(row.student, {})[row.assignment] = row
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


def _mistakes_section(rows: list[Row]) -> list[str]:
    """The known mistakes of one assignment's graded rows: how many students made each, and who; then the lost
    tests no known mistake explains."""
    made: dict[str, list[str]] = {}
    unexplained: Counter[str] = Counter()
    for row in rows:
        if row.diagnosis is None:
            continue
        for match in row.diagnosis.matches:
            made.setdefault(match.description, []).append(row.student)
        unexplained.update(row.diagnosis.unexplained)
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


def _student_cell(row: Row | None) -> str:
    """One student's result on one assignment in the summary's table, linked to its feedback page."""
    if row is None:
        return ""
    if row.status is Status.MISSING:
        return "no submission"
    if row.status is Status.GRADED:
        text = f"{format_points(row.score)} / {format_points(row.max_score)}"
    else:
        text = "could not be graded"
    return f'<a href="{escape(quote(feedback_path(row)))}">{escape(text)}</a>'
