"""The facilitator's live view served to a browser (`intake-sim serve`, /facilitate?key=...).

A real server on loopback, headless system Chromium: the facilitator's page and a trainee's
page side by side. The trainee's answer appears in the facilitator's counts; a pause set from
the facilitator's page holds the trainee at that decision until it is lifted from the page.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.web_page import CELL_OF, PATIENCE_S, Served, open_tab, serve, settle, sign_in, wait_for

CODE = "HX4PRW"
PLAYING = "Your response (1-9"
PAUSED = "Paused for discussion"
SHOT = Path("/tmp/web_facilitator.png")

pytestmark = pytest.mark.browser


def facilitator_link(served: Served) -> str:
    deadline = time.monotonic() + PATIENCE_S
    while time.monotonic() < deadline:
        for line in served.output:
            if "Facilitator view: " in line:
                return line.split("Facilitator view: ", 1)[1].strip()
        time.sleep(0.1)
    raise AssertionError("no facilitator link printed:\n" + "\n".join(served.output))


def test_the_facilitator_sees_answers_live_and_pauses_the_room(
    browser: Any, tmp_path: Path
) -> None:
    with serve(tmp_path / "data", code=CODE, max_sessions=1) as served:
        link = facilitator_link(served)
        assert link.startswith(served.url + "facilitate?key=")

        # Without the key, or with a wrong one, there is only an explanation.
        stranger = browser.new_page()
        for url in (served.url + "facilitate", served.url + "facilitate?key=guessguessguess"):
            response = stranger.goto(url)
            assert response is not None and response.status == 403
            assert "facilitator's link" in stranger.content()
        stranger.close()

        room = open_tab(browser, link)
        wait_for(room, "Room workshop", "Room running")
        screen = wait_for(room, "0 answered")
        assert "Room running" in screen and CODE in screen

        # The facilitator's tab does not take the only trainee place (--max-sessions 1).
        trainee = open_tab(browser, served.url)
        sign_in(trainee, CODE, "Morgan")
        wait_for(trainee, PLAYING)
        settle(trainee)
        trainee.keyboard.press("1")
        screen = wait_for(room, "1 answered")  # refreshed from the shared store
        assert "100%" in screen

        # Pause at decision 2 from the browser: click it (which also gives the tab the
        # keyboard back from the trainee's page), then p.
        room.bring_to_front()
        settle(room)
        row = room.evaluate(CELL_OF, "2 second")
        room.mouse.click(row["x"], row["y"])
        wait_for(room, "Decision 2 (second)")
        room.keyboard.press("p")
        wait_for(room, "PAUSED at decision 2")
        room.screenshot(path=str(SHOT))
        trainee.bring_to_front()
        wait_for(trainee, PAUSED)

        room.bring_to_front()
        room.keyboard.press("r")
        wait_for(room, "Room running")
        trainee.bring_to_front()
        deadline = time.monotonic() + PATIENCE_S
        while PAUSED in settle(trainee) and time.monotonic() < deadline:
            pass
        assert PAUSED not in settle(trainee)
        assert "decision 2" in wait_for(trainee, PLAYING)
