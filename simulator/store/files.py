"""Crash-safe file writing: the one way the application writes a file."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from pathlib import Path

from simulator.store.errors import DiskFullError, StoreError

_FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new file in `directory` durable (a no-op where unsupported)."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(directory, flags)
    except OSError:
        return  # e.g. Windows, where directories cannot be opened; rename is durable there
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a crash leaves either the old or the new file, whole.

    Writes a temporary file in the same directory, flushes and fsyncs it, renames it over
    `path`, then fsyncs the directory. Raises DiskFullError or StoreError naming the file.
    """
    path = Path(path)
    directory = path.parent
    tmp = directory / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # 0o666 filtered by the umask, like any ordinary new file.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        fsync_dir(directory)
    except OSError as exc:
        if exc.errno in _FULL_ERRNOS:
            raise DiskFullError(
                f"Could not write {path}: the disk is full. Free some space and try again.",
                path=path,
            ) from exc
        raise StoreError(f"Could not write {path}: {exc.strerror or exc}.", path=path) from exc
