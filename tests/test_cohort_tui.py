"""The supervisor's cohort view in the TUI (Pilot, fixed size): ctrl+r lists the assignments,
Enter opens one's report, H its decision heatmap. Sessions are played through the real engine
and store; what is checked is the painted text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.core.assignment import Pack
from simulator.core.compiled import CompiledScenario
from simulator.core.library import Library, load_library
from simulator.practice import Practice
from simulator.store import Store
from simulator.store.assignments import save_pack
from simulator.tui.app import IntakeApp
from simulator.tui.context import AppContext
from simulator.tui.screens.cohort import CohortScreen, HeatmapScreen
from tests.conftest import DATA

SIZE = (140, 50)
CLICK = "[@click=app.quit]q[/]"
BOLD = "[bold red]X[/]"
CLOSE = "[/b]"


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library([DATA])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "data") as s:
        yield s


def play(
    store: Store, scenario: CompiledScenario, name: str, ids: list[str], pack: str
) -> Practice:
    t = store.get_or_create_trainee(name)
    p = Practice.begin(store, t, scenario, "coach", assignment_id=pack)
    for oid in ids:
        node = scenario.nodes[p.session.node_id or ""]
        p.choose(next(o for o in node.options if o.id == oid))
    return p


def seed(store: Store, library: Library) -> tuple[bool, list[str]]:
    """The cohort; returns the pack's verdict on the CLICK trainee's session."""
    minimal = library.get("minimal")
    assert minimal is not None
    for pack_id, cohort, title in (
        ("autumn", "group-b", "Autumn follow-up"),
        ("spring", "group-a", "Spring intake practice"),
    ):
        save_pack(
            store,
            Pack(
                id=pack_id,
                cohort=cohort,
                title=title,
                scenarios=["minimal"],
                mode="coach",
                thresholds={"asking": 50, "listening": 40},
            ),
        )
    play(store, minimal, "Ana", ["open", "power", "plan"], "spring")  # passes
    play(store, minimal, BOLD, ["assume", "confront", "pills"], "spring")  # listening 27
    click = play(store, minimal, CLICK, ["assume", "power", "bye"], "spring")
    play(store, minimal, CLOSE, ["assume", "broach"], "spring")  # still playing
    play(store, minimal, "Fay", ["closed", "power", "bye"], "autumn")
    pack = Pack(id="x", cohort="x", title="x", scenarios=["minimal"], mode="coach",
                thresholds={"asking": 50, "listening": 40})  # fmt: skip
    return pack.verdict(click.summary().humility)


def painted(widget) -> str:  # type: ignore[no-untyped-def]
    """What the terminal shows of a widget, line by line."""
    lines = widget.render_lines(widget.region.reset_offset)
    return "\n".join(line.text.rstrip() for line in lines)


def cells(table) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_cohort_report_and_heatmap(store: Store, library: Library) -> None:
    click_ok, click_below = seed(store, library)
    app = IntakeApp(AppContext(store, library, extra_dirs=(DATA,)), "Supervisor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CohortScreen)
        packs = screen.query_one("#packs")
        # The assignments in the store, by cohort: autumn (group-b) after spring (group-a).
        assert [r[:5] for r in cells(packs)] == [
            ["spring", "group-a", "Spring intake practice", "1", "4"],
            ["autumn", "group-b", "Autumn follow-up", "1", "1"],
        ]
        assert "Spring intake practice" in painted(packs)
        await pilot.press("enter")  # the highlighted one: spring
        await pilot.pause()
        report = painted(screen.query_one("#report"))
        assert "Cohort report: Spring intake practice" in report
        assert click_ok and not click_below  # assume, power, bye still meets both thresholds
        assert "Trainees: 4 (2 passed, 1 failed, 1 incomplete)." in report
        assert "Listening" in report and "threshold 40: 1 below" in report
        assert "MOST COMMON MISSTEPS" in report
        assert (
            '1. minimal / first: assume (negative, assumption) chosen 3 of 4 (75%): "People from '
            'your background usually keep things in the family."' in report.replace("\n", " ")
        )
        trainees = screen.query_one("#trainees")
        rows = {r[0]: r[1:] for r in cells(trainees)}
        assert rows == {
            CLICK: ["passed", "1/1", "-"],
            CLOSE: ["incomplete", "0/1", "-"],
            "Ana": ["passed", "1/1", "-"],
            BOLD: ["failed", "1/1", "minimal: Listening"],
        }
        # Markup in pseudonyms is painted as the characters typed, never styled or clickable.
        table_text = painted(trainees)
        for name in (BOLD, CLICK, CLOSE):
            assert name in table_text
        # Tab reaches the report, which scrolls from the keyboard.
        await pilot.press("tab")
        await pilot.pause()
        scroll = screen.query_one("#report-scroll")
        assert scroll.has_focus
        await pilot.press("pagedown")
        await pilot.pause()
        assert scroll.scroll_y > 0
        # The drill-down follows the highlighted trainee.
        await pilot.press("tab")
        await pilot.pause()
        assert trainees.has_focus
        names = [r[0] for r in cells(trainees)]
        await pilot.press("down")
        await pilot.pause()
        detail = painted(screen.query_one("#trainee"))
        assert detail.lstrip().startswith(f"{names[1]}:")
        assert "minimal (counted): completed" in detail or "minimal: active" in detail
        assert app.is_running
        # The decision heatmap of the assignment's scenario, as text.
        await pilot.press("h")
        await pilot.pause()
        heat = app.screen
        assert isinstance(heat, HeatmapScreen)
        title = painted(heat.query_one("#heat-title"))
        assert "Decision heatmap 1/1: A short intake" in title
        graph = painted(heat.query_one("#heat"))
        assert "Choices of assignment spring: 4 sessions." in graph
        assert "[first]" in graph and "(4 answers)" in graph
        assume = next(line for line in graph.splitlines() if "assume" in line)
        assert "3" in assume and "75%" in assume
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, CohortScreen)


async def test_no_packs_says_how_to_get_one(store: Store, library: Library) -> None:
    app = IntakeApp(AppContext(store, library, extra_dirs=(DATA,)), "Supervisor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, CohortScreen)
        text = painted(app.screen.query_one("#report"))
        assert "No assignment packs in this store yet." in text
        await pilot.press("enter", "h")  # nothing to open: no crash
        await pilot.pause()
        assert isinstance(app.screen, CohortScreen)


async def test_pack_without_sessions(store: Store, library: Library) -> None:
    save_pack(
        store,
        Pack(id="empty", cohort="group-c", title="Nobody yet", scenarios=["minimal"], mode="coach"),
    )
    app = IntakeApp(AppContext(store, library, extra_dirs=(DATA,)), "Supervisor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CohortScreen)
        report = painted(screen.query_one("#report"))
        assert "No sessions have been recorded for this assignment yet." in report
        assert "No trainee has a session" in painted(screen.query_one("#trainee"))


async def test_command_palette_opens_the_cohort_view(store: Store, library: Library) -> None:
    seed(store, library)
    app = IntakeApp(AppContext(store, library, extra_dirs=(DATA,)), "Supervisor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Cohort reports")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CohortScreen)
        assert app.screen.query_one("#packs").row_count == 2
