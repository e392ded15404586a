"""Semantic repairs run by `Store.check` after PRAGMA quick_check.

Each repair is idempotent and returns a human-readable line per fix, so a second run over the
same database finds nothing. The caller runs all of them inside one transaction.
"""

from __future__ import annotations

import sqlite3

from simulator.store import schema


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def delete_sessions_without_trainee(conn: sqlite3.Connection) -> list[str]:
    repairs = []
    for session_id, trainee_id in conn.execute(schema.SELECT_SESSIONS_WITHOUT_TRAINEE).fetchall():
        n = conn.execute(schema.DELETE_CHOICES_OF_SESSION, (session_id,)).rowcount
        conn.execute(schema.DELETE_SESSION, (session_id,))
        repairs.append(
            f"deleted session {session_id} and its {_plural(n, 'choice')}: "
            f"its trainee (id {trainee_id}) is missing"
        )
    return repairs


def delete_choices_without_session(conn: sqlite3.Connection) -> list[str]:
    repairs = []
    for session_id, count in conn.execute(schema.SELECT_ORPHAN_CHOICE_SESSIONS).fetchall():
        conn.execute(schema.DELETE_CHOICES_OF_SESSION, (session_id,))
        repairs.append(f"deleted {_plural(count, 'choice')} of missing session {session_id}")
    return repairs


def _first_gap(steps: list[int]) -> int:
    for expected, step in enumerate(steps):
        if step != expected:
            return expected
    return len(steps)


def delete_choices_after_gap(conn: sqlite3.Connection) -> list[str]:
    """A choice after a missing step cannot be replayed, so it and all later ones go."""
    repairs = []
    for (session_id,) in conn.execute(schema.SELECT_SESSIONS_WITH_GAPS).fetchall():
        steps = [s for (s,) in conn.execute(schema.SELECT_STEPS, (session_id,)).fetchall()]
        gap = _first_gap(steps)
        n = conn.execute(schema.DELETE_CHOICES_FROM, (session_id, gap)).rowcount
        repairs.append(
            f"deleted {_plural(n, 'choice')} after missing step {gap} in session {session_id}"
        )
    return repairs


def end_completed_sessions(conn: sqlite3.Connection) -> list[str]:
    repairs = []
    for (session_id,) in conn.execute(schema.SELECT_COMPLETED_WITHOUT_END).fetchall():
        conn.execute(schema.SET_ENDED_AT_TO_STARTED_AT, (session_id,))
        repairs.append(f"set the missing end time of completed session {session_id}")
    return repairs


# Order matters: whole sessions go before their choices are judged.
REPAIRS = (
    delete_sessions_without_trainee,
    delete_choices_without_session,
    delete_choices_after_gap,
    end_completed_sessions,
)


def repair(conn: sqlite3.Connection) -> list[str]:
    repairs: list[str] = []
    for fix in REPAIRS:
        repairs.extend(fix(conn))
    return repairs
