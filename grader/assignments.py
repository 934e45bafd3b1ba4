"""The assignments the grader knows: their student-facing modules, hidden suite and reference."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.errors import ConfigurationError

PACKAGE_ROOT = Path(__file__).resolve().parent
HIDDEN_ROOT = PACKAGE_ROOT / "hidden"
SOLUTIONS_ROOT = PACKAGE_ROOT.parent / "solutions"


@dataclass(frozen=True)
class Assignment:
    """One assignment: `name` is also the package name its modules are imported under."""

    name: str
    title: str
    modules: tuple[str, ...]

    @property
    def suite_dir(self) -> Path:
        return HIDDEN_ROOT / self.name

    @property
    def solution_dir(self) -> Path:
        return SOLUTIONS_ROOT / self.name


ASSIGNMENTS: dict[str, Assignment] = {
    assignment.name: assignment
    for assignment in (
        Assignment(
            name="hw1_attention",
            title="Attention",
            modules=("softmax.py", "scores.py", "attention.py", "multihead.py", "word_example.py"),
        ),
        Assignment(
            name="hw2_transformer",
            title="Transformer",
            modules=(
                "provided_attention.py",
                "data.py",
                "layers.py",
                "transformer.py",
                "gpt.py",
                "train.py",
                "mlm.py",
            ),
        ),
        Assignment(
            name="hw3_tokenization",
            title="Tokenization",
            modules=("word.py", "char.py", "bpe.py", "number_tokens.py"),
        ),
        Assignment(
            name="hw4_agents",
            title="RL agents",
            modules=(
                "basics.py",
                "planning.py",
                "tabular.py",
                "dyna.py",
                "bicycle.py",
                "reinforce.py",
                "decision_transformer.py",
            ),
        ),
    )
}


def get_assignment(name: str) -> Assignment:
    """The assignment called `name`, or a ConfigurationError listing the known ones."""
    try:
        return ASSIGNMENTS[name]
    except KeyError:
        known = ", ".join(sorted(ASSIGNMENTS))
        raise ConfigurationError(f"unknown assignment {name!r}; known assignments: {known}") from None
