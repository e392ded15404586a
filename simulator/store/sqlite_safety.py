"""Which journal mode the store uses, decided from the SQLite library this Python links.

SQLite 3.7.0 up to 3.51.2 carry the "WAL-reset bug": when two or more connections (threads or
processes) write and checkpoint one write-ahead-logged database at about the same moment, the
log can be reset under a connection that still relies on it, and the database can be corrupted.
It is rare, but a workshop (one process per browser tab, all writing to one file) is exactly the
pattern that triggers it. SQLite 3.51.3 fixed it (so do 3.52.0 and later).

On a fixed library the store keeps WAL. On an older one it uses a rollback journal in TRUNCATE
mode with synchronous=FULL: no shared-memory log exists, so the bug cannot occur; every writer
takes the file's lock in turn (BEGIN IMMEDIATE plus the busy timeout queue them), and the
truncation that commits a transaction is itself synced, so an acknowledged choice survives a
power cut without relying on a directory sync. Readers and a writer's commit exclude each other
for a moment, which at workshop scale (tens of writers, a choice every few seconds each) costs
milliseconds; tests/test_many_writers.py runs 30 processes x 100 choices.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

WAL_RESET_FIXED_IN = (3, 51, 3)


def _text(version: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version)


@dataclass(frozen=True)
class JournalChoice:
    mode: str  # what PRAGMA journal_mode must answer: "wal" or "truncate"
    library: str  # the SQLite library version this decision was made for
    reason: str

    @property
    def pragma(self) -> str:
        return f"PRAGMA journal_mode = {self.mode.upper()}"

    def describe(self) -> str:
        return f"journal mode {self.mode.upper()} ({self.reason})"


def journal_choice(version: tuple[int, ...] | None = None) -> JournalChoice:
    """The journal mode for SQLite `version` (default: the library Python links)."""
    lib = tuple(version) if version is not None else sqlite3.sqlite_version_info
    fixed = _text(WAL_RESET_FIXED_IN)
    if lib >= WAL_RESET_FIXED_IN:
        return JournalChoice(
            "wal",
            _text(lib),
            f"SQLite {_text(lib)} has the fix for the multi-process WAL-reset bug (from {fixed}), "
            "so many processes may share the write-ahead log",
        )
    return JournalChoice(
        "truncate",
        _text(lib),
        f"SQLite {_text(lib)} is older than {fixed}, which fixed the multi-process WAL-reset "
        "corruption bug, so the store uses a rollback journal (synchronous=FULL, writers take "
        "turns)",
    )
