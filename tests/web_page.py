"""Driving `intake-sim serve` from a browser: start the server, read the terminal in the page.

textual-serve draws the app with xterm.js on a canvas, so the page holds no text to query. An
init script catches each xterm Terminal as it is built (the first `_addonManager` it assigns
lands on a setter on Object.prototype, which records the terminal and then gets out of the way),
and `screen_text` reads the terminal's own buffer, row by row: exactly the characters the
canvas shows. Used by tests/test_web.py and bench/web_bench.py.
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, '_addonManager', {
  configurable: true,
  set(value) {
    Object.defineProperty(this, '_addonManager', {value, writable: true, configurable: true});
    (window.__terminals = window.__terminals || []).push(this);
  },
});
"""
READ_SCREEN = """() => {
  const term = (window.__terminals || [])[0];
  if (!term) return '';
  const buffer = term.buffer.active, rows = [];
  for (let i = 0; i < term.rows; i++) {
    const line = buffer.getLine(buffer.viewportY + i);
    rows.push(line ? line.translateToString(true) : '');
  }
  return rows.join('\\n');
}"""
# Polling limits for a busy shared machine; never a measure of speed (that is bench/web_bench).
PATIENCE_S = 90.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """A running `intake-sim serve`."""

    process: subprocess.Popen[str]
    url: str
    data_dir: Path
    output: list[str] = field(default_factory=list)

    def tab_pids(self) -> list[int]:
        """Every process under the server: one app (and its shell) per connected tab."""
        return descendants(self.process.pid)


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def rss_kb(pid: int) -> int:
    """Resident memory of one process, from /proc (0 once it has gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


@contextmanager
def serve(
    data_dir: Path,
    *,
    code: str,
    cohort: str = "workshop",
    scenario: str | None = "minimal",
    max_sessions: int = 20,
    extra: Sequence[str] = (),
) -> Iterator[Served]:
    """Run `intake-sim serve` on loopback and a free port with the test scenario loaded."""
    port = free_port()
    argv = [sys.executable, "-m", "simulator", "serve", "--data-dir", str(data_dir)]
    argv += ["--port", str(port), "--cohort", cohort, "--code", code]
    argv += ["--max-sessions", str(max_sessions)]
    argv += ["--scenarios", str(ROOT / "tests" / "data" / "minimal.yaml")]
    if scenario:
        argv += ["--scenario", scenario]
    argv += list(extra)
    proc = subprocess.Popen(
        argv,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    served = Served(proc, f"http://127.0.0.1:{port}/", data_dir)
    deadline = time.monotonic() + PATIENCE_S
    try:
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                output = "\n".join(served.output)
                raise AssertionError(f"serve did not start:\n{output}") from None
            if line is None:
                raise AssertionError(f"serve exited:\n{chr(10).join(served.output)}")
            served.output.append(line)
            if "in a browser" in line:
                break

        def keep_reading() -> None:
            while (line := lines.get()) is not None:
                served.output.append(line)

        threading.Thread(target=keep_reading, daemon=True).start()
        yield served
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def open_tab(browser: Any, url: str, context: Any = None) -> Any:
    """A new page (in `context`, or a fresh browser context) that can read its terminal."""
    owner = context if context is not None else browser.new_context(viewport=VIEWPORT)
    page = owner.new_page()
    page.add_init_script(CATCH_TERMINAL)
    page.goto(url)
    return page


VIEWPORT = {"width": 1100, "height": 700}


def screen_text(page: Any) -> str:
    return str(page.evaluate(READ_SCREEN) or "")


def wait_for(page: Any, *texts: str, patience: float = PATIENCE_S) -> str:
    """Poll the terminal until one of `texts` is on it; returns the screen."""
    deadline = time.monotonic() + patience
    screen = ""
    while time.monotonic() < deadline:
        screen = screen_text(page)
        if any(t in screen for t in texts):
            return screen
        time.sleep(0.1)
    raise AssertionError(f"none of {texts!r} appeared; the screen was:\n{screen}")


def settle(page: Any, quiet: float = 0.6, patience: float = PATIENCE_S) -> str:
    """Wait until the screen stops changing for `quiet` seconds (a screen finished mounting)."""
    deadline = time.monotonic() + patience
    last, since = screen_text(page), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = screen_text(page)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return now
    return last


CELL_OF = """(text) => {
  const term = (window.__terminals || [])[0];
  if (!term) return null;
  const buffer = term.buffer.active;
  for (let row = 0; row < term.rows; row++) {
    const line = buffer.getLine(buffer.viewportY + row);
    const col = line ? line.translateToString(true).indexOf(text) : -1;
    if (col >= 0) {
      const box = term.element.querySelector('.xterm-screen').getBoundingClientRect();
      return {row, x: box.left + (col + 0.5) * box.width / term.cols,
              y: box.top + (row + 0.5) * box.height / term.rows};
    }
  }
  return null;
}"""


def fill(page: Any, placeholder: str, value: str) -> None:
    """Click the input showing `placeholder` and type `value` into it; checked on the screen.

    Clicking (not Tab or Enter) puts the focus there in order with the keys that follow. A
    browser window's focus moving between test pages can still blur the app mid-typing (Textual
    then drops its focus), so the value is checked on the input's own row, and typed again if
    it went astray or was lost.
    """
    for _ in range(4):
        wait_for(page, placeholder)
        target = page.evaluate(CELL_OF, placeholder)
        page.mouse.click(target["x"], target["y"])
        page.keyboard.type(value)
        try:
            wait_for(page, value, patience=10)
        except AssertionError:
            continue  # every key was lost: click and type again
        landed = page.evaluate(CELL_OF, value)
        if landed is not None and landed["row"] == target["row"]:
            return
        for _ in value:  # typed into another box: take it out again
            page.keyboard.press("Backspace")
    raise AssertionError(f"could not type {value!r} into {placeholder!r}:\n{screen_text(page)}")


def sign_in(page: Any, code: str, pseudonym: str) -> None:
    """Fill the workshop entry screen, the code and then the pseudonym, and press Enter."""
    wait_for(page, "Workshop code")
    page.bring_to_front()
    settle(page)
    fill(page, "Workshop code", code)
    fill(page, "Pseudonym", pseudonym)
    page.keyboard.press("Enter")
