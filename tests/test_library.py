"""The bundled scenario library against the content standard (PRODUCT.md section 5).

Parametrised over every file in `scenarios/`, so a new scenario is covered as soon as it lands:
clean validation (no errors, no warnings, the content checks IS309+ included), scripted
play-throughs (always option 1, 2 or 3), one to four salient themes at every ending over a broad
sample of paths, and coverage of the contexts the product promises across the set.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from simulator.core.compiled import CompiledScenario
from simulator.core.conditions import parse_condition
from simulator.core.engine import Disclosure, Session, choose, start
from simulator.core.library import FileResult, bundled_scenarios_dir, load_rubric, load_scenario
from simulator.core.models import Scenario
from simulator.core.scoring import Summary, read_themes, summarize

PATHS = sorted(bundled_scenarios_dir().glob("*.yaml"))
IDS = [p.stem for p in PATHS]
MIN_SCENARIOS = 12
POSITIVE = {"understood", "comfortable", "openness", "trust", "empathy"}
NEGATIVE = {"frustration", "anger", "disengagement"}
EXHAUSTIVE_CAP = 2000  # endings visited depth-first, default stance, before stopping
RANDOM_WALKS = 400  # then this many seeded random walks with a random stance at every step

# Known problems in scenario files, reported to their authors (tests here may not edit them).
# strict: once the scenario is fixed the test passes, pytest reports XPASS as a failure, and the
# entry must be removed.
KNOWN: dict[tuple[str, str], str] = {}


def _params(test: str) -> list[Any]:
    out = []
    for path, sid in zip(PATHS, IDS, strict=True):
        reason = KNOWN.get((test, sid))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(path, id=sid, marks=marks))
    return out


@cache
def _result(path: Path) -> FileResult:
    return load_scenario(path, _rubric())


@cache
def _rubric():  # type: ignore[no-untyped-def]
    return load_rubric()


def _scenario(path: Path) -> CompiledScenario:
    res = _result(path)
    if res.scenario is None:
        pytest.fail(f"{path.name} does not load: " + "; ".join(d.format() for d in res.errors))
    return res.scenario


def _always(scenario: CompiledScenario, pick: int) -> Summary:
    """Always the `pick`-th open option (the last if there are fewer), default stance."""
    s = start(scenario)
    while not s.done:
        opts = s.options()
        s, _ = choose(s, opts[min(pick, len(opts)) - 1].key, None)
    return summarize(s)


def _valence(summary: Summary) -> tuple[int, int]:
    pos = sum(t in POSITIVE for t in summary.salient)
    neg = sum(t in NEGATIVE for t in summary.salient)
    return pos, neg


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize("path", _params("clean"))
def test_scenario_validates_with_no_errors_and_no_warnings(path: Path) -> None:
    res = _result(path)
    assert res.diagnostics == [], "\n".join(d.format() for d in res.diagnostics)
    assert res.scenario is not None and res.scenario.id == path.stem, "name the file after its id"


@pytest.mark.parametrize("path", _params("structure"))
def test_every_node_offers_three_or_more_responses(path: Path) -> None:
    model = _scenario(path).model
    short = [n.id for n in model.nodes if len(n.options) < 3]
    assert not short, f"nodes with fewer than three options: {short}"


@pytest.mark.parametrize("path", _params("disclosure"))
def test_disclosure_is_gated_on_trust_and_reached_on_the_humble_path(path: Path) -> None:
    scenario = _scenario(path)
    model: Scenario = scenario.model
    disclosures = {n.id for n in model.nodes if n.disclosure is not None}
    assert disclosures, "no node is marked disclosure:"
    ungated = []
    for node in model.nodes:
        for i, opt in enumerate(node.options):
            if isinstance(opt.next, str):
                gotos: list[tuple[str | None, str]] = [(None, opt.next)]
            else:
                gotos = [(g.when, g.goto) for g in opt.next]
            for when, target in gotos:
                if target in disclosures and (
                    when is None or "trust" not in parse_condition(when).names
                ):
                    ungated.append(f"{node.id}.{opt.id or i + 1} -> {target}")
    assert not ungated, f"ways into a disclosure that trust does not gate: {ungated}"
    s = start(scenario)
    disclosed = False
    while not s.done:
        s, events = choose(s, s.options()[0].key, None)
        disclosed = disclosed or any(isinstance(e, Disclosure) for e in events)
    assert disclosed, "always-option-1 (default stance) never reaches a disclosure"


# ---------------------------------------------------------------- scripted play-throughs


@pytest.mark.parametrize("path", _params("humble"))
def test_humble_path_ends_high_and_positive(path: Path) -> None:
    s = _always(_scenario(path), 1)
    assert s.ending_outcome == "positive", (s.ending, s.path)
    low = {d: v for d, v in s.humility.items() if v < 70}
    assert not low, f"humility below 70 on always-1: {low}"
    pos, neg = _valence(s)
    assert pos > neg, f"salient themes not mostly positive on always-1: {s.salient}"


@pytest.mark.parametrize("path", _params("dismissive"))
def test_dismissive_path_ends_negative(path: Path) -> None:
    s = _always(_scenario(path), 3)
    assert s.ending_outcome == "negative", (s.ending, s.path)
    pos, neg = _valence(s)
    assert neg > pos, f"salient themes not mostly negative on always-3: {s.salient}"
    low = [d for d, v in s.humility.items() if v < 40]
    assert len(low) >= 3, f"always-3 should leave most dimensions under 40: {s.humility}"


@pytest.mark.parametrize("path", _params("assumptive_in_between"))
def test_assumptive_path_lies_strictly_between(path: Path) -> None:
    scenario = _scenario(path)
    one, two, three = (_always(scenario, k).overall for k in (1, 2, 3))
    assert one > two > three, f"overall always-1 {one}, always-2 {two}, always-3 {three}"


# ---------------------------------------------------------------- salient themes at every ending


def _endings_depth_first(scenario: CompiledScenario, cap: int) -> Iterator[Session]:
    stack: list[Session] = [start(scenario)]
    seen = 0
    while stack and seen < cap:
        s = stack.pop()
        if s.done:
            seen += 1
            yield s
            continue
        for option in reversed(s.options()):
            stack.append(choose(s, option.key, None)[0])


def _random_endings(scenario: CompiledScenario, walks: int) -> Iterator[Session]:
    rng = random.Random(zlib.crc32(scenario.id.encode()))
    aspects: dict[str, list[str]] = {}
    for aspect, value in sorted(scenario.rubric.stance):
        aspects.setdefault(aspect, []).append(value)
    for _ in range(walks):
        s = start(scenario)
        while not s.done:
            stance = {a: rng.choice(v) for a, v in aspects.items()}
            s, _ = choose(s, rng.choice(s.options()).key, stance)
        yield s


@pytest.mark.parametrize("path", _params("salient"))
def test_one_to_four_salient_themes_at_every_ending(path: Path) -> None:
    scenario = _scenario(path)
    checked = 0
    endings: set[str] = set()
    for source in (
        _endings_depth_first(scenario, EXHAUSTIVE_CAP),
        _random_endings(scenario, RANDOM_WALKS),
    ):
        for s in source:
            _, salient = read_themes(s)
            assert 1 <= len(salient) <= 4, (s.path, salient)
            checked += 1
            assert s.ending_id is not None
            endings.add(s.ending_id)
    assert checked > RANDOM_WALKS
    assert len(endings) >= 3, f"only these endings were reached by the sample: {sorted(endings)}"


# ---------------------------------------------------------------- the library as a whole


def test_library_has_at_least_twelve_scenarios() -> None:
    assert len(PATHS) >= MIN_SCENARIOS, f"{len(PATHS)} scenarios: {IDS}"


def _text(facets: dict[str, str]) -> str:
    return " ".join(facets.values()).lower()


def _any(text: str, *words: str) -> bool:
    """Does a word in `text` start with one of `words`? ("asian" is not found in "caucasian")."""
    return any(re.search(r"\b" + re.escape(w), text) for w in words)


def _woman(m: Scenario) -> bool:
    gender = m.client.identity.get("gender", "").lower()
    return gender.startswith("woman") or (m.client.pronouns or "").startswith("she")


def _man(m: Scenario) -> bool:
    gender = m.client.identity.get("gender", "").lower()
    return gender.startswith("man") or (m.client.pronouns or "").startswith("he")


LATIN = ("latin", "hispanic", "dominican", "puerto ric", "mexican", "salvador", "guatemal", "cuban")
LATIN += ("colombian", "venezuelan", "honduran", "peruvian", "ecuador", "nicaragua", "boricua")
ASIAN = ("asian", "chinese", "korean", "japanese", "vietnamese", "filipin", "taiwanese")
ASIAN += ("cambodian", "hmong", "indian american", "pakistani", "bangladeshi", "thai", "lao")
MIGRATED = ("immigra", "emigra", "first generation", "came to", "came from", "moved to", "arrived")
MIGRATED += ("aliyah", "1.5 generation")
EDUCATED = ("professional", "universit", "graduat", "degree", "doctor", "phd", "master", "college")
EDUCATED += ("upper middle", "middle class", "msw", "lcsw", "psychologist", "psychiatrist")


def _client(m: Scenario) -> str:
    return _text(m.client.identity)


def _therapist(m: Scenario) -> str:
    return _text(m.therapist.identity)


# Each context the product promises, as a rule over a scenario's identity facets (what the
# trainee is shown) or, for the ideas that are not facts about a person, its tags.
COVERAGE: dict[str, Callable[[Scenario], bool]] = {
    "study dyad: Mizrahi client, Ashkenazi therapist": lambda m: (
        _any(_client(m), "mizrahi") and _any(_therapist(m), "ashkenazi")
    ),
    "study dyad: Ashkenazi client, Ashkenazi therapist": lambda m: (
        _any(m.client.identity.get("ethnicity", "").lower(), "ashkenazi")
        and _any(_therapist(m), "ashkenazi")
    ),
    "Ethiopian-Israeli client": lambda m: _any(_client(m), "ethiopia"),
    "Arab citizen of Israel": lambda m: (
        bool(re.search(r"\barabs?\b", _client(m))) and _any(_client(m), "citizen", "israel")
    ),
    "ultra-Orthodox client": lambda m: _any(
        _client(m), "haredi", "ultra-orthodox", "ultra orthodox"
    ),
    "Russian-speaking immigrant": lambda m: (
        _any(_client(m), "russian") and _any(_client(m), *MIGRATED)
    ),
    "a Black woman": lambda m: (
        _any(_client(m), "black") and _woman(m) and not _any(_client(m), *LATIN)
    ),
    "a Black Latina": lambda m: (
        _any(_client(m), "black") and _woman(m) and _any(_client(m), *LATIN)
    ),
    "a Latino man": lambda m: _man(m) and _any(_client(m), *LATIN),
    "an Asian American": lambda m: (
        _any(_client(m), *ASIAN) and (_any(_client(m), "american") or "us-context" in m.tags)
    ),
    "working-class client, professional therapist": lambda m: (
        _any(_client(m), "working class", "working-class")
        and _any(f"{_therapist(m)} {m.therapist.role.lower()}", *EDUCATED)
    ),
    "the intersectional case": lambda m: bool(
        {"intersectional", "intersectionality"} & set(m.tags)
    ),
    "concordant dyad where assumed similarity is the trap": lambda m: (
        {"concordant", "assumed-similarity"} <= set(m.tags)
    ),
    "a client who does not want culture foregrounded": lambda m: bool(
        {"over-broaching", "culture-not-foregrounded"} & set(m.tags)
    ),
}


@pytest.mark.parametrize("context", list(COVERAGE))
def test_library_covers(context: str) -> None:
    rule = COVERAGE[context]
    models = [r.scenario.model for r in map(_result, PATHS) if r.scenario is not None]
    found = [m.id for m in models if rule(m)]
    assert found, f"no bundled scenario covers: {context}"


def test_rubric_feedback_offers_a_better_response_for_every_non_positive_code() -> None:
    codes = _rubric().model.codes
    lacking = [cid for cid, c in codes.items() if c.valence != "positive" and not c.better]
    assert not lacking, f"negative or neutral codes without better: {lacking}"
