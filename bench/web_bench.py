"""web: workshop mode in the browser, memory per connected tab and time to the first screen.

A real `intake-sim serve` on loopback with a temporary store and the test scenario, driven by
the system's headless Chromium through Playwright (tests/web_page.py reads the terminal).

  first screen  from just before `page.goto` to the first moment the entry screen's text
                ("Workshop code") is in the page's terminal: the page, textual.js, the
                websocket, the tab's new process (interpreter, imports, library, store) and
                its first frame. Each load is a fresh page, so a fresh process; median of the
                runs. Baseline in the same run: the same app started for a terminal
                (bench/tui_child.py `app`, until the library is painted), median of the same
                number of fresh processes. Goal: ratio 1.5 or less.
  memory        N tabs signed in and playing at once; VmRSS of every process under the server
                (each tab's app process and the shell textual-serve starts it through) summed
                and divided by N, read from /proc. Baseline: the terminal app's VmRSS at its
                first screen (the same child). Goal: ratio 1.5 or less. The server's own VmRSS
                is printed beside it.

Without a system Chromium (`apt-get install chromium`) the benchmark says so and reports no
figures; it is not a failed check.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import BenchResult, Goal, log

NAME = "web"
GOAL_FIRST_SCREEN = 1.5
GOAL_MEMORY = 1.5
FULL_LOADS, QUICK_LOADS = 6, 2
FULL_TABS, QUICK_TABS = 10, 2
CODE = "BENCH7"
ROOT = Path(__file__).resolve().parent.parent


def _first_screen_s(browser: Any, url: str) -> float:
    from tests.web_page import CATCH_TERMINAL, PATIENCE_S, READ_SCREEN, VIEWPORT

    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.add_init_script(CATCH_TERMINAL)
        started = time.perf_counter()
        page.goto(url)
        page.wait_for_function(
            f"(text) => ({READ_SCREEN})().includes(text)",
            arg="Workshop code",
            polling=10,
            timeout=PATIENCE_S * 1000,
        )
        return time.perf_counter() - started
    finally:
        context.close()


def _tabs_memory(browser: Any, served: Any, tabs: int) -> tuple[list[int], int]:
    """Sign `tabs` trainees in at once; each tab's VmRSS and the server's own."""
    from tests.web_page import VIEWPORT, descendants, open_tab, rss_kb, settle, sign_in, wait_for

    context = browser.new_context(viewport=VIEWPORT)
    try:
        pages = [open_tab(browser, served.url, context) for _ in range(tabs)]
        for i, page in enumerate(pages):
            sign_in(page, CODE, f"bench{i:02d}")
        for page in pages:
            wait_for(page, "Your response (1-9")
        settle(pages[-1], quiet=1.0)
        # Each tab is the server's direct child (the shell textual-serve starts it through)
        # and the app process under it.
        server = served.process.pid
        tab_roots = [p for p in descendants(server) if _parent(p) == server]
        per_tab = [rss_kb(p) + sum(rss_kb(c) for c in descendants(p)) for p in tab_roots]
        return per_tab, rss_kb(server)
    finally:
        context.close()


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def run(*, quick: bool = False, loads: int | None = None, tabs: int | None = None) -> BenchResult:
    result = BenchResult(NAME)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.browser import FLAGS, chromium_path

    browser_path = chromium_path()
    if browser_path is None:
        result.lines.append(f"{NAME}: skipped: no system Chromium (apt-get install chromium)")
        result.figures["skipped"] = True
        return result
    n_loads = loads if loads is not None else (QUICK_LOADS if quick else FULL_LOADS)
    n_tabs = tabs if tabs is not None else (QUICK_TABS if quick else FULL_TABS)

    from playwright.sync_api import sync_playwright

    from bench.tui_bench import spawn
    from tests.web_page import serve

    with tempfile.TemporaryDirectory(prefix="intake-bench-web-") as tmp:
        log(f"{NAME}: the terminal app's start-up, {n_loads} fresh processes (baseline)")
        baseline = [spawn("app", Path(tmp) / "terminal")[0] for _ in range(n_loads)]
        try:
            with (
                serve(Path(tmp) / "web", code=CODE, max_sessions=n_tabs + 2) as served,
                sync_playwright() as pw,
            ):
                browser = pw.chromium.launch(
                    executable_path=browser_path, headless=True, args=FLAGS
                )
                try:
                    log(f"{NAME}: {n_loads} page loads to the first screen")
                    _first_screen_s(browser, served.url)  # warm-up: disk cache, browser
                    loads_s = [_first_screen_s(browser, served.url) for _ in range(n_loads)]
                    log(f"{NAME}: {n_tabs} tabs signed in and playing at once")
                    per_tab, server_kb = _tabs_memory(browser, served, n_tabs)
                finally:
                    browser.close()
        except (AssertionError, RuntimeError, OSError) as exc:
            result.problems.append(f"serve: {exc}")
            return result

    if len(per_tab) != n_tabs:
        result.problems.append(
            f"expected {n_tabs} tab processes under the server, found {len(per_tab)}"
        )
        return result
    first_s = statistics.median(loads_s)
    terminal_s = statistics.median(r["ready_s"] for r in baseline)
    terminal_kb = statistics.median(r["rss_kb"] for r in baseline)
    tab_kb = sum(per_tab) / len(per_tab)
    time_ratio = first_s / terminal_s
    memory_ratio = tab_kb / terminal_kb
    g_time = Goal(f"{NAME}.first_screen_ratio", time_ratio, "<=", GOAL_FIRST_SCREEN)
    g_mem = Goal(f"{NAME}.memory_ratio", memory_ratio, "<=", GOAL_MEMORY)
    result.goals += [g_time, g_mem]
    result.lines += [
        f"{NAME}.first_screen: page load to the entry screen {first_s * 1000:.0f} ms (median of"
        f" {n_loads}, range {min(loads_s) * 1000:.0f}-{max(loads_s) * 1000:.0f}) vs the terminal"
        f" app's start-up {terminal_s * 1000:.0f} ms -> ratio {time_ratio:.2f}"
        f" (goal <= {GOAL_FIRST_SCREEN}) {g_time.verdict()}",
        f"{NAME}.memory: {tab_kb / 1024:.1f} MiB VmRSS per connected tab ({n_tabs} playing at"
        f" once, {sum(per_tab) / 1024:.0f} MiB in all; range {min(per_tab) / 1024:.1f}-"
        f"{max(per_tab) / 1024:.1f}) vs the terminal app {terminal_kb / 1024:.1f} MiB -> ratio"
        f" {memory_ratio:.2f} (goal <= {GOAL_MEMORY}) {g_mem.verdict()}; the server itself"
        f" {server_kb / 1024:.1f} MiB",
    ]
    result.figures.update(
        skipped=False,
        loads=n_loads,
        tabs=n_tabs,
        first_screen_s=first_s,
        first_screen_runs_s=loads_s,
        terminal_startup_s=terminal_s,
        first_screen_ratio=time_ratio,
        rss_per_tab_kb=tab_kb,
        rss_tabs_kb=per_tab,
        rss_terminal_kb=terminal_kb,
        rss_server_kb=server_kb,
        memory_ratio=memory_ratio,
        goal_first_screen_ratio=GOAL_FIRST_SCREEN,
        goal_memory_ratio=GOAL_MEMORY,
    )
    return result
