"""Fast matching of many cue patterns against one short text.

A cue list holds hundreds of alternatives; as one big alternation it is tried at every character
and costs about a millisecond per utterance. Here each pattern is compiled alone, and the stdlib's
own regex parser tells how its matches begin: the literal word start (`_starts_of`), and, spelled
out further through groups and alternatives, the possible beginnings (`_prefixes`, e.g. "you are
feel", "you're feel"). When a group of lists is scanned over an ASCII text (`MatcherGroup.scan`),
one regex call over a trie of every beginning (`_Gate`) finds the word starts where some pattern
can begin, and only the patterns that allow the beginning found there are tried, with `match`.
Otherwise the text is read word by word, each word trying the patterns whose literal start
begins it. Patterns without a known start are searched plainly. The results are those of the
single alternation: the leftmost match, the earlier pattern on a tie.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
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
    """A text prepared once for every matcher: itself, lower-cased, and (on first use) its
    words with their offsets."""

    __slots__ = ("_words", "ascii", "exact", "lower", "s")

    def __init__(self, s: str) -> None:
        self.s = s
        self.lower = lower = s.lower()
        self.exact = len(lower) == len(s)  # lower-casing kept every offset
        self.ascii = s.isascii()
        self._words: list[tuple[int, str]] | None = None

    @classmethod
    def of(cls, s: str) -> Prepared:
        return cls(s)

    @property
    def words(self) -> list[tuple[int, str]]:
        """(offset, word) for every run of ASCII letters and digits of the lower-cased text
        (not needed when the gate reads an ASCII text)."""
        words = self._words
        if words is None:
            words = self._words = [(m.start(), m.group()) for m in _TOKEN.finditer(self.lower)]
        return words


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


@functools.lru_cache(maxsize=4096)
def _parsed(pattern: str) -> Any:
    """The parser's tree of `pattern` (read, never changed), kept: each is read three times."""
    assert _parser is not None
    return _parser.parse(pattern, re.IGNORECASE)


def _starts_of(pattern: str) -> frozenset[str] | None:
    """The word beginnings (whole literal heads) a match of `pattern` starts with, if known."""
    if _parser is None:
        return None
    try:
        parsed = _parsed(pattern)
    except re.error:
        return None
    found, nullable = _first_set(parsed)
    if found is None or nullable or not found or not all(found):
        return None
    return frozenset(found)


# ---------------------------------------------------------------- where a cue can begin

PREFIX_CAP = 128  # beginnings kept per pattern; past it they are cut shorter
PREFIX_LEN = 20  # characters followed into a pattern


class _Begins:
    """The beginnings of a pattern's matches, read so far: `open` can still be followed
    further, `done` stop where the pattern could no longer be spelled out."""

    __slots__ = ("done", "open")

    def __init__(self, open_: set[str], done: set[str] | None = None) -> None:
        self.open = open_
        self.done = done if done is not None else set()

    def stop(self) -> _Begins:
        return _Begins(set(), self.done | self.open)

    def anchored(self) -> _Begins:
        """Nothing read yet and `^`: the match can only begin at the start of the text."""
        if "" not in self.open:
            return self
        return _Begins(self.open - {""}, self.done | {START})

    def union(self, other: _Begins) -> _Begins:
        return _Begins(self.open | other.open, self.done | other.done)

    def size(self) -> int:
        return len(self.open) + len(self.done)


def _extend(b: _Begins, items: Sequence[tuple[Any, Any]], anchors: bool) -> _Begins:
    """`b` followed through parsed items. What cannot be spelled out (a class of more than a
    few characters, a repeat, a non-ASCII letter) stops a beginning there: it is still true.
    With `anchors`, a `^` before any text makes the beginning START (the text's start)."""
    assert _c is not None
    i = 0
    while i < len(items) and b.open:
        op, av = items[i]
        i += 1
        if op is _c.AT and anchors and av in (_c.AT_BEGINNING, _c.AT_BEGINNING_STRING):
            b = b.anchored()
        if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            continue  # zero-width: nothing to read
        if op is _c.LITERAL:
            run = [av]
            while i < len(items) and items[i][0] is _c.LITERAL:
                run.append(items[i][1])
                i += 1
            text = "".join(map(chr, run))
            head = _ascii_head(text)
            b = _appended(b, [head.lower()])
            if head != text:
                b = b.stop()  # a non-ASCII letter can match more than its lower case
        elif op is _c.IN:
            b = _appended(b, _class(av))
        elif op is _c.SUBPATTERN:
            b = _extend(b, av[-1], anchors)
        elif op is getattr(_c, "ATOMIC_GROUP", None):
            b = _extend(b, av, anchors)
        elif op is _c.BRANCH:
            b = _branches(b, av[1], anchors)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
            lo, hi, sub = av
            b = _repeated(b, lo, hi, sub, anchors)
        else:
            b = b.stop()
        if b.size() > PREFIX_CAP:
            b = _shortened(b)
    return b


def _ascii_head(text: str) -> str:
    for i, ch in enumerate(text):
        if not ch.isascii():
            return text[:i]
    return text


def _class(items: list[tuple[Any, Any]]) -> list[str] | None:
    """The few lower-case ASCII characters a class of literals stands for, else None."""
    assert _c is not None
    out = set()
    for op, av in items:
        if op is not _c.LITERAL or not chr(av).isascii():
            return None
        out.add(chr(av).lower())
    return sorted(out) if len(out) <= 4 else None


def _appended(b: _Begins, parts: list[str] | None) -> _Begins:
    """Each open beginning followed by each of `parts` (None: by something unknown)."""
    if parts is None:
        return b.stop()
    open_, done = set(), set(b.done)
    for x in b.open:
        for part in parts:
            y = x + part
            if len(y) >= PREFIX_LEN:
                done.add(y[:PREFIX_LEN])
            else:
                open_.add(y)
    return _Begins(open_, done)


def _branches(b: _Begins, branches: list[Any], anchors: bool) -> _Begins:
    out = _Begins(set(), set(b.done))
    start = _Begins(b.open)
    for branch in branches:
        out = out.union(_extend(start, branch, anchors))
        if out.size() > 4 * PREFIX_CAP:
            out = _shortened(out)  # keeps the union small while it grows
    return out


def _repeated(b: _Begins, lo: int, hi: int, sub: Any, anchors: bool) -> _Begins:
    if lo == hi == 1:
        return _extend(b, sub, anchors)
    if lo == 0 and hi == 1:
        return _Begins(set(b.open), set()).union(_extend(b, sub, anchors))
    # Several repetitions: the first (if required) is known, what follows is not.
    return (b if lo == 0 else _extend(b, sub, anchors)).stop()


def _shortened(b: _Begins) -> _Begins:
    """At most PREFIX_CAP beginnings, all stopped, cut as short as that needs."""
    texts = b.open | b.done
    cut: set[str] = set()
    for size in range(max(map(len, texts)) + 1):
        longer = {x[:size] for x in texts}
        if len(longer) > PREFIX_CAP:
            break
        cut = longer
    return _Begins(set(), cut)


def _prefixes(pattern: str, starts: frozenset[str]) -> frozenset[str]:
    """Lower-case strings one of which begins every match of `pattern` in an ASCII text:
    its literal start followed through groups and alternatives as far as they can be spelled
    out. Falls back to `starts` (its literal heads) when that gives less."""
    assert _parser is not None
    b = _extend(_Begins({""}), _parsed(pattern), anchors=False)
    found = frozenset(b.open | b.done)
    if not found or not all(_TOKEN.match(x) for x in found):
        return starts
    return found


# A beginning that is the start of the text (a `^` before anything is read). Not ASCII, so no
# spelled-out beginning can be it.
START = "\uffff"


def _anywhere(pattern: str) -> frozenset[str] | None:
    """The beginnings of a pattern without a known word start, which may begin with any
    character (or be START); None when some match can begin with anything."""
    assert _parser is not None
    parsed = _parsed(pattern)
    # With multi-line matching `^` also matches after a line break; then it is not START.
    anchors = not (parsed.state.flags & re.MULTILINE or re.search(r"\(\?[a-zA-Z-]*m", pattern))
    b = _extend(_Begins({""}), parsed, anchors)
    found = frozenset(b.open | b.done)
    return None if "" in found or not found else found


def _trie(strings: Iterable[str]) -> str:
    """A regex matching the longest of `strings` that begins the text (each node's children
    are tried before stopping there)."""
    return _trie_from(sorted(set(strings)), 0, 0)[0] if strings else ""


def _trie_from(items: list[str], lo: int, depth: int) -> tuple[str, int]:
    """The trie regex of the sorted items from `lo` on that share `items[lo][:depth]`, after
    those characters, and where that run of items ends."""
    head = items[lo][:depth]
    hi = lo + 1
    while hi < len(items) and items[hi].startswith(head):
        hi += 1
    if hi - lo == 1:
        return re.escape(items[lo][depth:]), hi  # one item left: the rest of it
    terminal = len(items[lo]) == depth  # sorted, so a shorter item comes first
    alts, ends = [], []
    i = lo + 1 if terminal else lo
    while i < hi:
        ch = items[i][depth]
        rest, j = _trie_from(items, i, depth + 1)
        if rest:
            alts.append(re.escape(ch) + rest)
        else:
            ends.append(re.escape(ch))  # an item ending here
        i = j
    if len(ends) > 1:
        alts.append(f"[{''.join(ends)}]")  # the items that end one character on: one class
    else:
        alts.extend(ends)
    body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    return (f"(?:{body})?" if terminal else body), hi


_LOOSE_START = re.compile(r"[a-z0-9_']")


@functools.lru_cache(maxsize=16)
def _gate_parts(
    patterns: tuple[str, ...], loose: tuple[tuple[int, tuple[str, ...]], ...]
) -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]], dict[int, bool], Regex]:
    """The parts of a `_Gate`, kept for the next coder compiled from the same lexicon in this
    process: each beginning with the indexed patterns that allow it, each beginning with the
    lists of unindexed (`loose`) patterns that allow it, those lists (with whether they can
    begin at the text's start), and the trie regex over every beginning."""
    owners: dict[str, list[int]] = {}
    for i, p in enumerate(patterns):
        starts = _starts_of(p)
        assert starts is not None  # only patterns with a known start are indexed
        for x in _prefixes(p, starts):
            owners.setdefault(x, []).append(i)
    loose_owners: dict[str, list[int]] = {}
    gated: dict[int, bool] = {}
    for member, member_patterns in loose:
        found = [_anywhere(p) for p in member_patterns]
        begins = set().union(*(f for f in found if f is not None))
        # Only beginnings the word gate sees: at a word character not right after another.
        if any(f is None for f in found) or not all(
            x == START or _LOOSE_START.match(x) for x in begins
        ):
            continue
        gated[member] = START in begins
        for x in sorted(begins - {START}):
            loose_owners.setdefault(x, []).append(member)
    # A word start: not after a letter, digit, underscore or apostrophe (see `_inside`).
    trie = _trie([*owners, *loose_owners])
    rx = re.compile(f"(?<![a-z0-9_'])(?=({trie}))" if trie else "(?!x)x")
    return (
        {x: tuple(i) for x, i in owners.items()},
        {x: tuple(m) for x, m in loose_owners.items()},
        gated,
        rx,
    )


def _leftmost(
    rx: Regex,
    s: str,
    before: Span | None,
    accept: Callable[[int], bool] | None,
    places: list[int] | None = None,
) -> re.Match[str] | None:
    """What `rx.finditer(s)` finds first that is not empty, whose start `accept` takes, and
    that starts before `before`. With `places` (every place a match can begin, in order) only
    those are tried."""
    if places is not None:
        resume = 0  # finditer goes on after a match it was not given
        for pos in places:
            if before is not None and pos >= before[0]:
                return None
            if pos < resume:
                continue
            m = rx.match(s, pos)
            if m is None:
                continue
            a, b = m.span()
            if a == b:
                break  # after an empty match finditer may find another here: let it
            if accept is None or accept(a):
                return m
            resume = b
        else:
            return None
    for m in rx.finditer(s):
        if before is not None and m.start() >= before[0]:
            break
        if m.end() > m.start() and (accept is None or accept(m.start())):
            return m
    return None


def _record(places: dict[int, list[int]], pos: int, members: tuple[int, ...]) -> None:
    """`pos` is a place where the unindexed patterns of `members` can begin."""
    for member in members:
        at = places[member]
        if not at or at[-1] != pos:
            at.append(pos)


class _Gate:
    """Where in an ASCII text the patterns of an engine can begin, in one regex call.

    Each pattern's possible beginnings (`_prefixes`) go into one trie; matched after every
    word boundary of the lower-cased text, it captures the longest beginning present, and only
    the patterns that allow that beginning are then tried there. Any pattern that can match at
    a word allows its beginning, so the results are the same as trying every pattern at every
    word; most words have no beginning at all and cost no Python step. The lists' unindexed
    patterns are in the trie too when all their beginnings are at words (`_anywhere`): they
    are then tried only at those places.
    """

    def __init__(self, engine: _Engine) -> None:
        self._engine = engine
        loose = tuple((m, tuple(ps)) for m, ps in engine._always_raw.items()) if engine.lead else ()
        self._owners, self._loose, self._gated, self.rx = _gate_parts(tuple(engine._raw), loose)
        # Both bounded by the number of beginnings in the trie.
        self._seen: dict[str, tuple[_Combo | None, tuple[int, ...]]] = {}
        self._built: dict[tuple[int, ...], _Combo] = {}

    def places(self) -> dict[int, list[int]]:
        """An empty record of where each gated list's unindexed patterns can begin."""
        return {m: [0] if at_start else [] for m, at_start in self._gated.items()}

    def hits(self, t: Prepared) -> Iterator[_Hit]:
        """Each word start of `t` where a pattern can begin: the combined regex of the indexed
        patterns to try there (if any) and the lists whose unindexed patterns can begin there."""
        seen = self._seen
        for g in self.rx.finditer(t.lower):
            begins = g.group(1)
            found = seen.get(begins)
            if found is None:
                found = seen[begins] = self._lookup(begins)
            yield g.start(), found[0], found[1]

    def _lookup(self, begins: str) -> tuple[_Combo | None, tuple[int, ...]]:
        heads = [begins[:k] for k in range(1, len(begins) + 1)]
        indices = tuple(sorted({i for h in heads for i in self._owners.get(h, ())}))
        members = tuple(sorted({m for h in heads for m in self._loose.get(h, ())}))
        combo = self._built.get(indices) if indices else None
        if indices and combo is None:
            combo = self._built[indices] = self._engine.build(indices)
        return combo, members


_UNSEEN: Any = object()
_CACHE = 8192  # combined regexes kept per matcher (one per distinct word seen)
# Texts scanned word by word before the gate is built. The gate costs about 0.4 s to build and
# pays off over many texts: a one-off `intake-sim code` should not wait for it, nor should a
# trainee's typed answer (a session reads a few dozen texts per matcher) stall mid-session.
# Both paths give the same matches (tests/test_coder_speed_equivalence.py).
GATE_AFTER = 300


class _Engine:
    """Named pattern lists; at each place where some can begin (found by the `_Gate`, or word
    by word), one regex of optional lookaheads (a named group per list) tells which lists match
    there. Patterns without a known word start are kept apart (`always`)."""

    def __init__(self, lists: Sequence[Sequence[str]], *, words: bool = True) -> None:
        self._first: list[tuple[frozenset[str], int, str]] = []  # (starts, list, wrapped)
        self._bare: list[str] = []  # each of `_first` as used at a word start (see TRAIL)
        self._raw: list[str] = []  # each of `_first` as written
        self.lead = words  # a match must begin outside a word
        always: dict[int, list[str]] = {}
        self._always_raw: dict[int, list[str]] = {}  # the same, as written
        for member, patterns in enumerate(lists):
            for p in patterns:
                wrapped = WRAP.format(p) if words else p
                starts = _starts_of(p)
                if starts is None:
                    always.setdefault(member, []).append(wrapped)
                    self._always_raw.setdefault(member, []).append(p)
                else:
                    self._first.append((starts, member, wrapped))
                    self._bare.append(f"(?:{p}){TRAIL}" if words else p)
                    self._raw.append(p)
        self._heads = frozenset(h for starts, _, _ in self._first for h in starts)
        self._maxlen = max((len(h) for h in self._heads), default=0)
        self.always = {m: re.compile(_alternation(ws), re.IGNORECASE) for m, ws in always.items()}
        self._combos: dict[str, _Combo | None] = {}
        self._gate: _Gate | None = None
        self._scanned = 0

    @property
    def gate(self) -> _Gate:
        """Built on first use: it costs a few tenths of a second."""
        if self._gate is None:
            self._gate = _Gate(self)
        return self._gate

    def combo(self, word: str) -> _Combo | None:
        """(regex, ((group number, list), ...)) for a text word, or None if no list can start
        there. A pattern belongs when its literal start is a beginning of the word."""
        cached = self._combos.get(word, False)
        if cached is not False:
            return cached  # type: ignore[return-value]
        heads = {word[:i] for i in range(1, min(len(word), self._maxlen) + 1)} & self._heads
        combo = None
        if heads:
            combo = self.build(
                i for i, (starts, _, _) in enumerate(self._first) if not starts.isdisjoint(heads)
            )
        if len(self._combos) >= _CACHE:
            self._combos.clear()
        self._combos[word] = combo
        return combo

    def hits(self, t: Prepared) -> tuple[dict[int, list[int]], Iterator[_Hit]]:
        """Where patterns can begin in `t` (which must be `exact`), as `_Gate.hits` says for
        an ASCII text, else `by_word`; and an empty record for `_record`."""
        if t.ascii and self.lead and _parser is not None:
            if self._gate is not None or self._scanned >= GATE_AFTER:
                gate = self.gate
                return gate.places(), gate.hits(t)
            self._scanned += 1
        return {}, self.by_word(t)

    def by_word(self, t: Prepared) -> Iterator[_Hit]:
        """Each word start of `t` where an indexed pattern can begin, with the combined regex
        of those to try there (the form of `_Gate.hits`, for any text that is `exact`)."""
        s = t.s
        combos = self._combos
        for pos, word in t.words:
            if pos and self.lead and _inside(s, pos - 1) is not None:
                continue  # inside a word: no cue starts here
            combo = combos.get(word, _UNSEEN)
            if combo is _UNSEEN:
                combo = self.combo(word)
            if combo is not None:
                yield pos, combo, ()

    def build(self, indices: Iterable[int]) -> _Combo:
        """The combined regex of the patterns `indices` of `_first` (in order): one optional
        lookahead per list, each the alternation of that list's patterns."""
        per: dict[int, list[str]] = {}
        for i in indices:
            per.setdefault(self._first[i][1], []).append(self._bare[i])
        parts = [f"(?:(?=(?P<g{m}>{_alternation(ws)}))|)" for m, ws in per.items()]
        rx = re.compile("".join(parts), re.IGNORECASE)
        groups = tuple((rx.groupindex[f"g{m}"], m) for m in per)
        return (rx, groups, ((-1, -1),) * rx.groups)


# (regex, ((group number, list index), ...), the spans when nothing matched)
_Combo = tuple[Regex, tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]
# A place where patterns can begin: (offset, the combined regex of the indexed patterns to try
# there if any, the lists whose unindexed patterns can begin there)
_Hit = tuple[int, _Combo | None, tuple[int, ...]]


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
        places: dict[int, list[int]] = {}
        if t.exact:
            places, hits = engine.hits(t)
            for pos, combo, loose in hits:
                _record(places, pos, loose)
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
            before = best.span() if best is not None else None
            best = _leftmost(rest, s, before, accept, places.get(0)) or best
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
        places: dict[int, list[int]] = {}
        if t.exact:
            places, hits = engine.hits(t)
            for pos, combo, loose in hits:
                _record(places, pos, loose)
                if combo is None:
                    continue
                rx, groups, nothing = combo
                regs = rx.match(s, pos).regs  # type: ignore[union-attr]  # every part is optional
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
            first = _leftmost(
                rx,
                s,
                found.get(name),
                None if accept is None else functools.partial(accept, name),
                places.get(member),
            )
            if first is not None:
                found[name] = first.span()
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
