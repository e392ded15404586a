"""Private reflections: the optional note a trainee may write for themselves after a session.

Never scored and never logged. Bundles and reports leave them out unless the person exporting
asks for them (`--include-reflections`); a trainee's own export (`intake-sim trainee export`)
always holds them, since they are the trainee's data.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from simulator.store.db import Store
from simulator.store.errors import StoreError

REFLECTION_MAX = 10_000

SELECT_REFLECTION = "SELECT session_id, text, at FROM reflections WHERE session_id = ?"
SELECT_REFLECTIONS_OF_TRAINEE = (
    "SELECT r.session_id, r.text, r.at FROM reflections AS r JOIN sessions AS s "
    "ON s.id = r.session_id WHERE s.trainee_id = ? ORDER BY s.started_at, s.rowid"
)
SELECT_SESSION_EXISTS = "SELECT 1 FROM sessions WHERE id = ?"
UPSERT_REFLECTION = (
    "INSERT INTO reflections (session_id, text, at) VALUES (?, ?, ?) "
    "ON CONFLICT (session_id) DO UPDATE SET text = excluded.text, at = excluded.at"
)
DELETE_REFLECTION = "DELETE FROM reflections WHERE session_id = ?"


@dataclass(frozen=True)
class Reflection:
    session_id: str
    text: str
    at: str


def clean_note(text: str) -> str:
    """The note as it is kept: trimmed, control characters other than newlines removed."""
    kept = "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")
    )
    return kept.strip()


def save_reflection(store: Store, session_id: str, text: str) -> Reflection | None:
    """Keep (or replace) the note on a session; an empty note removes it and returns None."""
    if not isinstance(text, str):
        raise StoreError("A reflection is text.")
    note = clean_note(text)
    if len(note) > REFLECTION_MAX:
        raise StoreError(
            f"A reflection is at most {REFLECTION_MAX} characters; this one has {len(note)}."
        )
    with store._transaction("save your note") as conn:
        if conn.execute(SELECT_SESSION_EXISTS, (session_id,)).fetchone() is None:
            raise StoreError(f"There is no session {session_id} in {store.db_file}.")
        if not note:
            conn.execute(DELETE_REFLECTION, (session_id,))
            return None
        at = store._clock()
        conn.execute(UPSERT_REFLECTION, (session_id, note, at))
    return Reflection(session_id, note, at)


def get_reflection(store: Store, session_id: str) -> Reflection | None:
    with store._reading("read your note") as conn:
        row = conn.execute(SELECT_REFLECTION, (session_id,)).fetchone()
    return None if row is None else Reflection(row[0], row[1], row[2])


def reflections_for_trainee(store: Store, trainee_id: int) -> list[Reflection]:
    """The trainee's notes, oldest session first."""
    with store._reading("read your notes") as conn:
        rows = conn.execute(SELECT_REFLECTIONS_OF_TRAINEE, (trainee_id,)).fetchall()
    return [Reflection(r[0], r[1], r[2]) for r in rows]
