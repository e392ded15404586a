"""Fast matching of many cue patterns against one short text.

A cue list holds hundreds of alternatives; as one big alternation it is tried at every character
and costs about a millisecond per utterance. Here each pattern is compiled alone, and the stdlib's
own regex parser tells which words it needs: the literal prefixes its match must begin with, and
every word (or word beginning) that must appear in any match. A pattern is indexed under its
rarest required word; for a text, only patterns whose required words all begin some word of the
text are tried, and those whose start is known are tried with `match` at those words only. The
results are those of the single alternation: the leftmost match, the earlier pattern on a tie.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

# The parser behind `re` (sre_parse before 3.11); without it every pattern is just searched.
try:
    _parser: Any = importlib.import_module("re._parser")
    _c: Any = importlib.import_module("re._constants")
except ImportError:  # pragma: no cover
    _parser = None
    _c = None

Regex = re.Pattern[str]
Span = tuple[int, int]
_TOKEN = re.compile(r"[a-z0-9]+")
PREFIX = 3  # characters of a word that key the start index
WRAP = "(?:(?<![\\w'])|(?=[^\\w']))(?:{})(?:(?<=[^\\w'])|(?![\\w']))"
# WRAP's end alone. At a word of the text (a letter or digit) WRAP's start only says "not right
# after a letter, digit, underscore or apostrophe"; the per-word regexes leave it to one test in
# Python (`_inside`) instead of repeating it in every alternative.
TRAIL = "(?:(?<=[^\\w'])|(?![\\w']))"
_inside = re.compile(r"[\w']").match


class Prepared:
    """A text prepared once for every matcher: itself, lower-cased, its words, the set of every
    word beginning, and (on first use) where each short word prefix occurs."""

    __slots__ = ("_starts", "exact", "lower", "s", "words")

    def __init__(self, s: str) -> None:
        self.s = s
        self.lower = lower = s.lower()
        self.exact = len(lower) == len(s)  # lower-casing kept every offset
        self.words = [(m.start(), m.group()) for m in _TOKEN.finditer(lower)]
        self._starts: dict[str, list[int]] | None = None

    @classmethod
    def of(cls, s: str) -> Prepared:
        return cls(s)

    @property
    def starts(self) -> dict[str, list[int]]:
        """Offsets of the words beginning with each 1-, 2- and 3-character prefix."""
        starts = self._starts
        if starts is None:
            starts = {}
            for at, w in self.words:
                for k in {w[:1], w[:2], w[:3]}:
                    starts.setdefault(k, []).append(at)
            self._starts = starts
        return starts


# ---------------------------------------------------------------- reading patterns


def _alnum_head(text: str) -> str:
    head = ""
    for ch in text:
        if ch.isascii() and ch.isalnum():
            head += ch
        else:
            break
    return head


def _first_set(data: object) -> tuple[set[str] | None, bool]:
    """Literal prefixes (up to PREFIX characters) a match of `data` can start with.

    Returns (prefixes, nullable); prefixes is None when the start cannot be pinned down.
    """
    assert _c is not None
    out: set[str] = set()
    items = list(data)  # type: ignore[call-overload]
    i = 0
    while i < len(items):
        op, av = items[i]
        if op is _c.LITERAL:
            chars = []
            j = i
            while j < len(items) and items[j][0] is _c.LITERAL:
                chars.append(chr(items[j][1]))
                j += 1
            head = _alnum_head("".join(chars).lower())
            if not head:
                return None, False
            out.add(head)
            return out, False
        if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            i += 1
            continue
        if op is _c.SUBPATTERN:
            f, n = _first_set(av[-1])
        elif op is _c.BRANCH:
            f, n = set(), False
            for branch in av[1]:
                fb, nb = _first_set(branch)
                if fb is None:
                    return None, False
                f |= fb
                n = n or nb
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
            lo, _hi, sub = av
            f, n = _first_set(sub)
            n = n or lo == 0
        elif op is getattr(_c, "ATOMIC_GROUP", None):
            f, n = _first_set(av)
        else:
            return None, False
        if f is None:
            return None, False
        out |= f
        if not n:
            return out, False
        i += 1
    return out, True


def _starts_of(pattern: str) -> frozenset[str] | None:
    """The word beginnings (whole literal heads) a match of `pattern` starts with, if known."""
    if _parser is None:
        return None
    try:
        parsed = _parser.parse(pattern, re.IGNORECASE)
    except re.error:
        return None
    found, nullable = _first_set(parsed)
    if found is None or nullable or not found or not all(found):
        return None
    return frozenset(found)


_UNSEEN: Any = object()
_CACHE = 8192  # combined regexes kept per matcher (one per distinct word seen)


class _Engine:
    """Named pattern lists; for each word of a text, one regex of optional lookaheads (a named
    group per list) tells which lists match where that word starts."""

    def __init__(self, lists: Sequence[Sequence[str]], *, words: bool = True) -> None:
        self._first: list[tuple[frozenset[str], int, str]] = []  # (starts, list, wrapped)
        self._bare: list[str] = []  # each of `_first` as used at a word start (see TRAIL)
        self.lead = words  # a match must begin outside a word
        always: dict[int, list[str]] = {}
        for member, patterns in enumerate(lists):
            for p in patterns:
                wrapped = WRAP.format(p) if words else p
                starts = _starts_of(p)
                if starts is None:
                    always.setdefault(member, []).append(wrapped)
                else:
                    self._first.append((starts, member, wrapped))
                    self._bare.append(f"(?:{p}){TRAIL}" if words else p)
        self._heads = frozenset(h for starts, _, _ in self._first for h in starts)
        self._maxlen = max((len(h) for h in self._heads), default=0)
        self.always = {m: re.compile(_alternation(ws), re.IGNORECASE) for m, ws in always.items()}
        self._combos: dict[str, _Combo | None] = {}

    def combo(self, word: str) -> _Combo | None:
        """(regex, ((group number, list), ...)) for a text word, or None if no list can start
        there. A pattern belongs when its literal start is a beginning of the word."""
        cached = self._combos.get(word, False)
        if cached is not False:
            return cached  # type: ignore[return-value]
        heads = {word[:i] for i in range(1, min(len(word), self._maxlen) + 1)} & self._heads
        combo = None
        if heads:
            per: dict[int, list[str]] = {}
            for (starts, member, _), bare in zip(self._first, self._bare, strict=True):
                if not starts.isdisjoint(heads):
                    per.setdefault(member, []).append(bare)
            parts = [f"(?:(?=(?P<g{m}>{_alternation(ws)}))|)" for m, ws in per.items()]
            rx = re.compile("".join(parts), re.IGNORECASE)
            groups = tuple((rx.groupindex[f"g{m}"], m) for m in per)
            combo = (rx, groups, ((-1, -1),) * rx.groups)
        if len(self._combos) >= _CACHE:
            self._combos.clear()
        self._combos[word] = combo
        return combo


# (regex, ((group number, list index), ...), the spans when nothing matched)
_Combo = tuple[Regex, tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]


def _alternation(sources: Iterable[str]) -> str:
    return "|".join(f"(?:{src})" for src in sources)


# ---------------------------------------------------------------- the public matchers


class Matcher:
    """A list of patterns that behaves like their alternation (the leftmost match; at one
    position, the earlier pattern), tried only where a word of the text can start a match."""

    __slots__ = ("_engine", "patterns")

    def __init__(self, patterns: Sequence[str], *, words: bool = True) -> None:
        self.patterns = tuple(patterns)
        self._engine = _Engine([patterns], words=words)

    def first(
        self, t: Prepared, accept: Callable[[int], bool] | None = None
    ) -> re.Match[str] | None:
        """The leftmost match whose start `accept` takes."""
        s = t.s
        best: re.Match[str] | None = None
        engine = self._engine
        lead = engine.lead
        if t.exact:
            combos = engine._combos
            for pos, word in t.words:
                if pos and lead and _inside(s, pos - 1) is not None:
                    continue  # inside a word: no cue starts here
                combo = combos.get(word, _UNSEEN)
                if combo is _UNSEEN:
                    combo = engine.combo(word)
                if combo is None:
                    continue
                m = combo[0].match(s, pos)
                if m is not None:
                    a, b = m.regs[combo[1][0][0]]
                    if b > a and (accept is None or accept(a)):
                        best = _Found(s, a, b)  # type: ignore[assignment]
                        break
            rest = engine.always.get(0)
        else:  # pragma: no cover - a case mapping changed the length: search plainly
            rest = re.compile(
                _alternation(
                    [
                        *(w for _, _, w in engine._first),
                        *(r.pattern for r in engine.always.values()),
                    ]
                ),
                re.IGNORECASE,
            )
        if rest is not None:
            for m in rest.finditer(s):
                if best is not None and m.start() >= best.start():
                    break
                if m.end() > m.start() and (accept is None or accept(m.start())):
                    best = m
                    break
        return best

    def search(self, t: Prepared, pos: int = 0) -> re.Match[str] | None:
        """The leftmost match starting at `pos` or later."""
        return self.first(t, None if pos == 0 else (lambda start: start >= pos))

    def match(self, t: Prepared, pos: int) -> re.Match[str] | None:
        """A match starting exactly at `pos`."""
        s = t.s
        engine = self._engine
        word = _TOKEN.match(t.lower, pos) if t.exact else None
        if word is not None and not (pos and engine.lead and _inside(s, pos - 1) is not None):
            combo = engine.combo(word.group())
            if combo is not None:
                m = combo[0].match(s, pos)
                if m is not None:
                    a, b = m.regs[combo[1][0][0]]
                    if b > a:
                        return _Found(s, a, b)  # type: ignore[return-value]
        rest = engine.always.get(0)
        return rest.match(s, pos) if rest is not None else None

    def finditer(self, t: Prepared) -> list[re.Match[str]]:
        """The matches starting at each word (and the unindexed patterns' own), by start."""
        out: list[re.Match[str]] = []
        s = t.s
        lead = self._engine.lead
        for pos, word in t.words:
            if pos and lead and _inside(s, pos - 1) is not None:
                continue  # inside a word: no cue starts here
            combo = self._engine.combo(word)
            if combo is not None:
                m = combo[0].match(s, pos)
                if m is not None:
                    a, b = m.regs[combo[1][0][0]]
                    if b > a:
                        out.append(_Found(s, a, b))  # type: ignore[arg-type]
        rest = self._engine.always.get(0)
        if rest is not None:
            out.extend(m for m in rest.finditer(s) if m.end() > m.start())
        out.sort(key=lambda m: m.start())
        return out


class _Found:
    """The part of a match the coder reads (a lookahead's capture is not a Match object)."""

    __slots__ = ("_a", "_b", "_s")

    def __init__(self, s: str, a: int, b: int) -> None:
        self._s, self._a, self._b = s, a, b

    def start(self) -> int:
        return self._a

    def end(self) -> int:
        return self._b

    def span(self) -> Span:
        return (self._a, self._b)

    def group(self, n: int = 0) -> str:
        return self._s[self._a : self._b]


class MatcherGroup:
    """Several named pattern lists matched together, one regex call per word of the text."""

    def __init__(self, members: dict[str, Sequence[str]]) -> None:
        self.names = tuple(members)
        self._engine = _Engine([members[n] for n in self.names])

    def scan(
        self, t: Prepared, accept: Callable[[str, int], bool] | None = None
    ) -> dict[str, Span]:
        """For each list with a match, its leftmost one whose start `accept(name, start)` takes."""
        s = t.s
        names = self.names
        found: dict[str, Span] = {}
        engine = self._engine
        lead = engine.lead
        if t.exact:
            combos = engine._combos
            for pos, word in t.words:
                if pos and lead and _inside(s, pos - 1) is not None:
                    continue  # inside a word: no cue starts here
                combo = combos.get(word, _UNSEEN)
                if combo is _UNSEEN:
                    combo = engine.combo(word)
                if combo is None:
                    continue
                rx, groups, nothing = combo
                m = rx.match(s, pos)
                if m is None:  # pragma: no cover - every part is optional
                    continue
                regs = m.regs
                if regs[1:] == nothing:
                    continue
                for gi, member in groups:
                    a, b = regs[gi]
                    if b > a:
                        name = names[member]
                        if name not in found and (accept is None or accept(name, a)):
                            found[name] = (a, b)
        else:  # pragma: no cover - a case mapping changed the length: search each list plainly
            for member, name in enumerate(names):
                ws = [w for _, mm, w in engine._first if mm == member]
                if ws:
                    for m in re.compile(_alternation(ws), re.IGNORECASE).finditer(s):
                        if m.end() > m.start() and (accept is None or accept(name, m.start())):
                            found[name] = m.span()
                            break
        for member, rx in engine.always.items():
            name = names[member]
            best = found.get(name)
            for m in rx.finditer(s):
                if best is not None and m.start() >= best[0]:
                    break
                if m.end() > m.start() and (accept is None or accept(name, m.start())):
                    found[name] = m.span()
                    break
        return found

    def at(self, t: Prepared, pos: int) -> dict[str, Span]:
        """The lists that match starting exactly at `pos`, with their spans."""
        s = t.s
        names = self.names
        found: dict[str, Span] = {}
        word = _TOKEN.match(t.lower, pos) if t.exact else None
        if word is not None and not (pos and _inside(s, pos - 1) is not None):
            combo = self._engine.combo(word.group())
            if combo is not None:
                m = combo[0].match(s, pos)
                if m is not None:
                    regs = m.regs
                    for gi, member in combo[1]:
                        a, b = regs[gi]
                        if b > a:
                            found[names[member]] = (a, b)
        for member, rx in self._engine.always.items():
            m = rx.match(s, pos)
            if m is not None and m.end() > m.start() and names[member] not in found:
                found[names[member]] = m.span()
        return found
