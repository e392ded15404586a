"""Assignment packs kept in the store: the packs a trainee opened or a supervisor added or
imported, and each trainee's progress against one.

A pack is stored as its canonical JSON with its content hash; sessions carry the pack id in
`sessions.assignment_id`. Saving the same pack again is a no-op; saving a changed pack under an
id already used is refused unless its version is higher, so two different packs never share an id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from simulator.core.assignment import Pack, pack_from_json
from simulator.store.db import Store, _session
from simulator.store.errors import StoreError
from simulator.store.models import SessionRow

SELECT_PACK = "SELECT pack, content_hash FROM assignments WHERE id = ?"
SELECT_PACKS = "SELECT pack FROM assignments ORDER BY cohort, id"
UPSERT_PACK = (
    "INSERT INTO assignments (id, cohort, pack, content_hash, added_at) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET cohort = excluded.cohort, pack = excluded.pack, "
    "content_hash = excluded.content_hash, added_at = excluded.added_at"
)
SELECT_PACK_SESSIONS = (
    # Column order matches db._session.
    "SELECT id, trainee_id, scenario_id, scenario_version, content_hash, rubric_version, mode, "
    "status, started_at, ended_at, ending_id, assignment_id, summary FROM sessions "
    "WHERE assignment_id = ? ORDER BY started_at, rowid"
)


def save_pack(store: Store, pack: Pack) -> bool:
    """Keep `pack` in the store. True when something changed (new pack, or a newer version)."""
    digest = pack.content_hash()
    with store._transaction("save the assignment pack") as conn:
        row = conn.execute(SELECT_PACK, (pack.id,)).fetchone()
        if row is not None:
            if row[1] == digest:
                return False
            old = pack_from_json(json.loads(row[0]))
            if pack.version <= old.version:
                raise StoreError(
                    f"This store already has a different pack '{pack.id}' (version {old.version})."
                    f" Raise 'version' above {old.version} to replace it, or give the pack a new"
                    " id."
                )
        conn.execute(
            UPSERT_PACK, (pack.id, pack.cohort, pack.canonical(), digest, store._clock())
        )
    return True


def get_pack(store: Store, pack_id: str) -> Pack | None:
    with store._reading("read the assignment pack") as conn:
        row = conn.execute(SELECT_PACK, (pack_id,)).fetchone()
    return None if row is None else pack_from_json(json.loads(row[0]))


def list_packs(store: Store) -> list[Pack]:
    with store._reading("list the assignment packs") as conn:
        rows = conn.execute(SELECT_PACKS).fetchall()
    return [pack_from_json(json.loads(r[0])) for r in rows]


def sessions_for_assignment(store: Store, pack_id: str) -> list[SessionRow]:
    with store._reading("read the assignment's sessions") as conn:
        rows = conn.execute(SELECT_PACK_SESSIONS, (pack_id,)).fetchall()
    return [_session(r) for r in rows]


@dataclass(frozen=True)
class ScenarioProgress:
    scenario_id: str
    status: str  # "not started", "in progress" or "completed"
    passed: bool | None  # None until completed
    below: tuple[str, ...]  # dimensions under the pack's threshold on the latest completion


@dataclass(frozen=True)
class Progress:
    pack: Pack
    scenarios: tuple[ScenarioProgress, ...]

    @property
    def completed(self) -> int:
        return sum(1 for s in self.scenarios if s.status == "completed")

    @property
    def passed(self) -> int:
        return sum(1 for s in self.scenarios if s.passed)


def progress(store: Store, pack: Pack, trainee_id: int) -> Progress:
    """Where one trainee stands on `pack`: per scenario, the latest completed attempt's verdict,
    else whether an attempt is under way."""
    mine = [s for s in sessions_for_assignment(store, pack.id) if s.trainee_id == trainee_id]
    rows: list[ScenarioProgress] = []
    for sid in pack.scenarios:
        tries = [s for s in mine if s.scenario_id == sid]
        done = [s for s in tries if s.status == "completed" and s.summary]
        if done:
            humility = (done[-1].summary or {}).get("humility", {})
            ok, below = pack.verdict(humility if isinstance(humility, dict) else {})
            rows.append(ScenarioProgress(sid, "completed", ok, tuple(below)))
        elif any(s.status == "active" for s in tries):
            rows.append(ScenarioProgress(sid, "in progress", None, ()))
        else:
            rows.append(ScenarioProgress(sid, "not started", None, ()))
    return Progress(pack, tuple(rows))
