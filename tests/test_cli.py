"""The CLI maps options to the library and errors to one sentence and an exit status."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from grader.cli import main


def test_run_on_a_missing_path_says_so_without_a_traceback(tmp_path):
    result = CliRunner().invoke(main, ["run", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "does not exist" in result.output and "Traceback" not in result.output


def test_run_on_an_unknown_assignment_lists_the_known_ones(tmp_path):
    result = CliRunner().invoke(main, ["run", str(tmp_path), "--assignment", "hw9"])
    assert result.exit_code == 3 and "hw1_attention" in result.output


def test_run_on_an_invalid_notebook_names_it(tmp_path):
    notebook = tmp_path / "attention.ipynb"
    notebook.write_text("{not json")
    result = CliRunner().invoke(main, ["run", str(notebook)])
    assert result.exit_code == 2 and "attention.ipynb is not a valid notebook" in result.output


def test_doctor_reports_the_isolation_level():
    result = CliRunner().invoke(main, ["doctor"])
    assert result.exit_code == 0 and "isolation:" in result.output and "limits per call" in result.output


def test_release_check_fails_on_a_stale_folder(tmp_path):
    result = CliRunner().invoke(main, ["release", "--check", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "stale:" in result.output


def test_check_outside_an_assignment_folder_says_where_to_run_it(tmp_path):
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 2 and "has no tests/ folder" in result.output


def test_run_writes_gradescope_results(tmp_path):
    submission = tmp_path / "hw1_attention"
    submission.mkdir()
    (submission / "softmax.py").write_text("def softmax(x, dim=-1):\n    raise NotImplementedError\n")
    out, page = tmp_path / "results.json", tmp_path / "feedback.html"
    result = CliRunner().invoke(
        main, ["run", str(submission), "--json", str(out), "--html", str(page), "-k", "softmax"]
    )
    assert result.exit_code == 0, result.output
    assert "not implemented yet" in page.read_text() and "What to fix" in page.read_text()
    data = json.loads(out.read_text())
    assert data["score"] == 0 and data["tests"]
    assert {"name", "score", "max_score", "output", "visibility", "status"} <= set(data["tests"][0])
    assert data["extra_data"]["seed"] == 0 and "execution_time" in data


def test_run_on_a_device_this_machine_lacks_is_a_configuration_error(tmp_path, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    result = CliRunner().invoke(
        main, ["run", str(tmp_path), "--assignment", "hw1_attention", "--device", "cuda"]
    )
    assert result.exit_code == 3 and "CUDA is not available here" in result.output


def test_batch_maps_options_to_grade_batch_and_prints_a_summary(tmp_path, monkeypatch):
    import grader.batch
    from grader.batch import BatchSummary

    (tmp_path / "class" / "ada").mkdir(parents=True)
    calls = {}

    def fake_grade_batch(submissions, **kwargs):
        calls.update(kwargs, submissions=submissions)
        row = {
            "student": "ada",
            "assignment": "hw1_attention",
            "score": 87.66667,
            "max_score": 100,
            "seconds": 3.25,
            "status": "graded",
            "error": None,
        }
        return BatchSummary(
            rows=[row], graded=1, errors=0, missing=0, fresh=0, skipped=1, wall_seconds=0.1,
            gradebook=tmp_path / "out" / "gradebook.csv", summary_page=tmp_path / "out" / "summary.html",
            skipped_students=["ada"],
        )  # fmt: skip

    monkeypatch.setattr(grader.batch, "grade_batch", fake_grade_batch)
    result = CliRunner().invoke(
        main,
        ["batch", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--workers", "2", "--seed", "3",
         "--timeout", "5", "--scheduler", "tcp://127.0.0.1:8786", "--assignment", "hw1_attention"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert calls["submissions"] == [("ada", tmp_path / "class" / "ada")]
    assert calls["workers"] == 2 and calls["scheduler"] == "tcp://127.0.0.1:8786"
    assert calls["assignment"] == "hw1_attention" and calls["out_dir"] == tmp_path / "out"
    assert calls["config"].seed == 3 and calls["config"].timeout == 5
    assert "ada" in result.output and "87.67/100" in result.output and "87.666" not in result.output
    assert "1 graded, 0 could not be graded (1 students unchanged since the last run" in result.output


def test_batch_on_a_missing_folder_says_so(tmp_path):
    result = CliRunner().invoke(main, ["batch", str(tmp_path / "nope"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "is not a folder of submissions" in result.output


def test_run_as_an_unknown_user_is_a_configuration_error(tmp_path):
    result = CliRunner().invoke(main, ["run", str(tmp_path), "--run-as", "no-such-user-here"])
    assert result.exit_code == 3 and "there is no user 'no-such-user-here'" in result.output


def test_run_as_root_is_refused(tmp_path):
    result = CliRunner().invoke(main, ["run", str(tmp_path), "--run-as", "root"])
    assert result.exit_code == 3 and "must not run as root" in result.output


def test_batch_writes_scores_into_an_nbgrader_gradebook_when_asked(tmp_path, monkeypatch):
    import grader.batch
    import grader.nbgrader_gradebook
    from grader.batch import BatchSummary

    (tmp_path / "class" / "ada").mkdir(parents=True)
    tests = [{"number": "hw1_attention:test_softmax", "score": 3, "max_score": 3}]
    row = {
        "student": "ada",
        "assignment": "hw1_attention",
        "score": 3,
        "max_score": 3,
        "seconds": 1.0,
        "status": "graded",
        "error": None,
        "tests": tests,
    }
    summary = BatchSummary(
        rows=[row], graded=1, errors=0, missing=0, fresh=1, skipped=0, wall_seconds=0.1,
        gradebook=tmp_path / "g.csv", summary_page=tmp_path / "s.html",
    )  # fmt: skip
    order = []
    monkeypatch.setattr(
        grader.batch, "grade_batch", lambda submissions, **kwargs: order.append("grade") or summary
    )
    monkeypatch.setattr(
        grader.nbgrader_gradebook,
        "check_gradebook",
        lambda db, names: order.append(("check", db, len(names))),
    )
    exported = []
    monkeypatch.setattr(
        grader.nbgrader_gradebook,
        "export_to_nbgrader_gradebook",
        lambda rows, db, rename: exported.append((rows, db, rename)) or {"hw1_attention": ["ada"]},
    )
    args = [
        "batch",
        str(tmp_path / "class"),
        "--out",
        str(tmp_path / "out"),
        "--nbgrader-db",
        "sqlite:///x.db",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert order == [("check", "sqlite:///x.db", 4), "grade"]  # every assignment it may grade, checked first
    assert exported == [([row], "sqlite:///x.db", None)]
    assert "1 students' scores written to nbgrader assignment hw1_attention" in result.output


def test_nbgrader_assignment_without_assignment_is_refused_before_grading(tmp_path, monkeypatch):
    import grader.batch

    (tmp_path / "class" / "ada").mkdir(parents=True)
    monkeypatch.setattr(grader.batch, "grade_batch", lambda *a, **k: pytest.fail("graded"))
    args = ["batch", str(tmp_path / "class"), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(
        main, [*args, "--nbgrader-db", "sqlite:///x.db", "--nbgrader-assignment", "a1"]
    )
    assert result.exit_code == 3, result.output
    assert (
        "--nbgrader-assignment names where one assignment goes; say which with --assignment" in result.output
    )


def test_the_table_shows_four_lines_of_a_message_and_says_how_many_more_verbose_shows():
    from rich.console import Console

    from grader.report import render_table
    from grader.verdicts import AssignmentResult, TestResult, Verdict

    message = "\n".join(f"[case {i}] wrong" for i in range(7))
    test = TestResult("test_x", "x", 2, 0, Verdict.FAILED, message=message)
    result = AssignmentResult("hw1_attention", (test,), seed=0, isolation="process", device="cpu", duration=1)
    console = Console(record=True, width=200)
    render_table(result, console)
    text = console.export_text()
    assert "[case 3] wrong" in text and "[case 4]" not in text and "(+3 more lines: run with -v)" in text
    render_table(result, console, verbose=True)
    assert "[case 6] wrong" in console.export_text()
