"""The one text-safety chokepoint for data-derived text (scenario YAML, free text, names, errors).

`clean()` normalises to NFC and removes every character that could drive a terminal or reorder
what is shown: C0 controls except newline and tab, DEL, C1 controls (so no escape sequence
survives), and the bidirectional embedding, override and isolate marks. Everything else, markup
look-alikes such as `[bold]` included, is kept exactly as written; surfaces that interpret markup
(the TUI) must wrap the result as plain content.
"""

from __future__ import annotations

import re
import unicodedata

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _UNSAFE.sub("", text)
