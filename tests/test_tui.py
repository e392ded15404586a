"""The Textual app driven by Pilot at a fixed size: keys in, state and rendered text out."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.core.library import load_library
from simulator.practice import Practice
from simulator.store import Store
from simulator.tui.app import IntakeApp
from simulator.tui.context import AppContext
from simulator.tui.screens.compare import CompareScreen
from simulator.tui.screens.debrief import DebriefScreen
from simulator.tui.screens.history import HistoryScreen
from simulator.tui.screens.library import LibraryScreen
from simulator.tui.screens.play import PlayScreen
from simulator.tui.screens.profile import ProfileScreen
from simulator.tui.screens.resume import ResumeScreen
from simulator.tui.screens.selfreport import SelfReportScreen
from tests.conftest import DATA

SIZE = (140, 50)


def text_of(app: IntakeApp, selector: str) -> str:
    """The plain text a Static currently shows."""
    widget = app.screen.query_one(selector)
    return str(getattr(widget, "content", ""))


def screen_text(app: IntakeApp) -> str:
    """Every Static and Label on the current screen, joined: what a reader would see."""
    from textual.widgets import Label, Static

    parts = [str(w.content) for w in app.screen.query(Static) if not isinstance(w, Label)]
    parts += [str(w.content) for w in app.screen.query(Label)]
    return "\n".join(parts)


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "data") as s:
        yield s


def make_app(
    store: Store, trainee: str | None = "Tester", extra: tuple[Path, ...] = (DATA,)
) -> IntakeApp:
    library = load_library(list(extra))
    return IntakeApp(AppContext(store, library, extra_dirs=extra), trainee)


async def test_first_run_asks_for_a_pseudonym_then_shows_the_library(store) -> None:
    app = make_app(store, trainee=None)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, ProfileScreen)
        await pilot.press("enter")  # empty: refused with a message
        assert "enter a pseudonym" in text_of(app, "#error")
        await pilot.press(*"Dana", "tab", *"Mizrahi", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        assert app.ctx.trainee is not None and app.ctx.trainee.pseudonym == "Dana"
        assert app.ctx.trainee.facets == {"ethnicity": "Mizrahi"}
        # With Mizrahi as her own ethnicity, Shula's intake is concordant for this trainee.
        shula = app.ctx.library.get("shula-nerves")
        assert app.ctx.dyad(shula) == "concordant"


async def test_library_lists_filters_and_details(store) -> None:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one("DataTable")
        assert table.row_count >= 4  # three bundled scenarios plus the test one (and any new)
        await pilot.press("slash", *"Mizrahi")
        await pilot.pause()
        assert table.row_count == 1
        await pilot.press("enter")  # leave the filter box for the table
        assert "Shula Azoulay" in text_of(app, "#detail-text")
        assert "Research basis" in text_of(app, "#detail-text")
        await pilot.press("escape")
        assert table.row_count >= 4


async def test_a_broken_scenario_is_listed_with_its_reasons(store, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "bad.yaml").write_text("id: bad\ntitle: [unclosed\n", encoding="utf-8")
    app = make_app(store, extra=(broken,))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"bad.yaml", "enter")
        await pilot.pause()
        detail = text_of(app, "#detail-text")
        assert "cannot be played" in detail and "IS004" in detail
        await pilot.press("enter")  # refuses politely, stays on the library
        assert isinstance(app.screen, LibraryScreen)


async def _open(pilot, app: IntakeApp, query: str) -> None:
    await pilot.press("slash", *query, "enter", "enter")
    await pilot.pause()


async def test_full_play_through_by_keys_alone(store) -> None:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot, app, "Dana Test")
        assert isinstance(app.screen, PlayScreen)
        assert "I don't know where to start" in text_of(app, "#client-line")
        assert "She looks at the floor" in text_of(app, "#cue")
        await pilot.press("t")  # tone: warm
        assert "Tone [t]: Warm" in text_of(app, "#stance")
        await pilot.press("1")
        feedback = text_of(app, "#feedback")
        assert "Read as: open question" in feedback and "Humility:" in feedback
        assert "Cultural opportunity" in feedback
        for _ in range(3):
            if not isinstance(app.screen, PlayScreen):
                break
            await pilot.press("1")
            await pilot.pause()
        assert isinstance(app.screen, SelfReportScreen)
        await pilot.press("space", "ctrl+d")  # tick the first theme, done
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)
        shown = screen_text(app)
        assert "Dana's account" in shown and "Humility profile" in shown
        assert "You expected: Feeling understood" in shown
        assert "Broaching style" in shown and "For next time" in shown
        row = store.sessions_for_trainee(app.ctx.trainee.id)[0]
        assert row.status == "completed" and store.self_report(row.id) is not None


async def test_assessment_mode_holds_feedback(store) -> None:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        app.ctx.settings["mode"] = "assessment"
        await _open(pilot, app, "Dana Test")
        await pilot.press("1")
        feedback = text_of(app, "#feedback")
        assert "Response recorded" in feedback and "Read as" not in feedback
        await pilot.press("r")  # no rewinding in an assessment
        assert isinstance(app.screen, PlayScreen)


async def test_rewind_and_leave_then_resume_offer(store) -> None:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot, app, "Dana Test")
        await pilot.press("3", "3")
        assert "decision 3" in text_of(app, "#progress")
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("home", "enter")  # rewind to decision 1
        await pilot.pause()
        assert "decision 1" in text_of(app, "#progress")
        await pilot.press("1", "escape")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
    # A fresh launch (as after a crash or a closed terminal) offers the unfinished session.
    again = make_app(store)
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(again.screen, ResumeScreen)
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(again.screen, PlayScreen)
        assert "decision 2" in text_of(again, "#progress")


async def test_meters_toggle_and_setting_persists(store) -> None:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot, app, "Dana Test")
        meters = app.screen.query_one("#meters")
        assert meters.display and "Trust" in str(meters.content)
        await pilot.press("m")
        assert not meters.display
    assert store.settings(store.get_trainee("Tester").id)["meters"] is False


def _finish(store: Store, picks: list[int]) -> None:
    library = load_library([DATA])
    trainee = store.get_or_create_trainee("Tester")
    p = Practice.begin(store, trainee, library.get("minimal"))
    for i in picks:
        if p.session.done:
            break
        p.choose(p.session.options()[i])


async def test_history_compares_two_attempts(store) -> None:
    _finish(store, [0, 0, 0, 0])
    _finish(store, [0, 2, 0, 0])
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        await pilot.press("space", "down", "space", "c")
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)
        shown = screen_text(app)
        assert "diverged at decision 2" in shown
        assert "Overall" in shown


async def test_history_opens_a_past_debrief_and_shows_the_mirror(store) -> None:
    _finish(store, [0, 0, 0, 0])
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h")
        await pilot.pause()
        assert "bias mirror" in text_of(app, "#mirror").lower()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)


HOSTILE = [
    "[bold red]X[/]",
    "[TODO] plan",
    "[/b]",
    "[link=https://example.org]x[/link]",
    "[@click=app.quit]q[/]",
]


async def test_markup_in_scenario_text_renders_literally_everywhere(store, tmp_path: Path) -> None:
    hostile = " ".join(HOSTILE)
    text = (DATA / "minimal.yaml").read_text(encoding="utf-8")
    quoted = '"' + (hostile + " \\x1b[2J \\u202eevil").replace('"', '\\"') + '"'
    text = text.replace("client: I don't know where to start.", f"client: {quoted}")
    text = text.replace("  name: Dana Test", f"  name: {quoted}")
    text = text.replace("say: Start wherever feels right. What brings you here?", f"say: {quoted}")
    text = text.replace("title: A short intake", f"title: {quoted}")
    d = tmp_path / "hostile"
    d.mkdir()
    (d / "h.yaml").write_text(text, encoding="utf-8")
    app = make_app(store, extra=(d,))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"TODO", "enter")
        await pilot.pause()
        assert "[bold red]X[/]" in text_of(app, "#detail-text")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PlayScreen)
        line = text_of(app, "#client-line")
        assert "[@click=app.quit]q[/]" in line and "[/b]" in line
        assert "\x1b" not in line and "\u202e" not in line
        await pilot.press("1")
        assert "[link=https://example.org]x[/link]" in text_of(app, "#feedback")
        for _ in range(3):
            if isinstance(app.screen, PlayScreen):
                await pilot.press("1")
                await pilot.pause()
        await pilot.press("escape")  # skip the self-report
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)
        assert "[bold red]X[/]" in screen_text(app)  # title and the client's name, literal
        await pilot.press("h")
        await pilot.pause()
        cells = " ".join(str(c) for c in app.screen.query_one("DataTable").get_row_at(0))
        assert "[@click=app.quit]q[/]" in cells
        assert app.is_running  # nothing was clickable, nothing crashed


async def test_help_settings_and_palette(store) -> None:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert "Esc save and leave" in screen_text(app)
        await pilot.press("escape", "ctrl+s")
        await pilot.pause()
        await pilot.press("tab", "space")  # from the mode choice to the meters switch
        await pilot.pause()
        assert app.ctx.settings["meters"] is False
        await pilot.press("escape", "ctrl+p")
        await pilot.pause()
        await pilot.press(*"History", "enter")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
