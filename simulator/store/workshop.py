"""Workshop rooms in the shared store: the room's code, who plays in it, where it is paused.

A room is one cohort id. The facilitator opens it (with the code trainees type to enter),
every trainee's session joins it, and the facilitator may pause it at one decision for
discussion. The store knows nothing of scenarios: where a session currently stands is worked
out by a `locate` function the caller supplies (simulator/room.py replays the engine).
"""

from __future__ import annotations

import hmac
import json
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from simulator.store.db import Store, _session
from simulator.store.errors import StoreError
from simulator.store.models import ChoiceRow, SessionRow

COHORT_MAX = 80
CODE_MAX = 80
NODE_MAX = 200

Locate = Callable[[Sequence[ChoiceRow]], str | None]

UPSERT_ROOM = (
    "INSERT INTO workshop_rooms (cohort, code, scenario_id, paused_node, updated_at) "
    "VALUES (?, ?, ?, NULL, ?) ON CONFLICT (cohort) DO UPDATE SET code = excluded.code, "
    "scenario_id = coalesce(excluded.scenario_id, workshop_rooms.scenario_id), "
    "updated_at = excluded.updated_at"
)
SELECT_ROOM = (
    "SELECT code, scenario_id, paused_node, updated_at FROM workshop_rooms WHERE cohort = ?"
)
SET_PAUSED = "UPDATE workshop_rooms SET paused_node = ?, updated_at = ? WHERE cohort = ?"
SELECT_MEMBER = "SELECT cohort, trainee_id FROM workshop_members WHERE session_id = ?"
INSERT_MEMBER = "INSERT INTO workshop_members (session_id, cohort, trainee_id) VALUES (?, ?, ?)"
SELECT_SESSION_TRAINEE = "SELECT trainee_id FROM sessions WHERE id = ?"
SELECT_ROOM_SESSIONS = (
    # Column order matches db._session.
    "SELECT s.id, s.trainee_id, s.scenario_id, s.scenario_version, s.content_hash, "
    "s.rubric_version, s.mode, s.status, s.started_at, s.ended_at, s.ending_id, "
    "s.assignment_id, s.summary FROM sessions AS s "
    "JOIN workshop_members AS m ON m.session_id = s.id WHERE m.cohort = ? "
    "ORDER BY s.started_at, s.rowid"
)
SELECT_PAUSE_FOR_SESSION = (
    "SELECT r.cohort, r.paused_node FROM workshop_members AS m "
    "JOIN workshop_rooms AS r ON r.cohort = m.cohort WHERE m.session_id = ?"
)
# Abandoned sessions are left out: a trainee who restarts would otherwise count twice.
SELECT_ROOM_COUNTS = (
    "SELECT c.node_id, c.option_id, count(*) FROM choices AS c "
    "JOIN workshop_members AS m ON m.session_id = c.session_id "
    "JOIN sessions AS s ON s.id = c.session_id "
    "WHERE m.cohort = ? AND s.scenario_id = ? AND s.status != 'abandoned' "
    "GROUP BY c.node_id, c.option_id"
)
SELECT_ROOM_STATUS = (
    "SELECT s.status, count(*) FROM sessions AS s "
    "JOIN workshop_members AS m ON m.session_id = s.id "
    "WHERE m.cohort = ? AND s.scenario_id = ? GROUP BY s.status"
)
SELECT_ACTIVE_CHOICES = (
    "SELECT s.id, c.step, c.node_id, c.option_id, c.stance, c.free_text, c.at "
    "FROM sessions AS s JOIN workshop_members AS m ON m.session_id = s.id "
    "LEFT JOIN choices AS c ON c.session_id = s.id "
    "WHERE m.cohort = ? AND s.scenario_id = ? AND s.status = 'active' "
    "ORDER BY s.id, c.step"
)


@dataclass(frozen=True)
class Room:
    cohort: str
    code: str
    scenario_id: str | None
    paused_node: str | None
    updated_at: str


@dataclass(frozen=True)
class RoomDistribution:
    """What a room chose, per decision, and where its players stand now.

    `choices[node_id][option_id]` counts stored choices of non-abandoned sessions; `at[node_id]`
    counts active sessions whose next unanswered decision is that node (filled only when a
    `locate` function was given). `unplaced` counts active sessions `locate` could not place.
    """

    choices: dict[str, dict[str, int]] = field(default_factory=dict)
    at: dict[str, int] = field(default_factory=dict)
    active: int = 0
    completed: int = 0
    abandoned: int = 0
    unplaced: int = 0

    def answered(self, node_id: str) -> int:
        return sum(self.choices.get(node_id, {}).values())


def _text(value: str, what: str, limit: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not 1 <= len(text) <= limit or any(unicodedata.category(ch) == "Cc" for ch in text):
        raise StoreError(f"A {what} must be 1 to {limit} printable characters, not {value!r}.")
    return text


def _code_key(code: str) -> bytes:
    # Codes are read aloud and typed on phones: compare without case or surrounding spaces.
    return unicodedata.normalize("NFKC", code.strip()).casefold().encode()


def open_room(store: Store, cohort: str, code: str, scenario_id: str | None = None) -> None:
    """Create the room, or set its code (and scenario, when given). Repeating it is a no-op;
    a pause in place stays."""
    name = _text(cohort, "cohort id", COHORT_MAX)
    secret = _text(code, "workshop code", CODE_MAX)
    scenario = None if scenario_id is None else _text(scenario_id, "scenario id", NODE_MAX)
    with store._transaction("open the workshop room") as conn:
        conn.execute(UPSERT_ROOM, (name, secret, scenario, store._clock()))


def get_room(store: Store, cohort: str) -> Room | None:
    with store._reading("read the workshop room") as conn:
        row = conn.execute(SELECT_ROOM, (cohort.strip(),)).fetchone()
    return None if row is None else Room(cohort.strip(), row[0], row[1], row[2], row[3])


def check_code(store: Store, cohort: str, code: str) -> bool:
    """True when `code` is the room's code (compared in constant time). No room: False."""
    room = get_room(store, cohort) if isinstance(cohort, str) else None
    given = _code_key(code) if isinstance(code, str) else b""
    expected = _code_key(room.code) if room is not None else b"\x00no room"
    same = hmac.compare_digest(given, expected)
    return room is not None and bool(given) and same


def join_room(store: Store, cohort: str, session_id: str, trainee_id: int) -> None:
    """Make the session part of the room. Repeating it is a no-op; a session already in
    another room, or belonging to another trainee, is refused."""
    name = _text(cohort, "cohort id", COHORT_MAX)
    with store._transaction("join the workshop room") as conn:
        if conn.execute(SELECT_ROOM, (name,)).fetchone() is None:
            raise StoreError(f"There is no workshop room {name!r}; the facilitator opens it.")
        owner = conn.execute(SELECT_SESSION_TRAINEE, (session_id,)).fetchone()
        if owner is None:
            raise StoreError(f"There is no session {session_id}.")
        if int(owner[0]) != trainee_id:
            raise StoreError(f"Session {session_id} belongs to another trainee.")
        member = conn.execute(SELECT_MEMBER, (session_id,)).fetchone()
        if member is not None:
            if member[0] != name:
                raise StoreError(f"Session {session_id} is already in room {member[0]!r}.")
            return
        conn.execute(INSERT_MEMBER, (session_id, name, trainee_id))


def room_sessions(store: Store, cohort: str) -> list[SessionRow]:
    """Every session in the room, oldest first."""
    with store._reading("list the room's sessions") as conn:
        rows = conn.execute(SELECT_ROOM_SESSIONS, (cohort.strip(),)).fetchall()
    return [_session(r) for r in rows]


def pause(store: Store, cohort: str, node_id: str | None) -> None:
    """Pause the room at `node_id` (trainees reaching it wait), or resume it with None."""
    node = None if node_id is None else _text(node_id, "decision id", NODE_MAX)
    with store._transaction("pause the workshop room") as conn:
        if conn.execute(SET_PAUSED, (node, store._clock(), cohort.strip())).rowcount != 1:
            raise StoreError(f"There is no workshop room {cohort.strip()!r}.")


def paused_node(store: Store, cohort: str) -> str | None:
    room = get_room(store, cohort)
    return None if room is None else room.paused_node


def session_pause(store: Store, session_id: str) -> tuple[str | None, str | None]:
    """(cohort, paused node) for a session: (None, None) when it is not in a room."""
    with store._reading("read the workshop pause") as conn:
        row = conn.execute(SELECT_PAUSE_FOR_SESSION, (session_id,)).fetchone()
    return (None, None) if row is None else (row[0], row[1])


def room_distribution(
    store: Store, cohort: str, scenario_id: str, locate: Locate | None = None
) -> RoomDistribution:
    """Per decision, how many chose each option; with `locate`, how many stand at each one.

    Read in one snapshot, so the counts agree with each other.
    """
    name = cohort.strip()
    choices: dict[str, dict[str, int]] = {}
    at: dict[str, int] = {}
    unplaced = 0
    with store._transaction("read the room's choices", write=False) as conn:
        for node_id, option_id, count in conn.execute(SELECT_ROOM_COUNTS, (name, scenario_id)):
            choices.setdefault(node_id, {})[option_id] = int(count)
        status = dict(conn.execute(SELECT_ROOM_STATUS, (name, scenario_id)).fetchall())
        per_session: dict[str, list[ChoiceRow]] = {}
        if locate is not None:
            for sid, step, node_id, option_id, stance, free_text, when in conn.execute(
                SELECT_ACTIVE_CHOICES, (name, scenario_id)
            ):
                rows = per_session.setdefault(sid, [])
                if step is not None:
                    rows.append(
                        ChoiceRow(
                            sid, int(step), node_id, option_id, json.loads(stance), free_text, when
                        )
                    )
    if locate is not None:
        for rows in per_session.values():
            node = locate(rows)
            if node is None:
                unplaced += 1
            else:
                at[node] = at.get(node, 0) + 1
    return RoomDistribution(
        choices=choices,
        at=at,
        active=int(status.get("active", 0)),
        completed=int(status.get("completed", 0)),
        abandoned=int(status.get("abandoned", 0)),
        unplaced=unplaced,
    )
