"""Backups and restores through sqlite3.Connection.backup(); database files are never copied."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from simulator.store import schema
from simulator.store.files import fsync_dir, fsync_file

BACKUP_NAME = re.compile(r"^intake-sim-(\d{8}T\d{6}Z)(?:-(\d+))?\.sqlite3$")


class BackupSourceDamaged(Exception):
    """The database being copied failed its check; carries quick_check's text."""


def stamp(iso_time: str) -> str:
    """'2024-05-01T09:30:00.123Z' -> '20240501T093000Z' (for file names; sorts by time)."""
    try:
        when = datetime.fromisoformat(iso_time)
    except ValueError:
        when = datetime.now(UTC)
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%Y%m%dT%H%M%SZ")


def _sort_key(path: Path) -> tuple[str, int]:
    m = BACKUP_NAME.match(path.name)
    assert m is not None
    return (m.group(1), int(m.group(2) or 1))


def list_backups(backups: Path) -> list[Path]:
    """The store's own backups in `backups`, oldest first."""
    try:
        found = [p for p in backups.iterdir() if BACKUP_NAME.match(p.name) and p.is_file()]
    except OSError:
        return []
    return sorted(found, key=_sort_key)


def latest_backup(backups: Path) -> Path | None:
    found = list_backups(backups)
    return found[-1] if found else None


def next_backup_path(backups: Path, when: str) -> Path:
    base = f"intake-sim-{when}"
    candidate = backups / f"{base}.sqlite3"
    n = 1
    while candidate.exists():
        n += 1
        candidate = backups / f"{base}-{n}.sqlite3"
    return candidate


def quick_check(conn: sqlite3.Connection) -> str:
    rows = conn.execute(schema.QUICK_CHECK).fetchall()
    return "\n".join(str(r[0]) for r in rows)


def _remove_quietly(*paths: Path) -> None:
    for p in paths:
        with contextlib.suppress(OSError):
            p.unlink()


def _copy_into_new_file(src: sqlite3.Connection, dest: Path) -> None:
    """Copy `src` into a temporary file beside `dest`, check it, then rename it into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}.{secrets.token_hex(6)}.tmp"
    try:
        dst = sqlite3.connect(tmp, isolation_level=None)
        try:
            src.backup(dst)
            # A copy of a WAL database is itself in WAL mode; make it one self-contained file.
            dst.execute(schema.SET_JOURNAL_DELETE)
            result = quick_check(dst)
        finally:
            dst.close()
        if result != "ok":
            raise BackupSourceDamaged(result)
        fsync_file(tmp)
        os.replace(tmp, dest)
        fsync_dir(dest.parent)
    except BaseException:
        _remove_quietly(tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm"))
        raise


def write_backup(src: sqlite3.Connection, dest: Path) -> None:
    _copy_into_new_file(src, dest)


def open_backup_readonly(backup: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{backup.absolute().as_uri()}?mode=ro", uri=True)


def _aside_path(db_file: Path, when: str) -> Path:
    candidate = db_file.with_name(f"{db_file.name}.corrupt-{when}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = db_file.with_name(f"{db_file.name}.corrupt-{when}-{n}")
    return candidate


def restore(src: sqlite3.Connection, db_file: Path, when: str) -> Path | None:
    """Replace `db_file` by a copy of `src`; the old file (and its -wal/-shm) is kept aside.

    Returns where the old file went, or None if there was none. The new copy is complete on
    disk before it takes the old file's name in one rename.
    """
    staged = db_file.with_name(f".{db_file.name}.{secrets.token_hex(6)}.restore")
    _copy_into_new_file(src, staged)
    aside: Path | None = None
    try:
        if db_file.exists():
            aside = _aside_path(db_file, when)
            # A second name first, so a crash here still leaves a file at db_file.
            try:
                os.link(db_file, aside)
            except OSError:
                os.replace(db_file, aside)
        # A stale -wal next to the restored file would be replayed into it: move both aside.
        for suffix in ("-wal", "-shm"):
            side = Path(f"{db_file}{suffix}")
            if side.exists():
                if aside is not None:
                    os.replace(side, Path(f"{aside}{suffix}"))
                else:
                    side.unlink()
        os.replace(staged, db_file)
        fsync_dir(db_file.parent)
    except BaseException:
        _remove_quietly(staged)
        raise
    return aside
