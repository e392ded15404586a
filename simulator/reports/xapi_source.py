"""Reading the store for xAPI: each stored session with what its statements are made from.

The statements themselves are built by `simulator.reports.xapi` from these records, without
touching the store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from simulator.core.compiled import CompiledScenario
from simulator.practice import load_attempt
from simulator.reports.xapi import PackResult, SessionRecord
from simulator.store import SessionRow, Store

# The verdict of one session against its pack: the pack's id -> (thresholds, humility ->
# (passed, failing dimensions)); None when the pack is not in this store.
PackLookup = Callable[[str], "PackJudge | None"]


@dataclass(frozen=True)
class PackJudge:
    pack_id: str
    thresholds: Mapping[str, float]
    verdict: Callable[[Mapping[str, int]], tuple[bool, list[str]]]


def store_packs(store: Store) -> PackLookup:
    """Packs from the store's assignments (simulator.store.assignments.get_pack)."""
    from simulator.store.assignments import get_pack

    cache: dict[str, PackJudge | None] = {}

    def lookup(pack_id: str) -> PackJudge | None:
        if pack_id not in cache:
            pack = get_pack(store, pack_id)
            cache[pack_id] = None if pack is None else _judge(pack_id, pack)
        return cache[pack_id]

    return lookup


def _judge(pack_id: str, pack: Any) -> PackJudge:
    def verdict(humility: Mapping[str, int]) -> tuple[bool, list[str]]:
        passed, failing = pack.verdict(dict(humility))
        return bool(passed), list(failing)

    return PackJudge(pack_id, dict(pack.thresholds), verdict)


def select_sessions(
    store: Store, *, assignment: str | None = None, trainee: str | None = None
) -> list[tuple[str, SessionRow]]:
    """(pseudonym, session) pairs, oldest session first, filtered by assignment and trainee."""
    trainees = store.list_trainees()
    if trainee is not None:
        wanted = trainee.strip().casefold()
        trainees = [t for t in trainees if t.pseudonym.casefold() == wanted]
    out: list[tuple[str, SessionRow]] = []
    for t in trainees:
        for row in reversed(store.sessions_for_trainee(t.id)):
            if assignment is None or row.assignment_id == assignment:
                out.append((t.pseudonym, row))
    out.sort(key=lambda pair: (pair[1].started_at, pair[1].id))
    return out


def records(
    store: Store,
    scenarios: Callable[[str], CompiledScenario | None],
    packs: PackLookup | None,
    *,
    assignment: str | None = None,
    trainee: str | None = None,
) -> list[SessionRecord]:
    """A record per selected session; `notes` say what had to be left out and why."""
    out = []
    for pseudonym, row in select_sessions(store, assignment=assignment, trainee=trainee):
        choices = store.choices(row.id)
        notes: list[str] = []
        scenario = scenarios(row.scenario_id)
        session = None
        if scenario is None:
            if choices:
                notes.append(
                    f"session {row.id} of {pseudonym}: scenario '{row.scenario_id}' is not in "
                    f"the library, so its {len(choices)} answers were left out"
                )
        else:
            session = load_attempt(store, row, scenario) if choices else None
            if choices and session is None:
                notes.append(
                    f"session {row.id} of {pseudonym}: its answers no longer fit the edited "
                    f"scenario '{row.scenario_id}', so they were left out"
                )
        pack = None
        if row.assignment_id and row.status == "completed" and packs is not None:
            judge = packs(row.assignment_id)
            humility = (row.summary or {}).get("humility")
            if judge is None:
                notes.append(
                    f"session {row.id} of {pseudonym}: assignment '{row.assignment_id}' is not "
                    "in this store, so no passed/failed statement was made"
                )
            elif isinstance(humility, dict):
                passed, failing = judge.verdict(humility)
                pack = PackResult(judge.pack_id, judge.thresholds, passed, tuple(failing))
        out.append(
            SessionRecord(
                row=row,
                pseudonym=pseudonym,
                choices=choices,
                session=session,
                scenario_title=None if scenario is None else scenario.model.title,
                pack=pack,
                notes=notes,
            )
        )
    return out
