"""coder: free-text coding throughput, in utterances per second on one core.

The corpus is every labelled response in tests/data/coded_responses*.jsonl (with its client line)
and every authored option of the bundled scenarios (with the client line it answers), repeated
until the target number of utterances is reached. Nothing is downloaded; the coder is the
rule-based one in simulator/core/coder.py with the bundled lexicon.

Reported, untimed: loading and compiling the lexicon, and coding the first response (the cue
gates are built later, in the untimed warm-up pass, once each matcher has read 300 texts).
Timed, 3 repetitions, the two passes alternating; the best repetition of each counts:
  coder     `coder.code(text, context)` for every response of the corpus
  baseline  a loop doing one dict lookup per response, 20 times over (this machine's speed)
Checked: coding the corpus twice gives identical results (the coder is deterministic, which is
what lets a stored typed session be re-scored exactly).
Goal: 10,000 utterances per second or more on one core.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from bench.common import BenchResult, Goal, human_rate, log, rate, timed
from simulator.core.coder import load_coder
from simulator.core.library import load_library, load_rubric

NAME = "coder"
GOAL_RATE = 10_000
FULL_UTTERANCES = 50_000
QUICK_UTTERANCES = 2_000
REPETITIONS = 3
BASELINE_PASSES = 20  # the dict-lookup loop runs over the responses this many times
DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def corpus() -> list[tuple[str, str | None]]:
    """(response, client line) pairs: the labelled responses and the authored options."""
    items: list[tuple[str, str | None]] = []
    for path in sorted(DATA.glob("coded_responses*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    obj = json.loads(line)
                    items.append((obj["text"], obj.get("context")))
    for scenario in load_library().scenarios:
        for node in scenario.nodes.values():
            client = node.lines[-1][1]
            items.extend((option.say, client) for option in node.options)
    return items


def run(*, quick: bool = False, utterances: int | None = None, seed: int = 0) -> BenchResult:
    del seed  # the corpus is fixed; kept for the runner's uniform call
    result = BenchResult(NAME)
    target = (
        utterances if utterances is not None else (QUICK_UTTERANCES if quick else FULL_UTTERANCES)
    )
    started = time.perf_counter()
    rubric = load_rubric()
    coder = load_coder(rubric)
    load_s = time.perf_counter() - started
    base = corpus()
    started = time.perf_counter()
    per_pass = len(coder.code(*base[0]).utterances)
    first_s = time.perf_counter() - started
    per_pass += sum(len(coder.code(t, c).utterances) for t, c in base[1:])  # warms the caches
    copies = max(1, -(-target // per_pass))
    items = base * copies
    n_utterances = per_pass * copies
    log(
        f"{NAME}: {len(items):,} responses ({n_utterances:,} utterances), {REPETITIONS} repetitions"
    )

    def code_all() -> list[tuple[tuple[str, ...], ...]]:
        code = coder.code
        return [tuple(u.codes for u in code(t, c).utterances) for t, c in items]

    table = {t: 1 for t, _ in base}
    keys = [t for t, _ in items] * BASELINE_PASSES  # long enough to time steadily

    def baseline() -> int:
        found = 0
        for key in keys:
            found += table[key]
        return found

    coder_s = base_s = float("inf")
    cpu = wall = 0.0
    outputs: list[list[tuple[tuple[str, ...], ...]]] = []
    found = 0
    for rep in range(REPETITIONS):
        for which in ("coder", "baseline") if rep % 2 == 0 else ("baseline", "coder"):
            if which == "coder":
                w, c, out = timed(code_all)
                coder_s = min(coder_s, w)
                outputs.append(out)
            else:
                w, c, found = timed(baseline)
                base_s = min(base_s, w)
            cpu, wall = cpu + c, wall + w

    if any(out != outputs[0] for out in outputs[1:]):
        result.problems.append("coding the same corpus twice gave different codes")
    if found != len(keys):
        result.problems.append("baseline loop miscounted")
    coded = sum(len(r) for r in outputs[0])
    if coded != n_utterances:
        result.problems.append(f"expected {n_utterances} utterances, coded {coded}")

    utt_rate = rate(n_utterances, coder_s)
    resp_rate = rate(len(items), coder_s)
    base_rate = rate(len(keys), base_s)
    goal = Goal("coder.utterances_per_s", utt_rate, ">=", GOAL_RATE)
    result.goals.append(goal)
    share = cpu / wall if wall else 1.0
    busy = f" [machine busy: got {share:.0%} of a core]" if share < 0.9 else ""
    lookups = base_rate / utt_rate if utt_rate else float("inf")
    result.lines.append(
        f"{NAME}: {n_utterances:,} utterances in {len(items):,} responses coded in {coder_s:.2f} s"
        f" -> {utt_rate:,.0f} utterances/s (goal >= {GOAL_RATE:,}) {goal.verdict()};"
        f" 1 utterance = {lookups:,.0f} baseline dict lookups{busy}"
    )
    result.lines.append(
        f"{NAME}.baseline: trivial loop, {len(keys):,} dict lookups in {base_s:.4f} s ->"
        f" {human_rate(base_rate)} lookups/s on this machine; {resp_rate:,.0f} responses/s;"
        f" lexicon loaded and compiled in {load_s:.2f} s, first response coded in {first_s:.2f} s"
        f"; {len(base):,} distinct responses,"
        f" {per_pass / len(base):.2f} utterances each; repeated codings identical"
    )
    result.figures = {
        "utterances": n_utterances,
        "responses": len(items),
        "distinct_responses": len(base),
        "coder_seconds": coder_s,
        "baseline_seconds": base_s,
        "utterances_per_s": utt_rate,
        "responses_per_s": resp_rate,
        "baseline_lookups_per_s": base_rate,
        "lookups_per_utterance": lookups,
        "load_seconds": load_s,
        "first_code_seconds": first_s,
        "cpu_share": share,
        "goal_utterances_per_s": GOAL_RATE,
        "repetitions": REPETITIONS,
        "coder_version": coder.version,
    }
    return result
