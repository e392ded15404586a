"""Decision heatmaps: a cohort's choice counts on the scenario graph (text, Mermaid, DOT).

Sessions are played through the real engine and store; the counts come back through the SQL in
simulator/reports/queries.py and are checked against what was played.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator.core.compiled import CompiledScenario
from simulator.core.graph import CHOSEN_COLOUR, MISSTEP_COLOUR, UNCHOSEN_COLOUR, render
from simulator.practice import Practice
from simulator.reports.heatmap import Cohorts, UnknownCohort, heat_for
from simulator.reports.queries import Selection
from simulator.store import Store
from simulator.store.workshop import join_room, open_room


def play(
    store: Store,
    scenario: CompiledScenario,
    trainee: str,
    option_ids: list[str],
    assignment: str | None = "spring",
) -> Practice:
    """Answer with the given option ids, in order; stops early if the list runs out."""
    t = store.get_or_create_trainee(trainee)
    p = Practice.begin(store, t, scenario, "coach", assignment_id=assignment)
    for oid in option_ids:
        node = scenario.nodes[p.session.node_id or ""]
        p.choose(next(o for o in node.options if o.id == oid))
    return p


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "data") as s:
        yield s


@pytest.fixture
def cohort(store: Store, minimal: CompiledScenario) -> dict[str, Practice]:
    played = {
        "Ana": play(store, minimal, "Ana", ["open", "power", "plan"]),
        "Ben": play(store, minimal, "Ben", ["assume", "confront", "pills"]),
        "Cy": play(store, minimal, "Cy", ["assume", "power", "bye"]),
        # Still playing: the last answer (a conditional branch) has no known target yet.
        "Dee": play(store, minimal, "Dee", ["open", "broach"]),
        # Abandoned: left out, or a restart would count twice.
        "Eve": play(store, minimal, "Eve", ["closed"]),
        # Another assignment.
        "Fay": play(store, minimal, "Fay", ["closed", "power", "bye"], assignment="autumn"),
    }
    store.abandon_session(played["Eve"].row.id)
    for name in ("Ana", "Ben", "Cy", "Fay"):
        assert played[name].session.done
    return played


def spring_heat(store: Store):
    return heat_for(store, Selection(assignments=("spring",)), "minimal", "cohort spring")


def test_counts_per_option_and_edge(store, minimal, cohort) -> None:
    heat = spring_heat(store)
    assert heat.sessions == 4  # Ana, Ben, Cy, Dee; not Eve (abandoned) nor Fay (autumn)
    assert dict(heat.options) == {
        ("first", "open"): 2,
        ("first", "assume"): 2,
        ("second", "power"): 2,
        ("second", "confront"): 1,
        ("second", "broach"): 1,
        ("third", "plan"): 1,
        ("third", "pills"): 1,
        ("third", "bye"): 1,
    }
    assert heat.answers_at("first") == 4 and heat.answers_at("third") == 3
    # Where each answer led, as the engine played it: the next node, or the ending.
    expected: dict[tuple[str, str, str], int] = {}
    for p in cohort.values():
        if p.row.assignment_id != "spring" or p is cohort["Eve"]:
            continue
        turns = p.session.turns
        for i, turn in enumerate(turns):
            target = turns[i + 1].node_id if i + 1 < len(turns) else p.session.ending_id
            if target is None:
                continue  # Dee's last answer: not played on yet
            key = (turn.node_id, turn.option.id, target)
            expected[key] = expected.get(key, 0) + 1
    assert dict(heat.edges) == expected
    assert not any(k[:2] == ("second", "broach") for k in heat.edges)
    ending_ana = cohort["Ana"].session.ending_id
    assert heat.edges[("third", "plan", ending_ana or "")] == 1


def test_mermaid_labels_widths_and_colours(store, minimal, cohort) -> None:
    out = render(minimal, "mermaid", spring_heat(store))
    lines = out.splitlines()
    assert lines[0] == "flowchart TD"
    edges = [line for line in lines if "-->|" in line]
    styles = [line.strip() for line in lines if line.strip().startswith("linkStyle")]
    assert len(styles) == len(edges)

    def style_of(label: str) -> str:
        index = next(i for i, e in enumerate(edges) if f'|"{label}"|' in e)
        return styles[index]

    assert '  first -->|"open: 2 (50%)"| second' in lines
    assert style_of("open: 2 (50%)") == f"linkStyle 0 stroke:{CHOSEN_COLOUR},stroke-width:4.5px"
    # An assumption drawn in the misstep colour; never chosen: thin, grey, dashed.
    assert style_of("assume: 2 (50%)").endswith(f"stroke:{MISSTEP_COLOUR},stroke-width:4.5px")
    assert style_of("closed: 0 (0%)").endswith(
        f"stroke:{UNCHOSEN_COLOUR},stroke-width:1px,stroke-dasharray:3 3"
    )
    # confront: 1 of the 4 answers at `second` (Dee answered there too).
    assert style_of("confront: 1 (25%)").endswith(f"stroke:{MISSTEP_COLOUR},stroke-width:2.8px")
    assert any(line.strip().startswith("%% Choices of cohort spring: 4 sessions") for line in lines)


def test_dot_labels_and_pen_widths(store, minimal, cohort) -> None:
    out = render(minimal, "dot", spring_heat(store))
    assert out.startswith('digraph "minimal" {') and out.rstrip().endswith("}")
    assert 'label="Choices of cohort spring: 4 sessions.' in out
    assert (
        f'"first" -> "second" [label="open: 2 (50%)", penwidth=4.5, color="{CHOSEN_COLOUR}", '
        f'fontcolor="{CHOSEN_COLOUR}"];' in out
    )
    assert (
        f'"first" -> "second" [label="closed: 0 (0%)", style=dashed, color="{UNCHOSEN_COLOUR}"];'
        in out
    )
    bye = re.search(
        r'"third" -> "bad" \[label="bye: 1 \(33%\)", penwidth=3\.3, color="([^"]+)"', out
    )
    assert bye is not None and bye.group(1) == CHOSEN_COLOUR


def test_text_bars_counts_and_misstep_marks(store, minimal, cohort) -> None:
    out = render(minimal, "text", spring_heat(store))
    lines = out.splitlines()
    assert lines[1].startswith("Choices of cohort spring: 4 sessions.")
    assert any(line.startswith("[first]") and "(4 answers)" in line for line in lines)
    row = next(line for line in lines if line.lstrip().startswith("2.*assume"))
    assert "#" * 10 + "." * 10 in row and re.search(r"\b2\s+50%", row)
    closed = next(line for line in lines if line.lstrip().startswith("3.*closed"))
    assert "." * 20 in closed and re.search(r"\b0\s+0%", closed)


def test_without_heat_the_graph_is_unchanged(minimal) -> None:
    plain = render(minimal, "mermaid")
    assert "linkStyle" not in plain and '|"open"|' in plain


def test_workshop_room_is_a_cohort(store, minimal) -> None:
    open_room(store, "room-7", "code-7", "minimal")
    p = play(store, minimal, "Gil", ["open"], assignment=None)
    join_room(store, "room-7", p.row.id, p.trainee.id)
    play(store, minimal, "Hana", ["assume"], assignment=None)  # not in the room
    cohorts = Cohorts(packs={}, tagged={}, rooms=["room-7"])
    heat = heat_for(store, cohorts.resolve("room-7"), "minimal", "room-7")
    assert dict(heat.options) == {("first", "open"): 1}


def test_resolving_cohort_ids() -> None:
    cohorts = Cohorts(
        packs={"spring-a": "spring", "spring-b": "spring", "solo": "x"},
        tagged={"spring-a": 3, "stray": 1},
        rooms=["room-1"],
    )
    assert cohorts.resolve("spring") == Selection(("spring-a", "spring-b"), ())
    assert cohorts.resolve("solo") == Selection(("solo",), ())
    assert cohorts.resolve("stray") == Selection(("stray",), ())
    assert cohorts.resolve("room-1") == Selection((), ("room-1",))
    with pytest.raises(UnknownCohort) as err:
        cohorts.resolve("nope")
    message = str(err.value)
    assert "'nope'" in message and "cohorts spring, x" in message and "room-1" in message
    assert "assignments solo, spring-a, spring-b, stray" in message
