"""validate: the full scenario pipeline against a bare YAML parse of the same files.

Pipeline = `load_scenario(path, rubric)`: read, size/UTF-8/nesting checks, libyaml compose, the
safe walk to data with source marks, the strict pydantic model, the meaning-level checks and
compilation for the engine. Baseline = `yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)`
on the same files, so both sides include reading the file. Goal: pipeline / baseline <= 1.5.

Three repetitions over all files. Within a repetition the two contenders are interleaved file by
file (their order alternating), so a burst of load elsewhere on the machine hits both alike.
Headline: the best repetition total of each. Also reported: the sum of each file's best time,
which filters out most of the remaining noise.
"""

from __future__ import annotations

import gc
import tempfile
import time
from pathlib import Path

import yaml

from bench.common import BenchResult, Goal, log
from bench.generate import Written, write_scenarios
from simulator.core.compiled import CompiledRubric
from simulator.core.library import load_rubric, load_scenario

NAME = "validate"
GOAL_RATIO = 1.5
FULL_FILES = 1000
QUICK_FILES = 10
REPETITIONS = 3
PIPELINE, BARE = 0, 1


def run(
    *,
    quick: bool = False,
    files: int | None = None,
    seed: int = 0,
    keep: Path | None = None,
) -> BenchResult:
    if not getattr(yaml, "__with_libyaml__", False):
        result = BenchResult(NAME)
        result.problems.append("PyYAML was built without libyaml: no CSafeLoader to compare with")
        result.lines.append(f"{NAME}: SKIPPED (PyYAML has no CSafeLoader)")
        return result
    count = files if files is not None else (QUICK_FILES if quick else FULL_FILES)
    rubric = load_rubric()
    if keep is not None:
        return _run(keep, rubric, count, seed)
    with tempfile.TemporaryDirectory(prefix="intake-bench-") as tmp:
        return _run(Path(tmp), rubric, count, seed)


def _run(directory: Path, rubric: CompiledRubric, count: int, seed: int) -> BenchResult:
    result = BenchResult(NAME)
    log(f"{NAME}: writing {count} generated scenarios to {directory}")
    started = time.perf_counter()
    written = write_scenarios(directory, rubric, count, seed=seed)
    generation = time.perf_counter() - started
    paths = written.paths
    n = len(paths)

    log(f"{NAME}: timing pipeline and bare parse, {REPETITIONS} repetitions, interleaved")
    clock = time.perf_counter
    # times[rep][contender][file]
    times = [[[0.0] * n for _ in (PIPELINE, BARE)] for _ in range(REPETITIONS)]
    cpu = [0.0] * REPETITIONS
    wall = [0.0] * REPETITIONS
    errors: list[str] = []
    n_errors = n_warnings = n_valid = n_nodes = 0
    for rep in range(REPETITIONS):
        gc.collect()
        cpu0, wall0 = time.process_time(), clock()
        row = times[rep]
        for i, path in enumerate(paths):
            first = (rep + i) % 2
            for which in (first, 1 - first):
                if which == PIPELINE:
                    t0 = clock()
                    res = load_scenario(path, rubric)
                    row[PIPELINE][i] = clock() - t0
                    if rep == 0:  # correctness, outside the timed span
                        errs = res.errors
                        n_errors += len(errs)
                        n_warnings += len(res.diagnostics) - len(errs)
                        n_valid += res.scenario is not None
                        errors.extend(d.format() for d in errs[:3])
                    del res  # hold no compiled scenario: a growing heap would slow later files
                else:
                    t0 = clock()
                    data = yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
                    row[BARE][i] = clock() - t0
                    if rep == 0:
                        n_nodes += len(data["nodes"])
                    del data
        cpu[rep], wall[rep] = time.process_time() - cpu0, clock() - wall0

    # Correctness: every generated file must load with zero errors (and, by design, no warnings).
    if n_errors or n_valid != n:
        result.problems.append(
            f"{n - n_valid} of {n} generated files did not validate ({n_errors} errors): "
            + "; ".join(errors[:5])
        )
    if n_nodes != written.totals.get("nodes"):
        result.problems.append("bare parse did not read back every generated node")

    pipe_s = min(sum(times[r][PIPELINE]) for r in range(REPETITIONS))
    bare_s = min(sum(times[r][BARE]) for r in range(REPETITIONS))
    ratio = pipe_s / bare_s
    best_pipe = [min(times[r][PIPELINE][i] for r in range(REPETITIONS)) for i in range(n)]
    best_bare = [min(times[r][BARE][i] for r in range(REPETITIONS)) for i in range(n)]
    filtered = sum(best_pipe) / sum(best_bare)
    share = sum(cpu) / sum(wall) if sum(wall) else 1.0
    busy = f" [machine busy: got {share:.0%} of a core]" if share < 0.9 else ""

    goal = Goal("validate.ratio", ratio, "<=", GOAL_RATIO)
    result.goals.append(goal)
    result.lines.append(
        f"{NAME}: {n} files, pipeline {pipe_s:.2f} s vs bare CSafeLoader parse {bare_s:.2f} s"
        f" -> ratio {ratio:.2f} (goal <= {GOAL_RATIO:g}) {goal.verdict()}{busy}"
    )
    result.lines.append(
        f"{NAME}.per_file: sum of per-file best times {sum(best_pipe):.2f} s vs"
        f" {sum(best_bare):.2f} s -> ratio {filtered:.2f}; median file"
        f" {_median(best_pipe) * 1000:.1f} ms vs {_median(best_bare) * 1000:.1f} ms (info)"
    )
    t = written.totals
    result.lines.append(
        f"{NAME}.files: {t['nodes'] / n:.0f} nodes, {t['options'] / n:.0f} options,"
        f" {t['conditions'] / n:.0f} conditions, {t['cfi_codes'] / n:.0f} cfi codes,"
        f" {t['themes'] / n:.0f} debrief themes, {written.total_bytes / n / 1024:.1f} KB per file;"
        f" {n_valid} of {n} valid, {n_errors} errors, {n_warnings} warnings"
        f" (generated in {generation:.1f} s, {written.verified} read back exactly)"
    )
    split = _ampersand_split(written, best_pipe, best_bare)
    if len(split) == 2:
        a, b = split["with '&'"], split["without '&'"]
        result.lines.append(
            f"{NAME}.ampersand: ratio {a['ratio']:.2f} on {a['files']} files with an '&' in"
            f" their text vs {b['ratio']:.2f} on {b['files']} without (per-file best; info)"
        )

    result.figures = {
        "files": n,
        "bytes": written.total_bytes,
        "pipeline_seconds": pipe_s,
        "bare_seconds": bare_s,
        "ratio": ratio,
        "ratio_per_file_best": filtered,
        "goal_ratio": GOAL_RATIO,
        "repetitions": REPETITIONS,
        "cpu_share": share,
        "valid_files": n_valid,
        "errors": n_errors,
        "warnings": n_warnings,
        "per_file": {k: v / n for k, v in t.items()},
        "generation_seconds": generation,
        "ratio_by_ampersand": split,
    }
    return result


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _ampersand_split(
    written: Written, best_pipe: list[float], best_bare: list[float]
) -> dict[str, dict[str, float]]:
    """The ratio for files whose text holds an '&' and for the others.

    The loader used to run an extra alias-expansion pass over any text containing an '&' (an
    anchor sign, but also plain prose such as "A&E"); the two ratios should stay close.
    """
    groups: dict[str, list[int]] = {"with '&'": [], "without '&'": []}
    for i, path in enumerate(written.paths):
        groups["with '&'" if path in written.with_ampersand else "without '&'"].append(i)
    out = {}
    for label, members in groups.items():
        if members:
            pipe = sum(best_pipe[i] for i in members)
            bare = sum(best_bare[i] for i in members)
            out[label] = {"files": len(members), "ratio": pipe / bare}
    return out
