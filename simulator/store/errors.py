"""Store exceptions, and the translation of sqlite3/OS failures into one clear sentence each."""

from __future__ import annotations

import errno
import os
import resource
import sqlite3
from pathlib import Path

CHOICE_NOT_SAVED_FULL = (
    "The last choice was not saved: the disk is full. Free some space and try again."
)

# Primary SQLite result codes (the low byte of an extended code).
SQLITE_PERM = 3
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_AUTH = 23
SQLITE_NOTADB = 26

_FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
_DENIED_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS}
# Below this much free space an I/O error on write is taken to be the disk filling up.
_LOW_SPACE_BYTES = 1 << 20


class StoreError(Exception):
    """A persistence failure explained in words meant for the user; no traceback needed."""

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return self.message


class DiskFullError(StoreError):
    """A write failed for lack of space (SQLITE_FULL, ENOSPC, EFBIG); nothing was saved."""

    def __init__(self, message: str = CHOICE_NOT_SAVED_FULL, *, path: Path | None = None) -> None:
        super().__init__(message, path=path)


class StoreCorruptError(StoreError):
    """The database file is damaged or not a database: it is kept as is and writes refused."""


def corrupt_message(db_file: Path, latest_backup: Path | None, backups: Path) -> str:
    if latest_backup is not None:
        return (
            f"The database {db_file} is damaged and was left untouched; restore the latest "
            f"backup with `intake-sim db restore {latest_backup}`."
        )
    return (
        f"The database {db_file} is damaged and was left untouched, and there is no backup in "
        f"{backups}; move the damaged file aside to start afresh, and keep backups from now on "
        "with `intake-sim db backup`."
    )


def space_exhausted(directory: Path, files: tuple[Path, ...]) -> bool:
    """Best guess whether a failed write ran out of room.

    SQLite reports EFBIG (a per-process file-size limit) as a plain SQLITE_IOERR_WRITE, and
    Python does not expose the errno behind it, so look at the disk and the limit instead.
    """
    try:
        st = os.statvfs(directory)
        if st.f_bavail * st.f_frsize < _LOW_SPACE_BYTES:
            return True
    except OSError:
        pass
    soft, _hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    if soft == resource.RLIM_INFINITY:
        return False
    for f in files:
        try:
            if f.stat().st_size + 2 * 65536 >= soft:
                return True
        except OSError:
            continue
    return False


def translate(
    exc: BaseException,
    *,
    what: str,
    db_file: Path,
    data_dir: Path,
    corrupt: str,
    full_message: str | None = None,
) -> StoreError:
    """Turn a sqlite3.Error or OSError into the matching StoreError.

    `what` completes "Could not ..."; `corrupt` is the message to use for a damaged file;
    `full_message` overrides the disk-full sentence (record_choice uses the fixed one).
    """
    if isinstance(exc, StoreError):
        return exc
    full = full_message or (
        f"Could not {what}: the disk holding {data_dir} is full. Free some space and try again."
    )
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        if code == SQLITE_FULL:
            return DiskFullError(full, path=data_dir)
        if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
            return StoreCorruptError(corrupt, path=db_file)
        if code in (SQLITE_BUSY, SQLITE_LOCKED):
            return StoreError(
                f"Could not {what}: the database {db_file} stayed locked by another intake-sim "
                "process for too long; close the other copy and try again.",
                path=db_file,
            )
        if code in (SQLITE_READONLY, SQLITE_PERM, SQLITE_AUTH):
            return StoreError(
                f"Could not {what}: {db_file} is read-only; check the permissions of the data "
                f"directory {data_dir}.",
                path=db_file,
            )
        if code == SQLITE_CANTOPEN:
            return StoreError(
                f"Could not {what}: the database {db_file} cannot be opened; check that the data "
                f"directory {data_dir} exists and is writable.",
                path=db_file,
            )
        if code == SQLITE_IOERR:
            wal = Path(f"{db_file}-wal")
            shm = Path(f"{db_file}-shm")
            if space_exhausted(data_dir, (db_file, wal, shm)):
                return DiskFullError(full, path=data_dir)
            return StoreError(
                f"Could not {what}: reading or writing {db_file} failed ({exc}); check the disk.",
                path=db_file,
            )
        return StoreError(f"Could not {what}: database error in {db_file} ({exc}).", path=db_file)
    if isinstance(exc, OSError):
        where = Path(exc.filename) if exc.filename else data_dir
        if exc.errno in _FULL_ERRNOS:
            return DiskFullError(full, path=where)
        if exc.errno in _DENIED_ERRNOS:
            return StoreError(
                f"Could not {what}: {where} is not writable ({exc.strerror}).", path=where
            )
        return StoreError(f"Could not {what}: {where}: {exc.strerror or exc}.", path=where)
    return StoreError(f"Could not {what}: {exc}.", path=db_file)
