"""Dyads, the bias mirror and attempt comparison: the trainee's view of their own practice."""

from __future__ import annotations

import pytest

from simulator.core.compare import compare
from simulator.core.dyad import dyad_for
from simulator.core.engine import choose, start
from simulator.core.library import load_library
from simulator.core.mirror import Rated, bias_mirror
from simulator.core.scoring import summarize


@pytest.fixture(scope="module")
def library():
    return load_library()


def test_study_dyads_are_read_from_the_role_by_default(library) -> None:
    assert dyad_for(library.get("shula-nerves").model) == "discordant"
    assert dyad_for(library.get("ruth-sleepless").model) == "concordant"


def test_the_trainees_own_facets_decide_the_dyad(library) -> None:
    shula = library.get("shula-nerves").model
    assert dyad_for(shula, {"ethnicity": "Mizrahi"}) == "concordant"
    assert dyad_for(shula, {"ethnicity": "  "}) == "discordant"  # blank: the role's default
    ruth = library.get("ruth-sleepless").model
    assert dyad_for(ruth, {"ethnicity": "Ethiopian-Israeli"}) == "discordant"


def _rated(dyad: str, openness: int, trust: int) -> Rated:
    return Rated(
        "x",
        dyad,
        {"openness": openness, "trust": trust, "cooperation": 3},
        {"openness": 3, "trust": 3, "cooperation": 3},
    )


def test_bias_mirror_shows_lower_ratings_of_discordant_clients() -> None:
    mirror = bias_mirror(
        [_rated("concordant", 4, 4), _rated("discordant", 2, 3), _rated("discordant", 2, 2)]
    )
    assert mirror.ready and mirror.counts == {"concordant": 1, "discordant": 2}
    assert mirror.difference["openness"] == pytest.approx(-2.0)
    assert mirror.difference["trust"] == pytest.approx(-1.5)
    assert "openness" in mirror.lines[0].lower() and "lower" in mirror.lines[0]
    assert "no clear difference" in mirror.lines[2].lower()  # cooperation


def test_bias_mirror_asks_for_both_kinds_of_attempt() -> None:
    mirror = bias_mirror([_rated("concordant", 4, 4)])
    assert not mirror.ready and "discordant" in mirror.lines[0]


def test_compare_finds_the_point_of_divergence(library) -> None:
    sc = library.get("shula-nerves")

    def run(picks):
        s = start(sc)
        for p in picks:
            if s.done:
                break
            s, _ = choose(s, s.options()[p].key)
        return s

    a = run([0] * 12)
    b = run([0, 1, 0] + [0] * 12)
    c = compare(a, summarize(a), b, summarize(b))
    assert c.diverged_at == 1
    assert c.steps[0].same and not c.steps[1].same
    assert c.humility["listening"][2] == c.humility["listening"][1] - c.humility["listening"][0]
    same = compare(a, summarize(a), a, summarize(a))
    assert same.diverged_at is None and same.overall[2] == 0
