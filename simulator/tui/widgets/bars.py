"""Labelled text bars: every value is printed as a number too, never carried by colour alone."""

from __future__ import annotations

from collections.abc import Iterable

from textual.content import Content

from simulator.core.text import clean


def bar_lines(rows: Iterable[tuple[str, float]], width: int = 20, label_width: int = 22) -> Content:
    lines = []
    for label, value in rows:
        filled = max(0, min(width, round(value / 100 * width)))
        lines.append(
            f"{clean(label):<{label_width}} {'█' * filled}{'░' * (width - filled)} {value:>3.0f}"
        )
    return Content("\n".join(lines))
