"""Typed (free-text) play in the TUI, driven by Pilot at a fixed size.

The typed path is the one plain mode uses (Practice.read -> rank_options -> choose_typed); these
tests check what the trainee sees and what the store keeps.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from simulator.core.coder import default_coder
from simulator.core.coder_play import TypedOption, miti_summary
from simulator.core.library import load_library
from simulator.practice import load_attempt
from simulator.store import Store
from simulator.tui.app import IntakeApp
from simulator.tui.context import AppContext
from simulator.tui.screens.debrief import DebriefScreen
from simulator.tui.screens.library import LibraryScreen
from simulator.tui.screens.play import PlayScreen
from simulator.tui.screens.resume import ResumeScreen
from simulator.tui.screens.selfreport import SelfReportScreen
from simulator.tui.screens.typed_choice import TypedChoiceScreen
from simulator.tui.widgets.typed_read import HIGHLIGHT

SIZE = (140, 50)
SCENARIO = "shula-nerves"  # bundled
HUMBLE = "I'm not sure I understand yet. What would you like to get out of today?"
# Reads as nothing in particular: too far from every written response to map on its own.
VAGUE = "Okay."
TYPED_SCRIPT = (
    "It sounds like part of you is unsure why you are here. What would you like from today?",
    "So it has been weighing on you more than people see. Tell me more about that.",
    "You're carrying a lot, and yet you keep going. What helps you keep going?",
    "It sounds as if your family matters a great deal to you. How do they see what is happening?",
    "I wonder what it is like to talk about this with someone like me. What would help you feel "
    "comfortable?",
)


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "data") as s:
        yield s


def make_app(store: Store, scenario_id: str | None = SCENARIO) -> IntakeApp:
    return IntakeApp(AppContext(store, load_library([])), "Typist", scenario_id)


def shown(app: IntakeApp, selector: str) -> str:
    return str(getattr(app.screen.query_one(selector), "content", ""))


async def type_response(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    if not isinstance(pilot.app.focused, Input):
        await pilot.press("slash")  # "/" moves to the typing box (inside it, "/" is a character)
    await pilot.press(*text, "enter")
    await pilot.pause()


def play_screen(app: IntakeApp) -> PlayScreen:
    assert isinstance(app.screen, PlayScreen), type(app.screen).__name__
    return app.screen


async def test_a_humble_typed_response_is_read_with_its_words_and_counted(store) -> None:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = play_screen(app)
        first = screen.practice.session.options()[0]
        await type_response(pilot, HUMBLE)
        feedback = shown(app, "#feedback")
        assert f'You typed: "{HUMBLE}"' in feedback
        assert (
            "Read as: admitting the limits of what you know + open question + seeking "
            "collaboration + cultural formulation question" in feedback
        )
        assert 'admitting the limits of what you know: "not sure I understand"' in feedback
        assert 'open question: "What"' in feedback
        assert f"Counted as: option 1 — {first.say} (the closest match)" in feedback
        # Coach mode: the usual feedback follows, for the typed codes.
        assert "+ Admitting limits" in feedback or "Humility:" in feedback
        # Every code's words are highlighted inside the quoted text.
        content = app.screen.query_one("#feedback").content  # type: ignore[attr-defined]
        start = len('You typed: "')
        lit = {
            str(content)[s.start : s.end]
            for s in content.spans
            if str(s.style) == HIGHLIGHT and s.end <= start + len(HUMBLE) + 1
        }
        assert "not sure I understand" in lit and "What" in lit
        # Stored as plain mode stores it: the mapped option's id and the typed text.
        assert "decision 2" in shown(app, "#progress")
        row = store.sessions_for_trainee(app.ctx.trainee.id)[0]  # type: ignore[union-attr]
        (choice,) = store.choices(row.id)
        assert (choice.option_id, choice.free_text) == (first.id, HUMBLE)
        turn = screen.practice.session.turns[0]
        assert isinstance(turn.option, TypedOption)
        assert "admit_limits" in turn.option.model.codes
        # After a typed answer the box keeps the focus for the next decision.
        assert isinstance(app.focused, Input)


async def test_a_low_confidence_response_asks_which_of_two_and_follows_the_pick(store) -> None:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = play_screen(app)
        options = screen.practice.session.options()
        await type_response(pilot, VAGUE)
        assert isinstance(app.screen, TypedChoiceScreen)
        asked = "\n".join(str(o.prompt) for o in app.screen.query_one("#closest").options)  # type: ignore[attr-defined]
        assert f"1. {options[0].say}" in asked and f"2. {options[1].say}" in asked
        await pilot.press("escape")  # retype: back in the box with the words kept
        await pilot.pause()
        assert isinstance(app.screen, PlayScreen) and isinstance(app.focused, Input)
        assert app.focused.value == VAGUE and not screen.practice.session.turns
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TypedChoiceScreen)
        await pilot.press("2")
        await pilot.pause()
        assert isinstance(app.screen, PlayScreen)
        assert f"Counted as: option 2 — {options[1].say} (your choice)" in shown(app, "#feedback")
        assert screen.practice.session.path[1] == options[1].model.next
        row = store.sessions_for_trainee(app.ctx.trainee.id)[0]  # type: ignore[union-attr]
        (choice,) = store.choices(row.id)
        assert (choice.option_id, choice.free_text) == (options[1].id, VAGUE)


async def test_a_whole_scenario_played_by_typing_ends_with_the_miti_block(store) -> None:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        typed = 0
        while isinstance(app.screen, PlayScreen):
            await type_response(pilot, TYPED_SCRIPT[typed % len(TYPED_SCRIPT)])
            typed += 1
            if isinstance(app.screen, TypedChoiceScreen):
                await pilot.press("1")
                await pilot.pause()
            assert typed < 30
        assert isinstance(app.screen, SelfReportScreen)
        await pilot.press("escape")  # skip the questions
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)
        title, block = shown(app, "#miti-title"), shown(app, "#miti")
        assert f"Your typed responses, MITI-style ({typed} typed" in title
        assert "Reflection to question:" in block and "fair from 1:1, good from 2:1" in block
        assert "Complex reflections:" in block and "fair from 40%, good from 50%" in block
        assert "MI-adherent:" in block and "MI-non-adherent:" in block
        # The block is the stored session's: re-created from the store alone, the figures agree.
        row = store.sessions_for_trainee(app.ctx.trainee.id)[0]  # type: ignore[union-attr]
        assert row.status == "completed"
        scenario = app.ctx.library.get(SCENARIO)
        session = load_attempt(store, row, scenario)  # type: ignore[arg-type]
        assert session is not None
        coder = default_coder(scenario.rubric)  # type: ignore[union-attr]
        miti = miti_summary(session, coder)
        assert miti is not None and miti.typed_responses == typed
        assert block == "\n".join(line.strip() for line in miti.lines(coder.title)[1:])
        ratio = "no questions" if miti.rq_ratio is None else f"{miti.rq_ratio:.1f}:1"
        assert f"Reflection to question: {ratio} ({miti.reflections} reflections" in block
        assert row.summary is not None and row.summary["miti"]["typed_responses"] == typed
        assert all(c.free_text for c in store.choices(row.id))


async def test_markup_and_escape_sequences_typed_render_literally(store) -> None:
    payload = "[bold]Hi[/bold] [@click=app.quit]x[/] \x1b[31mred\x1b[0m what brings you here?"
    literal = "[bold]Hi[/bold] [@click=app.quit]x[/] [31mred[0m what brings you here?"
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        box = app.screen.query_one("#typed", Input)
        box.value = payload
        await pilot.press("enter")
        await pilot.pause()
        if isinstance(app.screen, TypedChoiceScreen):
            assert f'You typed: "{literal}"' in str(app.screen.query_one("#typed-quote").content)  # type: ignore[attr-defined]
            await pilot.press("1")
            await pilot.pause()
        assert app.is_running  # the [@click=app.quit] did nothing
        feedback = shown(app, "#feedback")
        assert f'You typed: "{literal}"' in feedback and "\x1b" not in feedback
        assert "\nRead as: " in feedback and "\nCounted as: option " in feedback
        # What the terminal shows: the markup as characters, no escape byte.
        lines = app.screen.query_one("#feedback").render_lines(
            app.screen.query_one("#feedback").region.reset_offset
        )
        rendered = "\n".join(line.text for line in lines)
        assert "[bold]Hi[/bold]" in rendered and "\x1b" not in rendered
        row = store.sessions_for_trainee(app.ctx.trainee.id)[0]  # type: ignore[union-attr]
        assert store.choices(row.id)[0].free_text == literal


async def test_quit_mid_session_and_resume_keeps_the_typed_answers(store) -> None:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_response(pilot, HUMBLE)
        await type_response(pilot, TYPED_SCRIPT[1])
        if isinstance(app.screen, TypedChoiceScreen):
            await pilot.press("1")
            await pilot.pause()
        assert "decision 3" in shown(app, "#progress")
        before = [
            (t.option.key, t.option.model.codes) for t in play_screen(app).practice.session.turns
        ]
        await pilot.press("escape", "escape")  # out of the box, then save and leave
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
    again = make_app(store, scenario_id=None)
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(again.screen, ResumeScreen)
        await pilot.press("y")
        await pilot.pause()
        screen = play_screen(again)
        assert "decision 3" in shown(again, "#progress")
        turns = screen.practice.session.turns
        assert all(isinstance(t.option, TypedOption) for t in turns)
        assert [(t.option.key, t.option.model.codes) for t in turns] == before
        assert turns[0].option.coded.text == HUMBLE  # type: ignore[attr-defined]
        # A session with typed answers goes on in the typing box.
        assert isinstance(again.focused, Input)
        await type_response(pilot, TYPED_SCRIPT[2])
        if isinstance(again.screen, TypedChoiceScreen):
            await pilot.press("1")
            await pilot.pause()
        row = store.sessions_for_trainee(again.ctx.trainee.id)[0]  # type: ignore[union-attr]
        assert [c.free_text for c in store.choices(row.id)] == [
            HUMBLE,
            TYPED_SCRIPT[1],
            TYPED_SCRIPT[2],
        ]


async def test_a_number_in_the_box_picks_a_written_response_and_empty_is_refused(store) -> None:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = play_screen(app)
        third = screen.practice.session.options()[2]
        await pilot.press("slash", "enter")  # empty: a note, nothing recorded
        await pilot.pause()
        assert not screen.practice.session.turns
        await type_response(pilot, "9")  # no such response
        assert not screen.practice.session.turns
        app.screen.query_one("#typed", Input).value = ""
        await type_response(pilot, "3")
        turn = screen.practice.session.turns[0]
        assert turn.option.key == third.key and not isinstance(turn.option, TypedOption)
        row = store.sessions_for_trainee(app.ctx.trainee.id)[0]  # type: ignore[union-attr]
        assert store.choices(row.id)[0].free_text is None


async def test_the_free_text_setting_and_a_free_text_pack_open_the_typing_box(store) -> None:
    from simulator.core.assignment import Pack
    from simulator.practice import Practice
    from simulator.store.assignments import save_pack

    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not isinstance(app.focused, Input)  # default: the list of written responses
        await pilot.press("escape")
        app.ctx.settings["free_text"] = True
        app.open_play(SCENARIO)
        await pilot.pause()
        assert isinstance(app.focused, Input)
    # A pack with free_text: its sessions start in the box even with the setting off.
    pack = Pack(
        id="typed-pack",
        cohort="c1",
        title="Typed",
        scenarios=[SCENARIO],
        mode="coach",
        free_text=True,
    )
    save_pack(store, pack)
    trainee = store.get_or_create_trainee("Packed")
    scenario = load_library([]).get(SCENARIO)
    assert scenario is not None
    practice = Practice.begin(store, trainee, scenario, "coach", assignment_id=pack.id)
    packed = IntakeApp(AppContext(store, load_library([])), "Packed")
    async with packed.run_test(size=SIZE) as pilot:
        await pilot.pause()
        if isinstance(packed.screen, ResumeScreen):
            await pilot.press("n")
            await pilot.pause()
        packed.push_screen(PlayScreen(practice))
        await pilot.pause()
        assert isinstance(packed.focused, Input)


async def test_assessment_mode_shows_the_reading_but_holds_the_feedback(store) -> None:
    app = make_app(store, scenario_id=None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.ctx.settings["mode"] = "assessment"
        app.open_play(SCENARIO)
        await pilot.pause()
        await type_response(pilot, HUMBLE)
        feedback = shown(app, "#feedback")
        assert "Read as: admitting the limits" in feedback and "Counted as: option 1" in feedback
        assert "Response recorded." in feedback and "Humility:" not in feedback


async def test_a_typed_session_debrief_from_history_has_the_miti_block(store) -> None:
    from simulator.core.coder import default_coder
    from simulator.practice import Practice

    library = load_library([])
    scenario = library.get(SCENARIO)
    assert scenario is not None
    coder = default_coder(scenario.rubric)
    trainee = store.get_or_create_trainee("Typist")
    practice = Practice.begin(store, trainee, scenario, "coach", coder=coder)
    while not practice.session.done:  # the first written response's own words, typed
        option = practice.session.options()[0]
        practice.choose_typed(option, practice.read(option.say))
    app = make_app(store, scenario_id=None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)
        miti = practice.miti()
        assert miti is not None
        assert shown(app, "#miti-title") == miti.lines(coder.title)[0]
        assert shown(app, "#miti") == "\n".join(x.strip() for x in miti.lines(coder.title)[1:])


async def test_a_debrief_without_typed_answers_has_no_miti_block(store) -> None:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        while isinstance(app.screen, PlayScreen):
            await pilot.press("1")
            await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)
        assert not app.screen.query("#miti")
