"""tui: the Textual app's start-up time, resident memory and key-press latency.

Start-up and memory, in fresh processes (`bench/tui_child.py`), interleaved, order alternating:
  app      `simulator.cli.main(["--data-dir", DIR, "--trainee", "bench"])`, as `intake-sim` runs
           it (parse, load the library, open the store, run `IntakeApp`), headless, until the
           first frame in which the library's DataTable rows are painted;
  minimal  a Textual app showing one Static, until that Static is painted.
The time runs from just before the parent spawns the child (interpreter start, imports, library
load, first paint all count); memory is the child's VmRSS at that frame. Medians; goal for both
ratios app / minimal: 1.3 or less. One more run of each under `python -X importtime` shows where
the import time goes.

Latency, in this process: the app under `run_test` (headless Pilot) with a temporary data dir,
playing the bundled scenarios round robin with a seeded RNG choosing among the response keys
1-9, a new session each time one ends (from the library, with `IntakeApp.open_play`); as in
`run_app`, what exists before the app starts is frozen out of the garbage collector's way. For each press: from the moment the key event is handed
to the app to the first frame painted after the choice was handled (the feedback Static updated
or, on the last decision, the self-report screen shown), including turning that frame into
terminal output, which headless Textual otherwise skips. Pilot's own waits (`press()` and
`pause()` sleep 20 ms or more each to detect idleness) are kept out of the timing: the app is
left to settle between presses, untimed. Goal: p95 under 50 ms.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import BenchResult, Goal, log

NAME = "tui"
GOAL_STARTUP = 1.3
GOAL_MEMORY = 1.3
GOAL_P95_MS = 50.0
FULL_RUNS = 12
QUICK_RUNS = 2
FULL_PRESSES = 200
QUICK_PRESSES = 20
CHILD = Path(__file__).resolve().parent / "tui_child.py"
ROOT = CHILD.parent.parent
SIZE = (120, 40)


# -- start-up and memory: fresh processes ---------------------------------------------------


def _child_env() -> dict[str, str]:
    """This environment minus anything that changes how Textual or Python behave."""
    drop = ("TEXTUAL", "PYTHONPROFILEIMPORTTIME", "PYTHONDEVMODE", "PYTHONTRACEMALLOC")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def spawn(mode: str, data_dir: Path, *, importtime: bool = False) -> tuple[dict[str, Any], str]:
    """Run one child; its JSON report (plus wall and CPU seconds of the process) and its stderr."""
    import json
    import resource

    cmd = [sys.executable, *(("-X", "importtime") if importtime else ()), str(CHILD), mode]
    if mode == "app":
        cmd.append(str(data_dir))
    env = _child_env()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    env["INTAKE_BENCH_T0"] = repr(t0)
    proc = subprocess.run(
        cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError(
            f"{mode} child failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}"
        )
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    report["process_s"] = wall
    report["cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return report, proc.stderr


def parse_importtime(stderr: str) -> dict[str, tuple[int, int]]:
    """module -> (self us, cumulative us) from `python -X importtime` output."""
    out: dict[str, tuple[int, int]] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line[len("import time:") :].split("|", 2)
        out[name.strip()] = (int(own), int(cumulative))
    return out


def _group(module: str) -> str:
    """Our own modules one by one; third-party and standard library by top-level package."""
    if module.startswith("simulator."):
        return module
    return module.split(".", 1)[0]


def import_summary(app: dict[str, tuple[int, int]], minimal: dict[str, tuple[int, int]]) -> str:
    total_app = sum(s for s, _ in app.values()) / 1000
    total_min = sum(s for s, _ in minimal.values()) / 1000
    groups: dict[str, int] = {}
    for name, (own, _) in app.items():
        groups[_group(name)] = groups.get(_group(name), 0) + own
    extra = {name: own for name, (own, _) in app.items() if name not in minimal}
    extra_ms = sum(extra.values()) / 1000
    top_groups = sorted(groups.items(), key=lambda kv: -kv[1])[:8]
    return (
        f"{NAME}.imports: app {total_app:.0f} ms importing {len(app)} modules vs minimal"
        f" {total_min:.0f} ms, {len(minimal)} modules (-X importtime, one run each, inflated by"
        f" the tracing); {extra_ms:.0f} ms in the {len(extra)} modules only the app imports;"
        " heaviest (self time, ms): " + ", ".join(f"{g} {us / 1000:.0f}" for g, us in top_groups)
    )


def startup(runs: int, data_dir: Path, result: BenchResult) -> None:
    log(f"{NAME}: start-up, 1 warm-up + {runs} runs each of the app and the minimal app")
    spawn("app", data_dir)  # creates the store and the trainee: later runs open an existing one
    spawn("minimal", data_dir)
    reports: dict[str, list[dict[str, Any]]] = {"app": [], "minimal": []}
    for i in range(runs):
        for mode in ("app", "minimal") if i % 2 == 0 else ("minimal", "app"):
            reports[mode].append(spawn(mode, data_dir)[0])
    log(f"{NAME}: one run of each under -X importtime")
    imports_app = parse_importtime(spawn("app", data_dir, importtime=True)[1])
    imports_min = parse_importtime(spawn("minimal", data_dir, importtime=True)[1])

    def med(mode: str, key: str) -> float:
        return statistics.median(r[key] for r in reports[mode])

    app_s, min_s = med("app", "ready_s"), med("minimal", "ready_s")
    ratio = app_s / min_s
    best = min(r["ready_s"] for r in reports["app"]) / min(r["ready_s"] for r in reports["minimal"])
    app_kb, min_kb = med("app", "rss_kb"), med("minimal", "rss_kb")
    mem_ratio = app_kb / min_kb
    peak_ratio = med("app", "hwm_kb") / med("minimal", "hwm_kb")
    rows = {(r["rows"], r["expected_rows"]) for r in reports["app"]}
    for shown, expected in rows:
        if shown != expected:
            result.problems.append(f"the library showed {shown} rows, expected {expected}")
    all_runs = reports["app"] + reports["minimal"]
    share = sum(r["cpu_s"] for r in all_runs) / sum(r["process_s"] for r in all_runs)
    busy = f" [machine busy: got {share:.0%} of a core]" if share < 0.85 else ""
    g_start = Goal("tui.startup_ratio", ratio, "<=", GOAL_STARTUP)
    g_mem = Goal("tui.memory_ratio", mem_ratio, "<=", GOAL_MEMORY)
    result.goals += [g_start, g_mem]
    n_rows = max(shown for shown, _ in rows)
    result.lines.append(
        f"{NAME}.startup: launch to library painted ({n_rows} rows) {app_s * 1000:.0f} ms vs"
        f" minimal Textual app {min_s * 1000:.0f} ms (medians of {runs} fresh processes each,"
        f" headless {SIZE[0]}x{SIZE[1]}) -> ratio {ratio:.2f} (goal <= {GOAL_STARTUP:g})"
        f" {g_start.verdict()}; best of each {best:.2f}{busy}"
    )
    result.lines.append(
        f"{NAME}.memory: VmRSS at library painted {app_kb / 1024:.1f} MiB vs minimal"
        f" {min_kb / 1024:.1f} MiB (medians) -> ratio {mem_ratio:.2f} (goal <= {GOAL_MEMORY:g})"
        f" {g_mem.verdict()}; peak RSS ratio {peak_ratio:.2f}"
    )
    result.lines.append(import_summary(imports_app, imports_min))
    result.figures.update(
        startup_runs=runs,
        startup_app_s=app_s,
        startup_minimal_s=min_s,
        startup_ratio=ratio,
        startup_best_ratio=best,
        process_app_s=med("app", "process_s"),
        process_minimal_s=med("minimal", "process_s"),
        library_rows=n_rows,
        rss_app_kb=app_kb,
        rss_minimal_kb=min_kb,
        memory_ratio=mem_ratio,
        peak_rss_ratio=peak_ratio,
        cpu_share=share,
        import_app_ms=sum(s for s, _ in imports_app.values()) / 1000,
        import_minimal_ms=sum(s for s, _ in imports_min.values()) / 1000,
        import_modules_app=len(imports_app),
        import_modules_minimal=len(imports_min),
    )


# -- latency: key press to painted feedback, in this process ----------------------------------


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


async def _drive(presses: int, seed: int, data_dir: Path) -> dict[str, Any]:
    """Open the app on a fresh store and time `presses` response keys (see the module doc)."""
    from simulator.core.library import load_library
    from simulator.store import Store

    library = load_library()
    if not library.scenarios:
        raise RuntimeError("the bundled library has no playable scenario")
    with Store.open(data_dir) as store:
        # As run_app does: what exists before the app starts is frozen out of the GC's way.
        gc.collect()
        gc.freeze()
        try:
            return await _play(store, library, presses, random.Random(seed))
        finally:
            gc.unfreeze()


async def _play(store: Any, library: Any, presses: int, rng: random.Random) -> dict[str, Any]:
    from textual import events
    from textual.widgets import Static

    from simulator.tui.app import IntakeApp
    from simulator.tui.context import AppContext
    from simulator.tui.screens.library import LibraryScreen
    from simulator.tui.screens.play import PlayScreen

    ids = [s.id for s in library.scenarios]
    clock = time.perf_counter
    to_frame: list[float] = []
    to_handled: list[float] = []
    ended: list[bool] = []  # the press answered a session's last decision
    problems: list[str] = []
    sessions = 0
    pending: dict[str, Any] = {}
    painted = asyncio.Event()
    app = IntakeApp(AppContext(store, library), "bench")
    async with app.run_test(size=SIZE) as pilot:
        original_display = app._display

        def display(screen: Any, renderable: Any) -> None:
            original_display(screen, renderable)
            if "play" not in pending or "frame" in pending or renderable is None:
                return
            if app._batch_count:
                return
            if screen is not app.screen:
                return
            play = pending["play"]
            if screen is play and play.practice.session.step == pending["step"]:
                return  # a frame from before the choice was handled
            render = getattr(renderable, "render_segments", None)
            if render is not None:
                render(app.console)  # what a terminal would be sent
            pending["frame"] = clock()
            painted.set()

        app._display = display  # type: ignore[method-assign]

        def instrument(play: PlayScreen) -> None:
            """Note when the screen's handler of a response has returned."""
            answer = play._answer

            def timed_answer(index: int) -> None:
                answer(index)
                pending.setdefault("handled", clock())

            play._answer = timed_answer  # type: ignore[method-assign]

        await pilot.pause()
        if not isinstance(app.screen, LibraryScreen):
            raise RuntimeError(f"the app opened on {type(app.screen).__name__}")

        while len(to_frame) < presses:
            if not isinstance(app.screen, PlayScreen):
                while not isinstance(app.screen, LibraryScreen):
                    await app.pop_screen()
                app.open_play(ids[sessions % len(ids)])
                sessions += 1
                await pilot.pause()
                if not isinstance(app.screen, PlayScreen):
                    raise RuntimeError(f"no play screen: {type(app.screen).__name__}")
                instrument(app.screen)
            play = app.screen
            assert isinstance(play, PlayScreen)
            n_options = len(play.practice.session.options())
            key = str(rng.randint(1, min(n_options, 9)))
            step = play.practice.session.step
            painted.clear()
            pending.update(play=play, step=step)
            event = events.Key(key, key)
            event.set_sender(app)
            assert app._driver is not None
            t0 = clock()
            app._driver.send_message(event)
            try:
                await asyncio.wait_for(painted.wait(), timeout=10)
            except TimeoutError:
                problems.append(f"no frame within 10 s of pressing {key}")
                break
            to_frame.append((pending["frame"] - t0) * 1000)
            ended.append(play.practice.session.done)
            handled = pending.get("handled")
            pending.clear()
            if handled is not None:
                to_handled.append((handled - t0) * 1000)
            else:
                problems.append(f"pressing {key} did not reach the play screen's handler")
            await pilot.pause()  # settle, untimed
            if isinstance(app.screen, PlayScreen) and app.screen is play:
                shown = str(play.query_one("#feedback", Static).content)
                if "You said:" not in shown:
                    problems.append("the feedback did not show the response")
    return {
        "to_frame": to_frame,
        "to_handled": to_handled,
        "ended": ended,
        "sessions": sessions,
        "scenarios": len(ids),
        "problems": problems,
    }


def _spread(name: str, values: list[float]) -> str:
    if not values:
        return f"no {name}"
    return (
        f"{len(values)} {name} p50 {percentile(values, 50):.1f} ms,"
        f" p95 {percentile(values, 95):.1f} ms, max {max(values):.1f} ms"
    )


def latency(presses: int, seed: int, data_dir: Path, result: BenchResult) -> None:
    log(f"{NAME}: latency, {presses} response-key presses in the play screen")
    out = asyncio.run(_drive(presses, seed, data_dir))
    result.problems += out["problems"]
    frames: list[float] = out["to_frame"]
    if not frames:
        result.problems.append("no press was timed")
        return
    handled: list[float] = out["to_handled"]
    ended: list[bool] = out["ended"]
    middle = [ms for ms, last in zip(frames, ended, strict=True) if not last]
    last = [ms for ms, last in zip(frames, ended, strict=True) if last]
    p50, p95, worst = percentile(frames, 50), percentile(frames, 95), max(frames)
    goal = Goal("tui.latency_p95_ms", p95, "<=", GOAL_P95_MS)
    result.goals.append(goal)
    busy = ""
    if hasattr(os, "getloadavg") and os.getloadavg()[0] > (os.cpu_count() or 1) * 0.9:
        busy = f" [machine busy: load average {os.getloadavg()[0]:.1f}]"
    result.lines.append(
        f"{NAME}.latency: key press to feedback painted, {len(frames)} presses in"
        f" {out['sessions']} sessions over {out['scenarios']} scenarios: p50 {p50:.1f} ms,"
        f" p95 {p95:.1f} ms (goal < {GOAL_P95_MS:g}) {goal.verdict()}, max {worst:.1f} ms{busy}"
    )
    result.lines.append(
        f"{NAME}.latency.split: {_spread('mid-session presses', middle)};"
        f" {_spread('session-ending presses (self-report screen shown)', last)};"
        f" key to choice handled (saved, widgets updated) p50"
        f" {percentile(handled, 50) if handled else float('nan'):.1f} ms, p95"
        f" {percentile(handled, 95) if handled else float('nan'):.1f} ms; the rest is waiting"
        f" for the next frame (Textual paints at most {_max_fps()} times a second), layout and"
        " painting"
    )
    result.figures.update(
        presses=len(frames),
        sessions=out["sessions"],
        latency_p50_ms=p50,
        latency_p95_ms=p95,
        latency_max_ms=worst,
        latency_mid_session_p95_ms=percentile(middle, 95) if middle else None,
        latency_session_end_p50_ms=percentile(last, 50) if last else None,
        session_end_presses=len(last),
        handled_p50_ms=percentile(handled, 50) if handled else None,
        handled_p95_ms=percentile(handled, 95) if handled else None,
    )


def _max_fps() -> int:
    from textual import constants

    return int(constants.MAX_FPS)


def run(
    *, quick: bool = False, runs: int | None = None, presses: int | None = None, seed: int = 0
) -> BenchResult:
    result = BenchResult(NAME)
    n_runs = runs if runs is not None else (QUICK_RUNS if quick else FULL_RUNS)
    presses = presses if presses is not None else (QUICK_PRESSES if quick else FULL_PRESSES)
    with tempfile.TemporaryDirectory(prefix="intake-bench-tui-") as tmp:
        try:
            startup(n_runs, Path(tmp) / "startup", result)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            result.problems.append(f"start-up: {exc}")
        try:
            latency(presses, seed, Path(tmp) / "latency", result)
        except RuntimeError as exc:
            result.problems.append(f"latency: {exc}")
    result.figures["goal_startup_ratio"] = GOAL_STARTUP
    result.figures["goal_memory_ratio"] = GOAL_MEMORY
    result.figures["goal_p95_ms"] = GOAL_P95_MS
    return result
