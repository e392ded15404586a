"""The child process of the tui benchmark: start one app headless, report when it is ready, exit.

    INTAKE_BENCH_T0=<parent's time.monotonic()> python bench/tui_child.py app DATA_DIR
    INTAKE_BENCH_T0=<parent's time.monotonic()> python bench/tui_child.py minimal

`app` goes the way `intake-sim --data-dir DATA_DIR --trainee bench` goes: `simulator.cli.main`
parses the arguments and starts the full-screen app (which loads the library, opens the store and
runs `IntakeApp`); the only differences are that stdin and stdout claim to be a terminal and that
`IntakeApp.run` runs headless at a fixed size. With a trainee given, the first screen is the
library. `minimal` runs a Textual app that shows one `Static`.

"Ready" is the first frame in which the first screen's content has been painted: for `app`, the
library's DataTable has its rows and the first row's title is in the painted text; for `minimal`,
the Static's text is. Headless Textual skips turning each frame into terminal output; this child
does that step too (`render_segments`, discarded), for both apps, so a frame costs what it would
cost on a terminal. At that frame the child prints one JSON line and exits:

    {"mode", "ready_s" (seconds since the parent's INTAKE_BENCH_T0, i.e. interpreter start, imports,
     library load and first paint), "rss_kb" (VmRSS at ready), "hwm_kb" (peak RSS so far),
     "rows" (rows in the table; 1 for minimal), "expected_rows", "frames"}

Only the standard library is imported before the timed path starts: whatever this file imports
is paid by both apps alike.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from typing import Any

SIZE = (120, 40)
MINIMAL_TEXT = "Hello from a minimal Textual app"
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def memory_kb() -> tuple[int, int]:
    """(resident now, peak resident) in KiB: /proc/self/status, else ru_maxrss for both."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])
    except (OSError, KeyError, ValueError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if sys.platform == "darwin":
            peak //= 1024  # bytes there, KiB on Linux
        return peak, peak


class Terminal:
    """A standard stream that says it is a terminal: `intake-sim` refuses to start the
    full-screen app otherwise. Headless Textual neither reads nor writes it."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def isatty(self) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def main(argv: list[str]) -> int:
    t0 = float(os.environ["INTAKE_BENCH_T0"])
    mode = argv[0]
    if mode == "app":
        from simulator.cli import main as intake_sim  # what the console script imports
    from textual.app import App
    from textual.widgets import DataTable, Static

    report: dict[str, Any] = {}
    painted: list[str] = []
    original_display = App._display

    def target(app: Any, screen: Any) -> tuple[str, int, int] | None:
        """(text that must be painted, rows shown, rows expected) once the screen has content."""
        if mode == "minimal":
            return (MINIMAL_TEXT, 1, 1) if screen.query(Static) else None
        from simulator.tui.screens.library import LibraryScreen

        if not isinstance(screen, LibraryScreen) or not screen.is_mounted:
            return None
        tables = screen.query(DataTable)
        library = app.ctx.library
        if not tables or not tables.first().row_count or not library.scenarios:
            return None
        expected = len(library.scenarios) + len(library.invalid)
        return library.scenarios[0].model.title[:20], tables.first().row_count, expected

    def display(app: Any, screen: Any, renderable: Any) -> None:
        original_display(app, screen, renderable)
        if report or renderable is None or app._batch_count or screen is not app.screen:
            return
        render = getattr(renderable, "render_segments", None)
        if render is None:
            return
        # What a terminal would be sent: headless Textual stops short of this step.
        painted.append(ANSI.sub("", render(app.console)))
        want = target(app, screen)
        if want is None or want[0] not in "".join(painted):
            return
        ready = time.monotonic() - t0
        rss, hwm = memory_kb()
        report.update(
            mode=mode,
            ready_s=ready,
            rss_kb=rss,
            hwm_kb=hwm,
            rows=want[1],
            expected_rows=want[2],
            frames=len(painted),
        )
        app.exit()

    App._display = display  # type: ignore[method-assign]

    if mode == "app":
        run = App.run

        def headless_run(self: Any, **_: Any) -> Any:
            return run(self, headless=True, size=SIZE)

        App.run = headless_run  # type: ignore[method-assign]
        stdin, stdout = sys.stdin, sys.stdout
        sys.stdin, sys.stdout = Terminal(stdin), Terminal(stdout)  # type: ignore[assignment]
        try:
            status = intake_sim(["--data-dir", argv[1], "--trainee", "bench"])
        finally:
            sys.stdin, sys.stdout = stdin, stdout
        if status != 0 and not report:
            print(f"intake-sim exited with status {status}", file=sys.stderr)
            return 1
    elif mode == "minimal":
        from textual.app import ComposeResult

        class Minimal(App[None]):
            def compose(self) -> ComposeResult:
                yield Static(MINIMAL_TEXT)

        Minimal().run(headless=True, size=SIZE)
    else:
        print(f"unknown mode {mode!r}", file=sys.stderr)
        return 2
    if not report:
        print(f"{mode}: exited before its first screen was painted", file=sys.stderr)
        return 1
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
