"""Batch grading: a class folder graded in worker processes, resumed, written to a gradebook; Dask too.

Grading is slow (seconds per submission), so each slow test grades a few small submissions once and
checks several promises on the result.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from browser import load_page

from grader.catalogue.variants import Edit, Variant, materialize
from grader.classroom.batch import content_hash, find_submissions, grade_batch, read_gradebook_rows
from grader.errors import SubmissionError
from grader.grading.runner import GradeConfig

HW1 = "hw1_attention"
REFERENCE = Variant("reference", "the whole assignment, done right")
STUB = Variant("stub", "the stubs as released", base="stub")
NO_SCALING = Variant(
    "no-scaling",
    "forgot the 1/sqrt(d)",
    edits=(Edit("scores.py", "scale = 1.0 / math.sqrt(query.shape[-1])", "scale = 1.0"),),
)
EXITS = Variant("exits-at-import", "", base="stub", extra_files={"softmax.py": "import os\nos._exit(0)\n"})


def make_class(root: Path, students: dict[str, Variant | None]) -> Path:
    """A class folder: one folder per student (None: a symlink, which cannot be graded)."""
    root.mkdir(parents=True, exist_ok=True)
    for student, variant in students.items():
        if variant is None:
            os.symlink("/etc", root / student)
        else:
            materialize(HW1, variant, root / student)
    return root


# ---------------------------------------------------------------- find_submissions (no grading)


def test_find_submissions_one_folder_or_notebook_per_student(tmp_path):
    (tmp_path / "ada").mkdir()
    (tmp_path / "ada" / "softmax.py").write_text("")
    (tmp_path / "ben.ipynb").write_text("{}")
    (tmp_path / "cleo.py").write_text("")
    (tmp_path / "notes.txt").write_text("not a submission")
    (tmp_path / ".hidden").mkdir()
    os.symlink("/etc", tmp_path / "dan")
    found = find_submissions(tmp_path)
    assert found == [
        ("ada", tmp_path / "ada"),
        ("ben", tmp_path / "ben.ipynb"),
        ("cleo", tmp_path / "cleo.py"),
        ("dan", tmp_path / "dan"),
    ]


def test_find_submissions_nbgrader_layout(tmp_path):
    for student in ("ada", "ben"):
        (tmp_path / "submitted" / student / "ps1").mkdir(parents=True)
        (tmp_path / "submitted" / student / "ps1" / "attention.ipynb").write_text("{}")
    (tmp_path / "source").mkdir()  # the rest of an nbgrader course folder is ignored
    assert find_submissions(tmp_path) == [
        ("ada", tmp_path / "submitted" / "ada" / "ps1"),
        ("ben", tmp_path / "submitted" / "ben" / "ps1"),
    ]


def test_find_submissions_nbgrader_layout_without_submitted_folder(tmp_path):
    for student in ("ada", "ben"):
        (tmp_path / student / "ps1").mkdir(parents=True)
        (tmp_path / student / "ps1" / "softmax.py").write_text("")
    assert find_submissions(tmp_path) == [
        ("ada", tmp_path / "ada" / "ps1"),
        ("ben", tmp_path / "ben" / "ps1"),
    ]


def test_find_submissions_picks_the_named_assignment_among_several(tmp_path):
    for name in ("ps1", "ps2"):
        (tmp_path / "submitted" / "ada" / name).mkdir(parents=True)
    assert find_submissions(tmp_path, assignment="ps2") == [("ada", tmp_path / "submitted" / "ada" / "ps2")]


def test_find_submissions_marks_a_student_without_the_named_assignment(tmp_path):
    for student, folder in [("ada", "hw1_attention"), ("ada", "hw3_tokenization"), ("cleo", "hw1_attention")]:
        (tmp_path / "submitted" / student / folder).mkdir(parents=True)
    (tmp_path / "submitted" / "dora" / "my work").mkdir(parents=True)  # not named: graded as it is
    submitted = tmp_path / "submitted"
    assert find_submissions(tmp_path, assignment="hw3_tokenization") == [
        ("ada", submitted / "ada" / "hw3_tokenization"),
        ("cleo", None),
        ("dora", submitted / "dora" / "my work"),
    ]
    # Without --assignment, a student with several assignments hands in the whole folder.
    assert find_submissions(tmp_path)[0] == ("ada", submitted / "ada")


def test_find_submissions_refuses_two_submissions_for_one_student(tmp_path):
    (tmp_path / "ada").mkdir()
    (tmp_path / "ada.ipynb").write_text("{}")
    with pytest.raises(SubmissionError, match="two submissions for 'ada'"):
        find_submissions(tmp_path)


def test_find_submissions_on_a_missing_folder(tmp_path):
    with pytest.raises(SubmissionError, match="is not a folder of submissions"):
        find_submissions(tmp_path / "nope")


def test_content_hash_follows_names_and_bytes_not_links(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.py").write_text("1")
    first = content_hash(tmp_path / "a")
    assert content_hash(tmp_path / "a") == first
    (tmp_path / "a" / "x.py").write_text("2")
    assert content_hash(tmp_path / "a") != first
    os.symlink("/etc", tmp_path / "link")
    os.symlink("/tmp", tmp_path / "other")
    assert content_hash(tmp_path / "link") != content_hash(tmp_path / "other")


# ---------------------------------------------------------------- grading


def scores(out: Path) -> dict[str, tuple[str, str]]:
    return {
        row["student"]: (row["score"], row["status"]) for row in read_gradebook_rows(out / "gradebook.csv")
    }


@pytest.mark.slow
def test_batch_scores_resume_and_regrade_one(tmp_path):
    folder = make_class(
        tmp_path / "class",
        {"ada": REFERENCE, "ben": NO_SCALING, "eve": STUB, "mal": EXITS, "sym": None},
    )
    out = tmp_path / "out"
    config = GradeConfig(seed=0)
    seen = []
    first = grade_batch(
        find_submissions(folder), config=config, out_dir=out, workers=2, progress=lambda *a: seen.append(a)
    )
    assert (first.fresh, first.skipped, first.graded, first.errors, first.missing) == (5, 0, 4, 1, 0)
    assert [done for done, total, _ in seen] == [1, 2, 3, 4, 5] and {t for _, t, _ in seen} == {5}

    # Scores per student: reference 100, stub 0, buggy below 100, hostile 0, a symlink an error row.
    by_student = {row.student: row for row in first.rows}
    assert by_student["ada"].score == 100
    assert by_student["eve"].score == 0
    assert 0 < by_student["ben"].score < 100
    assert by_student["mal"].score == 0 and by_student["mal"].status.value == "graded"
    assert by_student["sym"].status.value == "error" and "symbolic link" in by_student["sym"].error

    # Each student's results.json carries what resume needs.
    saved = json.loads((out / "ada" / "results.json").read_text())
    assert saved["content_hash"] == content_hash(folder / "ada" / HW1) and saved["seed"] == 0
    assert saved["grader_version"] and saved["tests"]

    # A feedback page per student (also for the one that could not be graded) and a class summary, which
    # render in a real browser with every image.
    for student in ("ada", "ben", "eve", "mal"):
        assert (out / student / HW1 / "feedback.html").is_file()
    assert (out / "sym" / "feedback.html").is_file()  # graded as no assignment: none in its path
    assert "scaled_dot_score" in (out / "ben" / HW1 / "feedback.html").read_text()
    assert "symbolic link" in (out / "sym" / "feedback.html").read_text()
    summary = (out / "summary.html").read_text()
    assert "5 students, 5 submissions: 4 graded, 1 could not be graded" in summary
    assert 'href="ben/hw1_attention/feedback.html"' in summary and 'href="sym/feedback.html"' in summary
    for page in (out / "ben" / HW1 / "feedback.html", out / "summary.html"):
        report = load_page(page)
        assert report.console_errors == [] and report.images and not report.broken_images, report

    # The gradebook: a row per student and assignment, a column per hidden test.
    rows = read_gradebook_rows(out / "gradebook.csv")
    assert [row["student"] for row in rows] == ["ada", "ben", "eve", "mal", "sym"]
    test_names = [t["number"].split(":", 1)[1] for t in saved["tests"]]
    head = ["student", "assignment", "score", "max_score", "status", "error"]
    assert list(rows[0])[:6] == head and list(rows[0])[6:] == test_names
    assert (rows[0]["assignment"], rows[0]["score"], rows[0]["max_score"]) == (HW1, "100", "100")
    assert all(rows[0][name] != "" for name in test_names)
    assert rows[1]["test_scaled_dot_score"] == "0" and rows[4]["status"] == "error"
    gradebook = (out / "gradebook.csv").read_text()

    # A second run skips everyone and writes the same gradebook.
    second = grade_batch(find_submissions(folder), config=config, out_dir=out, workers=2)
    assert (second.fresh, second.skipped, second.graded) == (0, 5, 4)
    assert (out / "gradebook.csv").read_text() == gradebook

    # Changing one file regrades only that student.
    reference_softmax = (folder / "ada" / HW1 / "softmax.py").read_text()
    (folder / "eve" / HW1 / "softmax.py").write_text(reference_softmax)
    third = grade_batch(find_submissions(folder), config=config, out_dir=out, workers=2)
    assert (third.fresh, third.skipped) == (1, 4)
    after = scores(out)
    assert float(after["eve"][0]) > 0
    assert {s: v for s, v in after.items() if s != "eve"} == {
        s: v for s, v in scores_from(gradebook).items() if s != "eve"
    }


def scores_from(csv_text: str) -> dict[str, tuple[str, str]]:
    import csv
    import io

    return {row["student"]: (row["score"], row["status"]) for row in csv.DictReader(io.StringIO(csv_text))}


@pytest.mark.slow
def test_dask_local_cluster_gives_the_local_pool_scores(tmp_path, monkeypatch):
    """Also from a relative folder: the workers started elsewhere, so paths are resolved before they leave."""
    distributed = pytest.importorskip("distributed")
    folder = make_class(tmp_path / "class", {"ben": NO_SCALING, "sym": None})
    config = GradeConfig(seed=0)
    local = grade_batch(find_submissions(folder), config=config, out_dir=tmp_path / "local", workers=2)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        monkeypatch.chdir(tmp_path)  # the workers keep the directory they started in
        dask = grade_batch(
            find_submissions(Path("class")), config=config, out_dir=tmp_path / "dask", scheduler=cluster
        )
    assert (dask.fresh, dask.graded, dask.errors) == (2, 1, 1)
    assert read_gradebook_rows(tmp_path / "dask" / "gradebook.csv") == read_gradebook_rows(
        tmp_path / "local" / "gradebook.csv"
    )
    assert [r.score for r in dask.rows] == [r.score for r in local.rows]


def test_a_batch_where_no_submission_could_be_graded_exits_non_zero_with_the_reason(tmp_path):
    from click.testing import CliRunner

    from grader.cli import main

    for student in ("ann", "bob"):
        (tmp_path / "class" / student / "old").mkdir(parents=True)
        (tmp_path / "class" / student / "softmax.py").write_text("A = 1\n")
        (tmp_path / "class" / student / "old" / "softmax.py").write_text("A = 2\n")
    outcome = CliRunner().invoke(main, ["batch", str(tmp_path / "class"), "--out", str(tmp_path / "out")])
    assert outcome.exit_code == 2, outcome.output
    assert "no submission could be graded; two different copies of softmax.py" in outcome.output
    assert (tmp_path / "out" / "gradebook.csv").exists()


@pytest.mark.slow
def test_a_class_over_two_assignments_gets_a_row_and_a_page_per_student_and_assignment(tmp_path):
    hw3 = "hw3_tokenization"
    root = tmp_path / "class"
    materialize(HW1, STUB, root / "ada" / HW1)
    materialize(hw3, STUB, root / "ada" / hw3)
    materialize(HW1, STUB, root / "cleo" / HW1)
    config = GradeConfig(seed=0)
    both = grade_batch(find_submissions(root), config=config, out_dir=tmp_path / "both", workers=2)
    assert [(r.student, r.assignment, r.status.value) for r in both.rows] == [
        ("ada", HW1, "graded"),
        ("ada", hw3, "graded"),
        ("cleo", HW1, "graded"),
    ]
    assert all(r.max_score == 100 and r.score == 0 for r in both.rows)
    assert all(t.assignment == r.assignment for r in both.rows for t in r.tests)
    for student, name in [("ada", HW1), ("ada", hw3), ("cleo", HW1)]:
        page = (tmp_path / "both" / student / name / "feedback.html").read_text()
        assert f"Feedback on {name} for {student}" in page and "Score: 0 / 100" in page
    lines = read_gradebook_rows(tmp_path / "both" / "gradebook.csv")
    assert [(line["student"], line["assignment"], line["max_score"]) for line in lines] == [
        ("ada", HW1, "100"),
        ("ada", hw3, "100"),
        ("cleo", HW1, "100"),
    ]
    assert lines[0][f"{hw3}:test_adjacent_pairs_and_merge_pair"] == ""  # another assignment's column

    # Only hw3: cleo handed in none, and says so instead of having her hw1 graded as hw3.
    only = grade_batch(
        find_submissions(root, assignment=hw3), config=config, out_dir=tmp_path / "only", assignment=hw3
    )
    assert (only.fresh, only.graded, only.missing) == (1, 1, 1)
    cleo = only.rows[1]
    assert (cleo.student, cleo.status.value, cleo.error) == ("cleo", "missing", f"no submission for {hw3}")
    assert cleo.max_score == 100 and not (tmp_path / "only" / "cleo").exists()
    summary = (tmp_path / "only" / "summary.html").read_text()
    assert "2 students, 1 submissions: 1 graded, 0 could not be graded, 1 missing" in summary
    assert "<td>no submission</td>" in summary


def test_resume_regrades_when_an_option_that_can_change_a_score_changes(tmp_path):
    from grader.classroom.resume import identity, is_up_to_date

    (tmp_path / "ada.py").write_text("x = 1\n")
    config = GradeConfig(seed=0)
    previous = {**identity("ada", tmp_path / "ada.py", config, None), "status": "graded"}
    digest = content_hash(tmp_path / "ada.py")
    assert is_up_to_date(previous, digest, config, None)
    assert not is_up_to_date(previous, digest, config, "hw1_attention")
    for changed in (
        GradeConfig(seed=1),
        GradeConfig(timeout=5),
        GradeConfig(budget=60),
        GradeConfig(isolation="process"),
        GradeConfig(device="cuda"),
    ):
        assert not is_up_to_date(previous, digest, changed, None), changed
