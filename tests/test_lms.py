"""The grades in the CSV shapes Canvas and Gradescope import (grader.classroom.lms), from a batch's rows."""

from __future__ import annotations

import csv
import io

import pytest

from grader.classroom.lms import canvas_csv, gradescope_csv, lms_csv
from grader.errors import ConfigurationError
from grader.results.record import Row, Status, missing_row


def rows() -> list[Row]:
    """Three students over two assignments: graded, could not be graded, missing, and a grader failure."""
    return [
        Row("ada", "hw1_attention", Status.GRADED, score=92.5, max_score=100),
        Row("ada", "hw3_tokenization", Status.GRADED, score=100, max_score=100),
        Row("ben", "hw1_attention", Status.ERROR),
        missing_row("ben", "hw3_tokenization", 100),
        Row("cleo, jr", "hw1_attention", Status.GRADER_ERROR),
    ]


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_canvas_import_shape():
    table = parse(canvas_csv(rows()))
    header, points, *students = table
    # What Canvas's GradebookImporter checks: Student and ID first, then SIS User ID and SIS Login ID, and
    # Section as the last student column; then one column per assignment, titled as the assignment.
    assert header == [
        "Student",
        "ID",
        "SIS User ID",
        "SIS Login ID",
        "Section",
        "hw1_attention",
        "hw3_tokenization",
    ]
    assert points == ["Points Possible", "", "", "", "", "100", "100"]
    assert students == [
        ["ada", "", "", "ada", "", "92.5", "100"],
        ["ben", "", "", "ben", "", "0", "0"],  # could not be graded: 0; missing: 0
        [
            "cleo, jr",
            "",
            "",
            "cleo, jr",
            "",
            "",
            "",
        ],  # the grader failed: left empty, an import changes nothing
    ]
    by_user_id = parse(canvas_csv(rows(), id_column="SIS User ID"))
    assert by_user_id[2][:4] == ["ada", "", "ada", ""]
    with pytest.raises(ConfigurationError, match="Canvas matches students by"):
        canvas_csv(rows(), id_column="Email")


def test_gradescope_shape():
    header, *students = parse(gradescope_csv(rows()))
    assert header == [
        "First Name", "Last Name", "SID", "Email",
        "hw1_attention", "hw1_attention - Max Points", "hw3_tokenization", "hw3_tokenization - Max Points",
    ]  # fmt: skip
    assert students[0] == ["", "", "ada", "", "92.5", "100", "100", "100"]
    assert students[1] == ["", "", "ben", "", "0", "100", "0", "100"]
    assert students[2][2:6] == ["cleo, jr", "", "", "100"]
    assert lms_csv(rows(), "gradescope") == gradescope_csv(rows())
    with pytest.raises(ConfigurationError, match="unknown grade format"):
        lms_csv(rows(), "moodle")
