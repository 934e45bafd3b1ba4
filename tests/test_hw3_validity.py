"""The hidden suite of hw3_tokenization is valid: it grades the reference 100, the stub 0, every buggy variant
below 100 in exactly the tests its bug touches, every valid alternative 100, and the same submission the same
twice. The reference's trainer is also checked against an independent implementation and tiktoken.

The catalogue lives in tests/variants/hw3_tokenization.py. Grading a submission takes a few seconds, so the
grading tests are marked slow; the catalogue's own consistency is checked without grading.
"""

from __future__ import annotations

import ast
import importlib.util
import random
import time
from pathlib import Path

import pytest
import tiktoken
from variants.hw3_tokenization import ALTERNATIVES, STUB, VARIANTS

from grader.assignments import get_assignment
from grader.runner import GradeConfig, grade
from grader.variants import Variant, materialize
from grader.verdicts import AssignmentResult
from solutions.hw3_tokenization import bpe

HW3 = get_assignment("hw3_tokenization")


def _hidden_tests() -> dict[str, float]:
    """{test function name: points} read from the hidden suite's source, without running it."""
    points: dict[str, float] = {}
    for path in sorted(HW3.suite_dir.glob("test_*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
                continue
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and isinstance(decorator.func, ast.Attribute)
                    and decorator.func.attr == "points"
                ):
                    points[node.name] = float(ast.literal_eval(decorator.args[0]))
    return points


def _hidden_bpe_module():
    """The hidden BPE test module (for its independent recount trainer and text generator)."""
    spec = importlib.util.spec_from_file_location("hw3_hidden_bpe", HW3.suite_dir / "test_bpe.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _grade(variant: Variant, dest: Path, seed: int = 0) -> AssignmentResult:
    package = materialize(HW3.name, variant, dest)
    (result,) = grade(package, config=GradeConfig(seed=seed))
    return result


def _table(result: AssignmentResult) -> str:
    lines = [f"total {result.score:g}/{result.max_score:g}"]
    for test in result.tests:
        mark = ""
        if test.score < test.max_score:
            mark = "   <-- " + (test.message.splitlines() or [""])[0][:150]
        lines.append(f"  {test.name:46s} {test.score:7.4g}/{test.max_score:<3g} {test.verdict.value}{mark}")
    return "\n".join(lines)


def _snapshot(result: AssignmentResult) -> list[tuple]:
    return [(t.name, t.score, t.max_score, t.verdict, t.message, t.hint, t.parts) for t in result.tests]


@pytest.fixture(scope="module")
def hw3_reference_result() -> AssignmentResult:
    (result,) = grade(HW3.solution_dir, config=GradeConfig(seed=0))
    return result


# -- the catalogue and the oracles (fast) --------------------------------------------------------------------


def test_hidden_suite_totals_100_points():
    points = _hidden_tests()
    assert 20 <= len(points) <= 40, f"{len(points)} hidden tests"
    assert sum(points.values()) == 100, f"the hidden suite totals {sum(points.values())} points"


def test_catalogue_names_are_unique_and_breaks_name_hidden_tests():
    names = [variant.name for variant in (*VARIANTS, *ALTERNATIVES)]
    assert len(names) == len(set(names)), "duplicate variant names"
    assert len(VARIANTS) >= 10
    hidden = set(_hidden_tests())
    for variant in VARIANTS:
        assert variant.description, f"{variant.name} has no description"
        assert variant.breaks, f"{variant.name} names no test it breaks"
        unknown = sorted(set(variant.breaks) - hidden)
        assert not unknown, f"{variant.name} names tests that do not exist: {unknown}"
    for variant in ALTERNATIVES:
        assert not variant.breaks, f"the alternative {variant.name} must break nothing"


@pytest.mark.parametrize("variant", [*VARIANTS, *ALTERNATIVES], ids=lambda v: v.name)
def test_catalogue_edits_apply_to_the_reference(variant: Variant, tmp_path: Path):
    """Each edit's text occurs exactly once in the reference (materialize raises otherwise) and changes it."""
    package = materialize(HW3.name, variant, tmp_path)
    changed = [
        module
        for module in HW3.modules
        if (package / module).read_text(encoding="utf-8")
        != (HW3.solution_dir / module).read_text(encoding="utf-8")
    ]
    assert changed, f"{variant.name} leaves the reference unchanged"
    for module in changed:
        compile((package / module).read_text(encoding="utf-8"), module, "exec")


@pytest.mark.parametrize("pattern", [bpe.GPT4_SPLIT_PATTERN, bpe.GPT2_SPLIT_PATTERN], ids=["gpt4", "gpt2"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reference_trainer_matches_an_independent_recount(pattern: str, seed: int):
    """The incremental trainer learns exactly the merges of the recount-every-merge algorithm."""
    hidden = _hidden_bpe_module()
    text = hidden._text(random.Random(seed), 1500) + "aaaa aaaaa  1111 000000\n\n\n"
    assert bpe.train(text, 420, pattern) == hidden.recount_train(text, 420, pattern, ties="bytes")


def test_reference_encoding_matches_tiktoken_and_round_trips():
    text = _hidden_bpe_module()._text(random.Random(7), 20_000)
    merges = bpe.train(text, 1024)
    ranks = {bytes([b]): b for b in range(256)}
    for rank, (left, right) in enumerate(merges):
        ranks.setdefault(left + right, 256 + rank)
    encoding = tiktoken.Encoding(
        name="hw3", pat_str=bpe.GPT4_SPLIT_PATTERN, mergeable_ranks=ranks, special_tokens={}
    )
    tokenizer = bpe.BPETokenizer(merges)
    sample = text + "🚀 unseen Zürich 12345 \r\n\t "
    ids = tokenizer.encode(sample)
    assert ids == encoding.encode(sample)
    assert tokenizer.decode(ids) == sample


def test_reference_trainer_is_fast():
    """300 KB to 512 tokens (the students get 15 s for it) takes the reference well under 2 s."""
    text = _hidden_bpe_module()._text(random.Random(3), 120_000)[:300_000]
    start = time.perf_counter()
    assert len(bpe.train(text, 512)) == 256
    assert time.perf_counter() - start < 2.0


# -- grading (slow) ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_reference_scores_100(hw3_reference_result: AssignmentResult):
    result = hw3_reference_result
    assert result.score == 100 and all(t.score == t.max_score for t in result.tests), _table(result)
    assert {t.name for t in result.tests} == set(_hidden_tests()), "the graded tests differ from the suite's"


@pytest.mark.slow
def test_reference_grading_is_repeatable(hw3_reference_result: AssignmentResult):
    again = grade(HW3.solution_dir, config=GradeConfig(seed=hw3_reference_result.seed))[0]
    assert _snapshot(again) == _snapshot(hw3_reference_result), (
        f"first:\n{_table(hw3_reference_result)}\nsecond:\n{_table(again)}"
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2024])
def test_reference_scores_100_on_other_seeds(seed: int):
    result = grade(HW3.solution_dir, config=GradeConfig(seed=seed))[0]
    assert result.score == 100, f"seed {seed}: {_table(result)}"


@pytest.mark.slow
def test_stub_scores_0(tmp_path: Path):
    result = _grade(STUB, tmp_path)
    earned = [t.name for t in result.tests if t.score > 0]
    assert result.score == 0 and not earned, _table(result)


@pytest.mark.slow
@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_variant_loses_points(variant: Variant, tmp_path: Path):
    result = _grade(variant, tmp_path)
    by_name = {t.name: t for t in result.tests}
    kept = [name for name in variant.breaks if by_name[name].score >= by_name[name].max_score]
    assert result.score < 100 and not kept, (
        f"{variant.name} ({variant.description}) should lose points in {list(variant.breaks)}, "
        f"but keeps full marks in {kept}:\n{_table(result)}"
    )
    lost = sorted(name for name, test in by_name.items() if test.score < test.max_score)
    assert lost == sorted(variant.breaks), (
        f"{variant.name} loses points in {lost}, but its catalogue entry names {sorted(variant.breaks)}:\n"
        f"{_table(result)}"
    )


@pytest.mark.slow
@pytest.mark.parametrize("variant", ALTERNATIVES, ids=lambda v: v.name)
def test_alternative_scores_100(variant: Variant, tmp_path: Path):
    result = _grade(variant, tmp_path)
    assert result.score == 100, f"{variant.name} ({variant.description}) is valid:\n{_table(result)}"
