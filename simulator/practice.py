"""Playing a scenario with every choice saved: the engine and the store, joined.

Used by the plain mode, the TUI and the tests alike. A choice counts (the session advances and
feedback is given) only after the store committed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from simulator.core.compiled import CompiledOption, CompiledScenario
from simulator.core.engine import (
    EngineError,
    Event,
    Session,
    choose,
    normalise_stance,
    replay,
    rewind,
    start,
)
from simulator.core.scoring import Summary, summarize
from simulator.store import SessionRow, Store, Trainee

MODES = ("coach", "assessment")


class ResumeError(Exception):
    """A stored session that can no longer be replayed on the current scenario."""


@dataclass
class Practice:
    """One trainee's live session of one scenario."""

    store: Store
    trainee: Trainee
    row: SessionRow
    session: Session
    notice: str | None = None  # something the trainee should be told on resuming

    @property
    def scenario(self) -> CompiledScenario:
        return self.session.scenario

    @property
    def mode(self) -> str:
        return self.row.mode

    @classmethod
    def begin(
        cls,
        store: Store,
        trainee: Trainee,
        scenario: CompiledScenario,
        mode: str = "coach",
        assignment_id: str | None = None,
    ) -> Practice:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        row = store.start_session(
            trainee.id,
            scenario.id,
            scenario.version,
            scenario.content_hash,
            scenario.rubric.version,
            mode,
            assignment_id,
        )
        return cls(store, trainee, row, start(scenario))

    @classmethod
    def resume(
        cls, store: Store, trainee: Trainee, row: SessionRow, scenario: CompiledScenario
    ) -> Practice:
        """Replay the stored choices; the session opens at the first unanswered decision."""
        choices = store.choices(row.id)
        notice = None
        if row.content_hash != scenario.content_hash:
            notice = (
                f"This scenario was edited after the session began (it was version "
                f"{row.scenario_version}, it is now version {scenario.version}); your "
                f"{len(choices)} earlier answers are replayed on the current text."
            )
        try:
            session = replay(scenario, ((f"{c.node_id}.{c.option_id}", c.stance) for c in choices))
        except EngineError as exc:
            raise ResumeError(
                f"The session of '{scenario.id}' begun {row.started_at} cannot be resumed: the "
                f"scenario changed so that an earlier answer no longer fits ({exc}). Start it "
                "again without --resume; the old session stays in your history."
            ) from None
        return cls(store, trainee, row, session, notice)

    def choose(
        self, option: CompiledOption, stance: Mapping[str, str] | None = None
    ) -> list[Event]:
        """Save the choice, then advance. Raises StoreError (nothing advanced) if not saved."""
        stance_t = normalise_stance(self.scenario, stance)
        new, events = choose(self.session, option.key, stance_t)
        self.store.record_choice(
            self.row.id, self.session.step, option.node_id, option.id, dict(stance_t)
        )
        self.session = new
        if new.done:
            self.store.complete_session(self.row.id, new.ending_id or "", self.summary().to_json())
        return events

    def rewind(self, step: int) -> None:
        """Go back to decision `step` (0-based); later answers are deleted. Practice only."""
        if self.mode != "coach":
            raise EngineError(
                "rewinding is for practice (coach mode); assessments run straight through"
            )
        if self.session.done:
            raise EngineError("the session has ended; start a new attempt to try another path")
        new = rewind(self.session, step)
        self.store.truncate_choices(self.row.id, step)
        self.session = new

    def summary(self) -> Summary:
        return summarize(self.session)


def load_attempt(store: Store, row: SessionRow, scenario: CompiledScenario) -> Session | None:
    """A stored attempt re-created from its choices (for debriefs, history and comparison).

    None when the scenario changed so far that the stored answers no longer fit.
    """
    choices = store.choices(row.id)
    try:
        return replay(scenario, ((f"{c.node_id}.{c.option_id}", c.stance) for c in choices))
    except EngineError:
        return None
