"""The sample submissions `grader demo` grades: a spread of what a class hands in."""

from __future__ import annotations

from pathlib import Path

from grader.catalogue.variants import Edit, Variant, materialize
from grader.results.record import Row

SAMPLES: dict[str, list[Variant]] = {
    "hw1_attention": [
        Variant("ada-complete", "the whole assignment, done right"),
        Variant(
            "ben-no-scaling",
            "forgot the 1/sqrt(d) of scaled dot-product attention",
            edits=(Edit("scores.py", "scale = 1.0 / math.sqrt(query.shape[-1])", "scale = 1.0"),),
        ),
        Variant(
            "cleo-half-done",
            "softmax, scores and masks done; multi-head attention and the worked example not started",
            stub_modules=("multihead.py", "word_example.py"),
        ),
        Variant(
            "dan-syntax-error",
            "a typo that stops softmax.py from compiling",
            edits=(Edit("softmax.py", "def softmax(", "def softmax(("),),
        ),
        Variant("eve-untouched", "the stubs as released", base="stub"),
    ],
    "hw2_transformer": [
        Variant("ada-complete", "the whole assignment, done right"),
        Variant(
            "ben-positions-from-token-ids",
            "the GPT's position embedding looks up the token ids (the course transformer's bug)",
            edits=(Edit("layers.py", "return self.embedding(positions)", "return self.embedding(idx)"),),
        ),
    ],
    "hw3_tokenization": [
        Variant("ada-complete", "the whole assignment, done right"),
        Variant(
            "ben-ids-off-by-256",
            "numbers the merges from 0, forgetting that ids 0..255 are the bytes",
            edits=(
                Edit(
                    "bpe.py",
                    "self.ranks.setdefault(token, token_id)",
                    "self.ranks.setdefault(token, token_id - 256 if token_id >= 256 else token_id)",
                ),
            ),
        ),
        Variant(
            "cleo-half-done",
            "word and character tokenizers only",
            stub_modules=("bpe.py", "number_tokens.py"),
        ),
        Variant("eve-untouched", "the stubs as released", base="stub"),
    ],
    "hw4_agents": [
        Variant("ada-complete", "the whole assignment, done right"),
        Variant(
            "ben-samples-logits",
            "samples REINFORCE's actions from the raw network outputs instead of softmax probabilities",
            edits=(
                Edit(
                    "reinforce.py", "cdf = action_probabilities(logits).cumsum(-1)", "cdf = logits.cumsum(-1)"
                ),
            ),
        ),
    ],
}


def write_samples(workdir: Path) -> list[tuple[str, Path]]:
    """Write every sample submission under `workdir/<student>/<assignment>/`; return (student, folder) pairs.

    A student's folder holds one subfolder per assignment, as a class's submissions would.
    """
    students: dict[str, Path] = {}
    for assignment, variants in SAMPLES.items():
        for variant in variants:
            materialize(assignment, variant, Path(workdir) / variant.name)
            students[variant.name] = Path(workdir) / variant.name
    return sorted(students.items())


def sample_scores(rows: list[Row]) -> list[tuple[str, str, float, float, str]]:
    """(student, assignment, score, max score, what the first test that lost points said) per row."""
    lines = []
    for row in rows:
        if not row.graded:
            lines.append((row.student, row.assignment or "-", row.score, row.max_score, row.error))
            continue
        lost = [test for test in row.tests if test.score < test.max_score]
        problem = (lost[0].message.splitlines() or [lost[0].title])[0][:150] if lost else ""
        lines.append((row.student, row.assignment, row.score, row.max_score, problem))
    return lines
