"""Input and output shapes of `intake-sim code`: JSON Lines in, one JSON object per line out,
and the plain-text rendering of one coded response. Pure functions; the CLI does the I/O."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from simulator.core.coder import MAX_TEXT, CodedResponse, Coder
from simulator.core.text import clean

# Characters that could drive a terminal or reorder text even inside a JSON string: written as
# \\uXXXX escapes, so the output is still the same JSON and inert on a screen.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u2028\u2029]")


def json_line(obj: Any) -> str:
    """One line of JSON, readable (non-ASCII kept) but with every control character escaped."""
    text = json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def code_lines(lines: Iterable[str], coder: Coder) -> Iterator[tuple[bool, dict[str, Any]]]:
    """Code JSON Lines: yields (ok, object) for every non-blank line, in order.

    Each input line is `{"text": ..., "context": <client's last line, optional>}` (an `id`
    is passed through). A line that cannot be used gives `{"line": n, "error": ...}`.
    """
    for n, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield False, {"line": n, "error": f"not valid JSON: {exc.msg} (column {exc.colno})"}
            continue
        except RecursionError:
            yield False, {"line": n, "error": "not valid JSON: nested too deeply"}
            continue
        problem = _problem(obj)
        if problem:
            yield False, {"line": n, "error": problem}
            continue
        coded = coder.code(obj["text"], obj.get("context"))
        out = {"line": n}
        if "id" in obj:
            out["id"] = obj["id"]
        out.update(coded.to_json())
        yield True, out


def _problem(obj: Any) -> str | None:
    if not isinstance(obj, dict):
        return 'each line must be a JSON object with a "text" field'
    if "text" not in obj:
        return 'missing "text"'
    if not isinstance(obj["text"], str):
        return '"text" must be a string'
    context = obj.get("context")
    if context is not None and not isinstance(context, str):
        return '"context" must be a string (the client\'s last line) or left out'
    if len(obj["text"]) > MAX_TEXT:
        return f'"text" is longer than {MAX_TEXT} characters'
    return None


def describe(coded: CodedResponse, coder: Coder) -> list[str]:
    """The plain-text reading of one response: codes with the words that triggered them."""
    out = [f"Read as: {coder.read_as(coded)}", f"Primary behaviour: {coded.primary}"]
    for u in coded.utterances:
        out.append(f'{u.index + 1}. [{u.start}-{u.end}] {u.primary}: "{u.text}"')
        for h in u.hits:
            out.append(f'     {coder.title(h.code)} ({h.code}) at {h.start}-{h.end}: "{h.match}"')
        if not u.hits:
            out.append("     no code")
    if coded.truncated:
        out.append(f"(only the first {MAX_TEXT} characters were coded)")
    return [clean(line) for line in out]
