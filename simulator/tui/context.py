"""What every screen shares: the store, the trainee, the library and the trainee's settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.core.compiled import CompiledScenario
from simulator.core.dyad import dyad_for
from simulator.core.library import Library
from simulator.store import SessionRow, Store, Trainee

if TYPE_CHECKING:  # imported where used: the library screen needs none of them (start-up time)
    from simulator.core.assignment import Pack
    from simulator.core.engine import Session
    from simulator.core.mirror import Mirror
    from simulator.practice import Practice
    from simulator.store.assignments import Progress

DEFAULT_SETTINGS: dict[str, Any] = {"mode": "coach", "meters": True, "theme": "textual-dark"}


@dataclass
class AppContext:
    store: Store
    library: Library
    trainee: Trainee | None = None
    settings: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_SETTINGS))
    extra_dirs: tuple[Path, ...] = ()
    assignment: Pack | None = None  # the pack opened with --assignment; its sessions are tagged

    def sign_in(self, trainee: Trainee) -> None:
        self.trainee = trainee
        self.settings = {**DEFAULT_SETTINGS, **self.store.settings(trainee.id)}

    def save_settings(self) -> None:
        if self.trainee is not None:
            self.store.save_settings(self.trainee.id, self.settings)

    def dyad(self, scenario: CompiledScenario) -> str:
        facets = self.trainee.facets if self.trainee else {}
        return dyad_for(scenario.model, facets) or "-"

    def assignment_progress(self) -> Progress | None:
        from simulator.store.assignments import progress

        if self.assignment is None or self.trainee is None:
            return None
        return progress(self.store, self.assignment, self.trainee.id)

    def sessions(self) -> list[SessionRow]:
        return [] if self.trainee is None else self.store.sessions_for_trainee(self.trainee.id)

    def last_result(self, scenario_id: str) -> str:
        for row in self.sessions():
            if row.scenario_id == scenario_id:
                if row.status == "completed" and row.summary:
                    return f"{row.summary.get('overall', '?')} ({row.summary.get('band', '')})".replace(
                        "_", " "
                    )
                return row.status
        return "-"

    def attempt(self, row: SessionRow) -> Session | None:
        from simulator.practice import load_attempt

        scenario = self.library.get(row.scenario_id)
        return None if scenario is None else load_attempt(self.store, row, scenario)

    def resume(self, row: SessionRow) -> Practice:
        from simulator.practice import Practice

        scenario = self.library.get(row.scenario_id)
        if scenario is None or self.trainee is None:
            raise LookupError(f"the scenario '{row.scenario_id}' is no longer in the library")
        return Practice.resume(self.store, self.trainee, row, scenario)

    def mirror(self) -> Mirror:
        from simulator.core.mirror import Rated, bias_mirror

        if self.trainee is None:
            return bias_mirror([])
        rows = {r.id: r for r in self.sessions()}
        attempts = []
        for report in self.store.self_reports_for_trainee(self.trainee.id):
            row = rows.get(report.session_id)
            scenario = self.library.get(row.scenario_id) if row else None
            if scenario is None:
                continue
            scripted = dict(scenario.model.client.scripted)
            attempts.append(
                Rated(
                    scenario.id,
                    self.dyad(scenario),
                    {
                        "openness": report.openness,
                        "trust": report.trust,
                        "cooperation": report.cooperation,
                    },
                    {q: scripted.get(q, 3) for q in ("openness", "trust", "cooperation")},
                )
            )
        return bias_mirror(attempts)


def ctx_of(node: Any) -> AppContext:
    """The app's shared context, from any screen or widget."""
    context: AppContext = node.app.ctx
    return context
