"""The sample submissions `grader demo` grades: a spread of what a class hands in."""

from __future__ import annotations

from pathlib import Path

from grader.catalogue.variants import Edit, Variant, materialize

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


def sample_scores(rows: list[dict]) -> list[tuple[str, str, float, float, str]]:
    """(student, assignment, score, max score, what the first test that lost points said) per assignment.

    `rows` are batch results (Gradescope's results.json plus `student`); a row that could not be graded
    gives one line with its error.
    """
    lines = []
    for row in rows:
        student = str(row.get("student", ""))
        assignments = (row.get("extra_data") or {}).get("assignments") or {}
        if not assignments:
            lines.append((student, "-", float(row.get("score", 0)), 0.0, str(row.get("error") or "")))
        for assignment, totals in assignments.items():
            lost = [
                test
                for test in row.get("tests", [])
                if str(test.get("number", "")).startswith(f"{assignment}:")
                and float(test.get("score", 0)) < float(test.get("max_score", 0))
            ]
            problem = ""
            if lost:
                message = (lost[0].get("extra_data") or {}).get("message") or lost[0].get("output", "")
                problem = (str(message).splitlines() or [str(lost[0].get("name", ""))])[0][:150]
            lines.append((student, assignment, float(totals["score"]), float(totals["max_score"]), problem))
    return lines
