"""The full-screen app with an assignment pack open, driven by Pilot: the banner, the Assigned
column, the instructions dialog, sessions tagged with the pack, and opening a pack from the app."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from simulator.cli import _open_assignment, build_parser
from simulator.core.assignment import Pack, pack_to_yaml
from simulator.core.library import load_library
from simulator.practice import Practice
from simulator.store import Store
from simulator.store.assignments import get_pack, sessions_for_assignment
from simulator.tui.app import IntakeApp
from simulator.tui.context import AppContext
from simulator.tui.screens.assignment import AssignmentBanner, AssignmentScreen
from simulator.tui.screens.library import LibraryScreen
from simulator.tui.screens.play import PlayScreen
from tests.conftest import DATA

SIZE = (160, 50)
PACK = Pack(
    id="spring-2027",
    cohort="spring",
    title="Spring intake practice",
    scenarios=["minimal", "shula-nerves"],
    mode="assessment",
    thresholds={"asking": 60},
    due=None,
    instructions="Play Dana's intake first.\nThen Shula's.",
)


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "data") as s:
        yield s


@pytest.fixture
def pack_file(tmp_path: Path) -> Path:
    path = tmp_path / "spring.yaml"
    path.write_text(pack_to_yaml(PACK), encoding="utf-8")
    return path


def opened(store: Store, pack_file: Path, *argv: str) -> Pack:
    """What `intake-sim --assignment FILE` does before the screen starts: check and keep it."""
    args = build_parser().parse_args(["--assignment", str(pack_file), *argv])
    library = load_library([DATA])
    pack = _open_assignment(args, store, library, None)
    assert isinstance(pack, Pack)
    return pack


def make_app(store: Store, pack: Pack | None) -> IntakeApp:
    library = load_library([DATA])
    return IntakeApp(AppContext(store, library, extra_dirs=(DATA,), assignment=pack), "Dana")


def play_through(store: Store, scenario_id: str, pick: int, assignment: str | None) -> None:
    library = load_library([DATA])
    scenario = library.get(scenario_id)
    assert scenario is not None
    trainee = store.get_or_create_trainee("Dana")
    practice = Practice.begin(store, trainee, scenario, "assessment", assignment)
    while not practice.session.done:
        options = practice.session.options()
        practice.choose(options[min(pick, len(options)) - 1])


def table_rows(app: IntakeApp) -> dict[str, list[str]]:
    from textual.widgets import DataTable

    table = app.screen.query_one(DataTable)
    rows = {}
    for key in table.rows:
        rows[str(key.value)] = [str(c) for c in table.get_row(key)]
    return rows


def banner(app: IntakeApp) -> str:
    widget = app.screen.query_one(AssignmentBanner)
    assert widget.display, "the banner is hidden"
    return str(widget.content)


async def test_opened_with_a_pack_the_library_shows_the_banner_and_marks(
    store: Store, pack_file: Path
) -> None:
    pack = opened(store, pack_file)
    assert get_pack(store, "spring-2027") == pack  # kept in the trainee's store
    play_through(store, "minimal", 1, pack.id)  # passes: asking well above 60
    app = make_app(store, pack)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        text = banner(app)
        assert "Assignment: Spring intake practice" in text
        assert "no due date" in text and "assessment mode" in text
        assert "1 of 2 done, 1 passed" in text
        assert "next: shula-nerves" in text and "i: instructions" in text
        from textual.widgets import DataTable

        table = app.screen.query_one(DataTable)
        labels = [str(c.label) for c in table.columns.values()]
        assert labels[:2] == ["Scenario", "Assigned"] and len(labels) == 7
        rows = table_rows(app)
        assert rows["minimal"][1] == "passed"
        assert rows["shula-nerves"][1] == "to do"
        assert rows["larisa-pills"][1] == ""  # not in the pack
        # The pack's scenarios come first, in the pack's order.
        assert [str(k.value) for k in list(table.rows)[:2]] == ["minimal", "shula-nerves"]

        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, AssignmentScreen)
        shown = str(app.screen.query_one("#assignment-text").content)
        assert "Instructions:\nPlay Dana's intake first.\nThen Shula's." in shown
        assert "Pass marks: asking 60" in shown
        assert "• A short intake: passed" in shown
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)


async def test_sessions_started_under_the_pack_are_tagged_and_in_its_mode(
    store: Store, pack_file: Path
) -> None:
    pack = opened(store, pack_file)
    app = make_app(store, pack)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_play("shula-nerves")
        await pilot.pause()
        assert isinstance(app.screen, PlayScreen)
        row = app.screen.practice.row
        assert (row.assignment_id, row.mode) == ("spring-2027", "assessment")
        await pilot.press("escape")  # save and leave
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        assert table_rows(app)["shula-nerves"][1] == "started"
        # A scenario outside the pack is the trainee's own practice: not tagged, own mode.
        app.open_play("larisa-pills")
        await pilot.pause()
        assert isinstance(app.screen, PlayScreen)
        row = app.screen.practice.row
        assert (row.assignment_id, row.mode) == (None, "coach")
    assert [r.scenario_id for r in sessions_for_assignment(store, "spring-2027")] == [
        "shula-nerves"
    ]


async def test_without_a_pack_there_is_no_banner_and_no_column(store: Store) -> None:
    app = make_app(store, None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        from textual.widgets import DataTable

        assert not app.screen.query_one(AssignmentBanner).display
        labels = [str(c.label) for c in app.screen.query_one(DataTable).columns.values()]
        assert "Assigned" not in labels


async def test_a_pack_can_be_opened_from_the_app(
    store: Store, pack_file: Path, tmp_path: Path
) -> None:
    (tmp_path / "broken.yaml").write_text("id: x\ntitle: [unclosed\n", encoding="utf-8")
    app = make_app(store, None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, AssignmentScreen)
        assert "No assignment pack is open." in str(
            app.screen.query_one("#assignment-text").content
        )
        # Bad input: shown in the dialog, which stays open.
        for ref, expected in [
            (str(tmp_path / "gone.yaml"), "gone.yaml: no such pack file"),
            (str(tmp_path / "broken.yaml"), "broken.yaml:3:1: IS004"),
            ("autumn", "'autumn' is neither a pack file nor the id of a stored pack"),
        ]:
            box = app.screen.query_one("#pack-path")
            box.value = ref  # type: ignore[attr-defined]
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, AssignmentScreen)
            assert expected in str(app.screen.query_one("#pack-error").content)
        box = app.screen.query_one("#pack-path")
        box.value = str(pack_file)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        assert app.ctx.assignment == PACK
        assert "0 of 2 done, 0 passed" in banner(app)
        assert table_rows(app)["minimal"][1] == "to do"
    assert get_pack(store, "spring-2027") == PACK


def test_the_top_level_flag_reaches_the_app_context(store: Store, pack_file: Path) -> None:
    args = build_parser().parse_args(["--assignment", str(pack_file)])
    assert isinstance(args, argparse.Namespace) and args.assignment == str(pack_file)
    assert build_parser().parse_args(["play", "minimal", "--assignment", "x"]).assignment == "x"
    pack = opened(store, pack_file)
    assert make_app(store, pack).ctx.assignment is pack


async def test_a_broken_scenario_file_still_lists_with_a_pack_open(
    store: Store, tmp_path: Path
) -> None:
    broken = tmp_path / "extra"
    broken.mkdir()
    (broken / "broken.yaml").write_text("id: x\ntitle: [unclosed\n", encoding="utf-8")
    library = load_library([DATA, broken])
    app = IntakeApp(AppContext(store, library, assignment=PACK), "Dana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        [bad] = [cells for key, cells in table_rows(app).items() if key.startswith("invalid:")]
        assert bad[0].startswith("(not playable)") and bad[1] == "" and bad[-1] == "1 error(s)"


async def test_pack_text_reaches_the_screen_inert(store: Store) -> None:
    """A pack is someone else's file: markup in its title or instructions is shown as typed."""
    hostile = PACK.model_copy(
        update={"title": "[@click=app.quit]Spring[/]", "instructions": "[b]Bold?[/b]"}
    )
    app = make_app(store, hostile)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "Assignment: [@click=app.quit]Spring[/]" in banner(app)
        await pilot.press("i")
        await pilot.pause()
        assert "[b]Bold?[/b]" in str(app.screen.query_one("#assignment-text").content)
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, LibraryScreen)
