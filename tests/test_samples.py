"""The demo's sample submissions and the score lines it prints."""

from __future__ import annotations

from grader.classroom.samples import SAMPLES, sample_scores
from grader.results.record import rows_from_json


def test_every_assignment_has_a_complete_sample_and_a_buggy_one():
    for assignment, variants in SAMPLES.items():
        names = [variant.name for variant in variants]
        assert "ada-complete" in names, assignment
        assert len(names) >= 2 and len(set(names)) == len(names), assignment


def test_sample_scores_name_the_first_test_that_lost_points_per_assignment():
    row = {
        "student": "ben",
        "score": 150,
        "extra_data": {
            "assignments": {
                "hw1_attention": {"score": 50, "max_score": 100},
                "hw3_tokenization": {"score": 100, "max_score": 100},
            }
        },
        "tests": [
            {"number": "hw1_attention:a", "name": "A", "score": 1, "max_score": 1},
            {
                "number": "hw1_attention:b",
                "name": "B",
                "score": 0,
                "max_score": 2,
                "extra_data": {"message": "max error 0.3\nmore"},
            },
            {"number": "hw3_tokenization:c", "name": "C", "score": 3, "max_score": 3},
        ],
    }
    broken = {"student": "dan", "score": 0, "status": "error", "error": "x.py has a syntax error"}
    rows = [typed for stored in (row, broken) for typed in rows_from_json(stored)]
    assert sample_scores(rows) == [
        ("ben", "hw1_attention", 50.0, 100.0, "max error 0.3"),
        ("ben", "hw3_tokenization", 100.0, 100.0, ""),
        ("dan", "-", 0.0, 0.0, "x.py has a syntax error"),
    ]
