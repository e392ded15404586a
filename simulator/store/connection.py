"""Opening the database file: directory, pragmas, damage detection, schema version."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from simulator import paths
from simulator.store import schema
from simulator.store.backup import latest_backup, quick_check
from simulator.store.errors import StoreCorruptError, StoreError, corrupt_message, translate
from simulator.store.sqlite_safety import JournalChoice, journal_choice

LEAVE_WAL_TIMEOUT_MS = 2_000


def corrupt_text(data_dir: Path) -> str:
    backups = paths.backups_dir(data_dir)
    return corrupt_message(paths.db_path(data_dir), latest_backup(backups), backups)


def ensure_data_dir(data_dir: Path) -> None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise StoreError(
            f"Cannot use {data_dir} as the data directory: a file is in the way.", path=data_dir
        ) from exc
    except OSError as exc:
        raise StoreError(
            f"Cannot create the data directory {data_dir}: {exc.strerror or exc}.", path=data_dir
        ) from exc
    if not data_dir.is_dir():
        raise StoreError(
            f"Cannot use {data_dir} as the data directory: it is not a directory.", path=data_dir
        )
    # SQLite needs to create its -journal (or -wal and -shm) files next to the database.
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise StoreError(
            f"The data directory {data_dir} is not writable; fix its permissions or choose "
            f"another with {paths.DATA_DIR_ENV}.",
            path=data_dir,
        )


def _looks_like_sqlite(db_file: Path) -> bool:
    with db_file.open("rb") as f:
        head = f.read(len(schema.SQLITE_MAGIC))
    return head == schema.SQLITE_MAGIC


def _create_or_migrate(conn: sqlite3.Connection, db_file: Path) -> None:
    conn.execute(schema.BEGIN)
    try:
        version = int(conn.execute(schema.GET_USER_VERSION).fetchone()[0])
        _refuse_newer(version, db_file)
        if version == 0:
            objects = int(conn.execute(schema.COUNT_OBJECTS).fetchone()[0])
            if objects:
                raise StoreError(
                    f"{db_file} is an SQLite database but not an intake-sim one; move it aside "
                    "or choose another data directory.",
                    path=db_file,
                )
        if version < schema.SCHEMA_VERSION:
            # Schema changes so far only add tables (all IF NOT EXISTS): re-running the
            # creation script brings an older store up to date and stamps the new version.
            for statement in schema.CREATE_SCHEMA:
                conn.execute(statement)
        conn.execute(schema.COMMIT)
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute(schema.ROLLBACK)
        raise


def _refuse_newer(version: int, db_file: Path) -> None:
    if version > schema.SCHEMA_VERSION:
        raise StoreError(
            f"{db_file} was written by a newer intake-sim (schema {version}; this version "
            f"reads up to {schema.SCHEMA_VERSION}); upgrade intake-sim to use it.",
            path=db_file,
        )


def _set_journal_mode(conn: sqlite3.Connection, db_file: Path, choice: JournalChoice) -> str:
    current = str(conn.execute(schema.GET_JOURNAL_MODE).fetchone()[0]).lower()
    if current != "wal" or choice.mode == "wal":
        return str(conn.execute(choice.pragma).fetchone()[0]).lower()
    # Leaving WAL (a store from an older intake-sim) needs the file to itself; do not make
    # the trainee wait the whole busy timeout when another program holds it open.
    conn.execute(schema.SET_BUSY_TIMEOUT.format(ms=LEAVE_WAL_TIMEOUT_MS))
    try:
        return str(conn.execute(choice.pragma).fetchone()[0]).lower()
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
            raise
        raise StoreError(
            f"The database {db_file} is in write-ahead-log mode and open in another program; "
            f"this intake-sim needs {choice.describe()}. Close the other program (or older "
            "intake-sim) and try again.",
            path=db_file,
        ) from exc
    finally:
        conn.execute(schema.SET_BUSY_TIMEOUT.format(ms=schema.BUSY_TIMEOUT_MS))


def _configure(conn: sqlite3.Connection, db_file: Path, existed: bool) -> None:
    conn.execute(schema.SET_BUSY_TIMEOUT.format(ms=schema.BUSY_TIMEOUT_MS))
    for pragma in schema.CONNECTION_PRAGMAS:
        conn.execute(pragma)
    # Everything up to journal_mode only reads, so a damaged or foreign file stays untouched.
    version = int(conn.execute(schema.GET_USER_VERSION).fetchone()[0])
    _refuse_newer(version, db_file)
    app_id = int(conn.execute(schema.GET_APPLICATION_ID).fetchone()[0])
    if app_id not in (0, schema.APPLICATION_ID):
        raise StoreError(
            f"{db_file} is an SQLite database but not an intake-sim one; move it aside or "
            "choose another data directory.",
            path=db_file,
        )
    if existed:
        result = quick_check(conn)
        if result != "ok":
            raise StoreCorruptError(corrupt_text(db_file.parent), path=db_file)
    choice = journal_choice()
    mode = _set_journal_mode(conn, db_file, choice)
    if mode != choice.mode:
        raise StoreError(
            f"The database {db_file} cannot use {choice.describe()} (is the data directory on "
            "a network drive?); choose a local data directory.",
            path=db_file,
        )
    conn.execute(schema.SET_SYNCHRONOUS_FULL)
    if version != schema.SCHEMA_VERSION:
        _create_or_migrate(conn, db_file)


def open_database(data_dir: Path) -> sqlite3.Connection:
    """Connect to the data directory's database, creating directory and schema as needed.

    Raises StoreCorruptError (file left as it was) when it is not a database or fails
    PRAGMA quick_check, and StoreError for every other expected failure.
    """
    ensure_data_dir(data_dir)
    db_file = paths.db_path(data_dir)
    what = f"open the database in {data_dir}"
    try:
        if db_file.exists() and not db_file.is_file():
            raise StoreError(f"{db_file} is not a regular file; move it aside.", path=db_file)
        for f in (db_file, *(Path(f"{db_file}{x}") for x in ("-wal", "-shm", "-journal"))):
            if f.exists() and not os.access(f, os.R_OK | os.W_OK):
                raise StoreError(
                    f"The database file {f} is read-only; fix its permissions to keep using "
                    f"the data directory {data_dir}.",
                    path=f,
                )
        existed = db_file.exists() and db_file.stat().st_size > 0
        if existed and not _looks_like_sqlite(db_file):
            raise StoreCorruptError(corrupt_text(data_dir), path=db_file)
        conn = sqlite3.connect(
            db_file,
            timeout=schema.BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,  # Store serialises access with its own lock
        )
    except (sqlite3.Error, OSError) as exc:
        raise translate(
            exc, what=what, db_file=db_file, data_dir=data_dir, corrupt=corrupt_text(data_dir)
        ) from exc
    try:
        _configure(conn, db_file, existed)
    except BaseException as exc:
        conn.close()
        if isinstance(exc, sqlite3.Error | OSError):
            raise translate(
                exc, what=what, db_file=db_file, data_dir=data_dir, corrupt=corrupt_text(data_dir)
            ) from exc
        raise
    return conn
