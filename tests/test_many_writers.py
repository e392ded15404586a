"""Many processes, one store (QUALITY.md "many writers"), and the journal mode behind it.

The concurrency test starts 30 real processes (this file run as a script), each a trainee in a
workshop room playing a bundled scenario through Practice (so Store.record_choice, session
starts, endings and room joins all contend), until it has made 100 choices; meanwhile this
process reads the room's distribution the way the facilitator view does.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator import paths
from simulator.store import Store, StoreError, workshop
from simulator.store import connection as store_connection
from simulator.store.sqlite_safety import WAL_RESET_FIXED_IN, journal_choice

ROOT = Path(__file__).resolve().parents[1]

WRITERS = 30
CHOICES = 100
SCENARIO = "shula-nerves"
COHORT = "many-writers"


# -- the journal-mode decision ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "mode"),
    [
        ((3, 40, 1), "truncate"),
        ((3, 51, 2), "truncate"),
        ((3, 7, 0), "truncate"),
        ((3, 51, 3), "wal"),
        ((3, 52, 0), "wal"),
        ((3, 53, 1), "wal"),
    ],
)
def test_journal_choice_follows_the_wal_reset_fix(version: tuple[int, ...], mode: str) -> None:
    choice = journal_choice(version)
    assert choice.mode == mode
    assert choice.library == ".".join(map(str, version))
    assert "3.51.3" in choice.describe()


def test_the_store_uses_the_mode_chosen_for_this_library(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        mode = store._live().execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == journal_choice().mode
    assert (sqlite3.sqlite_version_info >= WAL_RESET_FIXED_IN) == (mode == "wal")


def test_a_wal_store_from_an_older_version_is_converted(tmp_path: Path) -> None:
    if journal_choice().mode == "wal":
        pytest.skip("this SQLite has the fix; WAL stays")
    tmp_path.mkdir(exist_ok=True)
    with Store.open(tmp_path) as store:
        trainee = store.get_or_create_trainee("Ana")
    conn = sqlite3.connect(paths.db_path(tmp_path), isolation_level=None)
    assert conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
    conn.close()
    with Store.open(tmp_path) as store:
        assert store._live().execute("PRAGMA journal_mode").fetchone()[0] == "truncate"
        assert store.get_trainee("Ana") == trainee


def test_a_wal_store_held_open_elsewhere_is_refused_plainly(tmp_path: Path) -> None:
    if journal_choice().mode == "wal":
        pytest.skip("this SQLite has the fix; WAL stays")
    with Store.open(tmp_path) as store:
        store.get_or_create_trainee("Ana")
    other = sqlite3.connect(paths.db_path(tmp_path), isolation_level=None, timeout=0.1)
    try:
        assert other.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
        other.execute("SELECT count(*) FROM trainees").fetchone()
        with pytest.raises(StoreError, match="write-ahead-log mode and open in another program"):
            Store.open(tmp_path)
    finally:
        other.close()
    with Store.open(tmp_path) as store:  # once the other program has gone, it opens
        assert store.get_trainee("Ana") is not None


def test_the_wal_path_still_works_where_the_library_is_fixed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_connection, "journal_choice", lambda: journal_choice((3, 51, 3)))
    with Store.open(tmp_path) as store:
        assert store._live().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        trainee = store.get_or_create_trainee("Ana")
        sid = store.start_session(trainee.id, "s", "1", "h", "r", "coach").id
        assert store.record_choice(sid, 0, "n", "o")


# -- 30 processes x 100 choices -----------------------------------------------------------------


def _child(data_dir: Path, name: str, go: Path) -> int:
    """One trainee: play the scenario again and again until CHOICES choices are stored."""
    from simulator.core.library import bundled_scenarios_dir, load_rubric, load_scenario
    from simulator.practice import Practice

    rubric = load_rubric()
    path = bundled_scenarios_dir() / f"{SCENARIO}.yaml"
    scenario = load_scenario(path.read_bytes(), rubric, str(path)).scenario
    assert scenario is not None
    rng = random.Random(name)
    with Store.open(data_dir) as store:
        trainee = store.get_or_create_trainee(name)
        while not go.exists():  # start together, for the most contention
            time.sleep(0.005)
        made = 0
        practice = None
        while made < CHOICES:
            if practice is None or practice.session.done:
                practice = Practice.begin(store, trainee, scenario)
                workshop.join_room(store, COHORT, practice.row.id, trainee.id)
            practice.choose(rng.choice(practice.session.options()))
            made += 1
    print(f"DONE {made}", flush=True)
    return 0


def _integrity(data_dir: Path) -> str:
    conn = sqlite3.connect(paths.db_path(data_dir), isolation_level=None)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.slow
def test_thirty_processes_a_hundred_choices_each(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    go = tmp_path / "go"
    with Store.open(data_dir) as store:
        workshop.open_room(store, COHORT, "code", SCENARIO)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, str(data_dir), f"writer-{i:02d}", str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for i in range(WRITERS)
    ]
    reads = 0
    with Store.open(data_dir) as facilitator:
        # Every child has its trainee before the start signal, so all begin writing at once.
        while len(facilitator.list_trainees()) < WRITERS:
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
            time.sleep(0.02)
        go.touch()
        while any(p.poll() is None for p in procs):
            dist = workshop.room_distribution(facilitator, COHORT, SCENARIO)
            assert sum(sum(c.values()) for c in dist.choices.values()) <= WRITERS * CHOICES
            reads += 1
            time.sleep(0.05)
    outputs = [p.communicate() for p in procs]
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
        assert out.strip() == f"DONE {CHOICES}"
        assert "locked" not in err and "Traceback" not in err
    assert reads > 0
    assert _integrity(data_dir) == "ok"
    with Store.open(data_dir) as store:
        dist = workshop.room_distribution(store, COHORT, SCENARIO)
        assert sum(sum(c.values()) for c in dist.choices.values()) == WRITERS * CHOICES
        conn = store._live()
        assert conn.execute("SELECT count(*) FROM choices").fetchone()[0] == WRITERS * CHOICES
        per_session = conn.execute(
            "SELECT count(*) FROM choices GROUP BY session_id HAVING count(*) != max(step) + 1"
        ).fetchall()
        assert per_session == []  # no gaps, nothing stored twice
        assert store.check().clean


def test_db_check_says_which_journal_mode_and_why(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "simulator", "--data-dir", str(tmp_path), "db", "check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    choice = journal_choice()
    assert f"Storage: journal mode {choice.mode.upper()} (SQLite {choice.library}" in run.stdout
    assert "3.51.3" in run.stdout


if __name__ == "__main__":
    sys.exit(_child(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])))
