"""Classes for the similarity tests and bench: disguised copies of a submission and independent work.

`disguise` does what a student hiding a copy does: renames variables, rewrites every comment and reorders the
top-level functions of each module. `independent_hw1` is a student who wrote softmax.py and scores.py their
own way (tests/data/similarity/: logsumexp instead of a max shift, einsum and an explicit loop instead of
matmul and broadcasting; correct, checked against the reference) and left the rest as released.
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

from grader.catalogue.variants import Variant, materialize

HW1 = "hw1_attention"
ALTERNATIVE = Path(__file__).parent / "data" / "similarity"
RENAMES = {
    "scores": "logits_table",
    "weights": "attn_probs",
    "shift": "row_offset",
    "total": "denominator",
    "exps": "numerators",
    "mixing": "mixer",
    "projected": "q_in_key_space",
    "hidden": "pre_activation",
    "output": "result",
    "scale": "factor",
}
COMMENT = re.compile(r"#[^\n]*")


def _reorder(text: str, rng: random.Random) -> str:
    """The module's top-level functions and classes in a shuffled order (the header stays first)."""
    parts = re.split(r"\n(?=(?:def |class |@))", text)
    head, blocks = parts[0], parts[1:]
    rng.shuffle(blocks)
    return "\n".join([head, *blocks])


def disguise(text: str, seed: int = 0) -> str:
    """`text` with variables renamed, every comment rewritten and the top-level definitions reordered."""
    rng = random.Random(seed)
    for old, new in RENAMES.items():
        text = re.sub(rf"\b{old}\b", f"{new}{seed}" if seed else new, text)
    text = COMMENT.sub(lambda m: f"# note {rng.randrange(1000)}", text)
    return _reorder(text, rng)


def disguised_copy(source: Path, dest: Path, seed: int = 0) -> Path:
    """A copy of the submission folder `source` at `dest`, each module disguised."""
    shutil.copytree(source, dest)
    for path in sorted(dest.rglob("*.py")):
        path.write_text(disguise(path.read_text(encoding="utf-8"), seed), encoding="utf-8")
    return dest


def independent_hw1(dest: Path) -> Path:
    """An hw1 submission whose softmax.py and scores.py were written independently; the rest stubs."""
    package = materialize(HW1, Variant("independent", "", base="stub"), dest)
    for name in ("softmax.py", "scores.py"):
        shutil.copy(ALTERNATIVE / name, package / name)
    return dest


def reference_parts_hw1(dest: Path) -> Path:
    """An hw1 submission with the reference softmax.py and scores.py, the rest stubs (the fair opponent of
    `independent_hw1`: the same functions written, the same stubs left)."""
    stubbed = ("attention.py", "multihead.py", "word_example.py")
    materialize(HW1, Variant("reference-parts", "", stub_modules=stubbed), dest)
    return dest
