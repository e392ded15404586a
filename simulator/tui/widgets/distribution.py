"""A decision's choice distribution as text bars: count and percentage are printed beside every
bar, so nothing is carried by colour or length alone (it must read on a washed-out projector)."""

from __future__ import annotations

from collections.abc import Mapping

from textual.content import Content

from simulator.core.compiled import CompiledNode
from simulator.core.text import clean

BAR = "█"
EMPTY = "·"


def _short(text: str, limit: int) -> str:
    one_line = " ".join(clean(text).split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1].rstrip() + "…"


def percent(count: int, total: int) -> int:
    return round(100 * count / total) if total else 0


def distribution_lines(
    node: CompiledNode, counts: Mapping[str, int], bar_width: int = 30, say_width: int = 60
) -> Content:
    """Two lines per option: number, bar, count and percentage; then the option's words
    (shortened), indented under the bar so a narrow pane wraps nothing.

    Options stored by sessions but gone from the current scenario text are listed last.
    """
    total = sum(counts.values())
    rows = [(o.id, o.say) for o in node.options]
    known = {oid for oid, _ in rows}
    rows += [(oid, "(not in this version of the scenario)") for oid in counts if oid not in known]
    top = max(counts.values(), default=0)
    lines = []
    for i, (oid, say) in enumerate(rows, 1):
        n = counts.get(oid, 0)
        filled = round(bar_width * n / top) if top else 0
        bar = BAR * filled + EMPTY * (bar_width - filled)
        lines.append(f"{i:>2}  {bar}  {n:>3}  {percent(n, total):>3}%")
        lines.append(f"    {_short(say, say_width)}")
    return Content("\n".join(lines))


def decision_label(
    index: int, node_id: str, answered: int, here: int, paused: bool, width: int = 24
) -> str:
    """A decision in the list, on two lines so a narrow list (a big room font) does not wrap:
    number and id, then how many answered it and how many are there now."""
    mark = "  PAUSED" if paused else ""
    return f"{index:>2} {_short(node_id, width)}\n   {answered} answered · {here} here{mark}"
