"""Charts for the HTML report, as geometry: the template turns each shape into an SVG element.

Nothing here writes markup. Shapes carry our own element and attribute names and the numbers;
text (labels, tooltips) is data and is escaped by the template's autoescaping like every other
string. Every chart is readable without colour: values are written as text beside the marks,
bars below a threshold are hatched as well as tinted, and each mark has a <title> tooltip.
Hand-built rather than a chart library: five small chart shapes do not justify a dependency,
and the output must be static SVG with no script.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from simulator.reports.cohort import BINS, DimensionStats, DyadStats


@dataclass(frozen=True)
class Shape:
    kind: str  # rect | line | text
    attrs: tuple[tuple[str, str], ...]
    text: str = ""
    title: str = ""


@dataclass
class Chart:
    width: int
    height: int
    title: str
    desc: str
    shapes: list[Shape] = field(default_factory=list)

    def rect(self, x: float, y: float, w: float, h: float, css: str, title: str = "") -> None:
        self.shapes.append(
            Shape("rect", _attrs(x=x, y=y, width=max(w, 0), height=max(h, 0), css=css), title=title)
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, css: str, title: str = "") -> None:
        self.shapes.append(Shape("line", _attrs(x1=x1, y1=y1, x2=x2, y2=y2, css=css), title=title))

    def label(self, x: float, y: float, text: str, css: str = "", anchor: str = "middle") -> None:
        self.shapes.append(
            Shape("text", _attrs(x=x, y=y, css=css or None, **{"text-anchor": anchor}), text=text)
        )


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _attrs(**values: float | str | None) -> tuple[tuple[str, str], ...]:
    out = []
    for key, value in values.items():
        if value is None:
            continue
        name = "class" if key == "css" else key
        out.append((name, _num(value) if isinstance(value, int | float) else value))
    return tuple(out)


# ---------------------------------------------------------------- humility histogram

H_LEFT, H_RIGHT, H_TOP, H_BOTTOM = 44, 16, 44, 56
H_PLOT_W, H_PLOT_H = 300, 130


def histogram(stats: DimensionStats) -> Chart:
    """Sessions per ten-point band of one humility dimension, the threshold marked, and a box
    plot (quartiles, median, range) under the axis."""
    width = H_LEFT + H_PLOT_W + H_RIGHT
    height = H_TOP + H_PLOT_H + H_BOTTOM
    bins = stats.bins
    top = max(bins) if any(bins) else 1
    t = stats.threshold
    summary = (
        f"{stats.n} counted sessions; mean {stats.mean}, median {stats.median}"
        if stats.n
        else "no completed sessions yet"
    )
    if t is not None:
        summary += f"; pass threshold {t}, {stats.below} below it"
    chart = Chart(width, height, f"{stats.title}: distribution of scores (0-100)", summary)
    base = H_TOP + H_PLOT_H
    bw = H_PLOT_W / BINS
    chart.label(4, 14, stats.title, "dim", "start")
    chart.line(H_LEFT, base, H_LEFT + H_PLOT_W, base, "axis")
    chart.line(H_LEFT, H_TOP, H_LEFT, base, "axis")
    chart.label(H_LEFT - 6, H_TOP + 4, str(top), "tick", "end")
    chart.label(H_LEFT - 6, base, "0", "tick", "end")
    chart.label(12, H_TOP + H_PLOT_H / 2, "sessions", "tick vertical")
    if t is not None:  # drawn first, so bars and their counts (white-edged) sit on top
        tx = H_LEFT + t * H_PLOT_W / 100
        chart.line(tx, H_TOP - 12, tx, base, "threshold", f"pass threshold: {t}")
    for i, n in enumerate(bins):
        lo, hi = i * 10, (100 if i == BINS - 1 else i * 10 + 9)
        below = t is not None and hi < t
        h = H_PLOT_H * n / top
        x = H_LEFT + i * bw
        tip = f"{stats.title} {lo}-{hi}: {n} session{'s' if n != 1 else ''}"
        if below:
            tip += f" (below the threshold of {t})"
        chart.rect(x + 2, base - h, bw - 4, h, "bar below" if below else "bar", tip)
        if n:
            chart.label(x + bw / 2, base - h - 4, str(n), "count")
    for v in range(0, 101, 20):
        chart.label(H_LEFT + v * H_PLOT_W / 100, base + 14, str(v), "tick")
    if t is not None:
        tx = H_LEFT + t * H_PLOT_W / 100
        chart.label(tx, H_TOP - 16, f"threshold {t}", "threshold-label")
    q = stats.quartiles
    if q is not None and stats.low is not None and stats.high is not None:
        y = base + 34
        sx = H_PLOT_W / 100
        tip = (
            f"range {stats.low}-{stats.high}, middle half {_num(q[0])}-{_num(q[1])}, "
            f"median {_num(stats.median or 0)}"
        )
        chart.line(H_LEFT + stats.low * sx, y, H_LEFT + stats.high * sx, y, "whisker", tip)
        chart.rect(H_LEFT + q[0] * sx, y - 7, (q[1] - q[0]) * sx, 14, "box", tip)
        mx = H_LEFT + (stats.median or 0) * sx
        chart.line(mx, y - 9, mx, y + 9, "median", f"median {_num(stats.median or 0)}")
        chart.label(H_LEFT + H_PLOT_W / 2, y + 20, tip, "tick")
    return chart


# ---------------------------------------------------------------- concordant / discordant

D_LEFT, D_BAR_W, D_ROW = 170, 300, 46


def dyad_bars(dyads: Sequence[DyadStats], titles: dict[str, str]) -> Chart:
    """Mean score per dimension, concordant (solid) beside discordant (hatched), values in text."""
    shown = [d for d in dyads if d.dyad in ("concordant", "discordant")]
    dims = list(titles)
    width = D_LEFT + D_BAR_W + 170
    height = 30 + D_ROW * len(dims)
    desc = "; ".join(f"{d.dyad}: {d.sessions} sessions" for d in shown)
    chart = Chart(width, height, "Mean humility score, concordant and discordant dyads", desc)
    for col, value in ((0, 0), (50, 50), (100, 100)):
        x = D_LEFT + D_BAR_W * col / 100
        chart.line(x, 18, x, height - 4, "grid")
        chart.label(x, 12, str(value), "tick")
    for row, dim in enumerate(dims):
        y0 = 24 + row * D_ROW
        chart.label(D_LEFT - 8, y0 + 18, titles[dim], "dim", "end")
        for k, d in enumerate(shown):
            mean = d.means.get(dim)
            y = y0 + k * 18
            css = "dyad concordant" if d.dyad == "concordant" else "dyad discordant"
            if mean is None:
                chart.label(D_LEFT + 4, y + 12, f"{d.dyad}: no sessions", "count", "start")
                continue
            w = D_BAR_W * mean / 100
            tip = f"{titles[dim]}, {d.dyad}: mean {_num(mean)} over {d.sessions} sessions"
            chart.rect(D_LEFT, y, w, 14, css, tip)
            chart.label(
                D_LEFT + w + 6,
                y + 11,
                f"{d.dyad[0].upper()}{d.dyad[1:]} {mean:.1f} (n={d.sessions})",
                "count",
                "start",
            )
    return chart


# ---------------------------------------------------------------- small bars in tables


def share_bar(share: float, misstep: bool, width: int = 120) -> Chart:
    """A bar for one option's share of the answers (the number is in the next table cell)."""
    chart = Chart(width, 12, "", "")
    chart.rect(0, 0, width, 12, "track")
    chart.rect(0, 0, width * share, 12, "share misstep" if misstep else "share")
    return chart


def verdict_bar(counts: dict[str, int], width: int = 480) -> Chart:
    """Trainees passed / failed / incomplete, as one stacked bar with its numbers written in."""
    total = sum(counts.values()) or 1
    desc = ", ".join(f"{n} {k}" for k, n in counts.items())
    chart = Chart(width, 44, "Trainees by verdict", desc)
    x = 0.0
    for verdict, n in counts.items():
        if not n:
            continue
        w = width * n / total
        chart.rect(x, 0, w, 22, f"verdict {verdict}", f"{n} {verdict}")
        if w >= 70:  # narrower segments are named in the table beside the chart
            chart.label(x + w / 2, 38, f"{n} {verdict}", "count")
        x += w
    return chart
