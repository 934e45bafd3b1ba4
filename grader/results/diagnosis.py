"""Which known mistakes a graded submission's results point to, from its assignment's catalogue of bugs.

Each catalogue entry (grader/catalogue/<assignment>.py) is a realistic bug with the exact hidden tests it
loses and the hints its values trigger; the validity tests hold every entry to that at every grading seed. So
the entry is a fingerprint: a submission that lost all of an entry's tests, and showed its hint, most likely
made that mistake.

`diagnose` explains the tests a submission lost with as few entries as it can (greedily, most specific
evidence first), and claims only what the evidence supports:
- an entry matches only when the submission lost every test the entry loses;
- an entry with hints of its own is claimed when one of them was shown;
- an entry without hints is claimed only when the entries chosen explain every lost test, since nothing but
  the pattern of lost tests speaks for it;
- entries that the same evidence (the same tests, the same hints) speaks for are named together.
Tests lost because a function is not implemented yet are reported as such, never as a mistake, and lost tests
that no claimed entry explains are listed as unexplained.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from types import ModuleType

from grader.catalogue.variants import Variant
from grader.results.verdicts import Diagnosis, Match, TestResult

__all__ = ["Diagnosis", "Match", "catalogue", "diagnose", "diagnose_result"]

NOT_IMPLEMENTED = "is not implemented yet"


def catalogue(assignment: str) -> ModuleType | None:
    """The catalogue module of `assignment` (VARIANTS, GENERIC_HINTS, ...), or None when it has none."""
    try:
        return importlib.import_module(f"grader.catalogue.{assignment}")
    except ModuleNotFoundError:
        return None


def diagnose(
    tests: Sequence[TestResult], variants: Sequence[Variant], generic_hints: Sequence[str] = ()
) -> Diagnosis:
    """The known mistakes among `variants` that the graded `tests` point to (see the module's docstring)."""
    lost = {t.name for t in tests if t.score < t.max_score}
    not_implemented = {t.name for t in tests if t.name in lost and NOT_IMPLEMENTED in t.message}
    wrong = lost - not_implemented
    shown = [t.hint for t in tests if t.name in lost and t.hint]
    shown = [hint for hint in shown if not any(generic in hint for generic in generic_hints)]
    candidates = []
    for variant in variants:
        if (
            variant.base == "stub"
            or variant.stub_modules
            or not variant.breaks
            or not set(variant.breaks) <= wrong
        ):
            continue
        own = tuple(h for h in variant.hints if any(h in hint for hint in shown))
        if variant.hints and not own:
            continue  # the mistake shows its hint wherever it is made: not shown, not made
        candidates.append((variant, own))
    chosen: list[tuple[Variant, tuple[str, ...]]] = []
    covered: set[str] = set()
    while True:
        gains = [(v, own) for v, own in candidates if set(v.breaks) - covered and (v, own) not in chosen]
        if not gains:
            break
        # Hints first (the strongest evidence), then the entry that explains the most of what is left.
        best = max(gains, key=lambda c: (bool(c[1]), len(set(c[0].breaks) - covered), -len(c[0].breaks)))
        chosen.append(best)
        covered |= set(best[0].breaks)
    if covered != wrong:  # something is left unexplained: only the entries a hint speaks for stand
        chosen = [(v, own) for v, own in chosen if own]
    matches = []
    for variant, own in chosen:
        # Entries the same evidence speaks for are named together: the results cannot tell them apart.
        twins = [
            other
            for other, other_own in candidates
            if other is not variant and set(other.breaks) == set(variant.breaks) and other_own == own
        ]
        names = (variant.name, *(twin.name for twin in twins))
        description = " or ".join([variant.description, *(twin.description for twin in twins)])
        matches.append(Match(names, description, tuple(variant.breaks), own))
    explained = {test for match in matches for test in match.tests}
    order = [t.name for t in tests]
    return Diagnosis(
        matches=tuple(matches),
        unexplained=tuple(name for name in order if name in wrong - explained),
        not_implemented=tuple(name for name in order if name in not_implemented),
    )


def diagnose_result(assignment: str, tests: Sequence[TestResult]) -> Diagnosis | None:
    """The diagnosis of one graded assignment from its own catalogue; None when it has no catalogue."""
    module = catalogue(assignment)
    if module is None:
        return None
    return diagnose(tests, module.VARIANTS, getattr(module, "GENERIC_HINTS", ()))
