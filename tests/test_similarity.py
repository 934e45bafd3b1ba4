"""Similarity across a class (grader.classroom.similarity): disguised copies are flagged, independent work
and the stubs are not; the CSV, the pages (in a real browser), the command and the batch's summary.
No grading: similarity reads code only, and the batch test feeds the batch stored results."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from browser import find_chromium, load_page
from click.testing import CliRunner
from similarity_class import HW1, disguise, disguised_copy, independent_hw1, reference_parts_hw1

from grader import __version__
from grader.catalogue.variants import Variant, materialize
from grader.classroom.batch import content_hash, find_submissions, grade_batch
from grader.classroom.resume import grading_options
from grader.classroom.samples import write_samples
from grader.classroom.similarity import (
    DEFAULT_THRESHOLD,
    SimilarityConfig,
    compare_class,
    compare_submissions,
    documents_of,
    pair_page,
    read_class,
    similarity_csv,
    write_similarity,
)
from grader.cli import main
from grader.grading.runner import GradeConfig

pytest.importorskip("copydetect", reason="the similarity extra (scripts/setup.sh installs it)")

HOSTILE = '</pre><script>alert("x")</script><img src=x onerror=alert(1)>'


def flagged(result, assignment: str = HW1) -> dict[frozenset[str], float]:
    return {frozenset((p.a, p.b)): p.similarity for p in result.pairs if p.assignment == assignment}


@pytest.fixture(scope="module")
def sample_class(tmp_path_factory) -> tuple[Path, object]:
    """The bundled samples, a disguised copy of ada, an independent hw1 and the reference's same parts."""
    root = tmp_path_factory.mktemp("class")
    write_samples(root)
    disguised_copy(root / "ada-complete", root / "zed-copy", seed=3)
    independent_hw1(root / "ivy-independent")
    reference_parts_hw1(root / "rex-parts")
    result = compare_submissions(find_submissions(root))
    return root, result


def test_disguise_really_disguises():
    text = (Path(__file__).parent.parent / "solutions" / HW1 / "attention.py").read_text()
    copy = disguise(text, seed=3)
    assert copy != text and "weights" not in copy.replace("attn_probs3", "")  # renamed
    assert "# note" in copy and "# 1. How well each query" not in copy  # comments rewritten
    order = [line.split("(")[0] for line in text.splitlines() if line.startswith("def ")]
    reordered = [line.split("(")[0] for line in copy.splitlines() if line.startswith("def ")]
    assert sorted(order) == sorted(reordered) and order != reordered


def test_copies_are_flagged_and_independent_work_is_not(sample_class):
    _, result = sample_class
    pairs = flagged(result)
    # A copy with renamed variables, rewritten comments and reordered functions is still nearly all shared.
    assert pairs[frozenset(("ada-complete", "zed-copy"))] >= 0.9
    # The samples are all made from the reference: each is a copy of the others, half-done ones included.
    for other in ("ben-no-scaling", "cleo-half-done", "dan-syntax-error", "rex-parts"):
        assert pairs[frozenset(("ada-complete", other))] >= 0.9
    # The same functions written independently: well below the threshold against the reference's.
    assert not any("ivy-independent" in pair for pair in pairs)
    loose = compare_submissions(
        [(s, p) for s, p in find_submissions(sample_class[0]) if s in ("ivy-independent", "rex-parts")],
        config=SimilarityConfig(threshold=0.01, min_matched=1),
    )
    (pair,) = loose.pairs
    assert pair.similarity < DEFAULT_THRESHOLD / 1.5
    # hw3 and hw2 pairs come from the same run, per assignment, never across assignments.
    assert frozenset(("ada-complete", "ben-ids-off-by-256")) in flagged(result, "hw3_tokenization")
    assert {p.assignment for p in result.pairs} <= {
        "hw1_attention",
        "hw2_transformer",
        "hw3_tokenization",
        "hw4_agents",
    }
    assert result.students[HW1] == 8 and result.compared == sum(
        n * (n - 1) // 2 for n in result.students.values()
    )


def test_pairs_are_scored_as_copydetects_compare_files_scores_them(sample_class):
    from copydetect.detector import compare_files

    from grader.classroom.similarity import overlap

    _, result = sample_class
    prints = [f for (assignment, _), f in sorted(result.fingerprints.items()) if assignment == HW1]
    checked = 0
    for i, first in enumerate(prints):
        for second in prints[i + 1 :]:
            matched, shares, _ = compare_files(first, second)
            assert overlap(first, second) == pytest.approx((int(matched), float(shares[0]), float(shares[1])))
            checked += bool(matched)
    assert checked >= 20  # most pairs share something: the oracle is not only checked on zeros


def test_the_stubs_alone_are_similar_to_nothing(sample_class, tmp_path):
    root, result = sample_class
    assert not any("eve-untouched" in pair for a in result.students for pair in flagged(result, a))
    # Even with no threshold at all: the untouched release has no fingerprint left once the stubs are removed.
    materialize(HW1, Variant("stub", "", base="stub"), tmp_path / "other-stub")
    documents, _ = read_class(
        [("eve", root / "eve-untouched"), ("other", tmp_path / "other-stub"), ("ada", root / "ada-complete")]
    )
    anything = compare_class(documents, config=SimilarityConfig(threshold=1e-9, min_matched=1))
    assert [p for p in anything.pairs if {"eve", "other"} & {p.a, p.b}] == []
    assert not anything.fingerprints[(HW1, "eve")].hashes


def test_a_notebook_is_compared_by_its_writefile_cells(sample_class, tmp_path):
    root, _ = sample_class
    package = root / "ada-complete" / HW1
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# Assignment 1"},
        *(
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": f"%%writefile {HW1}/{path.name}\n" + disguise(path.read_text(), seed=7),
            }
            for path in sorted(package.glob("*.py"))
            if path.name != "__init__.py"
        ),
    ]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "nora.ipynb").write_text(json.dumps(notebook))
    (document,) = documents_of("nora", tmp_path / "nora.ipynb")
    assert document.assignment == HW1 and next(m for m, _, _ in document.modules) == "softmax.py"
    documents, _ = read_class([("ada", root / "ada-complete"), ("nora", tmp_path / "nora.ipynb")])
    (pair,) = compare_class(documents).pairs
    assert {pair.a, pair.b} == {"ada", "nora"} and pair.similarity >= 0.9


def test_csv_and_pages(sample_class, tmp_path):
    _, result = sample_class
    written = write_similarity(result, tmp_path)
    rows = list(csv.DictReader(io.StringIO(similarity_csv(result))))
    assert len(rows) == len(result.pairs) and rows[0].keys() >= {
        "assignment",
        "student_a",
        "student_b",
        "similarity",
    }
    assert [float(r["similarity"]) for r in rows] == sorted(
        (float(r["similarity"]) for r in rows), reverse=True
    )
    copy = next(
        r
        for r in rows
        if {r["student_a"], r["student_b"]} == {"ada-complete", "zed-copy"} and r["assignment"] == HW1
    )
    page = (tmp_path / copy["page"]).read_text()
    assert page in [p.read_text() for p in written]
    assert "<script" not in page and "Content-Security-Policy" in page
    assert page.count("<mark") >= 10 and 'href="#b1"' in page and 'id="a1"' in page
    assert "softmax.py" in page and "zed-copy" in page


def test_pages_only_for_the_most_similar_pairs_and_none_left_from_before(sample_class, tmp_path):
    root, result = sample_class
    write_similarity(result, tmp_path)
    assert len(list((tmp_path / "similarity").glob("*/pair-*.html"))) == len(result.pairs) > 3
    documents, _ = read_class(find_submissions(root), assignment=HW1)
    capped = compare_class(documents, config=SimilarityConfig(pages=2))
    write_similarity(capped, tmp_path)
    assert sorted(p.name for p in (tmp_path / "similarity").glob("*/pair-*.html")) == [
        "pair-0001.html",
        "pair-0002.html",
    ]
    rows = list(csv.DictReader((tmp_path / "similarity.csv").open()))
    assert len(rows) == len(capped.pairs) > 2 and [bool(r["page"]) for r in rows[:3]] == [True, True, False]
    listing = (tmp_path / "similarity.html").read_text()
    assert listing.count('href="similarity/') == 2


def test_a_pair_page_escapes_everything(tmp_path):
    source = tmp_path / "src"
    materialize(HW1, Variant("reference", ""), source)
    for name in ("a<b>&c", HOSTILE.replace("/", "_")):
        shutil.copytree(source, tmp_path / "class" / name)
        softmax = tmp_path / "class" / name / HW1 / "softmax.py"
        softmax.write_text(softmax.read_text() + f"\nNOTE = '{HOSTILE}'\n# {HOSTILE}\n")
    result = compare_submissions(find_submissions(tmp_path / "class"))
    (pair,) = result.pairs
    page = pair_page(result, pair)
    assert "<script" not in page and "<img src=x" not in page and "a&lt;b&gt;&amp;c" in page
    assert "&lt;/pre&gt;&lt;script&gt;" in page


@pytest.fixture
def chromium():
    if find_chromium() is None:
        pytest.fail("Chromium is missing: scripts/test.sh installs Debian's chromium-headless-shell")


def test_a_pair_page_renders_in_a_browser(sample_class, tmp_path, chromium):
    _, result = sample_class
    write_similarity(result, tmp_path)
    pair = next(
        p for p in result.pairs if {p.a, p.b} == {"cleo-half-done", "zed-copy"} and p.assignment == HW1
    )
    report = load_page(tmp_path / pair.page)
    assert report.console_errors == [] and report.broken_images == []
    assert report.title == f"{HW1}: {pair.a} and {pair.b}"
    report = load_page(tmp_path / "similarity.html")
    assert report.console_errors == [] and report.broken_images == []


def test_the_command_writes_the_csv_and_the_pages(sample_class, tmp_path):
    root, _ = sample_class
    result = CliRunner().invoke(
        main,
        [
            "similarity",
            str(root),
            "--out",
            str(tmp_path),
            "--assignment",
            HW1,
            "--similarity-threshold",
            "0.95",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "similarity.csv").open()))
    assert rows and all(float(r["similarity"]) >= 0.95 and r["assignment"] == HW1 for r in rows)
    assert all((tmp_path / r["page"]).is_file() for r in rows)
    assert "similar pairs" in result.output and not (tmp_path / "summary.html").exists()
    refused = CliRunner().invoke(
        main, ["similarity", str(root), "--out", str(tmp_path), "--similarity-threshold", "0"]
    )
    assert refused.exit_code != 0


def test_the_default_threshold_is_the_commands():
    option = next(p for p in main.commands["similarity"].params if p.name == "threshold")
    assert option.default == DEFAULT_THRESHOLD
    batch_option = next(p for p in main.commands["batch"].params if p.name == "threshold")
    assert batch_option.default == DEFAULT_THRESHOLD


def stored_results(root: Path, out: Path, config: GradeConfig, scores: dict[str, float]) -> None:
    """results.json for each student as a batch would have stored it, so that the batch grades nobody."""
    paths = dict(find_submissions(root))
    for student, score in scores.items():
        path = paths[student]
        results = {
            "score": score,
            "tests": [{"name": "softmax", "number": f"{HW1}:test_softmax", "score": score, "max_score": 100}],
            "extra_data": {"assignments": {HW1: {"score": score, "max_score": 100}}},
            "student": student,
            "submission": str(path),
            "content_hash": content_hash(path),
            "grader_version": __version__,
            "seed": config.seed,
            "assignment": None,
            "options": grading_options(config),
            "seconds": 1.0,
            "status": "graded",
            "error": None,
        }
        (out / student).mkdir(parents=True)
        (out / student / "results.json").write_text(json.dumps(results))


def test_the_batch_lists_similar_pairs_in_its_summary(tmp_path, chromium):
    root, out = tmp_path / "class", tmp_path / "out"
    materialize(HW1, Variant("reference", ""), root / "ada")
    disguised_copy(root / "ada", root / "zed", seed=5)
    independent_hw1(root / "ivy")
    config = GradeConfig()
    stored_results(root, out, config, {"ada": 100, "zed": 100, "ivy": 40})
    summary = grade_batch(find_submissions(root), config=config, out_dir=out, similarity=SimilarityConfig())
    assert summary.fresh == 0 and summary.skipped == 3  # nothing graded: the stored results stand
    assert [(p.a, p.b) for p in summary.similarity.pairs] == [("ada", "zed")]
    page = summary.summary_page.read_text()
    assert "Similar submissions" in page and 'href="similarity/hw1_attention/pair-0001.html"' in page
    assert (out / "similarity" / HW1 / "pair-0001.html").is_file()
    report = load_page(summary.summary_page)
    assert report.console_errors == [] and report.broken_images == []
    # The grades for the LMSs come with every batch.
    canvas = list(csv.reader((out / "canvas.csv").open()))
    assert canvas[0][-1] == HW1 and ["ivy", "", "", "ivy", "", "40"] in canvas
    assert ["", "", "zed", "", "100", "100"] in list(csv.reader((out / "gradescope.csv").open()))
    # Without --similarity the summary has no such section, and no pair is computed.
    again = grade_batch(find_submissions(root), config=config, out_dir=out)
    assert again.similarity is None and "Similar submissions" not in again.summary_page.read_text()
    # `grader similarity` into the graded batch's folder puts the pairs back into its summary.
    result = CliRunner().invoke(main, ["similarity", str(root), "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = (out / "summary.html").read_text()
    assert "Similar submissions" in page and "ada and zed" in page and "40 / 100" in page


def test_batch_similarity_options_reach_grade_batch(tmp_path, monkeypatch):
    import grader.classroom.batch
    from grader.classroom.batch import BatchSummary
    from grader.classroom.similarity import ClassSimilarity

    (tmp_path / "class" / "ada").mkdir(parents=True)
    calls = {}

    def fake_grade_batch(submissions, **kwargs):
        calls.update(kwargs)
        compared = ClassSimilarity(kwargs["similarity"], [], {HW1: 1}, 0, [("ben", "unreadable")], 0.1, 0.2)
        return BatchSummary(
            rows=[], graded=0, errors=0, missing=0, fresh=0, skipped=0, wall_seconds=0.1,
            gradebook=tmp_path / "g.csv", summary_page=tmp_path / "s.html", similarity=compared,
        )  # fmt: skip

    monkeypatch.setattr(grader.classroom.batch, "grade_batch", fake_grade_batch)
    args = ["batch", str(tmp_path / "class"), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(main, [*args, "--similarity", "--similarity-threshold", "0.8"])
    assert calls["similarity"] == SimilarityConfig(threshold=0.8)
    assert "0 similar pairs of 0 compared" in result.output and "ben: unreadable" in result.output
    CliRunner().invoke(main, args)
    assert calls["similarity"] is None


def test_every_run_reports_the_same_similarities(sample_class, tmp_path):
    """copydetect's own k-gram hash is salted per process, the grader's is not: reports are reproducible."""
    import os
    import subprocess
    import sys

    root, _ = sample_class
    tables = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        env = {**os.environ, "PYTHONHASHSEED": seed}
        command = [sys.executable, "-m", "grader.cli", "similarity", str(root), "--out", str(out)]
        command += ["--assignment", HW1, "--similarity-threshold", "0.01"]
        subprocess.run(command, check=True, env=env, capture_output=True, timeout=120)
        tables.append((out / "similarity.csv").read_text())
    assert tables[0] == tables[1] and tables[0].count("\n") > 10
