"""report: `intake-sim report` (HTML + CSV) over 10,000 completed sessions of 12 decisions.

Generation (untimed). The bundled scenarios are played by the real engine with a seeded RNG (a
random available option and a random value of every stance aspect at each step, as in the
engine benchmark); every finished session of exactly 12 decisions is kept with its real summary
(`summarize(...).to_json()`, what the store keeps). The scenarios that yield such sessions form
the assignment pack. Trainees (two in three with self-described facets, so both concordant and
discordant dyads occur) each get one completed session per pack scenario, a recorded session
picked at random, until 10,000 sessions exist (`--quick`: 200). Rows are written straight into
the store's tables with `executemany` in one transaction: the same rows `Practice` would write
one choice at a time, at a fraction of the cost. The pack is saved through the assignments API.

Timed: `python -m simulator report --assignment ID --html F --csv F` in a fresh child process,
three runs (`--quick`: one); the best wall time counts, and the child's peak resident memory (ru_maxrss from
wait4). For scale, the same command over an empty assignment in the same store (start-up,
imports, library loading: the fixed part) is timed the same way.

Checked: the CSV has one row per session, the HTML has the five humility charts and every
trainee, and the report's JSON counts every answer (sessions x 12).
Goals: under 3 s and under 300 MB peak memory.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import BenchResult, Goal, log
from simulator import paths
from simulator.core.compiled import CompiledScenario
from simulator.core.engine import choose, start
from simulator.core.library import load_library
from simulator.core.scoring import summarize
from simulator.store import Store

NAME = "report"
FULL_SESSIONS = 10_000
QUICK_SESSIONS = 200
DECISIONS = 12
GOAL_SECONDS = 3.0
GOAL_MB = 300.0
RUNS = 3
QUICK_RUNS = 1
PLAYS_PER_SCENARIO = 1_500  # random plays tried per scenario to find 12-decision sessions
QUICK_PLAYS_PER_SCENARIO = 300
KEEP_PER_SCENARIO = 200
PACK_ID = "bench-cohort-2026"
EMPTY_PACK_ID = "bench-empty"
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Played:
    scenario: CompiledScenario
    choices: tuple[tuple[str, str, str], ...]  # node id, option id, stance JSON
    ending: str
    summary: str  # JSON, as the store keeps it


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def record(seed: int, plays: int = PLAYS_PER_SCENARIO) -> dict[str, list[Played]]:
    """Real plays of the bundled scenarios that end after exactly DECISIONS answers."""
    library = load_library()
    rng = random.Random(seed)
    aspects = {a: sorted(s.values) for a, s in library.rubric.model.stance.items()}
    found: dict[str, list[Played]] = {}
    for scenario in library.scenarios:
        kept: list[Played] = []
        for _ in range(plays):
            session = start(scenario)
            choices = []
            while not session.done and len(choices) <= DECISIONS:
                option = rng.choice(session.options())
                stance = {a: rng.choice(v) for a, v in aspects.items()}
                session, _ = choose(session, option.key, stance)
                choices.append((option.node_id, option.id, _dump(stance)))
            if session.done and len(choices) == DECISIONS:
                summary = _dump(summarize(session).to_json())
                kept.append(Played(scenario, tuple(choices), session.ending_id or "", summary))
                if len(kept) >= KEEP_PER_SCENARIO:
                    break
        if kept:
            found[scenario.id] = kept
    return found


FACETS = (
    {},
    {"ethnicity": "Ashkenazi"},
    {"ethnicity": "Mizrahi"},
    {},
    {"ethnicity": "Black"},
    {"ethnicity": "Latina"},
)


def generate(
    data_dir: Path, sessions: int, seed: int, plays: int = PLAYS_PER_SCENARIO
) -> tuple[list[str], int]:
    """Fill a store with `sessions` completed sessions; returns the pack's scenarios and the
    number of trainees."""
    played = record(seed, plays)
    if not played:
        raise RuntimeError(f"no bundled scenario yielded a session of {DECISIONS} decisions")
    scenario_ids = sorted(played)
    rng = random.Random(seed + 1)
    with Store.open(data_dir) as store:
        _save_packs(store, scenario_ids)
    trainees = -(-sessions // len(scenario_ids))
    conn = sqlite3.connect(paths.db_path(data_dir))
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO trainees (id, pseudonym, facets, created_at) VALUES (?, ?, ?, ?)",
            (
                (i + 1, f"trainee-{i + 1:05d}", _dump(FACETS[i % len(FACETS)]), _at(0, 0))
                for i in range(trainees)
            ),
        )
        session_rows = []
        choice_rows = []
        n = 0
        for t in range(trainees):
            for k, sid in enumerate(scenario_ids):
                if n >= sessions:
                    break
                p = rng.choice(played[sid])
                s_id = f"{n:08x}{rng.getrandbits(96):024x}"
                session_rows.append(
                    (
                        s_id,
                        t + 1,
                        sid,
                        p.scenario.version,
                        p.scenario.content_hash,
                        p.scenario.rubric.version,
                        "assessment",
                        "completed",
                        _at(t, k * 20),
                        _at(t, k * 20 + DECISIONS),
                        p.ending,
                        PACK_ID,
                        p.summary,
                    )
                )
                choice_rows.extend(
                    (s_id, step, node, option, stance, None, _at(t, k * 20 + step))
                    for step, (node, option, stance) in enumerate(p.choices)
                )
                n += 1
        conn.executemany(
            "INSERT INTO sessions (id, trainee_id, scenario_id, scenario_version, content_hash, "
            "rubric_version, mode, status, started_at, ended_at, ending_id, assignment_id, "
            "summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            session_rows,
        )
        conn.executemany(
            "INSERT INTO choices (session_id, step, node_id, option_id, stance, free_text, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            choice_rows,
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return scenario_ids, trainees


def _at(trainee: int, minute: int) -> str:
    day, rest = divmod(trainee, 20)
    return f"2026-10-{1 + day % 28:02d}T{8 + rest % 10:02d}:{minute % 60:02d}:00.000000Z"


def _save_packs(store: Store, scenario_ids: Sequence[str]) -> None:
    from simulator.core.assignment import Pack
    from simulator.store.assignments import save_pack

    for pack_id, title in ((PACK_ID, "Bench cohort"), (EMPTY_PACK_ID, "Nobody has started")):
        save_pack(
            store,
            Pack(
                id=pack_id,
                cohort="bench",
                title=title,
                scenarios=list(scenario_ids),
                mode="assessment",
                thresholds={"asking": 60, "listening": 55, "avoiding_assumptions": 50},
            ),
        )


@dataclass(frozen=True)
class Run:
    seconds: float
    max_rss_mb: float
    returncode: int
    stderr: str


def run_report(data_dir: Path, pack_id: str, out: Path) -> Run:
    """One `intake-sim report ... --html --csv` in a fresh process: wall time and peak RSS."""
    cmd = [
        sys.executable,
        "-m",
        "simulator",
        "report",
        "--data-dir",
        str(data_dir),
        "--assignment",
        pack_id,
        "--html",
        str(out / "report.html"),
        "--csv",
        str(out / "report.csv"),
    ]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    err = proc.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    rss_kb = usage.ru_maxrss / 1024 if sys.platform == "darwin" else usage.ru_maxrss
    return Run(seconds, rss_kb / 1024, proc.returncode, err)


def run(quick: bool = False, sessions: int | None = None, seed: int = 0) -> BenchResult:
    result = BenchResult(NAME)
    target = sessions or (QUICK_SESSIONS if quick else FULL_SESSIONS)
    with tempfile.TemporaryDirectory(prefix="intake-report-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        out = Path(tmp) / "out"
        out.mkdir()
        log(f"recording {DECISIONS}-decision sessions and writing {target:,} to a store")
        t0 = time.perf_counter()
        plays = QUICK_PLAYS_PER_SCENARIO if quick else PLAYS_PER_SCENARIO
        scenario_ids, trainees = generate(data_dir, target, seed, plays)
        repeats = QUICK_RUNS if quick else RUNS
        gen_s = time.perf_counter() - t0
        db_mb = paths.db_path(data_dir).stat().st_size / 1e6
        runs: list[Run] = []
        empty: list[Run] = []
        for i in range(repeats):
            log(f"report run {i + 1}/{repeats}")
            empty.append(run_report(data_dir, EMPTY_PACK_ID, out))
            runs.append(run_report(data_dir, PACK_ID, out))
        failed = [r for r in runs + empty if r.returncode != 0]
        if failed:
            result.problems.append(
                f"report exited {failed[0].returncode}: {failed[0].stderr[-400:]}"
            )
            return result
        best = min(runs, key=lambda r: r.seconds)
        base = min(empty, key=lambda r: r.seconds)
        peak = max(r.max_rss_mb for r in runs)
        # Read as bytes: text mode would turn the CSV's CRLF line ends into "\n".
        csv_rows = (out / "report.csv").read_bytes().count(b"\r\n") - 1
        html = (out / "report.html").read_text(encoding="utf-8")
        html_mb = len(html.encode("utf-8")) / 1e6
        check = subprocess.run(
            [sys.executable, "-m", "simulator", "report", "--data-dir", str(data_dir),
             "--assignment", PACK_ID, "--json"],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        _check(result, check, csv_rows, html, target, trainees)
    result.figures.update(
        {
            "sessions": target,
            "decisions_per_session": DECISIONS,
            "scenarios": len(scenario_ids),
            "trainees": trainees,
            "db_mb": round(db_mb, 1),
            "generate_seconds": round(gen_s, 2),
            "report_seconds": best.seconds,
            "report_seconds_runs": [r.seconds for r in runs],
            "empty_report_seconds": base.seconds,
            "peak_rss_mb": peak,
            "empty_peak_rss_mb": max(r.max_rss_mb for r in empty),
            "csv_rows": csv_rows,
            "html_mb": round(html_mb, 2),
        }
    )
    result.goals += [
        Goal("report.seconds", best.seconds, "<=", GOAL_SECONDS),
        Goal("report.peak_mb", peak, "<=", GOAL_MB),
    ]
    g_time, g_mem = result.goals
    result.lines += [
        f"report: {target:,} sessions x {DECISIONS} decisions ({len(scenario_ids)} scenarios, "
        f"{trainees:,} trainees), HTML + CSV in {best.seconds:.2f} s (best of {repeats} fresh "
        f"process{'es' if repeats != 1 else ''}; goal < {GOAL_SECONDS:g} s) {g_time.verdict()}",
        f"report.memory: peak RSS {peak:.0f} MB (goal < {GOAL_MB:g} MB) {g_mem.verdict()}; "
        f"the same command over an empty assignment {max(r.max_rss_mb for r in empty):.0f} MB",
        f"report.fixed: the same command over an empty assignment {base.seconds:.2f} s "
        f"(start-up, imports, library) -> {best.seconds - base.seconds:.2f} s for the "
        f"{target:,} sessions; ratio {best.seconds / base.seconds:.1f}",
        f"report.data: store {db_mb:.0f} MB, HTML {html_mb:.1f} MB, CSV {csv_rows:,} rows; "
        f"generated in {gen_s:.1f} s",
    ]
    return result


def _check(
    result: BenchResult,
    check: subprocess.CompletedProcess[str],
    csv_rows: int,
    html: str,
    sessions: int,
    trainees: int,
) -> None:
    if csv_rows != sessions:
        result.problems.append(f"CSV has {csv_rows} rows for {sessions} sessions")
    charts = html.count('class="chart"')
    if charts < 5:
        result.problems.append(f"HTML has {charts} charts, expected the 5 humility histograms")
    if html.count('class="trainee"') != trainees:
        result.problems.append("HTML does not have one drill-down section per trainee")
    if check.returncode != 0:
        result.problems.append(f"report --json failed: {check.stderr[-300:]}")
        return
    doc = json.loads(check.stdout)
    answers = sum(
        o["count"] for s in doc["scenarios"] for d in s["decisions"] for o in d["options"]
    )
    if doc["sessions"]["completed"] != sessions or answers != sessions * DECISIONS:
        result.problems.append(
            f"report counted {doc['sessions']['completed']} sessions and {answers} answers, "
            f"expected {sessions} and {sessions * DECISIONS}"
        )
