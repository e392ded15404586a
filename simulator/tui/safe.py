"""The text-safety chokepoint for the TUI: every data-derived string reaches the screen here.

`plain()` gives Textual `Content` (never parsed as markup) for Static, OptionList and labels;
`cell()` gives a Rich `Text` for DataTable cells (DataTable parses plain `str` as markup). Both
first pass the text through `simulator.core.text.clean`, which strips control characters and
bidirectional overrides, so `[@click=app.quit]x[/]` or an escape sequence is shown, inert.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.content import Content
from textual.notifications import SeverityLevel

from simulator.core.text import clean


def plain(text: str) -> Content:
    return Content(clean(text))


def cell(text: str) -> Text:
    return Text(clean(text), no_wrap=True, overflow="ellipsis")


def styled(text: str, style: str) -> Content:
    """Data text with a style applied by us (never by the data)."""
    return Content(clean(text)).stylize(style)


def notify(
    node: Any, text: str, severity: SeverityLevel = "information", timeout: float = 5
) -> None:
    """A toast quoting data (error messages, file names) shown literally."""
    node.notify(clean(text), markup=False, severity=severity, timeout=timeout)
