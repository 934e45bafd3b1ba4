"""Small SVG charts for the feedback pages: heatmaps, line charts and bar charts, with no plotting library.

Each function returns a complete SVG document as a string; every text in it is escaped. The pages embed
them as `data:` images, so a page is one self-contained file.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from html import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")
# A perceptually ordered ramp (dark blue -> green -> yellow), interpolated linearly between the stops.
RAMP = ((0.0, (68, 1, 84)), (0.25, (59, 82, 139)), (0.5, (33, 145, 140)), (0.75, (94, 201, 98)),
        (1.0, (253, 231, 37)))  # fmt: skip
FONT = 'font-family="sans-serif" font-size="11"'


def _svg(width: float, height: float, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img"><title>{escape(title)}</title>'
        f'<rect width="100%" height="100%" fill="white"/>' + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {FONT} {extra}>{escape(text)}</text>'


def ramp_colour(t: float) -> str:
    """The colour of `t` in [0, 1] on the heatmap ramp."""
    t = min(1.0, max(0.0, t))
    for (t0, c0), (t1, c1) in itertools.pairwise(RAMP):
        if t <= t1:
            f = (t - t0) / (t1 - t0)
            return "#" + "".join(f"{round(a + (b - a) * f):02x}" for a, b in zip(c0, c1))
    return "#fde725"


def heatmap(
    title: str, rows: Sequence[str], columns: Sequence[str], panels: dict[str, list[list[float | None]]]
) -> str:
    """Matrices side by side on one colour scale; missing (None) cells are grey."""
    cell = max(8.0, min(28.0, 360.0 / max(len(columns), len(rows), 1)))
    label_w = 8 + 6.5 * max((len(r) for r in rows), default=1)
    label_h = 8 + 5.5 * max((len(c) for c in columns), default=1)
    values = [v for m in panels.values() for row in m for v in row if v is not None]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    span = (high - low) or 1.0
    panel_w = label_w + cell * len(columns) + 24
    top = 34 + label_h
    body = [_text(8, 16, title, extra='font-weight="bold"')]
    for p, (name, matrix) in enumerate(panels.items()):
        x0 = p * panel_w
        body.append(_text(x0 + label_w, 30, name, extra='font-weight="bold"'))
        for j, column in enumerate(columns):
            x = x0 + label_w + (j + 0.5) * cell
            body.append(_text(x, top - 6, column, "start", f'transform="rotate(-60 {x:.1f} {top - 6:.1f})"'))
        for i, row in enumerate(rows):
            y = top + i * cell
            body.append(_text(x0 + label_w - 4, y + cell * 0.65, row, "end"))
            for j, value in enumerate(matrix[i]):
                colour = "#cccccc" if value is None else ramp_colour((value - low) / span)
                shown = "missing" if value is None else f"{value:.4g}"
                body.append(
                    f'<rect x="{x0 + label_w + j * cell:.1f}" y="{y:.1f}" width="{cell:.1f}" '
                    f'height="{cell:.1f}" fill="{colour}"><title>{escape(f"{row} → {columns[j]}: {shown}")}'
                    "</title></rect>"
                )
    width = panel_w * len(panels) + 90  # room for the colour bar and labels such as 4.49e-05
    bar_x, bar_h = width - 80, cell * len(rows)
    for k in range(20):
        body.append(
            f'<rect x="{bar_x:.1f}" y="{top + bar_h * (1 - (k + 1) / 20):.1f}" width="12" '
            f'height="{bar_h / 20 + 0.5:.1f}" fill="{ramp_colour((k + 0.5) / 20)}"/>'
        )
    body.append(_text(bar_x + 16, top + 8, f"{high:.3g}"))
    body.append(_text(bar_x + 16, top + bar_h, f"{low:.3g}"))
    return _svg(width, top + bar_h + 16, body, title)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0]
    if high <= low:
        high = low + 1.0
    raw = (high - low) / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 0.5 and len(ticks) < 3 * count:
        ticks.append(round(value, 12))
        value += step
    return ticks


def line_chart(
    title: str,
    series: dict[str, tuple[Sequence[float], Sequence[float | None]]],
    *,
    x_label: str = "",
    y_label: str = "",
    threshold: float | None = None,
) -> str:
    """Lines over a shared x axis, a legend, and an optional dashed threshold line."""
    width, height, left, right, top, bottom = 560.0, 300.0, 62.0, 150.0, 28.0, 40.0
    points = [(x, y) for xs, ys in series.values() for x, y in zip(xs, ys) if y is not None]
    ys = [y for _, y in points] + ([threshold] if threshold is not None else [])
    x_ticks = nice_ticks(min((x for x, _ in points), default=0), max((x for x, _ in points), default=1))
    y_ticks = nice_ticks(min(ys, default=0.0), max(ys, default=1.0))
    x_lo, x_hi, y_lo, y_hi = x_ticks[0], x_ticks[-1], y_ticks[0], y_ticks[-1]
    plot_w, plot_h = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + (x - x_lo) / ((x_hi - x_lo) or 1) * plot_w

    def sy(y: float) -> float:
        return top + plot_h - (y - y_lo) / ((y_hi - y_lo) or 1) * plot_h

    body = [_text(8, 16, title, extra='font-weight="bold"')]
    body.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#888"/>')
    for x in x_ticks:
        body.append(_text(sx(x), top + plot_h + 14, f"{x:g}", "middle"))
    for y in y_ticks:
        body.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" stroke="#eee"/>'
        )
        body.append(_text(left - 4, sy(y) + 4, f"{y:.4g}", "end"))
    body.append(_text(left + plot_w / 2, height - 6, x_label, "middle"))
    body.append(
        _text(14, top + plot_h / 2, y_label, "middle", f'transform="rotate(-90 14 {top + plot_h / 2})"')
    )
    if threshold is not None:
        body.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{sy(threshold):.1f}" y2="{sy(threshold):.1f}" '
            'stroke="#555" stroke-dasharray="5,4"/>'
        )
        body.append(_text(left + plot_w + 6, sy(threshold) + 4, f"bar {threshold:.4g}"))
    for k, (name, (xs, values)) in enumerate(series.items()):
        colour = PALETTE[k % len(PALETTE)]
        path = " ".join(
            f"{'M' if i == 0 else 'L'}{sx(x):.1f},{sy(y):.1f}"
            for i, (x, y) in enumerate((x, y) for x, y in zip(xs, values) if y is not None)
        )
        if path:
            body.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="1.6"/>')
        legend_y = top + 14 + 16 * k
        body.append(
            f'<rect x="{width - right + 30}" y="{legend_y - 8}" width="10" height="10" fill="{colour}"/>'
        )
        body.append(_text(width - right + 44, legend_y + 1, name))
    return _svg(width, height, body, title)


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    horizontal: bool = False,
    unit: str = "",
    full: float | None = None,
) -> str:
    """Bars with their values written on them: a histogram (vertical) or a ranking (horizontal).

    A bar's length is its value over `full` (a share in percent: full=100), or over the largest value when
    `full` is None (counts). With `full`, each horizontal bar sits on a light track of the full length, so
    that 50% reads as half the track.
    """
    high = max([*values, 1e-12]) if full is None else max(float(full), 1e-12)

    def share(value: float) -> float:
        return min(1.0, max(0.0, value / high))

    body = [_text(8, 16, title, extra='font-weight="bold"')]
    if horizontal:
        label_w = 10 + 6.2 * max((len(label) for label in labels), default=1)
        bar_w, row_h, top = 260.0, 18.0, 28.0
        for i, (label, value) in enumerate(zip(labels, values)):
            y = top + i * row_h
            body.append(_text(label_w - 6, y + 12, label, "end"))
            if full is not None:
                body.append(
                    f'<rect class="track" x="{label_w:.1f}" y="{y + 2:.1f}" width="{bar_w:.1f}" '
                    f'height="{row_h - 4}" fill="#eeeeee"/>'
                )
            body.append(
                f'<rect class="bar" x="{label_w:.1f}" y="{y + 2:.1f}" width="{bar_w * share(value):.1f}" '
                f'height="{row_h - 4}" fill="{PALETTE[0]}"/>'
            )
            body.append(_text(label_w + bar_w * share(value) + 4, y + 12, f"{value:g}{unit}"))
        return _svg(label_w + bar_w + 60, top + row_h * len(labels) + 10, body, title)
    bar, gap, top, plot_h = 34.0, 6.0, 28.0, 160.0
    for i, (label, value) in enumerate(zip(labels, values)):
        x = 20 + i * (bar + gap)
        h = plot_h * share(value)
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar}" height="{h:.1f}" '
            f'fill="{PALETTE[0]}"/>'
        )
        body.append(_text(x + bar / 2, top + plot_h - h - 3, f"{value:g}{unit}", "middle"))
        body.append(_text(x + bar / 2, top + plot_h + 14, label, "middle"))
    return _svg(40 + len(labels) * (bar + gap), top + plot_h + 24, body, title)
