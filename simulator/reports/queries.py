"""The SQL behind cohort reports and decision heatmaps, run over the store's connection.

Rows are streamed, never loaded as objects first: the figures a report needs are picked out of
each session's summary JSON by SQLite (`json_extract`), so the large summary text (evidence,
theme readings, improvement points) is never copied into Python. All statements of one report
run in one read transaction, so they see the same snapshot.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from simulator.store import Store

# Which sessions a report or heatmap covers: those of some assignments, or of a workshop room.
# Both parameters are JSON arrays (json_each), so one statement serves any number of ids; the
# condition is written out in each statement below.

# Column order matches SessionFigures.
SELECT_SESSION_FIGURES = (
    "SELECT s.id, t.pseudonym, t.facets, s.scenario_id, s.mode, s.status, s.started_at, "
    "s.ended_at, s.ending_id, json_extract(s.summary, '$.ending_outcome'), "
    "json_extract(s.summary, '$.humility'), json_extract(s.summary, '$.overall'), "
    "json_extract(s.summary, '$.band'), json_extract(s.summary, '$.path'), "
    "(SELECT count(*) FROM choices AS c WHERE c.session_id = s.id) "
    "FROM sessions AS s JOIN trainees AS t ON t.id = s.trainee_id "
    "WHERE "
    "(s.assignment_id IN (SELECT value FROM json_each(:assignments)) "
    "OR s.id IN (SELECT session_id FROM workshop_members "
    "WHERE cohort IN (SELECT value FROM json_each(:rooms)))) "
    "ORDER BY t.pseudonym COLLATE NOCASE, t.id, s.started_at, s.rowid"
)

# Every answer of the picked sessions (abandoned ones left out: a trainee who starts over would
# count twice), with where it led: the node of the next answer, or the ending of a completed
# session after its last answer. NULL when not known yet (the last answer of an active session).
# Steps are contiguous from 0 (the store refuses a step out of order and a rewind deletes the
# later ones), so the next answer is the one at step + 1, found through the UNIQUE(session_id,
# step) index; a window function (lead() over each session) would sort every answer first,
# about twice as slow over 120,000 answers.
SELECT_EDGE_COUNTS = (
    "SELECT s.scenario_id, c.node_id, c.option_id, "
    "coalesce(n.node_id, CASE WHEN s.status = 'completed' THEN s.ending_id END), count(*) "
    "FROM sessions AS s JOIN choices AS c ON c.session_id = s.id "
    "LEFT JOIN choices AS n ON n.session_id = c.session_id AND n.step = c.step + 1 "
    "WHERE s.status != 'abandoned' AND (:scenario IS NULL OR s.scenario_id = :scenario) AND "
    "(s.assignment_id IN (SELECT value FROM json_each(:assignments)) "
    "OR s.id IN (SELECT session_id FROM workshop_members "
    "WHERE cohort IN (SELECT value FROM json_each(:rooms)))) "
    "GROUP BY 1, 2, 3, 4"
)

COUNT_SESSIONS_OF_SCENARIO = (
    "SELECT count(*) FROM sessions AS s WHERE s.scenario_id = :scenario "
    "AND s.status != 'abandoned' AND "
    "(s.assignment_id IN (SELECT value FROM json_each(:assignments)) "
    "OR s.id IN (SELECT session_id FROM workshop_members "
    "WHERE cohort IN (SELECT value FROM json_each(:rooms))))"
)

SELECT_TYPED = (
    "SELECT c.session_id, c.step, c.node_id, c.free_text FROM choices AS c "
    "JOIN sessions AS s ON s.id = c.session_id "
    "WHERE c.free_text IS NOT NULL AND "
    "(s.assignment_id IN (SELECT value FROM json_each(:assignments)) "
    "OR s.id IN (SELECT session_id FROM workshop_members "
    "WHERE cohort IN (SELECT value FROM json_each(:rooms)))) "
    "ORDER BY c.session_id, c.step"
)

SELECT_ASSIGNMENT_IDS = (
    "SELECT assignment_id, count(*) FROM sessions WHERE assignment_id IS NOT NULL "
    "GROUP BY assignment_id ORDER BY assignment_id"
)
SELECT_ROOM_COHORTS = "SELECT DISTINCT cohort FROM workshop_members ORDER BY cohort"


@dataclass(frozen=True, slots=True)
class SessionFigures:
    """One session's row in a report: what the store holds, and the summary's figures."""

    id: str
    pseudonym: str
    facets_json: str
    scenario_id: str
    mode: str
    status: str
    started_at: str
    ended_at: str | None
    ending_id: str | None
    ending_outcome: str | None
    humility_json: str | None
    overall: int | None
    band: str | None
    path_json: str | None
    decisions: int


@dataclass(frozen=True, slots=True)
class EdgeCount:
    scenario_id: str
    node_id: str
    option_id: str
    target: str | None
    count: int


@dataclass(frozen=True)
class Selection:
    """The sessions a report covers: those tagged with any of `assignments`, or in `rooms`."""

    assignments: tuple[str, ...] = ()
    rooms: tuple[str, ...] = ()

    def params(self, **extra: object) -> dict[str, object]:
        import json

        return {
            "assignments": json.dumps(list(self.assignments)),
            "rooms": json.dumps(list(self.rooms)),
            **extra,
        }


class Reader:
    """The statements of one report, inside one read transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def sessions(self, pick: Selection) -> Iterator[SessionFigures]:
        for row in self._conn.execute(SELECT_SESSION_FIGURES, pick.params()):
            yield SessionFigures(*row)

    def edges(self, pick: Selection, scenario_id: str | None = None) -> Iterator[EdgeCount]:
        for row in self._conn.execute(SELECT_EDGE_COUNTS, pick.params(scenario=scenario_id)):
            yield EdgeCount(*row)

    def count_sessions(self, pick: Selection, scenario_id: str) -> int:
        """Sessions of the scenario among those picked, abandoned ones left out."""
        row = self._conn.execute(COUNT_SESSIONS_OF_SCENARIO, pick.params(scenario=scenario_id))
        return int(row.fetchone()[0])

    def typed(self, pick: Selection) -> Iterator[tuple[str, int, str, str]]:
        for row in self._conn.execute(SELECT_TYPED, pick.params()):
            yield row[0], int(row[1]), row[2], row[3]

    def assignment_ids(self) -> list[tuple[str, int]]:
        return [(r[0], int(r[1])) for r in self._conn.execute(SELECT_ASSIGNMENT_IDS)]

    def room_cohorts(self) -> list[str]:
        return [r[0] for r in self._conn.execute(SELECT_ROOM_COHORTS)]


@contextmanager
def reading(store: Store, what: str = "read the cohort report") -> Iterator[Reader]:
    """One consistent snapshot of the store (a read transaction), errors translated as usual."""
    # The store keeps its transaction helper to itself; reports are read-only users of it.
    with store._transaction(what, write=False) as conn:
        yield Reader(conn)


def assignments_in_store(store: Store) -> list[tuple[str, int]]:
    """Assignment ids that sessions are tagged with, and how many sessions each."""
    with reading(store, "list the assignments") as r:
        return r.assignment_ids()


def room_cohorts(store: Store) -> list[str]:
    with reading(store, "list the workshop rooms") as r:
        return r.room_cohorts()


def ids_text(ids: Sequence[str]) -> str:
    return ", ".join(ids) if ids else "none"
