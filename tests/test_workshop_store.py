"""Workshop rooms in the store: code, membership, pause and the room's distribution."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator import paths
from simulator.core.compiled import CompiledScenario
from simulator.practice import Practice
from simulator.room import distribution, locator
from simulator.store import Store, StoreError, workshop
from simulator.store import schema as store_schema


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "data") as s:
        yield s


def _session(store: Store, name: str, scenario: str = "minimal") -> tuple[str, int]:
    trainee = store.get_or_create_trainee(name)
    row = store.start_session(trainee.id, scenario, "1", "h", "r", "coach")
    return row.id, trainee.id


def test_open_room_is_idempotent_and_keeps_a_pause(store: Store) -> None:
    workshop.open_room(store, "tuesday", "MAPLE-7", "minimal")
    workshop.open_room(store, "tuesday", "MAPLE-7", "minimal")
    workshop.pause(store, "tuesday", "second")
    workshop.open_room(store, "tuesday", "MAPLE-7")  # no scenario given: the old one stays
    room = workshop.get_room(store, "tuesday")
    assert room is not None
    assert (room.code, room.scenario_id, room.paused_node) == ("MAPLE-7", "minimal", "second")
    workshop.open_room(store, "tuesday", "OAK-3")
    assert workshop.check_code(store, "tuesday", "oak-3")
    assert not workshop.check_code(store, "tuesday", "MAPLE-7")


@pytest.mark.parametrize(
    ("cohort", "code"), [("", "x"), ("a", ""), ("a", "   "), ("a\x1b", "x"), ("a", "x" * 81)]
)
def test_open_room_refuses_bad_names(store: Store, cohort: str, code: str) -> None:
    with pytest.raises(StoreError, match="printable characters"):
        workshop.open_room(store, cohort, code)


def test_check_code(store: Store) -> None:
    workshop.open_room(store, "c1", "Harbour 42")
    assert workshop.check_code(store, "c1", "Harbour 42")
    assert workshop.check_code(store, "c1", "  harbour 42 ")
    assert not workshop.check_code(store, "c1", "Harbour 43")
    assert not workshop.check_code(store, "c1", "")
    assert not workshop.check_code(store, "nope", "Harbour 42")


def test_join_room_is_idempotent_and_guards_ownership(store: Store) -> None:
    workshop.open_room(store, "c1", "k")
    workshop.open_room(store, "c2", "k")
    sid, tid = _session(store, "Ana")
    other_sid, other_tid = _session(store, "Ben")
    workshop.join_room(store, "c1", sid, tid)
    workshop.join_room(store, "c1", sid, tid)
    assert [s.id for s in workshop.room_sessions(store, "c1")] == [sid]
    with pytest.raises(StoreError, match="already in room 'c1'"):
        workshop.join_room(store, "c2", sid, tid)
    with pytest.raises(StoreError, match="another trainee"):
        workshop.join_room(store, "c1", other_sid, tid)
    with pytest.raises(StoreError, match="no workshop room"):
        workshop.join_room(store, "c3", other_sid, other_tid)
    with pytest.raises(StoreError, match="no session"):
        workshop.join_room(store, "c1", "missing", tid)
    assert workshop.room_sessions(store, "c2") == []


def test_pause_and_resume(store: Store) -> None:
    workshop.open_room(store, "c1", "k")
    sid, tid = _session(store, "Ana")
    assert workshop.session_pause(store, sid) == (None, None)
    workshop.join_room(store, "c1", sid, tid)
    assert workshop.paused_node(store, "c1") is None
    workshop.pause(store, "c1", "second")
    assert workshop.paused_node(store, "c1") == "second"
    assert workshop.session_pause(store, sid) == ("c1", "second")
    workshop.pause(store, "c1", None)
    assert workshop.paused_node(store, "c1") is None
    assert workshop.paused_node(store, "no-such-room") is None
    with pytest.raises(StoreError, match="no workshop room"):
        workshop.pause(store, "no-such-room", "x")


def test_erasing_a_trainee_removes_their_membership(store: Store) -> None:
    workshop.open_room(store, "c1", "k")
    sid, tid = _session(store, "Ana")
    workshop.join_room(store, "c1", sid, tid)
    store.erase_trainee("Ana")
    assert workshop.room_sessions(store, "c1") == []


def test_distribution_counts_choices_and_places_players(
    store: Store, minimal: CompiledScenario
) -> None:
    workshop.open_room(store, "c1", "k", minimal.id)
    players = []
    for name in ("Ana", "Ben", "Cy", "Dee"):
        trainee = store.get_or_create_trainee(name)
        practice = Practice.begin(store, trainee, minimal)
        workshop.join_room(store, "c1", practice.row.id, trainee.id)
        players.append(practice)
    outsider = Practice.begin(store, store.get_or_create_trainee("Out"), minimal)
    outsider.choose(minimal.options["first.open"])  # not in the room: not counted

    players[0].choose(minimal.options["first.open"])
    players[1].choose(minimal.options["first.open"])
    players[2].choose(minimal.options["first.closed"])
    dist = distribution(store, "c1", minimal)
    assert dist.choices == {"first": {"open": 2, "closed": 1}}
    assert dist.answered("first") == 3
    assert dist.active == 4 and dist.completed == 0
    placed = {n: c for n, c in dist.at.items()}
    assert sum(placed.values()) == 4
    assert placed["first"] == 1  # Dee has not answered yet
    # Where the others are follows the engine's branching, whatever it is.
    for p in players[:3]:
        assert placed[p.session.node_id or ""] >= 1

    store.abandon_session(players[2].row.id)
    dist = distribution(store, "c1", minimal)
    assert dist.choices == {"first": {"open": 2}}
    assert dist.abandoned == 1 and sum(dist.at.values()) == 3


def test_distribution_without_locate_has_counts_only(
    store: Store, minimal: CompiledScenario
) -> None:
    workshop.open_room(store, "c1", "k")
    trainee = store.get_or_create_trainee("Ana")
    practice = Practice.begin(store, trainee, minimal)
    workshop.join_room(store, "c1", practice.row.id, trainee.id)
    practice.choose(minimal.options["first.open"])
    dist = workshop.room_distribution(store, "c1", minimal.id)
    assert dist.choices == {"first": {"open": 1}} and dist.at == {}


def test_locator_gives_none_for_a_path_that_no_longer_fits(
    store: Store, minimal: CompiledScenario
) -> None:
    sid, _ = _session(store, "Ana")
    store.record_choice(sid, 0, "first", "no-such-option")
    assert locator(minimal)(store.choices(sid)) is None
    assert locator(minimal)([]) == "first"


def test_an_older_store_gains_the_workshop_tables(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with Store.open(data_dir) as s:
        sid, tid = _session(s, "Ana")
    conn = sqlite3.connect(paths.db_path(data_dir), isolation_level=None)
    conn.execute("DROP TABLE workshop_members")
    conn.execute("DROP TABLE workshop_rooms")
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    with Store.open(data_dir) as s:
        workshop.open_room(s, "c1", "k")
        workshop.join_room(s, "c1", sid, tid)
        assert [r.id for r in workshop.room_sessions(s, "c1")] == [sid]
    conn = sqlite3.connect(paths.db_path(data_dir), isolation_level=None)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == store_schema.SCHEMA_VERSION
    conn.close()
