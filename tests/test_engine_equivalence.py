"""The engine's and scoring's fast paths against the plain formulations they replace."""

from __future__ import annotations

import random

import pytest

from simulator.core.compiled import CompiledRubric
from simulator.core.engine import choose, replay, start
from simulator.core.library import load_library
from simulator.core.scoring import _strongest


def plain_levels(
    rubric: CompiledRubric, pushes: tuple[float, ...], state: dict[str, float]
) -> tuple[float, ...]:
    out = []
    for push, terms in zip(pushes, rubric.theme_terms, strict=True):
        for var, w10 in terms:
            push += w10 * (state[var] - 50.0)
        out.append(push)
    return tuple(out)


def test_generated_theme_arithmetic_equals_the_loops(rubric: CompiledRubric) -> None:
    rng = random.Random(3)
    n = len(rubric.theme_ids)
    for _ in range(2000):
        option = tuple(rng.choice([0.0, rng.uniform(-3, 3)]) for _ in range(n))
        stance = tuple(rng.uniform(-1, 1) for _ in range(n))
        before = tuple(rng.uniform(-20, 20) for _ in range(n))
        state = {v: rng.uniform(0, 100) for v in ("bond", "goal", "task", "trust")}
        push, pushes, levels = rubric.theme_step(option, stance, before, state)
        assert push == tuple(a + b for a, b in zip(option, stance, strict=True))
        assert pushes == tuple(
            p * rubric.theme_decay + q for p, q in zip(before, push, strict=True)
        )
        assert levels == plain_levels(rubric, pushes, state) == rubric.levels(pushes, state)


def test_strongest_pushes_match_sorting_pairs() -> None:
    rng = random.Random(5)
    for _ in range(3000):
        pushes = tuple(
            rng.choice([0.0, -0.0, 0.5, 1.5, -0.2, 2.0]) for _ in range(rng.randrange(0, 30))
        )
        expected = [k for _, k in sorted((-p, k) for k, p in enumerate(pushes) if p > 0)[:3]]
        assert _strongest(pushes) == expected


@pytest.mark.parametrize("seed", [0, 1])
def test_replay_equals_choosing_one_by_one(rubric: CompiledRubric, seed: int) -> None:
    rng = random.Random(seed)
    aspects = {a: sorted(s.values) for a, s in rubric.model.stance.items()}
    for scenario in load_library(rubric=rubric).scenarios:
        session = start(scenario)
        choices = []
        returned = []
        while not session.done:
            option = rng.choice(session.options())
            stance = {a: rng.choice(v) for a, v in aspects.items() if rng.random() < 0.7}
            session, events = choose(session, option.key, stance)
            choices.append((option.key, stance))
            returned.append(events)
        replayed = replay(scenario, choices)
        assert replayed == session
        assert [list(t.events) for t in replayed.turns] == returned
        assert replayed.visited == session.visited
