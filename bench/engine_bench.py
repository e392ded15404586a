"""engine: replaying recorded choices through the engine, and scoring the finished sessions.

Choices are recorded first (untimed) by playing the bundled scenarios and generated ones with a
seeded RNG: a random available option and a random value for every stance aspect at each step,
until the target number of choices exists. Stances are recorded as plain dicts, as the store
keeps them, so replay goes through the same path as resuming a stored session.

Timed, 3 repetitions, the two passes alternating; the best repetition of each figure counts:
  engine          `replay(scenario, choices)` for every session (timed on its own)
  engine+scoring  the same plus `summarize(session)` on every finished session
  baseline        a loop doing one dict lookup per recorded choice (this machine's speed)
Goal: 50,000 choices per second or more on one core, for engine and for engine+scoring.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

from bench.common import BenchResult, Goal, human_rate, log, rate, timed
from bench.generate import Generator
from simulator.core.compiled import CompiledRubric, CompiledScenario
from simulator.core.engine import choose, replay, start
from simulator.core.library import load_library, load_rubric, load_scenario
from simulator.core.scoring import summarize

NAME = "engine"
GOAL_RATE = 50_000
FULL_CHOICES = 100_000
QUICK_CHOICES = 2_000
FULL_GENERATED = 20
QUICK_GENERATED = 3
REPETITIONS = 3


@dataclass(frozen=True)
class Recorded:
    scenario: CompiledScenario
    choices: tuple[tuple[str, Mapping[str, str]], ...]
    ending: str
    state: Mapping[str, float]


def scenarios(rubric: CompiledRubric, generated: int, seed: int) -> list[CompiledScenario]:
    """The bundled scenarios plus `generated` generated ones, all compiled."""
    out = load_library(rubric=rubric).scenarios
    gen = Generator(rubric)
    for i in range(generated):
        text = gen.render(gen.scenario(i, seed + 1), i).encode("utf-8")
        res = load_scenario(text, rubric, display=f"<generated {i}>")
        if res.scenario is None:
            raise RuntimeError("; ".join(d.format() for d in res.errors[:5]))
        out.append(res.scenario)
    return out


def record(
    pool: list[CompiledScenario], rubric: CompiledRubric, target: int, seed: int
) -> list[Recorded]:
    """Play whole sessions, round robin over `pool`, until `target` choices are recorded."""
    rng = random.Random(seed)
    aspects = {a: sorted(s.values) for a, s in rubric.model.stance.items()}
    sessions: list[Recorded] = []
    total = 0
    while total < target:
        scenario = pool[len(sessions) % len(pool)]
        session = start(scenario)
        choices: list[tuple[str, Mapping[str, str]]] = []
        while not session.done:
            option = rng.choice(session.options())
            stance = {a: rng.choice(values) for a, values in aspects.items()}
            session, _ = choose(session, option.key, stance)
            choices.append((option.key, stance))
            if len(choices) > 10_000:
                raise RuntimeError(f"{scenario.id}: a session of more than 10,000 choices")
        sessions.append(Recorded(scenario, tuple(choices), session.ending_id or "", session.state))
        total += len(choices)
    return sessions


def run(*, quick: bool = False, choices: int | None = None, seed: int = 0) -> BenchResult:
    result = BenchResult(NAME)
    target = choices if choices is not None else (QUICK_CHOICES if quick else FULL_CHOICES)
    rubric = load_rubric()
    generated = QUICK_GENERATED if quick else FULL_GENERATED
    log(f"{NAME}: compiling the bundled scenarios and {generated} generated ones")
    pool = scenarios(rubric, generated, seed)
    log(f"{NAME}: recording {target:,} choices with a seeded RNG")
    started = time.perf_counter()
    sessions = record(pool, rubric, target, seed)
    recording = time.perf_counter() - started
    n_choices = sum(len(s.choices) for s in sessions)
    n_sessions = len(sessions)

    clock = time.perf_counter

    def engine_and_scoring() -> tuple[float, float, list[tuple[str | None, dict[str, float]]]]:
        """One pass: replay every session, then score it; the two are timed apart."""
        replaying = scoring = 0.0
        landed = []
        for r in sessions:
            t0 = clock()
            session = replay(r.scenario, r.choices)
            t1 = clock()
            summarize(session)
            t2 = clock()
            replaying += t1 - t0
            scoring += t2 - t1
            landed.append((session.ending_id, dict(session.state)))
        return replaying, scoring, landed

    # The baseline: one dict lookup per recorded choice, keyed by the option keys themselves.
    keys = [key for r in sessions for key, _ in r.choices]
    table = dict.fromkeys(keys, 1)

    def baseline() -> int:
        found = 0
        for key in keys:
            found += table[key]
        return found

    log(f"{NAME}: timing replay + summarize and the dict-lookup loop, {REPETITIONS} repetitions")
    engine_s = full_s = base_s = float("inf")
    cpu = wall = 0.0
    landed: list[tuple[str | None, dict[str, float]]] = []
    found = 0
    for rep in range(REPETITIONS):
        for which in ("engine", "baseline") if rep % 2 == 0 else ("baseline", "engine"):
            if which == "engine":
                w, c, (replaying, scoring, landed) = timed(engine_and_scoring)
                engine_s = min(engine_s, replaying)
                full_s = min(full_s, replaying + scoring)
            else:
                w, c, found = timed(baseline)
                base_s = min(base_s, w)
            cpu, wall = cpu + c, wall + w

    # Correctness: replay must land where the recorded play did.
    mismatched = sum(
        1
        for r, (ending, state) in zip(sessions, landed, strict=True)
        if ending != r.ending or state != dict(r.state)
    )
    if mismatched:
        result.problems.append(f"{mismatched} of {n_sessions} replayed sessions diverged")
    if found != n_choices:
        result.problems.append("baseline loop miscounted")

    base_rate = rate(n_choices, base_s)
    engine_rate = rate(n_choices, engine_s)
    full_rate = rate(n_choices, full_s)
    scoring_only = max(full_s - engine_s, 1e-9)
    g_engine = Goal("engine.choices_per_s", engine_rate, ">=", GOAL_RATE)
    g_full = Goal("engine+scoring.choices_per_s", full_rate, ">=", GOAL_RATE)
    result.goals += [g_engine, g_full]
    per_session = n_choices / n_sessions
    share = cpu / wall if wall else 1.0
    busy = f" [machine busy: got {share:.0%} of a core]" if share < 0.9 else ""
    result.lines.append(
        f"{NAME}: {n_choices:,} choices in {n_sessions:,} sessions, replay {engine_s:.2f} s"
        f" -> {engine_rate:,.0f} choices/s (goal >= {GOAL_RATE:,}) {g_engine.verdict()};"
        f" 1 choice = {base_rate / engine_rate:,.0f} baseline dict lookups{busy}"
    )
    result.lines.append(
        f"{NAME}+scoring: replay + summarize {full_s:.2f} s -> {full_rate:,.0f} choices/s"
        f" (goal >= {GOAL_RATE:,}) {g_full.verdict()}; 1 choice = {base_rate / full_rate:,.0f}"
        f" baseline dict lookups; summarize ~{rate(n_sessions, scoring_only):,.0f} sessions/s,"
        f" {scoring_only / full_s:.0%} of the time"
    )
    result.lines.append(
        f"{NAME}.baseline: trivial loop, {n_choices:,} dict lookups in {base_s:.4f} s"
        f" -> {human_rate(base_rate)} lookups/s on this machine; sessions average"
        f" {per_session:.1f} choices over {len(pool)} scenarios (recorded in {recording:.1f} s;"
        f" {n_sessions - mismatched} of {n_sessions} replays identical)"
    )
    result.figures = {
        "choices": n_choices,
        "sessions": n_sessions,
        "scenarios": len(pool),
        "engine_seconds": engine_s,
        "engine_scoring_seconds": full_s,
        "baseline_seconds": base_s,
        "cpu_share": share,
        "engine_choices_per_s": engine_rate,
        "engine_scoring_choices_per_s": full_rate,
        "baseline_lookups_per_s": base_rate,
        "engine_lookups_per_choice": base_rate / engine_rate,
        "engine_scoring_lookups_per_choice": base_rate / full_rate,
        "goal_choices_per_s": GOAL_RATE,
        "repetitions": REPETITIONS,
        "replays_identical": n_sessions - mismatched,
        "recording_seconds": recording,
    }
    return result
