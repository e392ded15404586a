"""The coder's fast cue scan gives exactly what trying every cue at every word gives.

`MatcherGroup.scan` and `Matcher.first` find, in an ASCII text, the word starts where some cue
can begin with one regex call (a trie of every cue's possible beginnings) and try only the cues
that allow the beginning found there. Here they are checked against the word-by-word search
they replaced (still used for non-ASCII text) on the labelled responses, on realisations of
every cue pattern inside other text, and on mutated copies; and every beginning a cue is given
is checked to begin each of its realised matches.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from typing import Any

import pytest

from simulator.core import coder_match
from simulator.core.coder import Coder, load_coder
from simulator.core.coder_match import Matcher, MatcherGroup, Prepared
from simulator.core.compiled import CompiledRubric
from tests.conftest import DATA

_c: Any = coder_match._c
_parser: Any = coder_match._parser
pytestmark = pytest.mark.skipif(_parser is None, reason="needs the stdlib regex parser")
POOL = " abcdefghijklmnopqrstuvwxyz0123456789'-,."
GROUPS = ("_group", "_refl", "_cfi_group", "_heads")


@pytest.fixture(autouse=True)
def gate_from_the_first_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(coder_match, "GATE_AFTER", 0)  # compare the gate itself, not its warm-up


@pytest.fixture(scope="module")
def coder(rubric: CompiledRubric) -> Coder:
    return load_coder(rubric)


def _labelled() -> list[str]:
    texts = []
    for path in sorted(DATA.glob("coded_responses*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                obj = json.loads(line)
                texts += [obj["text"], obj.get("context") or ""]
    return texts


def _pick(items: list[tuple[Any, Any]], rng: random.Random) -> str:
    chars = []
    for op, av in items:
        if op is _c.LITERAL:
            chars.append(chr(av))
        elif op is _c.RANGE:
            chars.append(chr(rng.randint(*av)))
        elif op is _c.CATEGORY:
            chars.append(rng.choice("a 5"))
    if any(op is _c.NEGATE for op, _ in items) or not chars:
        return rng.choice(POOL)  # may not match: such a text is still a fair input
    return rng.choice(chars)


def _realise(items: Any, rng: random.Random) -> str:
    """A random text the parsed pattern is likely to match (lookarounds are not honoured)."""
    out = []
    for op, av in items:
        if op is _c.LITERAL:
            ch = chr(av)
            out.append(ch.upper() if rng.random() < 0.3 else ch)
        elif op is _c.NOT_LITERAL or op is _c.ANY:
            out.append(rng.choice("xyz "))
        elif op is _c.IN:
            out.append(_pick(av, rng))
        elif op is _c.BRANCH:
            out.append(_realise(rng.choice(av[1]), rng))
        elif op is _c.SUBPATTERN:
            out.append(_realise(av[-1], rng))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            lo, hi, sub = av
            out += [_realise(sub, rng) for _ in range(rng.randint(lo, min(hi, lo + 2)))]
    return "".join(out)


def _patterns(group: MatcherGroup) -> list[str]:
    engine = group._engine
    return [*engine._raw, *(p for ps in engine._always_raw.values() for p in ps)]


def _mutants(text: str, rng: random.Random) -> list[str]:
    out = [text.upper(), text.replace("'", ""), text.replace(" ", "_", 1), text + "'s"]
    chars = list(text)
    chars.insert(rng.randint(0, len(chars)), rng.choice(["'", "_", "-", "9", "x", ",", "é"]))
    out.append("".join(chars))
    return out


def _texts(coder: Coder, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    labelled = _labelled()
    words = sorted({w for t in labelled for w in t.split()})
    texts = list(labelled)
    for name in GROUPS:
        for p in _patterns(getattr(coder, name)):
            parsed = _parser.parse(p, re.IGNORECASE)
            for _ in range(3):
                cue = _realise(parsed, rng)
                before = " ".join(rng.choice(words) for _ in range(rng.randint(0, 4)))
                after = " ".join(rng.choice(words) for _ in range(rng.randint(0, 4)))
                text = f"{before} {cue} {after}".strip()
                texts.append(text)
                texts += _mutants(text, rng)
    return texts


def _word_by_word(s: str) -> Prepared:
    t = Prepared(s)
    t.ascii = False  # the scan then tries every cue at every word, as before the gate
    return t


def test_the_gated_scan_matches_the_word_by_word_scan(coder: Coder) -> None:
    texts = [t for t in _texts(coder) if t.isascii()]
    assert len(texts) > 5000

    def odd(name: str, start: int) -> bool:
        return (len(name) + start) % 3 != 0

    accepts: list[Callable[[str, int], bool] | None] = [None, odd]
    found = 0
    for name in GROUPS:
        group: MatcherGroup = getattr(coder, name)
        for text in texts:
            for accept in accepts:
                fast = group.scan(Prepared(text), accept)
                slow = group.scan(_word_by_word(text), accept)
                assert list(fast.items()) == list(slow.items()), (name, text)
                found += bool(fast)
    assert found > len(texts)  # the texts do exercise the cues


def test_the_gated_search_matches_the_word_by_word_search(coder: Coder) -> None:
    matchers = {k: v for k, v in vars(coder).items() if isinstance(v, Matcher)}
    assert len(matchers) > 10
    texts = [t for t in _texts(coder, seed=4)[::3] if t.isascii()]

    def odd(start: int) -> bool:
        return start % 2 == 1

    for name, matcher in matchers.items():
        for text in texts:
            for accept in (None, odd):
                fast = matcher.first(Prepared(text), accept)
                slow = matcher.first(_word_by_word(text), accept)
                assert (fast and fast.span()) == (slow and slow.span()), (name, text)


def test_every_match_begins_with_one_of_its_beginnings(coder: Coder) -> None:
    rng = random.Random(5)
    checked = 0
    for name in GROUPS:
        for p in _patterns(getattr(coder, name)):
            starts = coder_match._starts_of(p)
            begins = (
                coder_match._anywhere(p) if starts is None else coder_match._prefixes(p, starts)
            )
            if begins is None:
                continue  # searched plainly
            rx = re.compile(p, re.IGNORECASE)
            parsed = _parser.parse(p, re.IGNORECASE)
            for _ in range(20):
                text = _realise(parsed, rng)
                m = rx.match(text) if text.isascii() else None
                if m is not None and m.end() > 0:
                    assert coder_match.START in begins or any(
                        text.lower().startswith(x) for x in begins
                    ), (p, text)
                    checked += 1
    assert checked > 3000


def test_trying_only_the_places_a_match_can_begin_is_finditer() -> None:
    """`_leftmost` with every place given behaves as the plain finditer loop, including after
    a match that is refused (finditer resumes at its end) and after an empty match."""
    rng = random.Random(11)
    patterns = ["ab|a", "b?", "|ab", "(?=a)|a", "(?<![a-z])a[a-z]*", "x|", "aa|ab|b", "a(?=b)|ba"]
    for _ in range(3000):
        rx = re.compile(rng.choice(patterns))
        s = "".join(rng.choice("abx ") for _ in range(rng.randint(0, 12)))
        cut = rng.randint(0, 5)

        def accept(start: int, cut: int = cut) -> bool:
            return start % 3 != cut % 3

        for before in (None, (rng.randint(0, 12), 13)):
            for acc in (None, accept):
                plain = coder_match._leftmost(rx, s, before, acc)
                placed = coder_match._leftmost(rx, s, before, acc, list(range(len(s) + 1)))
                assert (placed and placed.span()) == (plain and plain.span()), (rx.pattern, s)


def test_beginnings_of_small_patterns() -> None:
    def begins(p: str) -> set[str]:
        starts = coder_match._starts_of(p)
        assert starts is not None
        return set(coder_match._prefixes(p, starts))

    assert begins("you (?:are|were) sad") == {"you are sad", "you were sad"}
    assert begins("you'?re (?:feeling|\\w+)") == {
        "you're ",
        "youre ",
        "you're feeling",
        "youre feeling",
    }
    assert begins("It(?: is|'s)? [a-z]+ hard") == {"it is ", "it's ", "it "}
    assert begins("caf\u00e9 now") == {"caf"}  # a non-ASCII letter stops the beginning
    assert begins("go+d") == {"go"}  # a repeat: its first round is known, no more
    assert begins("(?:aa|bb|cc|dd|ee|ff)x") == {"aax", "bbx", "ccx", "ddx", "eex", "ffx"}
    assert begins("w[aeo]ll") == {"wall", "well", "woll"}
    assert begins("w[a-z]ll") == {"w"}
    assert coder_match._anywhere("'?s|is") == {"'s", "s", "is"}
    assert coder_match._anywhere("(?:^|so )well") == {coder_match.START, "so well"}
    assert coder_match._anywhere("(?m)^well") == {"well"}  # `^` after any line break
    assert coder_match._anywhere("[a-z]+-speaking") is None
    long = "|".join(f"w{i:03d}" for i in range(300))
    assert len(begins(f"(?:{long}) x")) <= coder_match.PREFIX_CAP


def test_the_gate_waits_for_many_texts_and_changes_no_answer(
    rubric: CompiledRubric, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A one-off `intake-sim code` or a trainee's first typed answers do not pay to build it.
    monkeypatch.setattr(coder_match, "GATE_AFTER", 5)
    fresh = load_coder(rubric)
    matcher = next(v for v in vars(fresh).values() if isinstance(v, Matcher))
    text = "so you have been carrying this alone, and you want it to stop?"
    answers = []
    for _ in range(5):
        answers.append(matcher.first(Prepared(text)))
        assert matcher._engine._gate is None
    answers.append(matcher.first(Prepared(text)))
    assert matcher._engine._gate is not None
    assert len({a.span() if a else None for a in answers}) == 1
