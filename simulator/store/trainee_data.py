"""Everything stored about one trainee, for their own export and before an erasure.

`Store.export_trainee` and `Store.erase_trainee` (db.py, privacy.py) do the core work; this adds
the parts kept in later tables (private reflections, workshop memberships, session leases) and
counts what an erasure will remove, so the trainee is told exactly what went.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from simulator.store import schema
from simulator.store.assignments import SELECT_PACK
from simulator.store.db import Store
from simulator.store.errors import StoreError
from simulator.store.reflections import reflections_for_trainee

SELECT_MEMBERSHIPS = (
    "SELECT m.session_id, m.cohort FROM workshop_members AS m JOIN sessions AS s "
    "ON s.id = m.session_id WHERE s.trainee_id = ? ORDER BY s.started_at, s.rowid"
)
COUNTS = (
    ("sessions", "SELECT count(*) FROM sessions WHERE trainee_id = ?"),
    (
        "choices",
        "SELECT count(*) FROM choices WHERE session_id IN "
        "(SELECT id FROM sessions WHERE trainee_id = ?)",
    ),
    (
        "typed responses",
        "SELECT count(*) FROM choices WHERE free_text IS NOT NULL AND session_id IN "
        "(SELECT id FROM sessions WHERE trainee_id = ?)",
    ),
    (
        "self-reports",
        "SELECT count(*) FROM self_reports WHERE session_id IN "
        "(SELECT id FROM sessions WHERE trainee_id = ?)",
    ),
    (
        "reflections",
        "SELECT count(*) FROM reflections WHERE session_id IN "
        "(SELECT id FROM sessions WHERE trainee_id = ?)",
    ),
    ("settings", "SELECT count(*) FROM settings WHERE trainee_id = ?"),
    (
        "workshop memberships",
        "SELECT count(*) FROM workshop_members WHERE session_id IN "
        "(SELECT id FROM sessions WHERE trainee_id = ?)",
    ),
    ("session leases", "SELECT count(*) FROM session_leases WHERE trainee_id = ?"),
)


def _trainee_id(conn: Any, pseudonym: str) -> int:
    row = conn.execute(schema.SELECT_TRAINEE_BY_PSEUDONYM, (pseudonym.strip(),)).fetchone()
    if row is None:
        raise StoreError(f"There is no trainee called {pseudonym.strip()!r}.")
    return int(row[0])


def stored_counts(store: Store, pseudonym: str) -> dict[str, int]:
    """How many rows of each kind the store holds about the trainee (raises if unknown)."""
    with store._transaction("count the trainee's data", write=False) as conn:
        tid = _trainee_id(conn, pseudonym)
        return {what: int(conn.execute(sql, (tid,)).fetchone()[0]) for what, sql in COUNTS}


def full_export(store: Store, pseudonym: str) -> dict[str, Any]:
    """`Store.export_trainee` plus reflections, workshop memberships and the packs referred to."""
    document = store.export_trainee(pseudonym)
    tid = int(document["trainee"]["id"])
    document["reflections"] = [asdict(r) for r in reflections_for_trainee(store, tid)]
    pack_ids = sorted({s["assignment_id"] for s in document["sessions"] if s["assignment_id"]})
    with store._reading("read the trainee's workshops and assignments") as conn:
        document["workshop_memberships"] = [
            {"session_id": r[0], "room": r[1]} for r in conn.execute(SELECT_MEMBERSHIPS, (tid,))
        ]
        packs = [conn.execute(SELECT_PACK, (pid,)).fetchone() for pid in pack_ids]
    document["assignments"] = [json.loads(p[0]) for p in packs if p is not None]
    return document
