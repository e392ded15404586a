"""Workshop mode in a real browser: `intake-sim serve` on loopback, headless system Chromium.

Each test starts the real server (textual-serve, one app process per tab) on a free port with a
temporary store and a room opened with a code, then plays through pages the way a trainee
does: keys into the terminal, reading what the terminal shows (tests/web_page.py). What was
stored is then read straight from SQLite. The CLI errors at the end need no browser.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simulator.paths import DB_FILENAME
from tests.web_page import (
    PATIENCE_S,
    ROOT,
    VIEWPORT,
    Served,
    fill,
    open_tab,
    screen_text,
    serve,
    settle,
    sign_in,
    wait_for,
)

CODE = "TQ7KM4"
SHOTS = Path("/tmp")
# What a screen says, for waiting on it.
PLAYING = "Your response (1-9"
SELF_REPORT = "Before you hear from the client"
DEBRIEF = "Debrief: A short intake"
RESUME = "You have an unfinished session"
TAKE_OVER = "This pseudonym is active in another tab"
ELSEWHERE = "Continued in another tab"

browser_test = pytest.mark.browser


def _decision(page: Any) -> int:
    """The decision number the play screen shows ('decision 2')."""
    screen = wait_for(page, PLAYING, SELF_REPORT)
    found = re.search(r"·\s+decision (\d+)\s+·", screen)
    if found:
        return int(found.group(1))
    raise AssertionError(f"no decision number on the play screen:\n{screen}")


def _answer(page: Any, key: str = "1") -> str:
    """Answer the decision on screen; returns the next screen (next decision or self-report)."""
    before = _decision(page)
    page.keyboard.press(key)
    return _wait_until_past(page, before)


def _wait_until_past(page: Any, decision: int) -> str:
    while True:
        screen = wait_for(page, PLAYING, SELF_REPORT)
        if SELF_REPORT in screen:
            return screen
        if _decision(page) > decision:
            return screen


def _play_to_debrief(page: Any) -> int:
    """Answer '1' until the self-report, skip it, and wait for the debrief; returns answers."""
    answered = 0
    while SELF_REPORT not in screen_text(page):
        _answer(page)
        answered += 1
    settle(page)
    page.keyboard.press("Escape")  # skip the self-report
    wait_for(page, DEBRIEF)
    return answered


def _enter_and_resume(page: Any, pseudonym: str, *, take_over: bool) -> None:
    """Sign in again as `pseudonym` and resume the unfinished session."""
    sign_in(page, CODE, pseudonym)
    screen = wait_for(page, RESUME, TAKE_OVER)
    if TAKE_OVER in screen:
        assert take_over, screen
        settle(page)
        page.keyboard.press("t")
        wait_for(page, RESUME)
    settle(page)
    page.keyboard.press("y")
    wait_for(page, PLAYING)


def _rows(data_dir: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(f"file:{data_dir / DB_FILENAME}?mode=ro", uri=True)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def _sessions_of(data_dir: Path, pseudonym: str) -> list[tuple[str, str]]:
    return [
        (r[0], r[1])
        for r in _rows(
            data_dir,
            "SELECT s.id, s.status FROM sessions s JOIN trainees t ON t.id = s.trainee_id "
            "WHERE t.pseudonym = ?",
            pseudonym,
        )
    ]


def _steps(data_dir: Path, session_id: str) -> list[int]:
    return [
        r[0]
        for r in _rows(
            data_dir, "SELECT step FROM choices WHERE session_id = ? ORDER BY step", session_id
        )
    ]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def served(data_dir: Path) -> Iterator[Served]:
    with serve(data_dir, code=CODE, max_sessions=20) as s:
        yield s


# -- one trainee: a wrong code, play, refresh, resume, finish ----------------------------------


@browser_test
def test_play_in_the_browser_and_resume_after_a_refresh(browser: Any, served: Served) -> None:
    page = open_tab(browser, served.url)
    assert "intake-sim workshop" in page.title()

    sign_in(page, "WRONG1", "Robin")
    wait_for(page, "not this workshop's code")
    page.screenshot(path=str(SHOTS / "web_entry.png"))
    fill(page, "Workshop code", CODE)  # the code box was emptied; the pseudonym stays
    page.keyboard.press("Enter")
    wait_for(page, PLAYING)  # the room's scenario opens at once
    assert _decision(page) == 1
    _answer(page)
    before = settle(page)
    assert _decision(page) == 2
    client_line = next(line for line in before.splitlines() if "Dana:" in line).split("│")[0]

    page.reload()  # a new process for the tab: sign in again and resume
    _enter_and_resume(page, "Robin", take_over=False)
    after = settle(page)
    assert _decision(page) == 2, after
    page.screenshot(path=str(SHOTS / "web_resumed.png"))
    assert client_line.strip() in after  # the same decision, the same client line
    [(session_id, status)] = _sessions_of(served.data_dir, "Robin")
    assert status == "active" and _steps(served.data_dir, session_id) == [0]

    answered = _play_to_debrief(page)
    page.screenshot(path=str(SHOTS / "web_play.png"))
    [(same_id, status)] = _sessions_of(served.data_dir, "Robin")
    assert same_id == session_id and status == "completed"
    assert _steps(served.data_dir, session_id) == list(range(1 + answered))
    # The session joined the workshop room, so the facilitator's view counts it.
    assert _rows(
        served.data_dir, "SELECT count(*) FROM workshop_members WHERE session_id = ?", session_id
    ) == [(1,)]


# -- the same trainee in two tabs --------------------------------------------------------------


@browser_test
def test_a_second_tab_takes_over_and_the_first_stops_saving(browser: Any, served: Served) -> None:
    first = open_tab(browser, served.url)
    sign_in(first, CODE, "Kim")
    wait_for(first, PLAYING)
    _answer(first)
    settle(first)

    # A third tab that declines leaves the first one playing.
    third = open_tab(browser, served.url)
    sign_in(third, CODE, "Kim")
    wait_for(third, TAKE_OVER)
    settle(third)
    third.keyboard.press("b")
    wait_for(third, "stays in the other tab")
    third.context.close()
    [(session_id, _)] = _sessions_of(served.data_dir, "Kim")
    assert _steps(served.data_dir, session_id) == [0]

    second = open_tab(browser, served.url)
    _enter_and_resume(second, "Kim", take_over=True)
    assert _decision(second) == 2

    # The first tab answers after the takeover: refused, told, nothing stored.
    first.keyboard.press("1")
    wait_for(first, ELSEWHERE)
    first.screenshot(path=str(SHOTS / "web_taken_over.png"))
    assert _steps(served.data_dir, session_id) == [0]

    answered = _play_to_debrief(second)
    [(same_id, status)] = _sessions_of(served.data_dir, "Kim")
    assert same_id == session_id and status == "completed"
    assert _steps(served.data_dir, session_id) == list(range(1 + answered))
    for page in (first, second):
        page.context.close()


# -- the session cap ---------------------------------------------------------------------------


@browser_test
def test_past_the_cap_a_polite_full_page(browser: Any, data_dir: Path) -> None:
    with serve(data_dir, code=CODE, max_sessions=1) as served:
        first = open_tab(browser, served.url)
        sign_in(first, CODE, "Ana")
        wait_for(first, PLAYING)

        late = browser.new_context(viewport=VIEWPORT).new_page()
        response = late.goto(served.url)
        assert response is not None and response.status == 503
        assert "The workshop is full" in late.inner_text("h1")
        assert "room for 1 at once" in late.inner_text("main")
        late.screenshot(path=str(SHOTS / "web_full.png"))
        assert any("Workshop full" in line for line in served.output)
        late.context.close()

        # The first tab closes: its place is free for the next trainee.
        first.context.close()
        again = open_tab(browser, served.url)
        wait_for(again, "Workshop code")
        again.context.close()


@browser_test
def test_a_page_never_connected_does_not_hold_a_place(browser: Any, data_dir: Path) -> None:
    # Each page starts its tab's process as it is served (so the two overlap); a page whose
    # script never connects (a link preview, a fetch without JavaScript) gives its place up.
    with serve(data_dir, code=CODE, max_sessions=1) as served:
        for _ in range(2):
            with urllib.request.urlopen(served.url, timeout=30) as bare:
                assert bare.status == 200 and b"data-session-websocket-url" in bare.read()
        tab = open_tab(browser, served.url)
        sign_in(tab, CODE, "Ana")
        wait_for(tab, PLAYING)
        assert sum("before a page connected" in line for line in served.output) >= 2
        tab.context.close()


@browser_test
def test_the_tab_fills_the_browser_terminal(browser: Any, served: Served) -> None:
    # The process starts before the page knows its size (80x24); it must then take the page's.
    tab = open_tab(browser, served.url)
    wait_for(tab, "Workshop code")
    cols = tab.evaluate("window.__terminals[0].cols")
    assert cols > 100  # the 1100-pixel viewport
    deadline = time.monotonic() + PATIENCE_S
    widest = 0
    while time.monotonic() < deadline and widest < cols - 2:
        widest = max(len(line.rstrip()) for line in screen_text(tab).splitlines())
        time.sleep(0.1)
    assert widest >= cols - 2, screen_text(tab)
    tab.context.close()


# -- ten at once ---------------------------------------------------------------------------------


@browser_test
def test_ten_concurrent_tabs_each_store_every_choice_once(browser: Any, served: Served) -> None:
    # One browser context each, as ten people on ten laptops (each its own window and focus).
    names = [f"Trainee{i:02d}" for i in range(10)]
    pages = [open_tab(browser, served.url) for _ in names]
    for page, name in zip(pages, names, strict=True):
        sign_in(page, CODE, name)
    for page in pages:
        wait_for(page, PLAYING)
    answered = dict.fromkeys(names, 0)
    # Round robin, one decision per tab per round, so the writes interleave.
    active = dict(zip(names, pages, strict=True))
    while active:
        for name, page in list(active.items()):
            screen = _answer(page)
            answered[name] += 1
            if SELF_REPORT in screen:
                del active[name]
    for page in pages:
        page.context.close()

    total = 0
    for name in names:
        [(session_id, status)] = _sessions_of(served.data_dir, name)
        assert status == "completed", name
        assert _steps(served.data_dir, session_id) == list(range(answered[name])), name
        total += answered[name]
    [(rows, distinct)] = _rows(
        served.data_dir, "SELECT count(*), count(DISTINCT session_id || ':' || step) FROM choices"
    )
    assert rows == distinct == total
    assert _rows(served.data_dir, "PRAGMA integrity_check") == [("ok",)]


# -- command-line errors (no browser) ------------------------------------------------------------


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_serve_without_the_web_extra_says_what_to_install(tmp_path: Path) -> None:
    import os

    shadow = tmp_path / "shadow" / "textual_serve"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('not installed')\n")
    env = {**os.environ, "PYTHONPATH": str(shadow.parent)}
    proc = _cli("serve", "--data-dir", str(tmp_path / "d"), env=env)
    assert proc.returncode == 1
    assert "pip install 'intake-sim[web]'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_serve_on_a_taken_port_says_so(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = _cli("serve", "--data-dir", str(tmp_path / "d"), "--port", str(port))
    assert proc.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr
    assert "already in use" in proc.stderr and "--port" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "in a browser" not in proc.stdout  # nothing announced that never started


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--port", "0"], "not a port number"),
        (["--port", "http"], "not a port number"),
        (["--max-sessions", "0"], "not a number of tabs"),
        (["--public-url", "example.org"], "give a full http:// or https:// URL"),
        (["--scenario", "no-such-scenario"], "unknown scenario 'no-such-scenario'"),
        (["--facilitator-key", "short"], "needs 12 or more letters"),
        (["--facilitator-key", "has spaces in it!"], "needs 12 or more letters"),
    ],
)
def test_bad_serve_arguments_get_one_line(tmp_path: Path, args: list[str], needle: str) -> None:
    proc = _cli("serve", "--data-dir", str(tmp_path / "d"), *args)
    assert proc.returncode in (1, 2)
    assert needle in proc.stderr and "Traceback" not in proc.stderr


def test_workshop_tab_is_not_for_people(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "simulator", "workshop-tab", "--cohort", "x"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert proc.returncode == 1
    assert "what `intake-sim serve` runs" in proc.stderr
