"""The engine: transitions, gating, decay, rupture and repair, opportunities, rewind, replay."""

from __future__ import annotations

import pytest

from simulator.core.engine import (
    Disclosure,
    Ended,
    EngineError,
    Opportunity,
    Repair,
    Rupture,
    ThemeChanged,
    choose,
    normalise_stance,
    replay,
    rewind,
    start,
)
from simulator.core.scoring import summarize
from tests.conftest import load_text, mutate

WARM = {"tone": "warm", "eye_contact": "steady"}


def play(scenario, keys, stance=None):
    s = start(scenario)
    events = []
    for key in keys:
        s, ev = choose(s, key, stance)
        events.append(ev)
    return s, events


def test_start_opens_at_the_start_node_with_declared_state(minimal) -> None:
    s = start(minimal)
    assert s.node_id == "first" and not s.done
    assert s.state["trust"] == 35  # declared by the scenario
    assert s.state["bond"] == 45  # the rubric's default
    assert [o.id for o in s.options()] == ["open", "assume", "closed"]


def test_choice_moves_state_by_the_rubric_and_follows_next(minimal) -> None:
    s, [events] = play(minimal, ["first.open"])
    assert s.node_id == "second"
    # question_open(bond+1) + cfi(0) + reflection_complex(bond+4), decay is zero at the start
    assert s.state["bond"] == pytest.approx(50)
    assert s.state["asked"] == 10  # the option's own effect
    scored = events[0]
    assert scored.codes == ("question_open", "cfi:problem_own_words", "reflection_complex")
    assert isinstance(events[-1], Opportunity) or any(isinstance(e, Opportunity) for e in events)


def test_alliance_decays_toward_where_the_client_started(minimal) -> None:
    s, _ = play(minimal, ["first.open"])
    bond_after_first = s.state["bond"]
    # 'second.power' holds no bond code except reflection_simple (+2); decay pulls 5% back to 45
    s2, _ = choose(s, "second.power")
    expected = bond_after_first + (45 - bond_after_first) * 0.05 + 2
    assert s2.state["bond"] == pytest.approx(expected)


def test_gated_option_is_hidden_and_refused_until_earned(minimal) -> None:
    # 'disclose.gated' needs 'asked', which only 'first.open' sets.
    s, _ = play(minimal, ["first.closed", "second.broach"], WARM)
    assert s.node_id == "disclose"
    assert "gated" not in [o.id for o in s.options()]
    with pytest.raises(EngineError, match="not open"):
        choose(s, "disclose.gated")


def test_disclosure_is_gated_on_trust(minimal) -> None:
    # Low trust: the broaching question leads on, the client does not disclose.
    cold, _ = play(minimal, ["first.assume", "second.broach"])
    assert cold.node_id == "third"
    # Earned trust: the same question opens the disclosure node.
    warm, events = play(minimal, ["first.open", "second.broach"], WARM)
    assert warm.node_id == "disclose"
    assert any(isinstance(e, Disclosure) for e in events[-1])
    assert "gated" in [o.id for o in warm.options()]


def test_client_line_variants_follow_state(minimal) -> None:
    low, _ = play(minimal, ["first.assume"])
    assert low.client_line() == "It's fine."
    high, _ = play(minimal, ["first.open"], {**WARM, "posture": "leaning_in"})
    assert high.state["trust"] >= 40
    assert "trust this place" in high.client_line()


def test_rupture_then_repair_is_an_event_and_is_credited(minimal) -> None:
    s, events = play(minimal, ["first.assume"])
    assert any(isinstance(e, Rupture) for e in events[0])
    assert s.open_rupture == 0
    s2, ev2 = choose(s, "second.broach", WARM)
    [repair] = [e for e in ev2 if isinstance(e, Repair)]
    assert repair.rupture_step == 0 and s2.open_rupture is None
    assert any(src == "repair" for _, _, src in s2.turns[-1].humility)
    summary = summarize(s2)
    assert summary.ruptures == (0,) and summary.repairs == ((1, 0),)


def test_a_rupture_left_open_becomes_an_improvement_point(minimal) -> None:
    s, _ = play(minimal, ["first.assume", "second.confront", "third.bye"])
    summary = summarize(s)
    assert summary.ruptures and not summary.repairs
    assert summary.improvements and all(i.step in (0, 1, 2) for i in summary.improvements)


def test_opportunity_outcomes_engaged_missed_harmed(minimal) -> None:
    outcomes = {}
    for key in ("first.open", "first.closed", "first.assume"):
        _, [events] = play(minimal, [key])
        outcomes[key] = next(e.outcome for e in events if isinstance(e, Opportunity))
    assert outcomes == {"first.open": "engaged", "first.closed": "missed", "first.assume": "harmed"}


def test_a_missed_opportunity_debits_addressing_difference(minimal) -> None:
    s, _ = play(minimal, ["first.closed"])
    turn = s.turns[0]
    assert any(c.implicit and c.code == "miss_opportunity" for c in turn.option.codes)
    assert ("addressing_difference", -3, "miss_opportunity") in turn.humility


def test_themes_switch_on_with_hysteresis(minimal) -> None:
    s, events = play(minimal, ["first.open", "second.broach", "disclose.reflect"], WARM)
    on = [e.theme for ev in events for e in ev if isinstance(e, ThemeChanged) and e.active]
    assert "understood" in on
    # A theme that is on stays on until its level falls below the lower threshold.
    i = s.scenario.rubric.theme_ids.index("understood")
    assert s.levels()[i] >= s.scenario.rubric.theme_off[i]
    assert "understood" in s.active


def test_reaching_an_ending_finishes_the_session(minimal) -> None:
    s, events = play(minimal, ["first.open", "second.power", "third.bye"])
    assert s.done and s.ending_id == "bad" and s.node_id is None
    assert isinstance(events[-1][-1], Ended)
    with pytest.raises(EngineError, match="ended"):
        choose(s, "third.bye")


def test_unknown_or_misplaced_option_is_refused(minimal) -> None:
    s = start(minimal)
    with pytest.raises(EngineError, match="not an option"):
        choose(s, "third.plan")
    with pytest.raises(EngineError, match="not an option"):
        choose(s, "first.nothing")


def test_stance_is_validated_and_defaults_fill_in(minimal) -> None:
    stance = dict(normalise_stance(minimal, {"tone": "warm"}))
    assert stance["tone"] == "warm" and stance["pace"] == "matching"
    with pytest.raises(EngineError, match="choose one of"):
        normalise_stance(minimal, {"tone": "shouty"})
    with pytest.raises(EngineError, match="unknown stance aspect"):
        normalise_stance(minimal, {"mood": "warm"})


def test_stance_changes_the_alliance(minimal) -> None:
    neutral, _ = play(minimal, ["first.open"])
    warm, _ = play(minimal, ["first.open"], WARM)
    cold, _ = play(
        minimal, ["first.open"], {"tone": "brisk", "eye_contact": "on_screen", "notes": "constant"}
    )
    assert warm.state["trust"] > neutral.state["trust"] > cold.state["trust"]


def test_rewind_and_replay_are_exact(minimal) -> None:
    keys = ["first.open", "second.broach", "disclose.reflect", "third.plan"]
    s, _ = play(minimal, keys, WARM)
    back = rewind(s, 1)
    assert back.node_id == "second" and back.step == 1
    assert back.state == play(minimal, keys[:1], WARM)[0].state
    again = replay(minimal, [(t.option.key, t.stance) for t in s.turns])
    assert summarize(again).to_json() == summarize(s).to_json()
    with pytest.raises(EngineError):
        rewind(s, 9)


def test_nonverbal_weight_scales_stance_only(rubric, minimal_text) -> None:
    heavy = load_text(
        minimal_text.replace("state:\n", "nonverbal_weight: 2.0\nstate:\n"), rubric
    ).scenario
    assert heavy is not None
    base = load_text(minimal_text, rubric).scenario
    a, _ = play(base, ["first.open"], WARM)
    b, _ = play(heavy, ["first.open"], WARM)
    assert b.state["trust"] - a.state["trust"] == pytest.approx(
        2
    )  # steady eye contact: +2 once more
    c, _ = play(base, ["first.open"])
    d, _ = play(heavy, ["first.open"])
    assert c.state == d.state  # with a neutral stance the weight changes nothing


def test_conditional_next_falls_back_to_the_last_entry(rubric, minimal_text) -> None:
    text = mutate(minimal_text, lambda d: None)
    sc = load_text(text, rubric).scenario
    s, _ = play(sc, ["first.assume", "second.confront", "third.pills"])
    assert s.ending_id == "bad"  # trust < 25 after assumption and confrontation
    s2, _ = play(sc, ["first.open", "second.power", "third.pills"])
    assert s2.ending_id == "mixed"
