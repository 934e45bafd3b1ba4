"""Similarity across a class: which pairs of submissions of one assignment share more code than independent
work does, with the shared regions marked side by side.

Winnowing (Schleimer, Wilkerson and Aiken, SIGMOD 2003) as the maintained library copydetect implements it:
1. Each submission's code for an assignment (its modules, or its notebook's `%%writefile` cells, as staging
   finds them) is one document. copydetect tokenises it with Pygments and filters it: names become V, F or O,
   strings S (a docstring is one S), comments and whitespace vanish. Renaming variables, rewriting comments
   and docstrings, and reformatting change nothing; reordering functions changes only where matches sit.
2. Every k-gram of the filtered text (k = `noise` characters) is hashed and winnowed (one hash kept per
   window of `guarantee - noise + 1`), so any shared run of `guarantee` filtered characters is found.
   Hashes that also occur in the released stubs (signatures, docstrings, the given files such as hw2's
   `provided_attention.py`) are boilerplate and removed, so the stubs alone are similar to nothing.
3. Fingerprints are taken once per submission; every pair of the same assignment is compared on them, no
   re-tokenising (`overlap`: copydetect's `compare_files` on arrays, checked against it by a test). A pair's
   similarity is the larger of the two shares of matched tokens (the share of A's own code found in B, and
   of B's in A), so a half-done submission copied from a complete one is flagged too. A pair is flagged at
   `threshold` or above when at least `min_matched` filtered characters match.

copydetect hashes k-grams with Python's `hash()`, salted per process (PYTHONHASHSEED), so its fingerprints and
similarities would change from run to run; `kgram_hashes` replaces that one function with a deterministic
64-bit hash, and the same class gives the same report every time.

Pages follow the rules of grader.results.feedback: self-contained, no script, a Content-Security-Policy
that forbids everything but inline style, and every piece of submission text escaped.
"""

from __future__ import annotations

import bisect
import csv
import functools
import io
import time
import tokenize
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from grader import __version__
from grader.assignments import get_assignment
from grader.errors import ConfigurationError, SubmissionError
from grader.grading.staging import Source, find_sources
from grader.markers import stub_source
from grader.results.feedback import CSP, STYLE
from grader.results.report import write_text_atomic

__all__ = [
    "DEFAULT_THRESHOLD",
    "ClassSimilarity",
    "Document",
    "Pair",
    "SimilarityConfig",
    "boilerplate_texts",
    "check_available",
    "compare_class",
    "compare_submissions",
    "documents_of",
    "kgram_hashes",
    "pair_page",
    "read_class",
    "similarity_csv",
    "similarity_page",
    "summary_section",
    "write_similarity",
]

# Flag a pair when at least half of one side's own (non-boilerplate) code is found in the other. Measured on
# the course's code (tests/test_similarity.py, bench/bench_similarity.py): copies with renamed variables,
# reordered functions and rewritten comments score 0.9-1.0; the reference against an independent correct
# implementation of the same functions scores below 0.3, because short idioms (`.sum(dim=..., keepdim=True)`)
# are shared by everyone. copydetect's own default display threshold, 0.33, sits too close to that.
DEFAULT_THRESHOLD = 0.5
# copydetect's defaults are 25/25 (k-grams of 25 filtered characters, every k-gram kept); a window of 6
# keeps a sixth of them, and any run of 30 shared filtered characters is still found.
NOISE = 25
GUARANTEE = 30
# A pair needs at least this many matched filtered characters (about three lines of code) to be flagged:
# a submission that is nearly all stub shares a share of 1.0 with anyone from one common line.
MIN_MATCHED = 100
# Side-by-side pages for the most similar pairs only: a class that shares one leaked solution would otherwise
# get a page per pair (45,000 for 300 students); the CSV lists every flagged pair.
MAX_PAGES = 500
PAIRS_FOLDER = "similarity"
CSV_NAME = "similarity.csv"
PAGE_NAME = "similarity.html"


@dataclass(frozen=True)
class SimilarityConfig:
    """What makes a pair similar: `threshold` on the larger share, with at least `min_matched` characters."""

    threshold: float = DEFAULT_THRESHOLD
    noise: int = NOISE
    guarantee: int = GUARANTEE
    min_matched: int = MIN_MATCHED
    pages: int = MAX_PAGES

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ConfigurationError(f"the similarity threshold must be in (0, 1], not {self.threshold}")
        if self.noise < 1 or self.guarantee < self.noise:
            raise ConfigurationError("similarity needs 1 <= noise <= guarantee")


@dataclass(frozen=True)
class Document:
    """One student's code for one assignment: the modules joined, and where each module sits in `text`."""

    student: str
    assignment: str
    text: str
    modules: tuple[tuple[str, int, int], ...]  # (module name, start, end) in text


@dataclass(frozen=True)
class Pair:
    """Two students' submissions of one assignment: similarity = max(share_a, share_b)."""

    assignment: str
    a: str
    b: str
    similarity: float
    share_a: float  # the share of a's own code that b also has
    share_b: float
    matched: int  # matched filtered characters, on a's side
    page: str = ""  # the side-by-side page, relative to the results folder


@dataclass
class ClassSimilarity:
    """A class compared: the flagged pairs (most similar first), with what it took."""

    config: SimilarityConfig
    pairs: list[Pair]
    students: dict[str, int]  # assignment -> students compared
    compared: int  # pairs compared
    skipped: list[tuple[str, str]]  # (student, why its code could not be read)
    fingerprint_seconds: float
    compare_seconds: float
    documents: dict[tuple[str, str], Document] = field(default_factory=dict, repr=False)
    fingerprints: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)


def _copydetect() -> Any:
    try:
        import copydetect.detector
        import copydetect.utils
    except ImportError:
        raise ConfigurationError(
            "similarity needs copydetect, which is not installed",
            hint='pip install "course-grader[similarity]" (scripts/setup.sh installs it)',
        ) from None
    # copydetect hashes k-grams with Python's hash(), which PYTHONHASHSEED salts differently in every process:
    # winnowing keeps different fingerprints each run, and the similarities move by a few points. The same
    # k-grams hashed deterministically instead (and on arrays, so faster): every run reports the same pairs.
    copydetect.utils.hashed_kgrams = kgram_hashes
    return copydetect


def kgram_hashes(string: str, k: int) -> Any:
    """A 64-bit hash of every k-gram of `string` (in order, as copydetect's `hashed_kgrams` returns them), the
    same in every process: a polynomial rolling hash modulo 2**64, then splitmix64's finaliser so that
    winnowing's minimum is spread evenly."""
    import numpy as np

    codes = np.frombuffer(string.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    count = len(codes) - k + 1
    if count <= 0:
        return np.array([], dtype=np.int64)
    with np.errstate(over="ignore"):
        h = np.zeros(count, dtype=np.uint64)
        for j in range(k):
            h = h * np.uint64(1_000_003) + codes[j : j + count]
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return h.view(np.int64)


def check_available() -> None:
    """Raise the ConfigurationError that says how to install copydetect when it is missing."""
    _copydetect()


def document_of(student: str, source: Source) -> Document:
    """The document of one staged source: its modules in the assignment's order, then helpers by name."""
    order = {name: i for i, name in enumerate(source.assignment.modules)}
    names = sorted(source.modules, key=lambda name: (order.get(name, len(order)), name))
    parts: list[str] = []
    spans: list[tuple[str, int, int]] = []
    offset = 0
    for name in names:
        body = source.modules[name].removeprefix("\ufeff").replace("\r\n", "\n")
        if not body.endswith("\n"):
            body += "\n"
        spans.append((name, offset, offset + len(body)))
        parts.append(body)
        offset += len(body)
    return Document(student, source.assignment.name, "".join(parts), tuple(spans))


def documents_of(student: str, path: Path, assignment: str | None = None) -> list[Document]:
    """One document per assignment the submission at `path` holds (staging decides which)."""
    return [document_of(student, source) for source in find_sources(Path(path), assignment)]


def read_class(
    submissions: Iterable[tuple[str, Path | None]], *, assignment: str | None = None
) -> tuple[list[Document], list[tuple[str, str]]]:
    """Every submission's documents, and the students whose code could not be read, with why."""
    documents: list[Document] = []
    skipped: list[tuple[str, str]] = []
    for student, path in submissions:
        if path is None:
            continue
        try:
            documents.extend(documents_of(student, path, assignment))
        except SubmissionError as exc:
            skipped.append((student, exc.message))
    return documents, skipped


def boilerplate_texts(assignment: str) -> list[str]:
    """What every student starts from: the released stub of each module (given files whole, docstrings)."""
    solution_dir = get_assignment(assignment).solution_dir
    return [
        stub_source(path.read_text(encoding="utf-8"), path.name) for path in sorted(solution_dir.glob("*.py"))
    ]


def _boilerplate_hashes(texts: Sequence[str], config: SimilarityConfig) -> Any:
    cd = _copydetect()
    import numpy as np

    hashes: list[int] = []
    for text in texts:
        # Every k-gram (window 1), so that no boilerplate k-gram survives winnowing in a submission.
        fingerprint = cd.detector.CodeFingerprint(
            "stub.py", config.noise, 1, filter=True, language="python", fp=io.StringIO(text)
        )
        hashes.extend(fingerprint.hashes)
    return np.unique(np.array(hashes, dtype=np.int64))


class _Fingerprint:
    """A document's fingerprint: its modules' copydetect CodeFingerprints joined, positions shifted, so
    that no k-gram spans two modules (each module is fingerprinted and cleaned of its stub on its own).
    Has what copydetect's `compare_files` reads: k, hashes, hash_idx, filtered_code, offsets and
    token_coverage."""

    def __init__(self, parts: list[tuple[Any, int]], k: int) -> None:
        import numpy as np

        self.k = k
        self.hashes: set[int] = set()
        self.hash_idx: dict[int, list[int]] = {}
        codes: list[str] = []
        offsets: list[Any] = []
        self.token_coverage = 0
        filtered_start = 0
        for part, raw_start in parts:
            self.hashes |= part.hashes
            for h, positions in part.hash_idx.items():
                self.hash_idx.setdefault(h, []).extend(int(p) + filtered_start for p in positions)
            shift = raw_start - filtered_start  # raw = filtered + removed, in document coordinates
            if len(part.offsets):
                offsets.append(part.offsets + np.array([filtered_start, shift]))
            else:  # not tokenised: raw and filtered coincide
                offsets.append(np.array([[filtered_start, shift]]))
            self.token_coverage += int(part.token_coverage)
            codes.append(part.filtered_code)
            filtered_start += len(part.filtered_code)
        self.filtered_code = "".join(codes)
        self.offsets = np.concatenate(offsets) if offsets else np.zeros((0, 2), dtype=np.int64)
        # The same fingerprints as arrays, for `overlap`: sorted unique hashes, and every kept position with
        # its hash.
        self.hash_array = np.array(sorted(self.hashes), dtype=np.int64)
        flat = [(h, p) for h, positions in self.hash_idx.items() for p in positions]
        self.position_hashes = np.array([h for h, _ in flat], dtype=np.int64)
        self.positions = np.array([p for _, p in flat], dtype=np.int64)


def overlap(first: _Fingerprint, second: _Fingerprint) -> tuple[int, float, float]:
    """(matched tokens on the first side, share of the first's tokens, share of the second's): what
    copydetect's `compare_files` computes, on arrays instead of a Python loop over the shared hashes (about
    ten times faster on the course's code; tests/test_similarity.py checks that both agree)."""
    import numpy as np

    cd = _copydetect()
    shared = np.intersect1d(first.hash_array, second.hash_array, assume_unique=True)
    if len(shared) == 0:
        return 0, 0.0, 0.0
    counts = []
    for side in (first, second):
        slices = cd.utils.get_copied_slices(side.positions[np.isin(side.position_hashes, shared)], side.k)
        counts.append(int(np.sum(slices[1] - slices[0])))
    share_first = counts[0] / first.token_coverage if first.token_coverage else 0.0
    share_second = counts[1] / second.token_coverage if second.token_coverage else 0.0
    return counts[0], float(share_first), float(share_second)


def fingerprint(document: Document, boilerplate: Any, config: SimilarityConfig) -> Any:
    """The fingerprint of one document: copydetect's CodeFingerprint of each module, boilerplate removed."""
    cd = _copydetect()
    window = config.guarantee - config.noise + 1
    parts = []
    for name, start, end in document.modules:
        part = cd.detector.CodeFingerprint(
            name,
            config.noise,
            window,
            boilerplate,
            filter=True,
            language="python",
            fp=io.StringIO(document.text[start:end]),
        )
        parts.append((part, start))
    return _Fingerprint(parts, config.noise)


def compare_class(
    documents: Sequence[Document], *, config: SimilarityConfig | None = None
) -> ClassSimilarity:
    """Fingerprint every document once, compare every pair of the same assignment, flag the similar pairs."""
    config = config or SimilarityConfig()
    by_assignment: dict[str, list[Document]] = {}
    for document in documents:
        by_assignment.setdefault(document.assignment, []).append(document)
    pairs: list[Pair] = []
    fingerprints: dict[tuple[str, str], Any] = {}
    fingerprint_seconds = compare_seconds = 0.0
    compared = 0
    for assignment, docs in sorted(by_assignment.items()):
        started = time.perf_counter()
        boilerplate = _boilerplate_hashes(boilerplate_texts(assignment), config)
        prints = [fingerprint(document, boilerplate, config) for document in docs]
        fingerprints.update({(assignment, d.student): f for d, f in zip(docs, prints)})
        fingerprint_seconds += time.perf_counter() - started
        started = time.perf_counter()
        for i in range(len(docs)):
            for j in range(i + 1, len(docs)):
                compared += 1
                if (
                    not prints[i].hashes
                    or not prints[j].hashes
                    or prints[i].hashes.isdisjoint(prints[j].hashes)
                ):
                    continue
                matched, share_a, share_b = overlap(prints[i], prints[j])
                similarity = max(share_a, share_b)
                if similarity >= config.threshold and int(matched) >= config.min_matched:
                    a, b = docs[i].student, docs[j].student
                    pairs.append(
                        Pair(assignment, a, b, similarity, float(share_a), float(share_b), int(matched))
                    )
        compare_seconds += time.perf_counter() - started
    pairs.sort(key=lambda p: (-p.similarity, p.assignment, p.a, p.b))
    pairs = [
        Pair(**{**p.__dict__, "page": f"{PAIRS_FOLDER}/{p.assignment}/pair-{rank:04d}.html"})
        if rank <= config.pages
        else p
        for rank, p in enumerate(pairs, start=1)
    ]
    return ClassSimilarity(
        config=config,
        pairs=pairs,
        students={assignment: len(docs) for assignment, docs in sorted(by_assignment.items())},
        compared=compared,
        skipped=[],
        fingerprint_seconds=fingerprint_seconds,
        compare_seconds=compare_seconds,
        documents={(d.assignment, d.student): d for d in documents},
        fingerprints=fingerprints,
    )


def compare_submissions(
    submissions: Iterable[tuple[str, Path | None]],
    *,
    assignment: str | None = None,
    config: SimilarityConfig | None = None,
) -> ClassSimilarity:
    """`read_class` then `compare_class`: a class folder's (student, path) pairs compared."""
    documents, skipped = read_class(submissions, assignment=assignment)
    result = compare_class(documents, config=config)
    result.skipped = skipped
    return result


def _regions(
    first: Any, second: Any, k: int
) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
    """The matched regions of each side in raw text, (start, end, number); a region of the second side
    carries the number of the first side's region it shares most fingerprints with."""
    import numpy as np

    cd = _copydetect()
    shared = first.hashes & second.hashes
    if not shared:
        return [], []
    positions_a = np.concatenate([np.asarray(first.hash_idx[h], dtype=np.int64) for h in shared])
    positions_b = np.concatenate([np.asarray(second.hash_idx[h], dtype=np.int64) for h in shared])
    slices_a = cd.utils.get_copied_slices(positions_a, k).astype(np.int64)
    slices_b = cd.utils.get_copied_slices(positions_b, k).astype(np.int64)
    links: Counter[tuple[int, int]] = Counter()
    for h in shared:
        ia = int(np.searchsorted(slices_a[0], first.hash_idx[h][0], side="right")) - 1
        ib = int(np.searchsorted(slices_b[0], second.hash_idx[h][0], side="right")) - 1
        links[(ia, ib)] += 1
    partner: dict[int, int] = {}
    for (ia, ib), _ in links.most_common():
        partner.setdefault(ib, ia)
    raw_a, raw_b = _to_raw(slices_a, first.offsets), _to_raw(slices_b, second.offsets)
    left = [(int(s), int(e), n + 1) for n, (s, e) in enumerate(zip(raw_a[0], raw_a[1]))]
    right = [(int(s), int(e), partner.get(n, -1) + 1) for n, (s, e) in enumerate(zip(raw_b[0], raw_b[1]))]
    return left, right


def _to_raw(slices: Any, offsets: Any) -> Any:
    """Filtered-text positions to raw-text positions, as copydetect's compare_files maps them."""
    import numpy as np

    slices = slices.copy()
    if len(offsets) > 0:
        slices += offsets[:, 1][np.clip(np.searchsorted(offsets[:, 0], slices), 0, offsets.shape[0] - 1)]
    return slices


# ---------------------------------------------------------------------------------------------- outputs


def similarity_csv(result: ClassSimilarity) -> str:
    """The flagged pairs: assignment, both students, similarity and each share (0-1), matched characters,
    and the side-by-side page."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["assignment", "student_a", "student_b", "similarity", "share_a", "share_b", "matched", "page"]
    )
    for p in result.pairs:
        writer.writerow(
            [
                p.assignment,
                p.a,
                p.b,
                f"{p.similarity:.3f}",
                f"{p.share_a:.3f}",
                f"{p.share_b:.3f}",
                p.matched,
                p.page,
            ]
        )
    return buffer.getvalue()


PAIR_STYLE = """
body { max-width: 110rem }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem }
.side pre { font-size: .8rem; margin: 0 }
mark { border-radius: .15rem; color: inherit } mark a { color: inherit; text-decoration: none }
.m0 { background: #fde2c8 } .m1 { background: #dbe9f6 } .m2 { background: #d8f0d2 }
.m3 { background: #ecdff5 } .m4 { background: #fff3b0 } .m5 { background: #f6d3dc }
"""


def _page(title: str, body: list[str], style: str = "") -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}{style}</style></head><body>\n"
        + "\n".join(body)
        + f'\n<p class="meta">course-grader {escape(__version__)}</p></body></html>\n'
    )


def _percent(value: float) -> str:
    return f"{100 * value:.0f}%"


@functools.lru_cache(maxsize=4096)
def _code_tokens(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of each token of `text` that is code: not a comment, a docstring (a statement that is
    only a string) or whitespace. The standard library's tokenizer (several times faster than Pygments on
    long modules); Pygments for code it cannot tokenise (a syntax error)."""
    try:
        return _python_tokens(text)
    except (tokenize.TokenError, SyntaxError):
        from pygments import token
        from pygments.lexers import PythonLexer

        code = []
        for index, kind, value in PythonLexer().get_tokens_unprocessed(text):
            if kind in token.Comment or kind in token.String.Doc or not value.strip():
                continue
            code.append((index, index + len(value)))
        return tuple(code)


def _python_tokens(text: str) -> tuple[tuple[int, int], ...]:
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    layout = {tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    kept: list[tuple[int, int]] = []
    statement: list[tuple[int, tuple[int, int]]] = []  # the tokens of the current logical line
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT or tok.type in layout:
            if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER) and statement:
                if not (len(statement) == 1 and statement[0][0] == tokenize.STRING):  # a docstring
                    kept.extend(span for _, span in statement)
                statement = []
            continue
        start = starts[tok.start[0] - 1] + tok.start[1]
        end = starts[tok.end[0] - 1] + tok.end[1]
        statement.append((tok.type, (start, end)))
    kept.extend(span for _, span in statement)
    return tuple(kept)


def _touched(code: Sequence[tuple[int, int]], start: int, end: int) -> Iterable[tuple[int, int]]:
    """The tokens of `code` (sorted, disjoint) that overlap [start, end)."""
    i = bisect.bisect_right(code, (start, 1 << 62)) - 1  # the last token starting at or before `start`
    for a, b in code[max(i, 0) :]:
        if a >= end:
            break
        if b > start:
            yield a, b


def _code_pieces(text: str, regions: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """`regions` (raw positions in `text`, one module) cut down to the code in them: a matched region of
    winnowing spans whatever lies between its tokens, but comments, docstrings and line breaks are not what
    matched, so they are not marked. Tokens on one line with only spaces between them stay one piece."""
    code = _code_tokens(text)
    pieces: list[tuple[int, int, int]] = []
    for s, e, number in regions:
        # A token touched by the region is marked whole (the mapping back to raw text is approximate).
        for a, b in _touched(code, s, e):
            if pieces and pieces[-1][2] == number and not text[pieces[-1][1] : a].strip(" \t"):
                pieces[-1] = (pieces[-1][0], b, number)
            else:
                pieces.append((a, b, number))
    return pieces


def _marked(text: str, regions: list[tuple[int, int, int]], side: str, other: str) -> str:
    """`text` (one module) escaped, the code of each matched region a numbered, coloured link to its match."""
    out: list[str] = []
    at = 0
    seen: set[int] = set()
    for s, e, number in _code_pieces(text, regions):
        if s < at:
            continue
        out.append(escape(text[at:s]))
        anchor = f' id="{side}{number}"' if number > 0 and number not in seen else ""
        seen.add(number)
        link = f'<a href="#{other}{number}">' if number > 0 else "<a>"
        colour = f"m{max(number, 0) % 6}"
        out.append(
            f'<mark class="{colour}"{anchor} title="match {number}">{link}{escape(text[s:e])}</a></mark>'
        )
        at = e
    out.append(escape(text[at:]))
    return "".join(out)


def _shifted(regions: list[tuple[int, int, int]], start: int, end: int) -> list[tuple[int, int, int]]:
    """The regions that fall in text[start:end], in that module's own positions."""
    return [(max(s, start) - start, min(e, end) - start, n) for s, e, n in regions if s < end and e > start]


def _module_share(document: Document, regions: list[tuple[int, int, int]]) -> dict[str, float]:
    """Per module: the share of its code (comments, docstrings and whitespace aside) that is marked."""
    shares = {}
    for name, start, end in document.modules:
        text, own = document.text[start:end], _shifted(regions, start, end)
        tokens = _code_tokens(text)
        covered = sum(min(b, e) - max(a, s) for s, e, _ in own for a, b in _touched(tokens, s, e))
        shares[name] = covered / max(1, sum(b - a for a, b in tokens))
    return shares


def pair_page(result: ClassSimilarity, pair: Pair) -> str:
    """The side-by-side page of one flagged pair: each module of both students, matched regions marked,
    each region numbered and linked to the region it matches on the other side."""
    first = result.documents[(pair.assignment, pair.a)]
    second = result.documents[(pair.assignment, pair.b)]
    left, right = _regions(
        result.fingerprints[(pair.assignment, pair.a)],
        result.fingerprints[(pair.assignment, pair.b)],
        result.config.noise,
    )
    title = f"{pair.assignment}: {pair.a} and {pair.b}"
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="total">Similarity {_percent(pair.similarity)}</p>',
        f"<p>{_percent(pair.share_a)} of {escape(pair.a)}'s own code is also in {escape(pair.b)}'s, and "
        f"{_percent(pair.share_b)} of {escape(pair.b)}'s is in {escape(pair.a)}'s ({pair.matched} matching "
        "characters after names, strings and comments are normalised). The released stubs, docstrings and "
        "given files never count. Marked regions match; a region's number links to its match on the other "
        "side. Similar code is a reason to look, not a verdict.</p>",
    ]
    shares_a, shares_b = _module_share(first, left), _module_share(second, right)
    names = list(
        dict.fromkeys([name for name, _, _ in first.modules] + [name for name, _, _ in second.modules])
    )
    body.append(
        "<table><tr><th>module</th>"
        f"<th>{escape(pair.a)}: code marked</th><th>{escape(pair.b)}: code marked</th></tr>"
    )
    for name in names:
        cells = [_percent(shares[name]) if name in shares else "absent" for shares in (shares_a, shares_b)]
        link = f'<a href="#{escape(quote(name))}">{escape(name)}</a>'
        body.append(f"<tr><td>{link}</td><td>{cells[0]}</td><td>{cells[1]}</td></tr>")
    body.append("</table>")
    spans_a = {name: (s, e) for name, s, e in first.modules}
    spans_b = {name: (s, e) for name, s, e in second.modules}
    for name in names:
        body.append(f'<h2 id="{escape(quote(name))}">{escape(name)}</h2><div class="side">')
        for who, document, spans, regions, side, other in (
            (pair.a, first, spans_a, left, "a", "b"),
            (pair.b, second, spans_b, right, "b", "a"),
        ):
            if name in spans:
                begin, finish = spans[name]
                module_regions = _shifted(regions, begin, finish)
                text = _marked(document.text[begin:finish], module_regions, side, other)
                body.append(f"<div><h3>{escape(who)}</h3><pre>{text}</pre></div>")
            else:
                body.append(f"<div><h3>{escape(who)}</h3><p>no {escape(name)}</p></div>")
        body.append("</div>")
    back = '<a href="../../summary.html">class summary</a>'
    body.append(f'<p>{back} · <a href="../../{PAGE_NAME}">all pairs</a></p>')
    return _page(title, body, PAIR_STYLE)


def summary_section(result: ClassSimilarity) -> str:
    """The class summary's section: each assignment's flagged pairs with their similarity, linked to the
    side-by-side pages (paths relative to the results folder)."""
    config = result.config
    body = ["<h2>Similar submissions</h2>"]
    body.append(
        f"<p>Every pair of submissions of the same assignment compared with copydetect's winnowing "
        f"({result.compared} pairs; stubs, docstrings and given files removed). Pairs at "
        f"{_percent(config.threshold)} or more are listed (at least {config.min_matched} matching "
        "characters); similar code is a reason to look, not a verdict.</p>"
    )
    for assignment, count in result.students.items():
        flagged = [p for p in result.pairs if p.assignment == assignment]
        body.append(f"<h3>{escape(assignment)}: {len(flagged)} of {count * (count - 1) // 2} pairs</h3>")
        if not flagged:
            continue
        body.append("<table><tr><th>students</th><th>similarity</th><th>shares</th><th>matched</th></tr>")
        for p in flagged:
            body.append(
                f"<tr><td>{_pair_link(p)}</td>"
                f"<td>{_percent(p.similarity)}</td><td>{_percent(p.share_a)} / {_percent(p.share_b)}</td>"
                f"<td>{p.matched}</td></tr>"
            )
        body.append("</table>")
    if result.skipped:
        body.append("<p>Not compared (their code could not be read):</p><ul>")
        body.extend(f"<li>{escape(student)}: {escape(why)}</li>" for student, why in result.skipped)
        body.append("</ul>")
    return "\n".join(body)


def _pair_link(pair: Pair) -> str:
    names = f"{escape(pair.a)} and {escape(pair.b)}"
    return f'<a href="{escape(quote(pair.page))}">{names}</a>' if pair.page else names


def similarity_page(result: ClassSimilarity) -> str:
    """The flagged pairs on a page of their own (`similarity.html`)."""
    return _page("Similar submissions", [summary_section(result)])


def write_similarity(result: ClassSimilarity, out_dir: Path) -> list[Path]:
    """Write similarity.csv, similarity.html and a side-by-side page per flagged pair into `out_dir`
    (`similarity/<assignment>/pair-NNNN.html`, replacing a previous run's)."""
    out_dir = Path(out_dir)
    for stale in sorted((out_dir / PAIRS_FOLDER).glob("*/pair-*.html")):  # a previous run's pages
        stale.unlink()
    written = [out_dir / CSV_NAME, out_dir / PAGE_NAME]
    write_text_atomic(written[0], similarity_csv(result))
    write_text_atomic(written[1], similarity_page(result))
    for pair in result.pairs:
        if not pair.page:
            continue
        path = out_dir / pair.page
        write_text_atomic(path, pair_page(result, pair))
        written.append(path)
    return written
