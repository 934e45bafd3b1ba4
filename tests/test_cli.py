"""The CLI maps options to the library and errors to one sentence and an exit status."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.results.record import rows_from_json


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
    import grader.classroom.batch
    from grader.classroom.batch import BatchSummary

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
            rows=rows_from_json(row), graded=1, errors=0, missing=0, fresh=0, skipped=1, wall_seconds=0.1,
            gradebook=tmp_path / "out" / "gradebook.csv", summary_page=tmp_path / "out" / "summary.html",
            skipped_students=["ada"],
        )  # fmt: skip

    monkeypatch.setattr(grader.classroom.batch, "grade_batch", fake_grade_batch)
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
    import grader.classroom.batch
    import grader.classroom.nbgrader_gradebook
    from grader.classroom.batch import BatchSummary

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
        rows=rows_from_json(row), graded=1, errors=0, missing=0, fresh=1, skipped=0, wall_seconds=0.1,
        gradebook=tmp_path / "g.csv", summary_page=tmp_path / "s.html",
    )  # fmt: skip
    order = []
    monkeypatch.setattr(
        grader.classroom.batch, "grade_batch", lambda submissions, **kwargs: order.append("grade") or summary
    )
    monkeypatch.setattr(
        grader.classroom.nbgrader_gradebook,
        "check_gradebook",
        lambda db, names: order.append(("check", db, len(names))),
    )
    exported = []
    monkeypatch.setattr(
        grader.classroom.nbgrader_gradebook,
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
    assert exported == [(rows_from_json(row), "sqlite:///x.db", None)]
    assert "1 students' scores written to nbgrader assignment hw1_attention" in result.output


def test_nbgrader_assignment_without_assignment_is_refused_before_grading(tmp_path, monkeypatch):
    import grader.classroom.batch

    (tmp_path / "class" / "ada").mkdir(parents=True)
    monkeypatch.setattr(grader.classroom.batch, "grade_batch", lambda *a, **k: pytest.fail("graded"))
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

    from grader.results.report import render_table
    from grader.results.verdicts import AssignmentResult, TestResult, Verdict

    message = "\n".join(f"[case {i}] wrong" for i in range(7))
    test = TestResult("test_x", "x", 2, 0, Verdict.FAILED, message=message)
    result = AssignmentResult("hw1_attention", (test,), seed=0, isolation="process", device="cpu", duration=1)
    console = Console(record=True, width=200)
    render_table(result, console)
    text = console.export_text()
    assert "[case 3] wrong" in text and "[case 4]" not in text and "(+3 more lines: run with -v)" in text
    render_table(result, console, verbose=True)
    assert "[case 6] wrong" in console.export_text()


def _commands(group, prefix=()):
    import click

    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_every_option_of_every_command_has_help():
    import click

    missing = [
        f"grader {' '.join(path)} {param.opts[0]}"
        for path, command in [((), main), *_commands(main)]
        for param in command.params
        if isinstance(param, click.Option) and not (param.help or "").strip()
    ]
    assert missing == []


def test_doctor_reports_every_mechanism_of_the_sandbox_and_what_is_lost_without_it(monkeypatch):
    from grader.grading import doctor
    from grader.grading.sandbox import Limits
    from grader.grading.sandbox.sandbox import rlimits

    assert set(doctor.RLIMIT_TEXT) == set(rlimits(Limits()))  # each rlimit the child gets has its line
    monkeypatch.setattr(doctor.pids_cgroup, "unavailable_reason", lambda: "no pids controller here")
    monkeypatch.setattr(doctor, "fallback_reason", lambda: None)
    found = {m.name: m for m in doctor.mechanisms()}
    expected = {"namespaces (bubblewrap)", "pids cgroup", "unprivileged user (--run-as)"}
    assert expected | {label for label, _, _ in doctor.RLIMIT_TEXT.values()} == set(found)
    cgroup = found["pids cgroup"]
    assert not cgroup.available and "256 processes and threads" in cgroup.does
    assert cgroup.line() == (
        "pids cgroup",
        f"NOT available (no pids controller here) — {cgroup.does}. Without it: {cgroup.without}.",
    )
    assert "fork bomb" in cgroup.without and "PID namespace" in cgroup.without
    assert found["memory limit"].available and "6 GiB" in found["memory limit"].does
    lines = dict(doctor.diagnose())
    for mechanism in found.values():
        assert " Without it: " in lines[mechanism.name]
    assert lines["pids cgroup"].startswith("NOT available (no pids controller here)")


def test_doctor_says_what_the_process_level_loses(monkeypatch):
    from grader.grading import doctor

    monkeypatch.setattr(doctor, "fallback_reason", lambda: "bubblewrap (bwrap) is not installed")
    monkeypatch.setattr(doctor.pids_cgroup, "unavailable_reason", lambda: "no write access")
    found = {m.name: m for m in doctor.mechanisms()}
    namespaces = found["namespaces (bubblewrap)"]
    assert not namespaces.available and namespaces.reason == "bubblewrap (bwrap) is not installed"
    assert "reach the network" in namespaces.without
    assert "process group" in found["pids cgroup"].without


def _fake_batch(tmp_path, monkeypatch, rows):
    import grader.classroom.batch
    from grader.classroom.batch import BatchSummary

    (tmp_path / "class" / "ada").mkdir(parents=True)
    calls = {}

    def fake_grade_batch(submissions, **kwargs):
        calls.update(kwargs, submissions=submissions)
        typed = [rows_from_json(row) for row in rows]
        for done, student_rows in enumerate(typed, 1):
            kwargs["progress"](done, len(rows), student_rows)
        return BatchSummary(
            rows=[row for student_rows in typed for row in student_rows], graded=len(rows), errors=0,
            missing=0, fresh=len(rows), skipped=0, wall_seconds=0.1,
            gradebook=tmp_path / "out" / "gradebook.csv", summary_page=tmp_path / "out" / "summary.html",
        )  # fmt: skip

    monkeypatch.setattr(grader.classroom.batch, "grade_batch", fake_grade_batch)
    return calls


def test_batch_passes_isolation_into_the_grading_config(tmp_path, monkeypatch):
    row = {"student": "ada", "score": 50, "seconds": 1.0, "status": "graded", "error": None}
    calls = _fake_batch(tmp_path, monkeypatch, [row])
    args = ["batch", str(tmp_path / "class"), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert calls["config"].isolation == "best"
    result = CliRunner().invoke(main, [*args, "--isolation", "process"])
    assert result.exit_code == 0, result.output
    assert calls["config"].isolation == "process"
    result = CliRunner().invoke(main, [*args, "--isolation", "none"])
    assert result.exit_code == 2 and "'best', 'strict', 'process'" in result.output


def test_batch_with_strict_isolation_and_no_namespaces_stops_before_grading(tmp_path, monkeypatch):
    import grader.grading.sandbox.isolation

    calls = _fake_batch(tmp_path, monkeypatch, [])
    monkeypatch.setattr(
        grader.grading.sandbox.isolation, "probe_namespaces", lambda: "bwrap is not installed"
    )
    args = ["batch", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--isolation", "strict"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 4 and "needs namespaces, but bwrap is not installed" in result.output
    assert calls == {}


def test_scores_are_shown_with_at_most_two_decimals():
    from grader.results.report import format_points

    shown = [84.666667, 84.6, 87.5, 100.0, 0.0, 3.33333, 2 / 3, 1e-9, 99.999]
    assert [format_points(v) for v in shown] == [
        "84.67",
        "84.6",
        "87.5",
        "100",
        "0",
        "3.33",
        "0.67",
        "0",
        "100",
    ]


def test_batch_prints_scores_rounded(tmp_path, monkeypatch):
    row = {"student": "ada", "score": 84.666667, "seconds": 1.0, "status": "graded", "error": None}
    _fake_batch(tmp_path, monkeypatch, [row])
    result = CliRunner().invoke(main, ["batch", str(tmp_path / "class"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "84.67" in result.output and "84.666" not in result.output


def test_demo_prints_scores_rounded(tmp_path, monkeypatch):
    import grader.classroom.samples

    tests = [{"number": "hw1_attention:test_a", "score": 84.666667, "max_score": 100}]
    row = {
        "student": "ada", "score": 84.666667, "tests": tests, "status": "graded", "error": None,
        "extra_data": {"assignments": {"hw1_attention": {"score": 84.666667, "max_score": 100}}},
    }  # fmt: skip
    _fake_batch(tmp_path, monkeypatch, [row])
    monkeypatch.setattr(grader.classroom.samples, "write_samples", lambda workdir: [("ada", workdir / "ada")])
    monkeypatch.setattr(
        grader.classroom.samples,
        "sample_scores",
        lambda rows: [("ada", "hw1_attention", 84.666667, 100.0, "x")],
    )
    result = CliRunner().invoke(
        main, ["demo", "--workdir", str(tmp_path / "w"), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    assert "ada: 84.67/100" in result.output and "84.67/100" in result.output.split("sample submissions")[1]
    assert "84.666" not in result.output


def test_the_terminal_table_and_the_pages_round_scores_but_results_json_keeps_them():
    from rich.console import Console

    from grader.classroom.summary import class_summary_page
    from grader.results.feedback import feedback_page
    from grader.results.record import rows_from_json
    from grader.results.report import gradescope_results, render_table
    from grader.results.verdicts import AssignmentResult, TestResult, Verdict

    tests = (
        TestResult("test_a", "a", 100 / 3, 22.2222, Verdict.PARTIAL, message="part of it"),
        TestResult("test_b", "b", 200 / 3, 62.4444, Verdict.PARTIAL, message="most of it"),
    )
    result = AssignmentResult("hw1_attention", tests, seed=0, isolation="process", device="cpu", duration=1)
    console = Console(record=True, width=200)
    render_table(result, console)
    text = console.export_text()
    assert "22.22/33.33" in text and "Total: 84.67/100" in text
    report = gradescope_results([result])
    assert report["score"] == 84.6666 and report["tests"][0]["score"] == 22.2222  # full precision kept
    page = feedback_page(rows_from_json(report))
    assert "Score: 84.67 / 100" in page and "22.22 / 33.33" in page
    summary = class_summary_page(rows_from_json({**report, "student": "ada", "status": "graded"}))
    assert "84.67 / 100</a>" in summary and "median 84.67%" in summary
    for shown in (text, page, summary):
        assert "84.666" not in shown and "22.2222" not in shown and "33.333" not in shown


def test_the_grader_s_own_tracebacks_go_to_the_instructor_never_into_results_json(tmp_path, monkeypatch):
    import grader.classroom.batch
    import grader.grading.runner
    from grader.grading.plugin import INTERNAL_MESSAGE
    from grader.grading.runner import GradeConfig
    from grader.results.verdicts import AssignmentResult, TestResult, Verdict

    broken = TestResult("test_x", "x", 10, 0, Verdict.INTERNAL_ERROR, message=INTERNAL_MESSAGE,
                        detail="Traceback ...\nKeyError: 'secret'")  # fmt: skip
    fine = TestResult("test_y", "y", 90, 90, Verdict.PASSED)
    result = AssignmentResult(
        "hw1_attention", (broken, fine), seed=0, isolation="process", device="cpu", duration=1
    )
    monkeypatch.setattr(grader.grading.runner, "grade", lambda *args, **kwargs: [result])
    (tmp_path / "sub").mkdir()
    out = tmp_path / "results.json"
    outcome = CliRunner().invoke(main, ["run", str(tmp_path / "sub"), "--json", str(out)])
    assert outcome.exit_code == 0, outcome.output
    assert "secret" not in out.read_text() and INTERNAL_MESSAGE in out.read_text()
    assert json.loads((tmp_path / "results.instructor.json").read_text()) == {
        "details": {"hw1_attention:test_x": "Traceback ...\nKeyError: 'secret'"}
    }
    # In a batch: the worker's row carries the details to the writer, which keeps them out of results.json.
    monkeypatch.setattr(grader.classroom.batch, "grade", lambda *args, **kwargs: [result])
    row = grader.classroom.batch.grade_one("ada", tmp_path / "sub", GradeConfig(), None)
    assert row[grader.classroom.batch.INSTRUCTOR_KEY] == {
        "hw1_attention:test_x": "Traceback ...\nKeyError: 'secret'"
    }


# Where a command's default differs from the library's on purpose, and why.
DELIBERATE_DEFAULTS = {
    ("export-gradescope", "run_as"): "Gradescope runs the autograder as root: student code never should",
    ("demo", "workers"): "the demo grades eight students two at a time, to show the pool at work",
}


def _option_defaults():
    """{(command, option name): default} over every command's options."""
    import click

    def default(param: click.Option) -> object:
        # Click 8.3 marks "no default" with a sentinel; such an option's value is None when not given.
        return None if type(param.default).__name__ == "Sentinel" else param.default

    return {
        (" ".join(path), param.name): default(param)
        for path, command in _commands(main)
        for param in command.params
        if isinstance(param, click.Option)
    }


def test_every_command_takes_the_grading_defaults_from_the_library():
    from grader.classroom.executors import DEFAULT_WORKERS
    from grader.classroom.similarity import SimilarityConfig
    from grader.grading.config import DEFAULTS

    owners = {name: getattr(DEFAULTS, name) for name in DEFAULTS.__dataclass_fields__}
    owners.update(workers=DEFAULT_WORKERS, scheduler=None, threshold=SimilarityConfig().threshold)
    checked = {
        key: default
        for key, default in _option_defaults().items()
        if key[1] in owners and key not in DELIBERATE_DEFAULTS
    }
    assert {name for _, name in checked} >= {"seed", "device", "timeout", "budget", "isolation", "workers"}
    assert {key: default for key, default in checked.items() if default != owners[key[1]]} == {}


def test_every_grading_command_shares_the_same_default_for_the_same_option():
    shared: dict[str, dict[object, list[str]]] = {}
    for (command, name), default in _option_defaults().items():
        if (command, name) not in DELIBERATE_DEFAULTS:
            shared.setdefault(name, {}).setdefault(default, []).append(command)
    differing = {name: by_default for name, by_default in shared.items() if len(by_default) > 1}
    differing.pop("out_dir", None)  # --out names a different folder per command
    differing.pop("out", None)
    assert differing == {}


def test_the_library_s_signatures_default_like_the_command_line():
    import inspect

    from grader.authoring.audit import audit
    from grader.classroom.batch import grade_batch
    from grader.classroom.executors import DEFAULT_WORKERS, executor_for
    from grader.classroom.gradescope import build_autograder
    from grader.grading.config import DEFAULTS

    for function in (grade_batch, audit, executor_for):
        assert inspect.signature(function).parameters["workers"].default == DEFAULT_WORKERS, function
    for name in ("seed", "visibility", "isolation"):
        assert inspect.signature(build_autograder).parameters[name].default == getattr(DEFAULTS, name)
    assert inspect.signature(audit).parameters["seed"].default == DEFAULTS.seed


def test_run_passes_every_grading_option_into_one_grade_config(tmp_path, monkeypatch):
    import grader.grading.runner
    from grader.grading.config import GradeConfig

    seen = []
    monkeypatch.setattr(grader.grading.runner, "grade", lambda path, **kwargs: seen.append(kwargs) or [])
    args = ["run", str(tmp_path), "--seed", "4", "--device", "cuda:1", "--timeout", "2", "--budget", "30",
            "--isolation", "process", "--visibility", "hidden"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert seen[0]["config"] == GradeConfig(
        seed=4, device="cuda:1", timeout=2.0, budget=30.0, isolation="process", visibility="hidden"
    )
    CliRunner().invoke(main, ["run", str(tmp_path)])
    assert seen[1]["config"] == GradeConfig()
