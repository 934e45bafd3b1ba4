"""The class's grades in the CSV shapes that learning-management systems import: Canvas and Gradescope.

Both are built from a batch's rows (grader.classroom.gradebook: one per student and
assignment), one line per student
with one score column per assignment. The student's id (the submission folder's name, nbgrader's student
id) is the only identity the grader knows, so it goes where each system matches students by a login:

- Canvas (Grades > Import): the header is `Student, ID, SIS User ID, SIS Login ID, Section`, then one column
  per assignment; the second line, `Points Possible`, gives each assignment's points. Canvas's importer
  (`GradebookImporter`) requires `Student` and `ID` first and `Section` as the last student column, matches a
  student by `ID` (the Canvas user id), else `SIS User ID`, else `SIS Login ID`, else the name in `Student`,
  and matches an assignment column by its title (or `Title (canvas id)`), creating a new assignment for an
  unknown title. The student id goes into `id_column` (`SIS Login ID` by default) and `Student`.
- Gradescope: `First Name, Last Name, SID, Email`, then per assignment its score and `<assignment> - Max
  Points`, the shape of Gradescope's own grade export (Assignments > Download Grades); the student id goes
  into `SID`, which Gradescope's roster uses to match students.

A graded row and a submission that could not be graded (the student's to fix) give their score (0 for the
latter); a missing submission gives 0; a row the grader failed on (grader-error) is left empty, so an import
changes nothing there until a re-run grades it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from grader.errors import ConfigurationError
from grader.results.record import Row, Status
from grader.results.report import format_points

__all__ = ["CANVAS_ID_COLUMNS", "FORMATS", "canvas_csv", "gradescope_csv", "lms_csv"]

CANVAS_STUDENT_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_ID_COLUMNS = ("SIS Login ID", "SIS User ID", "ID")
GRADESCOPE_STUDENT_COLUMNS = ("First Name", "Last Name", "SID", "Email")


def _table(
    rows: Sequence[Row],
) -> tuple[list[str], list[str], dict[str, dict[str, str]], dict[str, str]]:
    """(students, assignments, score text per student and assignment, points per assignment) in row order."""
    students = list(dict.fromkeys(row.student for row in rows))
    assignments = list(dict.fromkeys(row.assignment for row in rows if row.assignment))
    scores: dict[str, dict[str, str]] = {student: {} for student in students}
    points: dict[str, str] = {}
    for row in rows:
        if not row.assignment:
            continue
        if row.max_score > 0:
            points[row.assignment] = format_points(row.max_score)
        graded = row.status is not Status.GRADER_ERROR
        scores[row.student][row.assignment] = format_points(row.score) if graded else ""
    return students, assignments, scores, points


def canvas_csv(rows: Sequence[Row], *, id_column: str = "SIS Login ID") -> str:
    """Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, an assignment per column,
    and a `Points Possible` line; the student id in `id_column` and in `Student`."""
    if id_column not in CANVAS_ID_COLUMNS:
        raise ConfigurationError(
            f"Canvas matches students by {', '.join(CANVAS_ID_COLUMNS)}, not {id_column!r}"
        )
    students, assignments, scores, points = _table(rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*CANVAS_STUDENT_COLUMNS, *assignments])
    writer.writerow(["Points Possible", "", "", "", "", *(points.get(a, "") for a in assignments)])
    for student in students:
        identity = {column: "" for column in CANVAS_STUDENT_COLUMNS}
        identity.update({"Student": student, id_column: student})
        writer.writerow([*identity.values(), *(scores[student].get(a, "") for a in assignments)])
    return buffer.getvalue()


def gradescope_csv(rows: Sequence[Row]) -> str:
    """Gradescope's grade shape: First Name, Last Name, SID, Email, then each assignment's score and
    `<assignment> - Max Points`; the student id in `SID`."""
    students, assignments, scores, points = _table(rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = list(GRADESCOPE_STUDENT_COLUMNS)
    for assignment in assignments:
        header += [assignment, f"{assignment} - Max Points"]
    writer.writerow(header)
    for student in students:
        line = ["", "", student, ""]
        for assignment in assignments:
            line += [scores[student].get(assignment, ""), points.get(assignment, "")]
        writer.writerow(line)
    return buffer.getvalue()


FORMATS = {"canvas": canvas_csv, "gradescope": gradescope_csv}


def lms_csv(rows: Sequence[Row], format: str) -> str:
    """The rows as `format` (canvas or gradescope) expects them."""
    try:
        return FORMATS[format](rows)
    except KeyError:
        raise ConfigurationError(f"unknown grade format {format!r}; known: {', '.join(FORMATS)}") from None
