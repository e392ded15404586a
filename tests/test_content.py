"""Content-standard checks (IS309-IS314): each rule triggered by a real shortfall, located, and
quiet when the scenario meets the standard; the typical path agrees with the engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simulator.core.compiled import CompiledRubric, CompiledScenario
from simulator.core.content import MIN_DECISIONS, check_content, typical_path
from simulator.core.diagnostics import CODES, Severity
from simulator.core.engine import choose, start
from simulator.core.library import bundled_scenarios_dir, load_scenario
from tests.conftest import codes_of, load_text, mutate

CONTENT_CODES = ("IS309", "IS310", "IS311", "IS312", "IS313", "IS314")
BASIS = [{"cite": "2247CL", "note": "Non-verbal signs of understanding."}]


def _opt(d: dict[str, Any], node: int, opt: int) -> dict[str, Any]:
    return d["nodes"][node]["options"][opt]


def _content(res) -> list[str]:  # type: ignore[no-untyped-def]
    return [c for c in codes_of(res) if c in CONTENT_CODES]


def test_content_codes_are_warnings() -> None:
    for code in CONTENT_CODES:
        assert CODES[code].severity is Severity.WARNING


def test_minimal_trips_exactly_the_short_path_and_the_missing_option_basis(
    rubric, minimal_text
) -> None:
    res = load_text(minimal_text, rubric)
    assert res.ok
    assert codes_of(res) == ["IS309", "IS314"]
    short = res.diagnostics[0]
    assert short.line == minimal_text.splitlines().index("start: first") + 1
    assert short.path == "start"
    assert "4 decisions" in short.message
    assert "first -> second -> disclose -> third -> mixed" in short.message


def test_option_basis_silences_is314(rubric, minimal_text) -> None:
    res = load_text(mutate(minimal_text, lambda d: _opt(d, 0, 0).update(basis=BASIS)), rubric)
    assert codes_of(res) == ["IS309"]


def test_content_checks_do_not_run_on_a_file_with_errors(rubric, minimal_text) -> None:
    res = load_text(mutate(minimal_text, lambda d: _opt(d, 0, 0).update(next="nowhere")), rubric)
    assert not res.ok
    assert _content(res) == []


# ---------------------------------------------------------------- IS309: typical path


def _chain(rubric: CompiledRubric, decisions: int) -> str:
    """A generated scenario whose typical path is exactly `decisions` long (bench generator)."""
    from bench.generate import Generator, Shape

    gen = Generator(rubric, Shape(nodes=decisions))
    return gen.render(gen.scenario(0, seed=7))


@pytest.mark.parametrize("decisions", [MIN_DECISIONS - 1, MIN_DECISIONS])
def test_typical_path_length_threshold(rubric, decisions) -> None:
    res = load_text(_chain(rubric, decisions), rubric)
    assert res.scenario is not None
    keys, ending = typical_path(res.scenario)
    assert len(keys) == decisions and ending is not None
    expected = ["IS309"] if decisions < MIN_DECISIONS else []
    assert _content(res) == expected, [d.format() for d in res.diagnostics]


def _engine_typical(scenario: CompiledScenario) -> tuple[list[str], str | None]:
    s = start(scenario)
    keys: list[str] = []
    while not s.done and len(keys) < 500:
        key = s.options()[0].key
        keys.append(key)
        s, _ = choose(s, key, None)
    return keys, s.ending_id


def _bundled_paths() -> list[Path]:
    return sorted(bundled_scenarios_dir().glob("*.yaml"))


def test_typical_path_agrees_with_the_engine(rubric, minimal) -> None:
    from bench.generate import Generator

    scenarios = [minimal]
    for path in _bundled_paths():
        res = load_scenario(path, rubric)
        if res.scenario is not None:
            scenarios.append(res.scenario)
    gen = Generator(rubric)
    for i in range(8):
        res = load_text(gen.render(gen.scenario(i, seed=3)), rubric)
        assert res.scenario is not None
        scenarios.append(res.scenario)
    for scenario in scenarios:
        assert typical_path(scenario) == _engine_typical(scenario), scenario.id


def test_typical_path_follows_state_gates_and_ruptures(rubric, minimal_text) -> None:
    # A rupture on the typical path, then a repair: the repair bonus (+3 trust) opens the gate.
    def edit(d: dict[str, Any]) -> None:
        first = d["nodes"][0]["options"]
        first.insert(0, {**first[1], "id": "assume_first"})  # assumption: -9, a rupture
        d["debrief"]["moments"][0]["at"] = "second.broach"

    res = load_text(mutate(minimal_text, edit), rubric)
    assert res.scenario is not None
    assert typical_path(res.scenario) == _engine_typical(res.scenario)


# ---------------------------------------------------------------- IS310: endings


def test_too_few_endings(rubric, minimal_text) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["endings"] = [e for e in d["endings"] if e["id"] != "mixed"]
        for o in d["nodes"][3]["options"]:
            if isinstance(o["next"], list):
                o["next"] = [{"goto": "good"}]

    text = mutate(minimal_text, edit)
    res = load_text(text, rubric)
    assert "IS310" in codes_of(res)
    hit = next(d for d in res.diagnostics if d.code == "IS310")
    assert hit.line == text.splitlines().index("endings:") + 1 and hit.col == 1
    assert "2 endings" in hit.message and "no mixed ending" in hit.message


def test_three_endings_of_one_outcome_are_not_enough(rubric, minimal_text) -> None:
    res = load_text(
        mutate(minimal_text, lambda d: d["endings"][1].update(outcome="positive")), rubric
    )
    [hit] = [d for d in res.diagnostics if d.code == "IS310"]
    assert "no mixed ending" in hit.message and "ending;" not in hit.message


# ---------------------------------------------------------------- IS311: rupture and repair


def _no_repair(d: dict[str, Any]) -> None:
    """Only the last decision can rupture (premature advice, -9): nothing comes after it."""
    _opt(d, 0, 1).update(codes=["question_closed"])
    _opt(d, 1, 2).update(codes=["question_closed"])


def test_rupture_without_a_repair_after_it(rubric, minimal_text) -> None:
    text = mutate(minimal_text, _no_repair)
    res = load_text(text, rubric)
    [hit] = [d for d in res.diagnostics if d.code == "IS311"]
    assert hit.path == "nodes[3].options[1]"
    assert "third.pills" in hit.message and "no repair path" in hit.message
    lines = text.splitlines()
    assert lines[hit.line - 1].strip() == "- id: pills"


def test_no_rupture_at_all(rubric, minimal_text) -> None:
    def edit(d: dict[str, Any]) -> None:
        _no_repair(d)
        _opt(d, 3, 1).update(codes=["persuade"])  # -5: costly, but not a rupture

    res = load_text(mutate(minimal_text, edit), rubric)
    [hit] = [d for d in res.diagnostics if d.code == "IS311"]
    assert "no option can open a rupture" in hit.message and hit.path == "nodes"


def _flat(d: dict[str, Any]) -> None:
    """Every option a closed question: no rupture, no repair anywhere."""
    for n in d["nodes"]:
        for o in n["options"]:
            o["codes"] = ["question_closed"]
            o.pop("feedback", None)


def test_marked_rupture_and_marked_repair_count(rubric, minimal_text) -> None:
    def edit(d: dict[str, Any]) -> None:
        _flat(d)
        _opt(d, 0, 2).update(rupture=True)  # a rupture by the author's word, at the first node
        _opt(d, 1, 1).update(codes=["reflection_simple", "affirm"])  # +5, but no repair code

    res = load_text(mutate(minimal_text, edit), rubric)
    assert "IS311" in codes_of(res)
    assert "first.closed" in next(d for d in res.diagnostics if d.code == "IS311").message
    res = load_text(
        mutate(minimal_text, lambda d: [edit(d), _opt(d, 1, 1).update(repair=True)]), rubric
    )
    assert "IS311" not in codes_of(res), [x.format() for x in res.diagnostics]


def test_a_repair_that_wins_back_too_little_does_not_count(rubric, minimal_text) -> None:
    def edit(d: dict[str, Any], repair_code: str) -> None:
        _flat(d)
        _opt(d, 0, 1).update(codes=["assumption"], feedback="An assumption.")  # -9
        _opt(d, 1, 1).update(codes=[repair_code])

    res = load_text(mutate(minimal_text, lambda d: edit(d, "admit_limits")), rubric)  # +3
    assert "IS311" in codes_of(res), [x.format() for x in res.diagnostics]
    res = load_text(mutate(minimal_text, lambda d: edit(d, "reflection_complex")), rubric)  # +7
    assert "IS311" not in codes_of(res), [x.format() for x in res.diagnostics]


def test_a_repair_before_the_rupture_does_not_count(rubric, minimal_text) -> None:
    def edit(d: dict[str, Any]) -> None:
        _flat(d)
        _opt(d, 0, 0).update(codes=["reflection_complex"])  # a repair option, but first
        _opt(d, 3, 1).update(codes=["premature_advice"], feedback="Too soon.")  # -9, last

    res = load_text(mutate(minimal_text, edit), rubric)
    assert "IS311" in codes_of(res), [x.format() for x in res.diagnostics]


# ---------------------------------------------------------------- IS312 / IS313: themes


def test_too_few_themes_can_be_raised(rubric, minimal_text) -> None:
    res = load_text(mutate(minimal_text, _flat), rubric)
    [hit] = [d for d in res.diagnostics if d.code == "IS312"]
    # The first node is an opportunity: a closed question misses it, which pushes frustration.
    assert "only 1 of the eight themes (frustration)" in hit.message


def test_missing_theme_snippets_are_each_reported(rubric, minimal_text) -> None:
    def edit(d: dict[str, Any]) -> None:
        del d["debrief"]["themes"]["anger"]
        del d["debrief"]["themes"]["empathy"]

    text = mutate(minimal_text, edit)
    res = load_text(text, rubric)
    hits = [d for d in res.diagnostics if d.code == "IS313"]
    assert sorted(h.message.split("'")[1] for h in hits) == ["anger", "empathy"]
    assert {h.line for h in hits} == {text.splitlines().index("  themes:") + 1}


# ---------------------------------------------------------------- the generated bench files


def test_generated_bench_scenarios_carry_no_warnings(rubric, tmp_path) -> None:
    from bench.generate import write_scenarios

    written = write_scenarios(tmp_path, rubric, 25, seed=11, verify=0)
    for path in written.paths:
        res = load_scenario(path, rubric)
        assert res.diagnostics == [], [d.format() for d in res.diagnostics]


def test_check_content_is_pure(rubric, minimal) -> None:
    from simulator.core.loading import read_doc

    doc = read_doc(Path(__file__).parent / "data" / "minimal.yaml")
    first = check_content(minimal, doc)
    assert check_content(minimal, doc) == first
