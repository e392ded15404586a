"""Session metrics: the humility formula, themes, broaching style, CFI, identity-blindness."""

from __future__ import annotations

import itertools
import json

import pytest

from simulator.core.engine import choose, start
from simulator.core.library import load_library
from simulator.core.scoring import humility_profile, summarize
from tests.conftest import load_text, mutate

WARM = {"tone": "warm", "eye_contact": "steady"}


def run(scenario, keys, stance=None):
    s = start(scenario)
    for k in keys:
        s, _ = choose(s, k, stance)
    return s


def test_humility_formula_is_the_documented_one(minimal) -> None:
    s = run(minimal, ["first.assume"])
    profile, evidence = humility_profile(s.turns, prior=3)
    # assumption debits avoiding_assumptions by 5: 100 * (0 + 3) / (0 + 5 + 6) = 27
    assert profile["avoiding_assumptions"] == 27
    assert profile["asking"] == 50  # no evidence at all
    assert [(e.step, e.amount, e.source) for e in evidence["avoiding_assumptions"]] == [
        (0, -5, "assumption")
    ]


def test_humble_path_scores_high_and_dismissive_low(minimal) -> None:
    humble = summarize(
        run(minimal, ["first.open", "second.broach", "disclose.reflect", "third.plan"], WARM)
    )
    harsh = summarize(run(minimal, ["first.assume", "second.confront", "third.pills"]))
    assert min(humble.humility.values()) >= 70
    assert max(harsh.humility.values()) <= 50
    assert humble.overall > harsh.overall
    assert humble.ending == "good" and harsh.ending == "bad"
    assert set(humble.salient) <= {"understood", "comfortable", "openness", "trust", "empathy"}
    assert set(harsh.salient) & {"frustration", "anger", "disengagement"}


def test_every_path_ends_with_one_to_three_salient_themes(minimal) -> None:
    stances = [None, WARM, {"tone": "brisk", "eye_contact": "on_screen"}]
    seen = 0
    for picks in itertools.product(range(3), repeat=4):
        for stance in stances:
            s = start(minimal)
            for p in picks:
                if s.done:
                    break
                opts = s.options()
                s, _ = choose(s, opts[min(p, len(opts) - 1)].key, stance)
            summary = summarize(s)
            assert 1 <= len(summary.salient) <= 3
            seen += 1
    assert seen == 243


def test_broaching_styles_follow_the_rules(minimal) -> None:
    avoidant = summarize(run(minimal, ["first.closed", "second.power", "third.plan"]))
    assert avoidant.broaching_style == "avoidant"
    integrated = summarize(
        run(minimal, ["first.open", "second.broach", "disclose.gated", "third.plan"])
    )
    assert integrated.broaching_style == "integrated"
    # relationship + context, power acknowledged, every opportunity engaged
    infusing = summarize(
        run(minimal, ["first.open", "second.broach", "disclose.reflect", "third.plan"], WARM)
    )
    assert infusing.broaching_style == "infusing"
    continuing = summarize(run(minimal, ["first.assume", "second.broach", "third.plan"]))
    assert continuing.broaching_style in ("continuing", "isolating")
    assert continuing.broaching_reason


def test_cfi_domains_and_opportunities_are_counted(minimal) -> None:
    s = summarize(run(minimal, ["first.open", "second.power", "third.plan"]))
    assert s.cfi_domains["definition"] == ("problem_own_words",)
    assert s.cfi_domains["current_help"] == ("help_preferences",)
    assert s.cfi_domains["perceptions"] == ()
    assert s.opportunity_counts() == {"offered": 1, "engaged": 1, "missed": 0, "harmed": 0}
    missed = summarize(run(minimal, ["first.closed", "second.power", "third.plan"]))
    [opp] = missed.opportunities
    assert opp.outcome == "missed" and opp.better and "What brings you" in opp.better


def test_improvements_point_at_turns_with_better_responses(minimal) -> None:
    s = summarize(run(minimal, ["first.assume", "second.confront", "third.pills"]))
    assert len(s.improvements) == 3
    assert [i.step for i in s.improvements] == [0, 1, 2]
    assert all(i.better for i in s.improvements)


def test_summary_json_has_the_stable_fields(minimal) -> None:
    data = summarize(run(minimal, ["first.open", "second.power", "third.plan"])).to_json()
    for key in (
        "scenario",
        "path",
        "humility",
        "themes",
        "opportunities",
        "broaching_style",
        "cfi_domains",
        "overall",
    ):
        assert key in data
    assert set(data["humility"]) == {
        "asking",
        "listening",
        "addressing_difference",
        "avoiding_assumptions",
        "sharing_power",
    }
    assert len(data["themes"]) == 8 and all("salient" in v for v in data["themes"].values())
    assert {"offered", "engaged", "missed"} <= set(data["opportunities"])
    json.dumps(data)


def _swap_identities(text: str) -> str:
    def swap(d):
        d["client"]["identity"], d["therapist"]["identity"] = (
            d["therapist"]["identity"],
            d["client"]["identity"],
        )
        d["client"]["name"] = "Another Person"

    return mutate(text, swap)


def _all_paths(scenario, limit=200):
    out = []
    for picks in itertools.product(range(3), repeat=10):
        s = start(scenario)
        keys = []
        for p in picks:
            if s.done:
                break
            opts = s.options()
            keys.append(opts[min(p, len(opts) - 1)].key)
            s, _ = choose(s, keys[-1], WARM if p == 0 else None)
        out.append(keys)
        if len(out) >= limit:
            break
    return out


def test_identity_swap_leaves_every_score_unchanged(rubric, minimal_text) -> None:
    a = load_text(minimal_text, rubric).scenario
    b = load_text(_swap_identities(minimal_text), rubric).scenario
    assert a is not None and b is not None
    for keys in _all_paths(a, 60):
        sa = summarize(run(a, keys)).to_json()
        sb = summarize(run(b, keys)).to_json()
        for k in ("scenario_version", "content_hash"):
            sa.pop(k), sb.pop(k)
        assert sa == sb


@pytest.mark.parametrize("scenario_id", [s.id for s in load_library().scenarios])
def test_identity_swap_on_bundled_scenarios(rubric, scenario_id) -> None:
    from simulator.core.library import bundled_scenarios_dir

    path = next(
        p for p in bundled_scenarios_dir().glob("*.yaml") if f"id: {scenario_id}\n" in p.read_text()
    )
    text = path.read_text(encoding="utf-8")
    a = load_text(text, rubric).scenario
    b = load_text(_swap_identities(text), rubric).scenario
    for keys in _all_paths(a, 40):
        sa, sb = summarize(run(a, keys)).to_json(), summarize(run(b, keys)).to_json()
        sa.pop("content_hash"), sb.pop("content_hash")
        assert sa == sb
