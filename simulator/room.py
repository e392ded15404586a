"""The workshop room joined with the engine: where each trainee stands in the scenario."""

from __future__ import annotations

from collections.abc import Sequence

from simulator.core.coder import Coder, default_coder
from simulator.core.coder_play import replay_stored
from simulator.core.compiled import CompiledScenario
from simulator.core.engine import EngineError
from simulator.store import ChoiceRow, Store
from simulator.store.workshop import Locate, RoomDistribution, room_distribution


def locator(scenario: CompiledScenario) -> Locate:
    """A function giving a session's next unanswered decision (None once ended or unplayable)."""
    coder: Coder | None = None

    def locate(choices: Sequence[ChoiceRow]) -> str | None:
        nonlocal coder
        if coder is None and any(c.free_text is not None for c in choices):
            coder = default_coder(scenario.rubric)
        stored = ((f"{c.node_id}.{c.option_id}", c.stance, c.free_text) for c in choices)
        try:
            session = replay_stored(scenario, stored, coder)
        except (EngineError, ValueError):
            return None  # played on an older version of the scenario that no longer fits
        return session.node_id

    return locate


def distribution(store: Store, cohort: str, scenario: CompiledScenario) -> RoomDistribution:
    return room_distribution(store, cohort, scenario.id, locator(scenario))
