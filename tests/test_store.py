"""The persistence layer: behaviour of Store, paths and atomic_write, in one process."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import platformdirs
import pytest

from simulator import paths
from simulator.store import (
    CheckReport,
    DiskFullError,
    Store,
    StoreCorruptError,
    StoreError,
    atomic_write,
)
from simulator.store import schema as store_schema
from simulator.store.errors import translate


class FakeClock:
    """ISO-8601 UTC text, one second later on each call."""

    def __init__(self) -> None:
        self.now = datetime(2024, 5, 1, 9, 0, 0, tzinfo=UTC)

    def __call__(self) -> str:
        self.now += timedelta(seconds=1)
        return self.now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path, clock: FakeClock) -> Iterator[Store]:
    with Store.open(data_dir, clock=clock) as s:
        yield s


def _session(store: Store, pseudonym: str = "Alex", scenario: str = "intake-1") -> str:
    trainee = store.get_or_create_trainee(pseudonym)
    return store.start_session(trainee.id, scenario, "1.0", "sha256:abc", "rubric-2", "practice").id


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _raw(data_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(paths.db_path(data_dir), isolation_level=None)


# -- paths -----------------------------------------------------------------------------------


def test_data_dir_prefers_override_then_env_then_platform(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(tmp_path / "env"))
    assert paths.data_dir(tmp_path / "override") == tmp_path / "override"
    assert paths.data_dir(str(tmp_path / "text")) == tmp_path / "text"
    assert paths.data_dir() == tmp_path / "env"
    monkeypatch.delenv(paths.DATA_DIR_ENV)
    assert paths.data_dir() == Path(platformdirs.user_data_dir("intake-sim", appauthor=False))
    assert paths.db_path(tmp_path) == tmp_path / "intake-sim.sqlite3"
    assert paths.backups_dir(tmp_path) == tmp_path / "backups"


def test_open_creates_data_dir_and_sets_pragmas(store: Store, data_dir: Path) -> None:
    assert paths.db_path(data_dir).is_file()
    conn = store._live()
    # WAL only where SQLite has the multi-process WAL-reset fix (3.51.3); a rollback journal
    # before it (see simulator/store/sqlite_safety.py and tests/test_many_writers.py).
    expected = "wal" if sqlite3.sqlite_version_info >= (3, 51, 3) else "truncate"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == expected
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
    assert conn.execute("PRAGMA user_version").fetchone()[0] == store_schema.SCHEMA_VERSION


# -- trainees --------------------------------------------------------------------------------


def test_trainee_create_get_and_facets(store: Store) -> None:
    alex = store.get_or_create_trainee("  Alex  ", {"language": "Spanish"})
    assert alex.pseudonym == "Alex"
    assert alex.facets == {"language": "Spanish"}
    assert alex.created_at == "2024-05-01T09:00:01.000000Z"
    assert store.get_or_create_trainee("Alex") == alex  # None leaves facets alone
    assert store.get_trainee("alex") == alex  # pseudonyms match case-insensitively
    assert store.get_trainee("Nobody") is None

    store.set_facets(alex.id, {"faith": "Muslim"})
    found = store.get_trainee("Alex")
    assert found is not None
    assert found.facets == {"faith": "Muslim"}
    store.set_facets(alex.id, {})
    assert store.get_trainee("Alex") == store.get_or_create_trainee("Alex")
    assert store.get_or_create_trainee("Alex").facets == {}

    sam = store.get_or_create_trainee("Sam")
    assert [t.pseudonym for t in store.list_trainees()] == ["Alex", "Sam"]
    assert sam.id != alex.id
    with pytest.raises(StoreError, match="no trainee with id 999"):
        store.set_facets(999, {})


@pytest.mark.parametrize("bad", ["", "   ", "x" * 61, "two\nlines"])
def test_bad_pseudonym_is_refused(store: Store, bad: str) -> None:
    with pytest.raises(StoreError, match="pseudonym"):
        store.get_or_create_trainee(bad)


def test_pseudonym_of_sixty_characters_is_accepted(store: Store) -> None:
    assert store.get_or_create_trainee("y" * 60).pseudonym == "y" * 60


def test_facets_must_be_text(store: Store) -> None:
    with pytest.raises(StoreError, match="facets"):
        store.get_or_create_trainee("Alex", {"age": 30})  # type: ignore[dict-item]


# -- sessions and choices --------------------------------------------------------------------


def test_start_session_pins_content_hash_and_rubric(store: Store) -> None:
    alex = store.get_or_create_trainee("Alex")
    s = store.start_session(
        alex.id, "intake-1", "1.2", "sha256:feed", "rubric-3", "assessed", assignment_id="hw-4"
    )
    assert len(s.id) == 32 and int(s.id, 16) >= 0  # uuid4 hex
    assert (s.scenario_id, s.scenario_version, s.content_hash, s.rubric_version) == (
        "intake-1",
        "1.2",
        "sha256:feed",
        "rubric-3",
    )
    assert (s.mode, s.status, s.assignment_id, s.ended_at, s.summary) == (
        "assessed",
        "active",
        "hw-4",
        None,
        None,
    )
    assert store.get_session(s.id) == s
    assert store.get_session("missing") is None
    named = store.start_session(alex.id, "intake-1", "1.2", "h", "r", "practice", session_id="S1")
    assert named.id == "S1"
    with pytest.raises(StoreError, match="already exists"):
        store.start_session(alex.id, "intake-1", "1.2", "h", "r", "practice", session_id="S1")
    with pytest.raises(StoreError, match="no trainee with id 42"):
        store.start_session(42, "intake-1", "1.2", "h", "r", "practice")


def test_record_choice_retry_is_stored_once(store: Store) -> None:
    sid = _session(store)
    assert store.record_choice(sid, 0, "n0", "o1", {"curiosity": "open"}, "I hear you") is True
    assert store.record_choice(sid, 0, "n0", "o1", {"curiosity": "open"}, "I hear you") is False
    assert store.record_choice(sid, 0, "n0", "o1", {"curiosity": "open"}) is False
    rows = store.choices(sid)
    assert len(rows) == 1
    assert (rows[0].step, rows[0].node_id, rows[0].option_id) == (0, "n0", "o1")
    assert rows[0].stance == {"curiosity": "open"}
    assert rows[0].free_text == "I hear you"


def test_conflicting_retry_raises_and_keeps_the_stored_choice(store: Store) -> None:
    sid = _session(store)
    store.record_choice(sid, 0, "n0", "o1", {"curiosity": "open"})
    with pytest.raises(StoreError, match="different choice"):
        store.record_choice(sid, 0, "n0", "o2", {"curiosity": "open"})
    with pytest.raises(StoreError, match="different choice"):
        store.record_choice(sid, 0, "n0", "o1", {"curiosity": "closed"})
    assert [(c.option_id, c.stance) for c in store.choices(sid)] == [("o1", {"curiosity": "open"})]


@pytest.mark.parametrize("step", [1, 5, -1])
def test_out_of_order_step_raises(store: Store, step: int) -> None:
    sid = _session(store)
    with pytest.raises(StoreError, match=f"step {step} out of order"):
        store.record_choice(sid, step, "n", "o")
    assert store.choices(sid) == []


def test_one_transaction_per_choice(store: Store) -> None:
    sid = _session(store)
    statements: list[str] = []
    store._live().set_trace_callback(statements.append)
    store.record_choice(sid, 0, "n0", "o1")
    store._live().set_trace_callback(None)
    assert statements[0] == "BEGIN IMMEDIATE"
    assert statements[-1] == "COMMIT"
    assert statements.count("BEGIN IMMEDIATE") == 1 and statements.count("COMMIT") == 1


def test_choices_need_an_active_session(store: Store) -> None:
    sid = _session(store)
    store.record_choice(sid, 0, "n0", "o1")
    store.complete_session(sid, "end-good", {"score": 3})
    with pytest.raises(StoreError, match="completed"):
        store.record_choice(sid, 1, "n1", "o1")
    assert store.record_choice(sid, 0, "n0", "o1") is False  # a late retry is still harmless
    with pytest.raises(StoreError, match="no session"):
        store.record_choice("missing", 0, "n0", "o1")


def test_truncate_choices_rewinds(store: Store) -> None:
    sid = _session(store)
    for step in range(5):
        store.record_choice(sid, step, f"n{step}", "o1")
    assert store.truncate_choices(sid, 2) == 3
    assert [c.step for c in store.choices(sid)] == [0, 1]
    assert store.truncate_choices(sid, 2) == 0
    assert store.record_choice(sid, 2, "n2", "other") is True  # the rewound step takes a new one
    assert [c.option_id for c in store.choices(sid)] == ["o1", "o1", "other"]


def test_complete_and_abandon(store: Store) -> None:
    sid = _session(store)
    store.complete_session(sid, "end-good", {"score": 3, "codes": ["CH1"]})
    s = store.get_session(sid)
    assert s is not None
    assert (s.status, s.ending_id, s.summary) == (
        "completed",
        "end-good",
        {"score": 3, "codes": ["CH1"]},
    )
    assert s.ended_at is not None and s.ended_at > s.started_at
    store.complete_session(sid, "end-good", {"score": 3})  # repeated: no-op
    with pytest.raises(StoreError, match="already completed"):
        store.complete_session(sid, "end-bad", {})
    with pytest.raises(StoreError, match="already completed"):
        store.abandon_session(sid)

    other = _session(store)
    store.abandon_session(other)
    store.abandon_session(other)
    a = store.get_session(other)
    assert a is not None and a.status == "abandoned" and a.ended_at is not None
    with pytest.raises(StoreError, match="not JSON"):
        store.complete_session(_session(store), "end", {"bad": object()})


def test_unfinished_and_all_sessions_newest_first(store: Store) -> None:
    alex = store.get_or_create_trainee("Alex")
    first = store.start_session(alex.id, "intake-1", "1", "h", "r", "practice").id
    second = store.start_session(alex.id, "intake-2", "1", "h", "r", "practice").id
    third = store.start_session(alex.id, "intake-1", "1", "h", "r", "practice").id
    done = store.start_session(alex.id, "intake-1", "1", "h", "r", "practice").id
    store.complete_session(done, "end", {})
    sam = store.get_or_create_trainee("Sam")
    store.start_session(sam.id, "intake-1", "1", "h", "r", "practice")

    assert [s.id for s in store.unfinished_sessions(alex.id)] == [third, second, first]
    assert [s.id for s in store.unfinished_sessions(alex.id, "intake-1")] == [third, first]
    assert [s.id for s in store.sessions_for_trainee(alex.id)] == [done, third, second, first]


def test_closed_store_raises_store_error(data_dir: Path) -> None:
    s = Store.open(data_dir)
    s.close()
    s.close()
    with pytest.raises(StoreError, match="closed"):
        s.list_trainees()


def test_locked_beyond_timeout_is_a_store_error(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_schema, "BUSY_TIMEOUT_MS", 200)
    with Store.open(data_dir) as s:
        holder = _raw(data_dir)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StoreError, match="stayed locked") as info:
                s.get_or_create_trainee("Alex")
            assert str(paths.db_path(data_dir.absolute())) in str(info.value)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert s.get_or_create_trainee("Alex").pseudonym == "Alex"


def test_sqlite_full_is_a_disk_full_error_and_retry_works(store: Store) -> None:
    sid = _session(store)
    conn = store._live()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # SQLite answers SQLITE_FULL past it
    saved = 0
    with pytest.raises(DiskFullError) as info:
        for step in range(100):
            store.record_choice(sid, step, f"n{step}", "o", None, "z" * 3000)
            saved += 1
    assert str(info.value) == (
        "The last choice was not saved: the disk is full. Free some space and try again."
    )
    assert 0 < saved < 100
    assert [c.step for c in store.choices(sid)] == list(range(saved))
    conn.execute("PRAGMA max_page_count = 1073741823")
    assert store.record_choice(sid, saved, f"n{saved}", "o", None, "z" * 3000) is True
    assert store.check().clean


@pytest.mark.parametrize(
    ("code", "expected", "phrase"),
    [
        (13, DiskFullError, "disk holding"),  # SQLITE_FULL
        (11, StoreCorruptError, "damaged"),  # SQLITE_CORRUPT
        (26, StoreCorruptError, "damaged"),  # SQLITE_NOTADB
        (5, StoreError, "stayed locked"),  # SQLITE_BUSY
        (8, StoreError, "read-only"),  # SQLITE_READONLY
        (14, StoreError, "cannot be opened"),  # SQLITE_CANTOPEN
        (1, StoreError, "database error"),  # SQLITE_ERROR
    ],
)
def test_sqlite_errors_become_one_sentence(
    tmp_path: Path, code: int, expected: type[StoreError], phrase: str
) -> None:
    exc = sqlite3.OperationalError("boom")
    exc.sqlite_errorcode = code
    err = translate(
        exc,
        what="save the trainee",
        db_file=tmp_path / "x.sqlite3",
        data_dir=tmp_path,
        corrupt=f"The database {tmp_path} is damaged.",
    )
    assert type(err) is expected
    assert phrase in str(err)
    assert str(tmp_path) in str(err)


# -- backups ---------------------------------------------------------------------------------


def test_backup_produces_a_database_holding_the_same_rows(
    store: Store, data_dir: Path, tmp_path: Path
) -> None:
    sid = _session(store)
    for step in range(3):
        store.record_choice(sid, step, f"n{step}", "o", {"k": "v"})
    assert store.latest_backup() is None

    first = store.backup()
    assert first.parent == paths.backups_dir(data_dir.absolute())
    assert first.name == "intake-sim-20240501T090006Z.sqlite3"
    assert store.latest_backup() == first

    conn = sqlite3.connect(f"{first.as_uri()}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file
        copied = conn.execute("SELECT session_id, step, node_id FROM choices ORDER BY step")
        assert copied.fetchall() == [(sid, 0, "n0"), (sid, 1, "n1"), (sid, 2, "n2")]
    finally:
        conn.close()

    with Store.restore_from(tmp_path / "elsewhere", first) as copy:
        assert copy.choices(sid) == store.choices(sid)
        assert copy.get_session(sid) == store.get_session(sid)
        assert copy.moved_aside is None

    second = store.backup()
    assert store.latest_backup() == second

    explicit = store.backup(tmp_path / "mine.sqlite3")
    assert explicit == tmp_path / "mine.sqlite3" and explicit.is_file()
    with pytest.raises(StoreError, match="already exists"):
        store.backup(explicit)
    assert not [p for p in explicit.parent.iterdir() if p.name.endswith(".tmp")]


def test_backups_in_the_same_second_get_distinct_names(data_dir: Path) -> None:
    with Store.open(data_dir, clock=lambda: "2024-05-01T09:00:00.000000Z") as s:
        a, b, c = s.backup(), s.backup(), s.backup()
        assert [a.name, b.name, c.name] == [
            "intake-sim-20240501T090000Z.sqlite3",
            "intake-sim-20240501T090000Z-2.sqlite3",
            "intake-sim-20240501T090000Z-3.sqlite3",
        ]
        assert s.latest_backup() == c


# -- check -----------------------------------------------------------------------------------


def test_check_on_a_clean_database(store: Store) -> None:
    sid = _session(store)
    store.record_choice(sid, 0, "n0", "o")
    store.complete_session(sid, "end", {})
    report = store.check()
    assert report == CheckReport(quick_check="ok", repairs=[])
    assert report.clean
    assert report.lines() == ["integrity: ok", "repairs: none needed"]


def _inject_semantic_damage(data_dir: Path) -> None:
    conn = _raw(data_dir)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.executescript(
        """
        BEGIN;
        -- choices of a session that does not exist
        INSERT INTO choices (session_id, step, node_id, option_id, at)
            VALUES ('ghost', 0, 'n', 'o', 't'), ('ghost', 1, 'n', 'o', 't');
        -- a session (with a choice) whose trainee does not exist
        INSERT INTO sessions (id, trainee_id, scenario_id, scenario_version, content_hash,
                              rubric_version, mode, status, started_at)
            VALUES ('orphan', 777, 'sc', '1', 'h', 'r', 'practice', 'active', 't');
        INSERT INTO choices (session_id, step, node_id, option_id, at)
            VALUES ('orphan', 0, 'n', 'o', 't');
        -- a session whose steps have a gap: 0 1 _ 3 4
        INSERT INTO choices (session_id, step, node_id, option_id, at)
            VALUES ('gappy', 0, 'n', 'o', 't'), ('gappy', 1, 'n', 'o', 't'),
                   ('gappy', 3, 'n', 'o', 't'), ('gappy', 4, 'n', 'o', 't');
        -- a completed session without an end time
        UPDATE sessions SET status = 'completed', ended_at = NULL WHERE id = 'done';
        COMMIT;
        """
    )
    conn.close()


def test_check_repairs_semantic_damage_once(data_dir: Path, clock: FakeClock) -> None:
    with Store.open(data_dir, clock=clock) as s:
        alex = s.get_or_create_trainee("Alex")
        s.start_session(alex.id, "sc", "1", "h", "r", "practice", session_id="gappy")
        s.start_session(alex.id, "sc", "1", "h", "r", "practice", session_id="done")
        s.start_session(alex.id, "sc", "1", "h", "r", "practice", session_id="fine")
        for step in range(3):
            s.record_choice("fine", step, "n", "o")
    _inject_semantic_damage(data_dir)

    with Store.open(data_dir, clock=clock) as s:
        statements: list[str] = []
        s._live().set_trace_callback(statements.append)
        report = s.check()
        s._live().set_trace_callback(None)
        assert statements.count("BEGIN IMMEDIATE") == 1 and statements.count("COMMIT") == 1
        assert report.integrity_ok
        assert report.repairs == [
            "deleted session orphan and its 1 choice: its trainee (id 777) is missing",
            "deleted 2 choices of missing session ghost",
            "deleted 2 choices after missing step 2 in session gappy",
            "set the missing end time of completed session done",
        ]
        assert s.get_session("orphan") is None
        assert s.choices("ghost") == []
        assert [c.step for c in s.choices("gappy")] == [0, 1]
        assert [c.step for c in s.choices("fine")] == [0, 1, 2]
        done = s.get_session("done")
        assert done is not None and done.ended_at == done.started_at
        assert s.record_choice("gappy", 2, "n", "o") is True  # replayable again

        again = s.check()
        assert again.clean, again.lines()
    conn = _raw(data_dir)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


# -- damaged files ---------------------------------------------------------------------------


def test_random_bytes_file_is_corrupt_and_kept(data_dir: Path) -> None:
    data_dir.mkdir()
    db = paths.db_path(data_dir)
    db.write_bytes(os.urandom(4096))
    before = _sha(db)
    with pytest.raises(StoreCorruptError) as info:
        Store.open(data_dir)
    assert not isinstance(info.value, sqlite3.Error)
    message = str(info.value)
    assert str(db.absolute()) in message and "intake-sim db backup" in message
    assert _sha(db) == before
    assert sorted(p.name for p in data_dir.iterdir()) == [db.name]


def _overwrite_middle_pages(db: Path) -> None:
    size = db.stat().st_size
    pages = size // 4096
    assert pages >= 8, "the test database is too small to damage in the middle"
    with db.open("r+b") as f:
        f.seek((pages // 2) * 4096)
        f.write(os.urandom(3 * 4096))


def test_damaged_pages_are_reported_then_restored(data_dir: Path, clock: FakeClock) -> None:
    with Store.open(data_dir, clock=clock) as s:
        sid = _session(s)
        for step in range(150):
            s.record_choice(sid, step, f"node-{step}", "o", {"k": "v"}, "words " * 40)
        backup = s.backup()
        expected = s.choices(sid)
    db = paths.db_path(data_dir)
    _overwrite_middle_pages(db)
    damaged = db.read_bytes()

    with pytest.raises(StoreCorruptError) as info:
        Store.open(data_dir, clock=clock)
    assert str(backup) in str(info.value)
    assert "intake-sim db restore" in str(info.value)
    assert db.read_bytes() == damaged

    with Store.restore_from(data_dir, backup, clock=clock) as s:
        assert s.choices(sid) == expected
        assert s.check().clean
        aside = s.moved_aside
        assert aside is not None and aside.name.startswith("intake-sim.sqlite3.corrupt-2024")
        assert aside.read_bytes() == damaged
        assert s.record_choice(sid, 150, "node-150", "o") is True


def test_restore_from_a_damaged_backup_is_refused(data_dir: Path, tmp_path: Path) -> None:
    with Store.open(data_dir) as s:
        _session(s)
    before = _sha(paths.db_path(data_dir))
    bogus = tmp_path / "bogus.sqlite3"
    bogus.write_bytes(os.urandom(4096))
    with pytest.raises(StoreError, match=r"damaged too|not an intake-sim backup"):
        Store.restore_from(data_dir, bogus)
    with pytest.raises(StoreError, match="no backup file"):
        Store.restore_from(data_dir, tmp_path / "missing.sqlite3")
    assert _sha(paths.db_path(data_dir)) == before


def test_data_dir_under_a_file_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    target = blocker / "sub"
    with pytest.raises(StoreError) as info:
        Store.open(target)
    assert str(target) in str(info.value)


def test_data_dir_that_is_a_file_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match=r"file is in the way|not a directory") as info:
        Store.open(blocker)
    assert str(blocker) in str(info.value)


def _permissions_enforced(directory: Path) -> bool:
    """False when running as root with CAP_DAC_OVERRIDE, which writes anywhere."""
    try:
        (directory / "probe").touch()
    except PermissionError:
        return True
    (directory / "probe").unlink()
    return False


def test_read_only_data_dir_is_a_store_error(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if not _permissions_enforced(ro):
            pytest.skip("root ignores directory permissions (see the file-in-the-way tests)")
        with pytest.raises(StoreError) as info:
            Store.open(ro)
        assert str(ro) in str(info.value)
        with pytest.raises(StoreError) as info:
            Store.open(ro / "child")
        assert str(ro / "child") in str(info.value)
    finally:
        ro.chmod(stat.S_IRWXU)


def test_read_only_database_file_is_a_store_error(data_dir: Path) -> None:
    Store.open(data_dir).close()
    db = paths.db_path(data_dir)
    db.chmod(stat.S_IRUSR)
    try:
        if os.access(db, os.W_OK):
            pytest.skip("root ignores file permissions")
        with pytest.raises(StoreError, match="read-only") as info:
            Store.open(data_dir)
        assert str(db.absolute()) in str(info.value)
    finally:
        db.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_unwritable_data_dir_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Under root the permission bits cannot be made to bite, so fake the answer to access().
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    with pytest.raises(StoreError, match="not writable") as info:
        Store.open(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_newer_schema_is_refused_and_left_alone(data_dir: Path) -> None:
    Store.open(data_dir).close()
    conn = _raw(data_dir)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = _sha(paths.db_path(data_dir))
    with pytest.raises(StoreError, match="newer intake-sim") as info:
        Store.open(data_dir)
    assert not isinstance(info.value, StoreCorruptError)
    assert _sha(paths.db_path(data_dir)) == before


def test_someone_elses_sqlite_file_is_refused(data_dir: Path) -> None:
    data_dir.mkdir()
    conn = _raw(data_dir)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.close()
    with pytest.raises(StoreError, match="not an intake-sim one"):
        Store.open(data_dir)


# -- privacy ---------------------------------------------------------------------------------


def test_export_trainee_holds_everything_about_them(store: Store) -> None:
    alex = store.get_or_create_trainee("Alex", {"language": "Tagalog"})
    first = store.start_session(alex.id, "intake-1", "1", "h1", "r1", "practice").id
    store.record_choice(first, 0, "n0", "o1", {"curiosity": "open"}, "tell me more")
    store.complete_session(first, "end-good", {"score": 2})
    second = store.start_session(alex.id, "intake-2", "1", "h2", "r1", "practice").id
    store.get_or_create_trainee("Sam")

    doc = store.export_trainee("alex")
    assert json.loads(json.dumps(doc)) == doc
    assert doc["format"] == "intake-sim/trainee-export"
    assert doc["trainee"]["pseudonym"] == "Alex"
    assert doc["trainee"]["facets"] == {"language": "Tagalog"}
    assert [s["id"] for s in doc["sessions"]] == [first, second]
    assert doc["sessions"][0]["summary"] == {"score": 2}
    assert doc["sessions"][0]["choices"][0]["free_text"] == "tell me more"
    assert doc["sessions"][1]["choices"] == []
    assert "Sam" not in json.dumps(doc)
    with pytest.raises(StoreError, match="no trainee called"):
        store.export_trainee("Nobody")


def test_erase_trainee_removes_every_trace(store: Store, data_dir: Path) -> None:
    marker = "Zephyrine-Quillfeather"
    alex = store.get_or_create_trainee(marker, {"faith": "Quaker-Marker-Facet"})
    s1 = store.start_session(alex.id, "intake-1", "1", "h", "r", "practice").id
    store.record_choice(s1, 0, "n0", "o1")
    store.record_choice(s1, 1, "n1", "o1")
    store.start_session(alex.id, "intake-2", "1", "h", "r", "practice")
    sam = store.get_or_create_trainee("Sam")
    sam_session = store.start_session(sam.id, "intake-1", "1", "h", "r", "practice").id
    store.record_choice(sam_session, 0, "n0", "o1")
    backup = store.backup()

    assert store.erase_trainee(marker.lower()) == 1 + 2 + 2  # trainee, sessions, choices
    assert store.get_trainee(marker) is None
    assert store.choices(s1) == []
    assert [c.step for c in store.choices(sam_session)] == [0]
    assert store.erase_trainee(marker) == 0

    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert backup in files
    for f in files:
        content = f.read_bytes()
        assert marker.encode() not in content, f
        assert b"Quaker-Marker-Facet" not in content, f
    conn = sqlite3.connect(backup)
    assert conn.execute("SELECT pseudonym FROM trainees").fetchall() == [("Sam",)]
    conn.close()


# -- atomic_write ----------------------------------------------------------------------------


def test_atomic_write_replaces_the_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "report.html"
    atomic_write(target, b"first version, rather long " * 100)
    atomic_write(target, b"second")
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]


@pytest.mark.parametrize(
    ("victim", "err", "expected"),
    [
        ("replace", errno.ENOSPC, DiskFullError),
        ("fsync", errno.EIO, StoreError),
        ("fsync", errno.EFBIG, DiskFullError),
    ],
)
def test_atomic_write_failure_leaves_the_old_file_whole(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    victim: str,
    err: int,
    expected: type[StoreError],
) -> None:
    target = tmp_path / "report.json"
    atomic_write(target, b'{"old": true}')

    def fail(*args: object) -> None:
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(os, victim, fail)
    with pytest.raises(expected) as info:
        atomic_write(target, b'{"new": "but never whole"}')
    monkeypatch.undo()
    assert str(target) in str(info.value)
    assert target.read_bytes() == b'{"old": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_self_reports_and_settings_round_trip_and_are_erased(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        t = store.get_or_create_trainee("Noa")
        s = store.start_session(t.id, "sc", "1", "h", "r", "coach")
        report = store.save_self_report(s.id, ["trust", "understood"], 4, 3, 5)
        assert report.themes == ["trust", "understood"] and report.cooperation == 5
        again = store.save_self_report(s.id, ["anger"], 2, 2, 2)  # answering again replaces
        assert store.self_report(s.id) == again
        assert [r.session_id for r in store.self_reports_for_trainee(t.id)] == [s.id]
        with pytest.raises(StoreError, match="1 to 5"):
            store.save_self_report(s.id, [], 0, 3, 3)
        store.save_settings(t.id, {"mode": "assessment", "meters": False})
        assert store.settings(t.id) == {"mode": "assessment", "meters": False}
        exported = store.export_trainee("Noa")
        assert exported["self_reports"][0]["themes"] == ["anger"]
        assert exported["settings"]["mode"] == "assessment"
        store.erase_trainee("Noa")
        assert store.self_report(s.id) is None and store.settings(t.id) == {}
