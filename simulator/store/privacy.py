"""A trainee's right to see and to erase everything stored about them."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import asdict
from pathlib import Path
from typing import Any

from simulator.store import schema
from simulator.store.backup import list_backups
from simulator.store.models import ChoiceRow, SessionRow, Trainee

EXPORT_FORMAT = "intake-sim/trainee-export"
EXPORT_FORMAT_VERSION = 1


def export_document(
    trainee: Trainee,
    sessions: list[tuple[SessionRow, list[ChoiceRow]]],
    exported_at: str,
) -> dict[str, Any]:
    """A JSON-ready document of the trainee, their sessions and every choice made in them."""
    return {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_FORMAT_VERSION,
        "exported_at": exported_at,
        "trainee": asdict(trainee),
        "sessions": [
            {
                **asdict(session),
                "choices": [
                    {k: v for k, v in asdict(c).items() if k != "session_id"} for c in choices
                ],
            }
            for session, choices in sessions
        ],
    }


_LATER_TABLES = (
    (
        "reflections",
        "DELETE FROM reflections WHERE session_id IN "
        "(SELECT id FROM sessions WHERE trainee_id = ?)",
    ),
    (
        "workshop_members",
        "DELETE FROM workshop_members WHERE session_id IN "
        "(SELECT id FROM sessions WHERE trainee_id = ?)",
    ),
    ("session_leases", "DELETE FROM session_leases WHERE trainee_id = ?"),
)


def delete_trainee_rows(conn: sqlite3.Connection, trainee_id: int) -> int:
    """Delete the trainee, their sessions and choices; the caller holds the transaction."""
    # Explicit deletes rather than ON DELETE CASCADE: they also work on a file written with
    # foreign keys off, and their row counts are exact.
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    n = 0
    # Tables added by later schema versions (a backup may predate them).
    for table, statement in _LATER_TABLES:
        if table in tables:
            n += conn.execute(statement, (trainee_id,)).rowcount
    n += conn.execute(schema.DELETE_SELF_REPORTS_OF_TRAINEE, (trainee_id,)).rowcount
    n += conn.execute(schema.DELETE_SETTINGS_OF_TRAINEE, (trainee_id,)).rowcount
    n += conn.execute(schema.DELETE_CHOICES_OF_TRAINEE, (trainee_id,)).rowcount
    n += conn.execute(schema.DELETE_SESSIONS_OF_TRAINEE, (trainee_id,)).rowcount
    n += conn.execute(schema.DELETE_TRAINEE, (trainee_id,)).rowcount
    return n


def scrub_backup(backup: Path, pseudonym: str) -> int:
    """Erase the trainee from one backup file in place; returns rows deleted there."""
    conn = sqlite3.connect(backup, isolation_level=None)
    try:
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute(schema.BEGIN)
        try:
            row = conn.execute(schema.SELECT_TRAINEE_BY_PSEUDONYM, (pseudonym,)).fetchone()
            n = 0 if row is None else delete_trainee_rows(conn, int(row[0]))
            conn.execute(schema.COMMIT)
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute(schema.ROLLBACK)
            raise
        if n:
            conn.execute(schema.VACUUM)
        return n
    finally:
        conn.close()


def scrub_backups(backups: Path, pseudonym: str) -> list[Path]:
    """Erase the trainee from every backup; returns the backups that could not be scrubbed."""
    failed = []
    for backup in list_backups(backups):
        try:
            scrub_backup(backup, pseudonym)
        except (sqlite3.Error, OSError):
            failed.append(backup)
    return failed
