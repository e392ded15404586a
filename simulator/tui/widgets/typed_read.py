"""How a typed response was read: the text with each code's words highlighted, the codes with
the words that earned them, and the written response it counted as."""

from __future__ import annotations

from textual.content import Content

from simulator.core.coder import CodedResponse, Coder
from simulator.core.coder_play import OptionMatch
from simulator.core.text import clean
from simulator.tui.safe import plain

HIGHLIGHT = "bold reverse"
QUOTE_PREFIX = 'You typed: "'


def typed_text(coded: CodedResponse) -> Content:
    """The typed text, quoted, with every code's triggering words highlighted.

    Spans are offsets into `coded.text`; the text is cleaned before coding (Practice.read), so
    cleaning it again for the screen leaves the offsets where they were.
    """
    text = clean(coded.text)
    content = plain(f'{QUOTE_PREFIX}{text}"')
    if text != coded.text:  # not cleaned before coding: the spans would be off, so quote only
        return content
    base = len(QUOTE_PREFIX)
    for hit in coded.hits:
        if hit.end > hit.start:
            content = content.stylize(HIGHLIGHT, base + hit.start, base + hit.end)
    return content


def code_lines(coder: Coder, coded: CodedResponse) -> list[str]:
    """One line per code: its title and the words that triggered it, in order of appearance."""
    lines = []
    for utterance in coded.utterances:
        for hit in utterance.hits:
            words = coded.text[hit.start : hit.end].strip() or hit.match
            lines.append(f'  • {coder.title(hit.code)}: "{words}"')
    return lines


def typed_read(coder: Coder, coded: CodedResponse, counted: OptionMatch, how: str) -> Content:
    """The whole block shown after a typed response is accepted."""
    lines: list[Content] = [typed_text(coded), plain(f"Read as: {coder.read_as(coded)}")]
    lines += [plain(line) for line in code_lines(coder, coded)]
    lines.append(plain(f"Counted as: option {counted.number} — {counted.option.say} ({how})"))
    return Content("\n").join(lines)
