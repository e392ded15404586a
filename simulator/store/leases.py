"""Which process plays as a trainee: one lease per trainee, so two browser tabs never both write.

A tab that signs a trainee in takes the lease (an owner token, its pid and host, a heartbeat).
A second tab finds it held and asks whether to take over; taking over rewrites the owner, and
from then on every write of the first tab is refused inside its own transaction (LeasedStore),
so nothing it sends after the takeover is stored. A lease whose process is gone (same host, pid
not alive) or whose heartbeat is older than `STALE_AFTER_S` is taken silently: a tab that died
with its websocket leaves nothing to ask about.

Heartbeats are wall-clock seconds (time.time()), compared only with each other on one host.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from simulator.store.db import Store
from simulator.store.errors import StoreError
from simulator.store.models import SessionRow

STALE_AFTER_S = 30.0
HEARTBEAT_EVERY_S = 5.0

SELECT_LEASE = "SELECT owner, pid, host, heartbeat_at FROM session_leases WHERE trainee_id = ?"
UPSERT_LEASE = (
    "INSERT INTO session_leases (trainee_id, owner, pid, host, heartbeat_at) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (trainee_id) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, "
    "host = excluded.host, heartbeat_at = excluded.heartbeat_at"
)
BEAT = "UPDATE session_leases SET heartbeat_at = ? WHERE trainee_id = ? AND owner = ?"
RELEASE = "DELETE FROM session_leases WHERE trainee_id = ? AND owner = ?"

LOST_TEXT = (
    "This pseudonym continued in another tab, so this tab no longer saves anything. "
    "Close it and carry on in the other one."
)


class LeaseLost(StoreError):
    """A write from a tab whose trainee was taken over by another tab (nothing was written)."""


@dataclass(frozen=True)
class Holder:
    """Who holds a trainee's lease."""

    owner: str
    pid: int
    host: str
    heartbeat_at: float

    def alive(self, now: float, stale_after: float = STALE_AFTER_S) -> bool:
        """False when the holder is surely gone: its process ended or its heartbeat stopped."""
        if now - self.heartbeat_at > stale_after:
            return False
        return not (self.host == this_host() and not pid_alive(self.pid))


@dataclass(frozen=True)
class Acquired:
    """The lease is ours; `taken_from` names the live tab we took it over from, if any."""

    owner: str
    taken_from: Holder | None = None


@dataclass(frozen=True)
class Held:
    """Another live tab holds the lease; nothing was changed."""

    holder: Holder


def this_host() -> str:
    return socket.gethostname()


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return _not_zombie(pid)


def _not_zombie(pid: int) -> bool:
    # A child that exited but was not yet reaped still answers kill(pid, 0).
    with (
        contextlib.suppress(OSError, IndexError),
        open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh,
    ):
        return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def new_owner() -> str:
    return uuid.uuid4().hex


def _holder(row: Any) -> Holder:
    return Holder(owner=row[0], pid=int(row[1]), host=row[2], heartbeat_at=float(row[3]))


def _write(store: Store, what: str) -> contextlib.AbstractContextManager[sqlite3.Connection]:
    # Lease bookkeeping itself must not be refused by the lease guard of a LeasedStore.
    return Store._transaction(store, what)


def acquire(
    store: Store,
    trainee_id: int,
    owner: str,
    *,
    takeover: bool = False,
    pid: int | None = None,
    now: float | None = None,
    stale_after: float = STALE_AFTER_S,
) -> Acquired | Held:
    """Take the trainee's lease for `owner` when it is free, ours, stale, or `takeover` is set."""
    at = time.time() if now is None else now
    me = os.getpid() if pid is None else pid
    with _write(store, "take the trainee's seat") as conn:
        row = conn.execute(SELECT_LEASE, (trainee_id,)).fetchone()
        current = None if row is None else _holder(row)
        live_other = (
            current is not None and current.owner != owner and current.alive(at, stale_after)
        )
        if live_other and not takeover:
            assert current is not None
            return Held(current)
        conn.execute(UPSERT_LEASE, (trainee_id, owner, me, this_host(), at))
    return Acquired(owner, current if live_other else None)


def holder(store: Store, trainee_id: int) -> Holder | None:
    with store._reading("read the trainee's seat") as conn:
        row = conn.execute(SELECT_LEASE, (trainee_id,)).fetchone()
    return None if row is None else _holder(row)


def heartbeat(store: Store, trainee_id: int, owner: str, now: float | None = None) -> bool:
    """Refresh our lease; False when another tab has taken it (or it was released)."""
    at = time.time() if now is None else now
    with _write(store, "keep the trainee's seat") as conn:
        return conn.execute(BEAT, (at, trainee_id, owner)).rowcount == 1


def release(store: Store, trainee_id: int, owner: str) -> None:
    """Give the lease up, if it is still ours."""
    with _write(store, "free the trainee's seat") as conn:
        conn.execute(RELEASE, (trainee_id, owner))


def owns(conn: sqlite3.Connection, trainee_id: int, owner: str) -> bool:
    row = conn.execute(SELECT_LEASE, (trainee_id,)).fetchone()
    return row is not None and row[0] == owner


class LeasedStore(Store):
    """A Store for one browser tab: once `hold()` is called, every write checks the lease in
    the same BEGIN IMMEDIATE transaction, so a takeover and a write never interleave; with a
    `room`, every session it starts joins that workshop room."""

    lease: tuple[int, str] | None = None
    room: str | None = None
    on_lost: Callable[[], None] | None = None

    def hold(self, trainee_id: int, owner: str) -> None:
        self.lease = (trainee_id, owner)

    @contextlib.contextmanager
    def _transaction(
        self, what: str, *, write: bool = True, full_message: str | None = None
    ) -> Iterator[sqlite3.Connection]:
        with super()._transaction(what, write=write, full_message=full_message) as conn:
            if write and self.lease is not None and not owns(conn, *self.lease):
                if self.on_lost is not None:
                    self.on_lost()
                raise LeaseLost(LOST_TEXT)
            yield conn

    def start_session(
        self,
        trainee_id: int,
        scenario_id: str,
        scenario_version: str,
        content_hash: str,
        rubric_version: str,
        mode: str,
        assignment_id: str | None = None,
        session_id: str | None = None,
    ) -> SessionRow:
        row = super().start_session(
            trainee_id,
            scenario_id,
            scenario_version,
            content_hash,
            rubric_version,
            mode,
            assignment_id,
            session_id,
        )
        if self.room is not None:
            from simulator.store.workshop import join_room

            join_room(self, self.room, row.id, trainee_id)
        return row
