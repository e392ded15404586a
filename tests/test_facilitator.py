"""The facilitator view and the room pause, driven by Pilot; discussion prompts in the format."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import OptionList, Static

from simulator.core.compiled import CompiledScenario
from simulator.core.engine import choose, start
from simulator.core.library import load_library
from simulator.practice import Practice
from simulator.store import Store, workshop
from simulator.tui import room_watch
from simulator.tui.app import IntakeApp
from simulator.tui.context import AppContext
from simulator.tui.screens.facilitator import FacilitatorApp, FacilitatorScreen
from simulator.tui.screens.play import PlayScreen
from simulator.tui.widgets.distribution import distribution_lines, percent
from tests.conftest import DATA, codes_of, load_text, mutate

SIZE = (160, 50)
COHORT = "tuesday"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    with Store.open(data_dir) as s:
        yield s


def _text(app: object, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)  # type: ignore[attr-defined]


def _player(store: Store, scenario: CompiledScenario, name: str) -> Practice:
    trainee = store.get_or_create_trainee(name)
    practice = Practice.begin(store, trainee, scenario)
    workshop.join_room(store, COHORT, practice.row.id, trainee.id)
    return practice


# -- discussion prompts in the format ----------------------------------------------------------


def test_discussion_prompts_load_and_reach_the_compiled_node(minimal_text: str, rubric) -> None:
    def add(data: dict) -> None:
        data["nodes"][0]["discussion"] = ["What did you notice first?", "Who leads here?"]

    res = load_text(mutate(minimal_text, add), rubric)
    assert res.scenario is not None, [d.format() for d in res.diagnostics]
    first = next(iter(res.scenario.nodes.values()))
    assert first.discussion == ("What did you notice first?", "Who leads here?")
    assert next(iter(load_text(minimal_text, rubric).scenario.nodes.values())).discussion == ()


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("one prompt, not a list", "list"),
        ([42], "text"),
        ([""], "at least 1"),
        (["x" * 301], "at most 300"),
        ([f"prompt {i}" for i in range(7)], "at most 6"),
    ],
)
def test_bad_discussion_prompts_get_a_located_diagnostic(
    minimal_text: str, rubric, value: object, needle: str
) -> None:
    def add(data: dict) -> None:
        data["nodes"][0]["discussion"] = value

    res = load_text(mutate(minimal_text, add), rubric)
    assert res.scenario is None
    messages = [d.format() for d in res.diagnostics]
    assert any("discussion" in m and needle in m for m in messages), messages
    assert codes_of(res)


def test_bundled_prompts_are_on_key_decisions() -> None:
    library = load_library()
    shula = library.get("shula-nerves")
    assert shula is not None
    assert len(shula.nodes["difference"].discussion) == 2
    assert shula.nodes["difference"].model.broaching  # a broaching moment gets a prompt
    with_prompts = [s.id for s in library.scenarios if any(n.discussion for n in s.nodes.values())]
    assert len(with_prompts) >= 3


# -- the distribution text ---------------------------------------------------------------------


def test_distribution_lines_print_counts_and_percentages(minimal: CompiledScenario) -> None:
    node = minimal.nodes["first"]
    text = str(distribution_lines(node, {"open": 3, "closed": 1, "gone": 1}))
    bars, words = text.splitlines()[::2], text.splitlines()[1::2]
    assert len(bars) == 4  # three authored options, then the one no longer in the text
    assert "  3   60%" in bars[0] and "  0    0%" in bars[1] and "  1   20%" in bars[2]
    assert words[0].strip() == node.options[0].say  # the words under their own bar
    assert "not in this version" in words[3]
    assert percent(0, 0) == 0
    empty = str(distribution_lines(node, {}))
    assert all("  0    0%" in line for line in empty.splitlines()[::2])


def test_markup_in_prompts_and_options_stays_literal(minimal_text: str, rubric) -> None:
    def add(data: dict) -> None:
        data["nodes"][0]["options"][0]["say"] = "[bold red]X[/] \x1b[2J ok"

    res = load_text(mutate(minimal_text, add), rubric)
    assert res.scenario is not None
    text = str(distribution_lines(res.scenario.nodes["first"], {}))
    assert "[bold red]X[/]" in text and "\x1b" not in text


# -- the facilitator screen ----------------------------------------------------------------------


async def test_facilitator_shows_counts_updates_and_pauses(
    store: Store, data_dir: Path, minimal: CompiledScenario
) -> None:
    library = load_library([DATA])
    workshop.open_room(store, COHORT, "MAPLE-7", minimal.id)
    ana = _player(store, minimal, "Ana")
    ben = _player(store, minimal, "Ben")
    _player(store, minimal, "Cy")
    ana.choose(minimal.options["first.open"])
    ben.choose(minimal.options["first.closed"])

    app = FacilitatorApp(store, library, COHORT)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, FacilitatorScreen)
        room = _text(app, "#room")
        assert "Room tuesday" in room and "MAPLE-7" in room and "3 playing" in room
        bars = _text(app, "#bars").splitlines()[::2]  # each bar has its words under it
        assert "  1   50%" in bars[0]  # open: 1 of 2
        assert "  0    0%" in bars[1]
        assert "  1   50%" in bars[2]  # closed
        assert "2 answered" in _text(app, "#decision-here")
        decisions = app.screen.query_one("#decisions", OptionList)
        first_label = str(decisions.get_option_at_index(0).prompt)
        assert "2 answered" in first_label and "1 here" in first_label  # Cy has not answered

        # Another process's connection records a choice; the next refresh shows it.
        with Store.open(data_dir) as other:
            cy = other.get_or_create_trainee("Cy")
            row = other.unfinished_sessions(cy.id)[0]
            Practice.resume(other, cy, row, minimal).choose(minimal.options["first.open"])
        app.screen.refresh_room()  # what the 2-second timer calls
        await pilot.pause()
        bars = _text(app, "#bars").splitlines()[::2]  # each bar has its words under it
        assert "  2   67%" in bars[0] and "  1   33%" in bars[2]
        assert "3 answered" in _text(app, "#decision-here")

        # Pause at the highlighted decision, then resume.
        await pilot.press("down")
        second = decisions.get_option_at_index(1).id
        await pilot.press("p")
        await pilot.pause()
        assert workshop.paused_node(store, COHORT) == second
        assert "PAUSED at decision 2" in _text(app, "#paused-banner")
        assert "PAUSED HERE" in _text(app, "#decision-title")
        assert "PAUSED" in str(decisions.get_option_at_index(1).prompt)
        await pilot.press("r")
        await pilot.pause()
        assert workshop.paused_node(store, COHORT) is None
        assert "Room running" in _text(app, "#paused-banner")

        await pilot.press("c")
        assert "MAPLE-7" not in _text(app, "#room")
        footer_keys = {k for k, b in app.screen.active_bindings.items() if b.binding.show}
        assert {"p", "r", "f", "q"} <= footer_keys


async def test_facilitator_shows_the_decisions_prompts(store: Store) -> None:
    library = load_library()
    shula = library.get("shula-nerves")
    assert shula is not None
    workshop.open_room(store, COHORT, "k", shula.id)
    app = FacilitatorApp(store, library, COHORT)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        nodes = list(shula.nodes)
        decisions = app.screen.query_one("#decisions", OptionList)
        decisions.highlighted = nodes.index("difference")
        await pilot.pause()
        prompts = _text(app, "#prompts")
        assert prompts.startswith("Discuss:")
        for prompt in shula.nodes["difference"].discussion:
            assert prompt in prompts
        decisions.highlighted = nodes.index("opening")  # no prompts authored there
        await pilot.pause()
        assert _text(app, "#prompts") == ""


async def test_facilitator_waits_for_a_scenario_then_follows_the_room(
    store: Store, minimal: CompiledScenario
) -> None:
    library = load_library([DATA])
    workshop.open_room(store, COHORT, "k")  # no scenario named
    app = FacilitatorApp(store, library, COHORT)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "waiting for the first trainee" in _text(app, "#room")
        await pilot.press("p")  # nothing to pause yet: harmless
        assert workshop.paused_node(store, COHORT) is None
        ana = _player(store, minimal, "Ana")
        ana.choose(minimal.options["first.open"])
        _player(store, minimal, "Ben")
        app.screen.refresh_room()
        await pilot.pause()
        assert minimal.model.title in _text(app, "#room")
        await pilot.press("f")  # to where most trainees are
        decisions = app.screen.query_one("#decisions", OptionList)
        at = {n: c for n, c in app.screen.dist.at.items()}  # type: ignore[attr-defined]
        busiest = max(at, key=lambda n: at[n])
        assert decisions.get_option_at_index(decisions.highlighted or 0).id == busiest


# -- the pause, seen from a trainee's play screen ----------------------------------------------


async def test_a_paused_room_holds_the_play_screen_until_resumed(
    store: Store, data_dir: Path, minimal: CompiledScenario
) -> None:
    library = load_library([DATA])
    workshop.open_room(store, COHORT, "k", minimal.id)
    trainee = store.get_or_create_trainee("Dana")
    practice = Practice.begin(store, trainee, minimal)
    workshop.join_room(store, COHORT, practice.row.id, trainee.id)
    workshop.pause(store, COHORT, "first")  # paused where she sits

    app = IntakeApp(AppContext(store, library, extra_dirs=(DATA,)), "Dana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(PlayScreen(practice))
        await pilot.pause()
        assert isinstance(app.screen, room_watch.PausedScreen)
        assert room_watch.PAUSED_TEXT in _text(app, "#paused-text")
        await pilot.press("1")
        await pilot.press("enter")
        await pilot.pause()
        assert store.choices(practice.row.id) == []  # choosing is blocked
        assert practice.session.step == 0

        # The facilitator (another connection) resumes; the next check lifts the hold.
        with Store.open(data_dir) as facilitator:
            workshop.pause(facilitator, COHORT, None)
        play = app.screen_stack[-2]
        room_watch._watches[play].check()  # what the 1-second timer calls
        await pilot.pause()
        assert isinstance(app.screen, PlayScreen)
        await pilot.press("1")
        await pilot.pause()
        assert [c.node_id for c in store.choices(practice.row.id)] == ["first"]

        # Paused where she now sits: the next check holds her; Escape saves and leaves.
        workshop.pause(store, COHORT, practice.session.node_id)
        room_watch._watches[play].check()
        await pilot.pause()
        assert isinstance(app.screen, room_watch.PausedScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, (PlayScreen, room_watch.PausedScreen))
        assert len(store.choices(practice.row.id)) == 1

    # Reaching a paused decision by answering the one before it holds at once, no tick needed.
    other = _player(store, minimal, "Eli")
    after_first, _ = choose(start(minimal), "first.open", None)
    workshop.pause(store, COHORT, after_first.node_id)
    app = IntakeApp(AppContext(store, library, extra_dirs=(DATA,)), "Eli")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(PlayScreen(other))
        await pilot.pause()
        assert isinstance(app.screen, PlayScreen)
        await pilot.press("1")
        await pilot.pause()
        assert isinstance(app.screen, room_watch.PausedScreen)
        await pilot.press("1")
        await pilot.pause()
        assert len(store.choices(other.row.id)) == 1


async def test_a_session_outside_any_room_is_never_held(
    store: Store, minimal: CompiledScenario
) -> None:
    library = load_library([DATA])
    workshop.open_room(store, COHORT, "k", minimal.id)
    workshop.pause(store, COHORT, "first")
    trainee = store.get_or_create_trainee("Solo")
    practice = Practice.begin(store, trainee, minimal)
    app = IntakeApp(AppContext(store, library, extra_dirs=(DATA,)), "Solo")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(PlayScreen(practice))
        await pilot.pause()
        await pilot.press("1")
        await pilot.pause()
        assert len(store.choices(practice.row.id)) == 1


# -- the command ---------------------------------------------------------------------------------


def _cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def test_facilitate_refuses_bad_input_plainly(tmp_path: Path) -> None:
    no_room = _cli("facilitate", "--cohort", "c1", data_dir=tmp_path)
    assert no_room.returncode == 1 and "no workshop room 'c1'" in no_room.stderr
    assert "--code" in no_room.stderr
    bad_scenario = _cli("facilitate", "--cohort", "c1", "--scenario", "nope", data_dir=tmp_path)
    assert bad_scenario.returncode == 1 and "unknown scenario 'nope'" in bad_scenario.stderr
    bad_code = _cli("facilitate", "--cohort", "c1", "--code", " ", data_dir=tmp_path)
    assert bad_code.returncode == 1 and "workshop code" in bad_code.stderr
    usage = _cli("facilitate", data_dir=tmp_path)
    assert usage.returncode == 2 and "--cohort" in usage.stderr
    for run in (no_room, bad_scenario, bad_code, usage):
        assert "Traceback" not in run.stderr
    # With a code the room is opened (and then the screen needs a terminal).
    opened = _cli("facilitate", "--cohort", "c1", "--code", "OAK", data_dir=tmp_path)
    assert opened.returncode == 1 and "needs a terminal" in opened.stderr
    with Store.open(tmp_path) as s:
        assert workshop.check_code(s, "c1", "oak")
