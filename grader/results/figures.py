"""Figures a hidden test attaches to its result, for the feedback page: plain, bounded, JSON-able data.

A test asks for the `figure` fixture and records what a picture would say better than a message: a
heatmap (the student's attention weights next to the reference's), curves (a training loss, episode
returns), token splits (how a tokenizer cut a text, with the tokens that differ from the expected split
marked). Figures never change a score: `figure.attempt()` swallows any failure while the data for a figure
is being gathered, and recording is bounded so that a student's huge output cannot bloat a results file.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from typing import Any

MAX_CELLS = 4096
MAX_POINTS = 2000
MAX_PIECES = 400
MAX_FIGURES = 4
MAX_LABEL = 80


def _label(text: Any) -> str:
    text = str(text)
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _matrix(values: Any) -> list[list[float | None]]:
    if hasattr(values, "tolist"):
        values = values.tolist()
    rows = [list(row) if isinstance(row, (list, tuple)) else [row] for row in values]
    if sum(len(row) for row in rows) > MAX_CELLS:
        raise ValueError(f"a heatmap holds at most {MAX_CELLS} cells")
    return [[_number(v) for v in row] for row in rows]


def _thin(values: Sequence[Any]) -> tuple[list[int], list[float | None]]:
    """At most MAX_POINTS evenly spaced points of a long series, with their x positions."""
    if hasattr(values, "tolist"):
        values = values.tolist()
    values = list(values)
    step = max(1, math.ceil(len(values) / MAX_POINTS))
    xs = list(range(0, len(values), step))
    return xs, [_number(values[x]) for x in xs]


def heatmap(
    title: str, rows: Sequence[str], columns: Sequence[str], panels: dict[str, Any], *, caption: str = ""
) -> dict[str, Any]:
    """Matrices drawn side by side on one colour scale, e.g. {"yours": w, "reference": w}."""
    matrices = {_label(name): _matrix(values) for name, values in panels.items()}
    for name, matrix in matrices.items():
        if len(matrix) != len(rows) or any(len(row) != len(columns) for row in matrix):
            raise ValueError(f"panel {name!r} is not {len(rows)} x {len(columns)}")
    return {
        "kind": "heatmap",
        "title": _label(title),
        "rows": [_label(r) for r in rows],
        "columns": [_label(c) for c in columns],
        "panels": matrices,
        "caption": str(caption)[:500],
    }


def curves(
    title: str,
    series: dict[str, Sequence[Any]],
    *,
    x_label: str = "step",
    y_label: str = "",
    threshold: float | None = None,
    caption: str = "",
) -> dict[str, Any]:
    """Line plots over a shared x axis, e.g. {"your loss": [...]}; `threshold` draws the bar to reach."""
    lines = {}
    for name, values in series.items():
        xs, ys = _thin(values)
        lines[_label(name)] = {"x": xs, "y": ys}
    return {
        "kind": "curves",
        "title": _label(title),
        "series": lines,
        "x_label": _label(x_label),
        "y_label": _label(y_label),
        "threshold": _number(threshold) if threshold is not None else None,
        "caption": str(caption)[:500],
    }


def _piece(token: Any) -> tuple[str, int]:
    """A token as (shown text, length in bytes); bytes that cut a character show as U+FFFD."""
    if isinstance(token, (bytes, bytearray)):
        return bytes(token).decode("utf-8", errors="replace"), len(token)
    token = str(token)
    return token, len(token.encode("utf-8", errors="surrogatepass"))


def _spans(lengths: Sequence[int]) -> list[tuple[int, int]]:
    spans, start = [], 0
    for length in lengths:
        spans.append((start, start + length))
        start += length
    return spans


def differing_tokens(yours: Sequence[Any], expected: Sequence[Any]) -> tuple[list[int], list[int]]:
    """The indices of the tokens of each split that the other split does not have (the same bytes of the
    text cut differently), tokens given as str or bytes."""
    a = _spans([_piece(token)[1] for token in yours])
    b = _spans([_piece(token)[1] for token in expected])
    in_a, in_b = set(a), set(b)
    mine = [i for i, span in enumerate(a) if span not in in_b]
    return mine, [i for i, span in enumerate(b) if span not in in_a]


def token_split(
    title: str,
    splits: dict[str, Sequence[Any]],
    *,
    caption: str = "",
    compare: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """How a text was cut into tokens: {"yours": ["Hel", "lo"], "reference": [...]}.

    Tokens are str, or bytes (a token that cuts a character shows U+FFFD but keeps its length). With
    `compare` (two names of `splits`), the tokens one split has and the other has not are recorded under
    "differs", for the page to mark.
    """
    pieces: dict[str, list[str]] = {}
    differs: dict[str, list[int]] = {}
    if compare is not None:
        first, second = compare
        marked = differing_tokens(list(splits[first]), list(splits[second]))
        differs = {
            _label(first): [i for i in marked[0] if i < MAX_PIECES],
            _label(second): [i for i in marked[1] if i < MAX_PIECES],
        }
    for name, tokens in splits.items():
        pieces[_label(name)] = [_piece(token)[0][:MAX_LABEL] for token in list(tokens)[:MAX_PIECES]]
    figure: dict[str, Any] = {
        "kind": "tokens",
        "title": _label(title),
        "splits": pieces,
        "caption": str(caption)[:500],
    }
    if compare is not None:
        figure["differs"] = differs
    return figure


class Figures:
    """The figures of one test (the `figure` fixture): `add` one, or gather one inside `attempt()`."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, figure: dict[str, Any]) -> None:
        if len(self.items) < MAX_FIGURES:
            self.items.append(figure)

    @contextlib.contextmanager
    def attempt(self) -> Iterator[None]:
        """Gather a figure's data; whatever goes wrong in here is dropped, never graded."""
        with contextlib.suppress(Exception):  # a student's error here has already cost its test
            yield
