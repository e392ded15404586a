"""The one benchmark runner: `python bench/run.py` (or `python -m bench.run`).

Every figure is printed as a ratio or a rate against a baseline measured in the same run, one line
each, then a summary. `--json` prints the same as one JSON document instead. Exit status: 0 when
every correctness check held (goals missed or not, unless --fail-on-goal), 1 when a goal was
missed under --fail-on-goal, 2 when a check failed (a generated file did not validate, a replay
diverged): the figures are then meaningless.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` and `simulator` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import coder_bench, engine_bench, report_bench, tui_bench, validate_bench, web_bench
from bench.common import BenchResult

BENCHMARKS: dict[str, Callable[[argparse.Namespace], BenchResult]] = {
    "validate": lambda a: validate_bench.run(
        quick=a.quick, files=a.files, seed=a.seed, keep=a.keep
    ),
    "engine": lambda a: engine_bench.run(quick=a.quick, choices=a.choices, seed=a.seed),
    "coder": lambda a: coder_bench.run(quick=a.quick, utterances=a.utterances, seed=a.seed),
    "tui": lambda a: tui_bench.run(quick=a.quick, runs=a.runs, presses=a.presses, seed=a.seed),
    "report": lambda a: report_bench.run(quick=a.quick, sessions=a.sessions, seed=a.seed),
    "web": lambda a: web_bench.run(quick=a.quick, loads=a.runs, tabs=a.tabs),
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python bench/run.py",
        description="Benchmarks of the scenario pipeline, the engine and the TUI (see bench/README.md).",
    )
    p.add_argument("--quick", action="store_true", help="small sizes, for the smoke test")
    p.add_argument(
        "--only",
        metavar="NAME",
        action="append",
        choices=sorted(BENCHMARKS),
        help="run only this benchmark (repeatable): " + ", ".join(BENCHMARKS),
    )
    p.add_argument("--json", action="store_true", help="print one JSON document instead of lines")
    p.add_argument("--seed", type=int, default=0, help="seed for generated files and choices")
    p.add_argument("--files", type=int, metavar="N", help="validate: number of generated files")
    p.add_argument("--choices", type=int, metavar="N", help="engine: number of recorded choices")
    p.add_argument("--utterances", type=int, metavar="N", help="coder: utterances to code")
    p.add_argument(
        "--runs",
        type=int,
        metavar="N",
        help="tui: start-up runs of each app; web: page loads (fresh processes)",
    )
    p.add_argument("--presses", type=int, metavar="N", help="tui: timed key presses")
    p.add_argument("--tabs", type=int, metavar="N", help="web: tabs playing at once")
    p.add_argument(
        "--sessions", type=int, metavar="N", help="report: completed sessions in the cohort"
    )
    p.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="validate: write the generated files here and keep them",
    )
    p.add_argument(
        "--fail-on-goal", action="store_true", help="exit 1 when a figure misses its goal"
    )
    return p


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    if hasattr(os, "getloadavg"):
        info["load_average"] = os.getloadavg()[0]
    return info


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    names = args.only or list(BENCHMARKS)
    before = machine()
    started = time.perf_counter()
    results: list[BenchResult] = []
    for name in names:
        if not args.json:
            print(f"running {name}...", file=sys.stderr, flush=True)
        results.append(BENCHMARKS[name](args))
    elapsed = time.perf_counter() - started

    goals = [g for r in results for g in r.goals]
    missed = [g for g in goals if not g.passed]
    problems = [f"{r.name}: {p}" for r in results for p in r.problems]
    load = before.get("load_average")
    summary = {
        "goals": len(goals),
        "passed": len(goals) - len(missed),
        "missed": [g.name for g in missed],
        "checks_ok": not problems,
        "problems": problems,
        "seconds": elapsed,
    }
    if args.json:
        doc = {
            "quick": args.quick,
            "seed": args.seed,
            "machine": before,
            "benchmarks": {r.name: r.to_json() for r in results},
            "summary": summary,
        }
        print(json.dumps(doc, indent=2))
    else:
        for r in results:
            for line in r.lines:
                print(line)
        for problem in problems:
            print(f"CHECK FAILED {problem}")
        where = f"{before['cpus']} CPUs"
        if load is not None:
            where += f", load average {load:.1f} at start"
        verdict = "all goals met" if not missed else "missed: " + ", ".join(summary["missed"])
        checks = "checks ok" if not problems else f"{len(problems)} checks FAILED"
        print(
            f"summary: {summary['passed']} of {len(goals)} goals met ({verdict}); {checks};"
            f" {elapsed:.0f} s{' (quick)' if args.quick else ''}; Python {before['python']},"
            f" {where}"
        )
    if problems:
        return 2
    if missed and args.fail_on_goal:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
