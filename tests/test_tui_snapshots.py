"""One snapshot per main screen state, on a fixed library, clock and terminal size.

Update after an intended visual change with `pytest tests/test_tui_snapshots.py --snapshot-update`
and look at the report it writes before committing the new SVGs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.core.library import load_library
from simulator.practice import Practice
from simulator.store import Store
from simulator.tui.app import IntakeApp
from simulator.tui.context import AppContext
from tests.conftest import DATA

SIZE = (120, 40)


def _clock() -> Iterator[str]:
    n = 0
    while True:
        n += 1
        yield f"2026-01-01T09:{n // 60:02d}:{n % 60:02d}Z"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[IntakeApp]:
    ticks = _clock()
    with Store.open(tmp_path, clock=lambda: next(ticks)) as store:
        library = load_library([DATA], bundled=False)
        yield IntakeApp(AppContext(store, library), "Snapshot")


def _no_blink(pilot) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import Input

    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False


def test_library_screen(snap_compare, app: IntakeApp) -> None:
    assert snap_compare(app, terminal_size=SIZE, run_before=_no_blink)


def test_play_screen_after_a_response(snap_compare, app: IntakeApp) -> None:
    assert snap_compare(app, press=["enter", "t", "1"], terminal_size=SIZE, run_before=_no_blink)


def test_debrief_screen(snap_compare, app: IntakeApp) -> None:
    assert snap_compare(
        app,
        press=["enter", "1", "1", "1", "1", "space", "ctrl+d"],
        terminal_size=SIZE,
        run_before=_no_blink,
    )


def test_history_screen(snap_compare, app: IntakeApp) -> None:
    store = app.ctx.store
    trainee = store.get_or_create_trainee("Snapshot")
    p = Practice.begin(store, trainee, app.ctx.library.get("minimal"))
    for _ in range(4):
        if not p.session.done:
            p.choose(p.session.options()[0])
    assert snap_compare(app, press=["h"], terminal_size=SIZE, run_before=_no_blink)
