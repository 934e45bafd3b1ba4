"""Resume: a stored result stands for a new grading only when nothing that can change its score changed.

No grading here: a stored result is the identity `grade_one` records, with a status.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

import grader.classroom.resume as resume
from grader.classroom.resume import content_hash, grading_options, identity, is_up_to_date, load_results
from grader.grading.config import DEFAULTS, GradeConfig
from grader.results.record import Status


@pytest.fixture
def submission(tmp_path):
    (tmp_path / "ada").mkdir()
    (tmp_path / "ada" / "softmax.py").write_text("def softmax(x):\n    return x\n")
    return tmp_path / "ada"


def stored(
    path, config: GradeConfig, assignment: str | None = None, status: str = Status.GRADED.value
) -> dict:
    return {**identity("ada", path, config, assignment), "status": status}


def test_an_unchanged_submission_graded_alike_is_reused(submission):
    previous = stored(submission, DEFAULTS)
    assert is_up_to_date(previous, content_hash(submission), GradeConfig(), None)
    # visibility decides when students see a result, not the score: not a reason to grade again
    assert is_up_to_date(previous, content_hash(submission), replace(DEFAULTS, visibility="hidden"), None)


@pytest.mark.parametrize(
    "changed",
    [
        {"seed": 1},
        {"device": "cuda"},
        {"timeout": 5.0},
        {"budget": 60.0},
        {"memory_gib": 2.0},
        {"isolation": "process"},
        {"run_as": "nobody"},
    ],
)
def test_each_option_that_can_change_a_score_invalidates(submission, changed):
    previous = stored(submission, DEFAULTS)
    assert not is_up_to_date(previous, content_hash(submission), replace(DEFAULTS, **changed), None)


def test_every_score_changing_option_is_recorded():
    """A GradeConfig field left out of the stored options would let a changed option reuse a stale score."""
    recorded = set(grading_options(DEFAULTS)) | {"seed"}
    assert recorded | {"visibility"} == set(DEFAULTS.__dataclass_fields__)


def test_another_assignment_version_or_content_invalidates(submission, monkeypatch):
    previous = stored(submission, DEFAULTS)
    digest = content_hash(submission)
    assert not is_up_to_date(previous, digest, DEFAULTS, "hw1_attention")
    (submission / "softmax.py").write_text("def softmax(x):\n    return -x\n")
    assert not is_up_to_date(previous, content_hash(submission), DEFAULTS, None)
    monkeypatch.setattr(resume, "__version__", "0.0.0-other")
    assert not is_up_to_date(previous, digest, DEFAULTS, None)


@pytest.mark.parametrize(
    "status, reused",
    [(Status.GRADED.value, True), (Status.ERROR.value, True), (Status.GRADER_ERROR.value, False)],
)
def test_a_grader_error_is_always_retried(submission, status, reused):
    previous = stored(submission, DEFAULTS, status=status)
    assert is_up_to_date(previous, content_hash(submission), DEFAULTS, None) is reused


def test_no_stored_result_or_an_unreadable_one_is_graded(tmp_path, submission):
    assert not is_up_to_date(None, content_hash(submission), DEFAULTS, None)
    assert load_results(tmp_path / "absent.json") is None
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "list.json").write_text("[1, 2]")
    assert load_results(tmp_path / "broken.json") is None and load_results(tmp_path / "list.json") is None


def test_the_hash_skips_the_clutter_staging_never_reads(submission):
    """Discovery, resume and staging share one clutter list: caches and environments change no score."""
    before = content_hash(submission)
    for clutter in ("__pycache__", ".venv", "__MACOSX", ".ipynb_checkpoints"):
        (submission / clutter).mkdir()
        (submission / clutter / "junk.py").write_text("x = 1\n")
    assert content_hash(submission) == before
    (submission / "helpers").mkdir()
    (submission / "helpers" / "extra.py").write_text("x = 1\n")
    assert content_hash(submission) != before
