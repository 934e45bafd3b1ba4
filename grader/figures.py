"""Figures a hidden test attaches to its result, for the feedback page: plain, bounded, JSON-able data.

A test asks for the `figure` fixture and records what a picture would say better than a message: a
heatmap (the student's attention weights next to the reference's), curves (a training loss, episode
returns), token splits (how a tokenizer cut a text). Figures never change a score: `figure.attempt()`
swallows any failure while the data for a figure is being gathered, and recording is bounded so that a
student's huge output cannot bloat a results file.
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


def token_split(title: str, splits: dict[str, Sequence[str]], *, caption: str = "") -> dict[str, Any]:
    """How a text was cut into tokens: {"yours": ["Hel", "lo"], "reference": [...]}."""
    pieces = {}
    for name, tokens in splits.items():
        tokens = [str(token)[:MAX_LABEL] for token in list(tokens)[:MAX_PIECES]]
        pieces[_label(name)] = tokens
    return {"kind": "tokens", "title": _label(title), "splits": pieces, "caption": str(caption)[:500]}


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
