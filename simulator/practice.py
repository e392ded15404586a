"""Playing a scenario with every choice saved: the engine and the store, joined.

Used by the plain mode, the TUI and the tests alike. A choice counts (the session advances and
feedback is given) only after the store committed it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from simulator.core.coder import CodedResponse, Coder, default_coder
from simulator.core.coder_play import (
    MitiSummary,
    choose_typed,
    miti_summary,
    replay_stored,
    replay_turns,
)
from simulator.core.compiled import CompiledOption, CompiledScenario
from simulator.core.engine import (
    EngineError,
    Event,
    Session,
    choose,
    normalise_stance,
    start,
)
from simulator.core.scoring import Summary, summarize
from simulator.core.text import clean
from simulator.store import ChoiceRow, SessionRow, Store, Trainee

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
    coder: Coder | None = None  # reads typed responses (free-text play); see core/coder_play.py

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
        coder: Coder | None = None,
    ) -> Practice:
        """Start a session; with a `coder`, typed responses are accepted and the session pins
        the coder's version next to the rubric's."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        row = store.start_session(
            trainee.id,
            scenario.id,
            scenario.version,
            scenario.content_hash,
            pinned_version(scenario, coder),
            mode,
            assignment_id,
        )
        return cls(store, trainee, row, start(scenario), coder=coder)

    @classmethod
    def resume(
        cls,
        store: Store,
        trainee: Trainee,
        row: SessionRow,
        scenario: CompiledScenario,
        coder: Coder | None = None,
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
            if coder is None and any(c.free_text is not None for c in choices):
                coder = default_coder(scenario.rubric)
            session = replay_stored(scenario, _stored(choices), coder)
        except EngineError as exc:
            raise ResumeError(
                f"The session of '{scenario.id}' begun {row.started_at} cannot be resumed: the "
                f"scenario changed so that an earlier answer no longer fits ({exc}). Start it "
                "again without --resume; the old session stays in your history."
            ) from None
        if coder is not None and row.rubric_version != pinned_version(scenario, coder):
            typed = sum(1 for c in choices if c.free_text is not None)
            if typed and "+coder-" in row.rubric_version:
                was = row.rubric_version.split("+coder-", 1)[1]
                notice = (notice + " " if notice else "") + (
                    f"Your {typed} typed answers were first read by coder {was}; they are "
                    f"re-read by coder {coder.version}."
                )
        return cls(store, trainee, row, session, notice, coder)

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
            self.store.complete_session(self.row.id, new.ending_id or "", self.summary_json())
        return events

    def read(self, text: str) -> CodedResponse:
        """Code a typed response against the client's current line (needs a coder)."""
        coder = self.coder or default_coder(self.scenario.rubric)
        self.coder = coder
        return coder.code(clean(text), self.session.client_line())

    def choose_typed(
        self, option: CompiledOption, coded: CodedResponse, stance: Mapping[str, str] | None = None
    ) -> list[Event]:
        """Save a typed response mapped to `option`, then advance, scoring the typed codes.
        Raises StoreError (nothing advanced) if it was not saved."""
        stance_t = normalise_stance(self.scenario, stance)
        new, events = choose_typed(self.session, option.key, coded, stance_t)
        self.store.record_choice(
            self.row.id,
            self.session.step,
            option.node_id,
            option.id,
            dict(stance_t),
            free_text=coded.text,
        )
        self.session = new
        if new.done:
            self.store.complete_session(self.row.id, new.ending_id or "", self.summary_json())
        return events

    def miti(self) -> MitiSummary | None:
        """MITI-style figures over the typed responses (None when nothing was typed)."""
        if self.coder is None:
            return None
        return miti_summary(self.session, self.coder)

    def summary_json(self) -> dict[str, Any]:
        """The summary as JSON, with a `miti` key when the session has typed responses."""
        doc = self.summary().to_json()
        miti = self.miti()
        if miti is not None:
            doc["miti"] = miti.to_json()
        return doc

    def rewind(self, step: int) -> None:
        """Go back to decision `step` (0-based); later answers are deleted. Practice only."""
        if self.mode != "coach":
            raise EngineError(
                "rewinding is for practice (coach mode); assessments run straight through"
            )
        if self.session.done:
            raise EngineError("the session has ended; start a new attempt to try another path")
        if not 0 <= step <= self.session.step:
            raise EngineError(
                f"cannot rewind to decision {step + 1}: only {self.session.step} answered"
            )
        new = replay_turns(self.session, step)  # typed turns stay typed
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
        coder = default_coder(scenario.rubric) if any(c.free_text for c in choices) else None
        return replay_stored(scenario, _stored(choices), coder)
    except EngineError:
        return None


def pinned_version(scenario: CompiledScenario, coder: Coder | None) -> str:
    """What a session pins as its rubric version: the rubric's, plus the coder's with free text."""
    version = scenario.rubric.version
    return f"{version}+coder-{coder.version}" if coder is not None else version


def _stored(choices: Iterable[ChoiceRow]) -> Iterator[tuple[str, dict[str, str], str | None]]:
    for c in choices:
        yield f"{c.node_id}.{c.option_id}", c.stance, c.free_text
