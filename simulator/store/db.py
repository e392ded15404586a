"""The Store: every read and write of trainees, sessions and choices.

Each write is one explicit BEGIN IMMEDIATE transaction; a method that reports success does so
only after COMMIT returned.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from simulator import paths
from simulator.store import backup as backups
from simulator.store import check as repairs
from simulator.store import privacy, schema
from simulator.store.connection import corrupt_text, open_database
from simulator.store.errors import (
    CHOICE_NOT_SAVED_FULL,
    StoreCorruptError,
    StoreError,
    translate,
)
from simulator.store.models import CheckReport, ChoiceRow, SelfReport, SessionRow, Trainee

Clock = Callable[[], str]

PSEUDONYM_MAX = 60
FACET_KEY_MAX = 40
FACET_VALUE_MAX = 200
FACETS_MAX = 20


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _str_map(value: dict[str, str] | None, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise StoreError(f"The {what} must map text to text.")
    return dict(value)


def _clean_pseudonym(pseudonym: str) -> str:
    name = pseudonym.strip() if isinstance(pseudonym, str) else ""
    if not 1 <= len(name) <= PSEUDONYM_MAX or any(unicodedata.category(ch) == "Cc" for ch in name):
        raise StoreError(
            f"A pseudonym must be 1 to {PSEUDONYM_MAX} printable characters, not {pseudonym!r}."
        )
    return name


def _clean_facets(facets: dict[str, str] | None) -> dict[str, str]:
    clean = {k.strip(): v.strip() for k, v in _str_map(facets, "identity facets").items()}
    if len(clean) > FACETS_MAX or any(
        not 1 <= len(k) <= FACET_KEY_MAX or len(v) > FACET_VALUE_MAX for k, v in clean.items()
    ):
        raise StoreError(
            f"Identity facets: at most {FACETS_MAX}, names of 1 to {FACET_KEY_MAX} characters, "
            f"values of at most {FACET_VALUE_MAX}."
        )
    return clean


def _trainee(row: Any) -> Trainee:
    return Trainee(id=int(row[0]), pseudonym=row[1], facets=json.loads(row[2]), created_at=row[3])


def _session(row: Any) -> SessionRow:
    return SessionRow(
        id=row[0],
        trainee_id=int(row[1]),
        scenario_id=row[2],
        scenario_version=row[3],
        content_hash=row[4],
        rubric_version=row[5],
        mode=row[6],
        status=row[7],
        started_at=row[8],
        ended_at=row[9],
        ending_id=row[10],
        assignment_id=row[11],
        summary=None if row[12] is None else json.loads(row[12]),
    )


def _self_report(row: Any) -> SelfReport:
    return SelfReport(
        session_id=row[0],
        themes=list(json.loads(row[1])),
        openness=int(row[2]),
        trust=int(row[3]),
        cooperation=int(row[4]),
        at=row[5],
    )


def _choice(row: Any) -> ChoiceRow:
    return ChoiceRow(
        session_id=row[0],
        step=int(row[1]),
        node_id=row[2],
        option_id=row[3],
        stance=json.loads(row[4]),
        free_text=row[5],
        at=row[6],
    )


class Store:
    """The persistence layer over one SQLite file in the data directory."""

    def __init__(self, conn: sqlite3.Connection, data_dir: Path, clock: Clock) -> None:
        self._conn: sqlite3.Connection | None = conn
        self._lock = threading.RLock()
        self._clock = clock
        self._corrupt = False
        self.data_dir = data_dir
        self.db_file = paths.db_path(data_dir)
        self.backups_dir = paths.backups_dir(data_dir)
        # Set by restore_from: where the replaced database file was kept.
        self.moved_aside: Path | None = None

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    def open(cls, data_dir: Path, *, clock: Clock | None = None) -> Self:
        """Open (creating if needed) the store in `data_dir`.

        Raises StoreCorruptError, leaving the file untouched, if it is damaged.
        """
        data_dir = Path(data_dir).expanduser().absolute()
        return cls(open_database(data_dir), data_dir, clock or utc_now)

    @classmethod
    def restore_from(cls, data_dir: Path, backup: Path, *, clock: Clock | None = None) -> Self:
        """Replace the database with a copy of `backup` and open it.

        The old file is kept as `<name>.corrupt-<timestamp>` (see `moved_aside`). Run it while
        no other intake-sim process has the database open.
        """
        data_dir = Path(data_dir).expanduser().absolute()
        backup = Path(backup).expanduser().absolute()
        clock = clock or utc_now
        db_file = paths.db_path(data_dir)
        what = f"restore {backup}"
        if not backup.is_file():
            raise StoreError(f"Cannot restore: there is no backup file {backup}.", path=backup)
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            src = backups.open_backup_readonly(backup)
            try:
                version = int(src.execute(schema.GET_USER_VERSION).fetchone()[0])
                app_id = int(src.execute(schema.GET_APPLICATION_ID).fetchone()[0])
                if app_id != schema.APPLICATION_ID or version > schema.SCHEMA_VERSION:
                    raise StoreError(
                        f"Cannot restore: {backup} is not an intake-sim backup this version "
                        "can read.",
                        path=backup,
                    )
                aside = backups.restore(src, db_file, backups.stamp(clock()))
            finally:
                src.close()
        except backups.BackupSourceDamaged as exc:
            raise StoreCorruptError(
                f"Cannot restore: the backup {backup} is damaged too; try an older one.",
                path=backup,
            ) from exc
        except (sqlite3.Error, OSError) as exc:
            raise translate(
                exc,
                what=what,
                db_file=db_file,
                data_dir=data_dir,
                corrupt=f"Cannot restore: the backup {backup} is damaged too; try an older one.",
            ) from exc
        store = cls.open(data_dir, clock=clock)
        store.moved_aside = aside
        return store

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- plumbing --------------------------------------------------------------------------

    def _live(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"The store for {self.data_dir} is closed.", path=self.data_dir)
        return self._conn

    def _error(self, exc: BaseException, what: str, full_message: str | None = None) -> StoreError:
        err = translate(
            exc,
            what=what,
            db_file=self.db_file,
            data_dir=self.data_dir,
            corrupt=corrupt_text(self.data_dir),
            full_message=full_message,
        )
        if isinstance(err, StoreCorruptError):
            self._corrupt = True
        return err

    @contextlib.contextmanager
    def _transaction(
        self, what: str, *, write: bool = True, full_message: str | None = None
    ) -> Iterator[sqlite3.Connection]:
        """One transaction: BEGIN IMMEDIATE for writes (a snapshot for reads), then COMMIT."""
        with self._lock:
            conn = self._live()
            if write and self._corrupt:
                raise StoreCorruptError(corrupt_text(self.data_dir), path=self.db_file)
            try:
                conn.execute(schema.BEGIN if write else schema.BEGIN_READ)
                try:
                    yield conn
                    conn.execute(schema.COMMIT)
                except BaseException:
                    # Fails harmlessly when SQLite already rolled back (e.g. after SQLITE_FULL).
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute(schema.ROLLBACK)
                    raise
            except (sqlite3.Error, OSError) as exc:
                raise self._error(exc, what, full_message) from exc

    @contextlib.contextmanager
    def _reading(self, what: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._live()
            try:
                yield conn
            except (sqlite3.Error, OSError) as exc:
                raise self._error(exc, what) from exc

    def _require_session(self, conn: sqlite3.Connection, session_id: str) -> SessionRow:
        row = conn.execute(schema.SELECT_SESSION, (session_id,)).fetchone()
        if row is None:
            raise StoreError(f"There is no session {session_id} in {self.db_file}.")
        return _session(row)

    # -- trainees --------------------------------------------------------------------------

    def get_or_create_trainee(
        self, pseudonym: str, facets: dict[str, str] | None = None
    ) -> Trainee:
        """The trainee with this pseudonym (case-insensitive), created if new.

        Facets given for an existing trainee replace theirs; None leaves them as they are.
        """
        name = _clean_pseudonym(pseudonym)
        clean = None if facets is None else _clean_facets(facets)
        with self._transaction("save the trainee") as conn:
            row = conn.execute(schema.SELECT_TRAINEE_BY_PSEUDONYM, (name,)).fetchone()
            if row is None:
                conn.execute(schema.INSERT_TRAINEE, (name, _dump(clean or {}), self._clock()))
                row = conn.execute(schema.SELECT_TRAINEE_BY_PSEUDONYM, (name,)).fetchone()
            elif clean is not None:
                conn.execute(schema.UPDATE_FACETS, (_dump(clean), row[0]))
                row = conn.execute(schema.SELECT_TRAINEE_BY_ID, (row[0],)).fetchone()
        return _trainee(row)

    def get_trainee(self, pseudonym: str) -> Trainee | None:
        name = pseudonym.strip()
        with self._reading("read the trainee") as conn:
            row = conn.execute(schema.SELECT_TRAINEE_BY_PSEUDONYM, (name,)).fetchone()
        return None if row is None else _trainee(row)

    def set_facets(self, trainee_id: int, facets: dict[str, str]) -> None:
        clean = _clean_facets(facets)
        with self._transaction("save the identity facets") as conn:
            if conn.execute(schema.UPDATE_FACETS, (_dump(clean), trainee_id)).rowcount != 1:
                raise StoreError(f"There is no trainee with id {trainee_id}.")

    def list_trainees(self) -> list[Trainee]:
        with self._reading("list the trainees") as conn:
            rows = conn.execute(schema.SELECT_TRAINEES).fetchall()
        return [_trainee(r) for r in rows]

    # -- sessions --------------------------------------------------------------------------

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
        """A new active session pinned to the scenario's content hash and the rubric version."""
        sid = session_id or uuid.uuid4().hex
        with self._transaction("start the session") as conn:
            if conn.execute(schema.SELECT_TRAINEE_BY_ID, (trainee_id,)).fetchone() is None:
                raise StoreError(f"There is no trainee with id {trainee_id}.")
            if conn.execute(schema.SELECT_SESSION, (sid,)).fetchone() is not None:
                raise StoreError(f"A session with id {sid} already exists.")
            conn.execute(
                schema.INSERT_SESSION,
                (
                    sid,
                    trainee_id,
                    scenario_id,
                    scenario_version,
                    content_hash,
                    rubric_version,
                    mode,
                    self._clock(),
                    assignment_id,
                ),
            )
            row = conn.execute(schema.SELECT_SESSION, (sid,)).fetchone()
        return _session(row)

    def get_session(self, session_id: str) -> SessionRow | None:
        with self._reading("read the session") as conn:
            row = conn.execute(schema.SELECT_SESSION, (session_id,)).fetchone()
        return None if row is None else _session(row)

    def record_choice(
        self,
        session_id: str,
        step: int,
        node_id: str,
        option_id: str,
        stance: dict[str, str] | None = None,
        free_text: str | None = None,
    ) -> bool:
        """Save the choice made at `step` (0-based, contiguous) in its own transaction.

        Returns True once COMMIT returned, False when this exact choice was already stored
        (a retry: it is stored once). Raises StoreError for a different choice at a stored
        step, a step out of order, or a session that is not active.
        """
        stance_json = _dump(_str_map(stance, "stance"))
        if isinstance(step, bool) or not isinstance(step, int):
            raise StoreError(f"step {step!r} out of order: steps are whole numbers from 0.")
        with self._transaction("save the last choice", full_message=CHOICE_NOT_SAVED_FULL) as conn:
            session = self._require_session(conn, session_id)
            stored = conn.execute(schema.SELECT_CHOICE_AT, (session_id, step)).fetchone()
            if stored is not None:
                if (stored[0], stored[1], _dump(json.loads(stored[2]))) == (
                    node_id,
                    option_id,
                    stance_json,
                ):
                    return False
                raise StoreError(
                    f"Step {step} of session {session_id} already holds a different choice "
                    f"({stored[0]}: {stored[1]}); it was left unchanged."
                )
            if session.status != "active":
                raise StoreError(f"Session {session_id} is {session.status}; it takes no choices.")
            count = int(conn.execute(schema.COUNT_CHOICES, (session_id,)).fetchone()[0])
            if step != count:
                raise StoreError(
                    f"step {step} out of order: session {session_id} holds {count} choices, "
                    f"so the next step is {count}."
                )
            conn.execute(
                schema.INSERT_CHOICE,
                (session_id, step, node_id, option_id, stance_json, free_text, self._clock()),
            )
        return True

    def choices(self, session_id: str) -> list[ChoiceRow]:
        with self._reading("read the choices") as conn:
            rows = conn.execute(schema.SELECT_CHOICES, (session_id,)).fetchall()
        return [_choice(r) for r in rows]

    def truncate_choices(self, session_id: str, keep: int) -> int:
        """Rewind an active session to its first `keep` choices; returns rows deleted."""
        if keep < 0:
            raise StoreError(f"Cannot keep {keep} choices.")
        with self._transaction("rewind the session") as conn:
            session = self._require_session(conn, session_id)
            if session.status != "active":
                raise StoreError(f"Session {session_id} is {session.status}; it cannot rewind.")
            deleted = conn.execute(schema.DELETE_CHOICES_FROM, (session_id, keep)).rowcount
        return int(deleted)

    def complete_session(self, session_id: str, ending_id: str, summary: dict[str, Any]) -> None:
        """Mark the session completed. Repeating it with the same ending is a no-op."""
        try:
            summary_json = _dump(summary)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"The summary of session {session_id} is not JSON data.") from exc
        with self._transaction("save the session's ending") as conn:
            session = self._require_session(conn, session_id)
            if session.status == "completed" and session.ending_id == ending_id:
                return
            if session.status != "active":
                raise StoreError(f"Session {session_id} is already {session.status}.")
            conn.execute(
                schema.COMPLETE_SESSION, (self._clock(), ending_id, summary_json, session_id)
            )

    def abandon_session(self, session_id: str) -> None:
        """Mark an active session abandoned. Abandoning it again is a no-op."""
        with self._transaction("abandon the session") as conn:
            session = self._require_session(conn, session_id)
            if session.status == "abandoned":
                return
            if session.status != "active":
                raise StoreError(f"Session {session_id} is already {session.status}.")
            conn.execute(schema.ABANDON_SESSION, (self._clock(), session_id))

    def unfinished_sessions(
        self, trainee_id: int, scenario_id: str | None = None
    ) -> list[SessionRow]:
        """Active sessions of the trainee, newest first."""
        with self._reading("list unfinished sessions") as conn:
            if scenario_id is None:
                rows = conn.execute(schema.SELECT_UNFINISHED, (trainee_id,)).fetchall()
            else:
                rows = conn.execute(
                    schema.SELECT_UNFINISHED_FOR_SCENARIO, (trainee_id, scenario_id)
                ).fetchall()
        return [_session(r) for r in rows]

    def sessions_for_trainee(self, trainee_id: int) -> list[SessionRow]:
        """All sessions of the trainee, newest first."""
        with self._reading("list the sessions") as conn:
            rows = conn.execute(schema.SELECT_SESSIONS_FOR_TRAINEE, (trainee_id,)).fetchall()
        return [_session(r) for r in rows]

    # -- self-reports and settings ------------------------------------------------------------

    def save_self_report(
        self, session_id: str, themes: list[str], openness: int, trust: int, cooperation: int
    ) -> SelfReport:
        """Store (or replace) the trainee's post-intake answers for a session."""
        for name, value in (("openness", openness), ("trust", trust), ("cooperation", cooperation)):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                raise StoreError(f"The {name} rating must be a whole number from 1 to 5.")
        if not all(isinstance(t, str) for t in themes):
            raise StoreError("The themes must be a list of theme ids.")
        with self._transaction("save your post-intake answers") as conn:
            self._require_session(conn, session_id)
            conn.execute(
                schema.UPSERT_SELF_REPORT,
                (session_id, _dump(list(themes)), openness, trust, cooperation, self._clock()),
            )
            row = conn.execute(schema.SELECT_SELF_REPORT, (session_id,)).fetchone()
        return _self_report(row)

    def self_report(self, session_id: str) -> SelfReport | None:
        with self._reading("read your post-intake answers") as conn:
            row = conn.execute(schema.SELECT_SELF_REPORT, (session_id,)).fetchone()
        return None if row is None else _self_report(row)

    def self_reports_for_trainee(self, trainee_id: int) -> list[SelfReport]:
        """All of the trainee's post-intake answers, oldest session first."""
        with self._reading("read your post-intake answers") as conn:
            rows = conn.execute(schema.SELECT_SELF_REPORTS_FOR_TRAINEE, (trainee_id,)).fetchall()
        return [_self_report(r) for r in rows]

    def settings(self, trainee_id: int) -> dict[str, Any]:
        with self._reading("read your settings") as conn:
            row = conn.execute(schema.SELECT_SETTINGS, (trainee_id,)).fetchone()
        return {} if row is None else dict(json.loads(row[0]))

    def save_settings(self, trainee_id: int, values: dict[str, Any]) -> None:
        with self._transaction("save your settings") as conn:
            conn.execute(schema.UPSERT_SETTINGS, (trainee_id, _dump(values)))

    # -- maintenance -----------------------------------------------------------------------

    def backup(self, dest: Path | None = None) -> Path:
        """Copy the database through the backup API; returns the new file's path.

        By default into backups/intake-sim-YYYYmmddTHHMMSSZ.sqlite3; an existing `dest` is
        refused rather than overwritten.
        """
        with self._lock:
            conn = self._live()
            if dest is None:
                target = backups.next_backup_path(self.backups_dir, backups.stamp(self._clock()))
            else:
                target = Path(dest).expanduser().absolute()
                if target.exists():
                    raise StoreError(f"Cannot back up to {target}: that file already exists.")
            try:
                backups.write_backup(conn, target)
            except backups.BackupSourceDamaged as exc:
                self._corrupt = True
                raise StoreCorruptError(corrupt_text(self.data_dir), path=self.db_file) from exc
            except (sqlite3.Error, OSError) as exc:
                raise translate(
                    exc,
                    what=f"write the backup {target}",
                    db_file=target,
                    data_dir=target.parent,
                    corrupt=corrupt_text(self.data_dir),
                ) from exc
        return target

    def latest_backup(self) -> Path | None:
        return backups.latest_backup(self.backups_dir)

    def check(self) -> CheckReport:
        """PRAGMA quick_check, then the semantic repairs, all in one transaction.

        Repairs run only when quick_check passes; a second check finds nothing to repair.
        """
        with self._transaction("check the database", write=not self._corrupt) as conn:
            result = backups.quick_check(conn)
            made = repairs.repair(conn) if result == "ok" else []
        return CheckReport(quick_check=result, repairs=made)

    # -- privacy ---------------------------------------------------------------------------

    def export_trainee(self, pseudonym: str) -> dict[str, Any]:
        """Everything stored about the trainee, as JSON-ready data."""
        with self._transaction("export the trainee's data", write=False) as conn:
            row = conn.execute(schema.SELECT_TRAINEE_BY_PSEUDONYM, (pseudonym.strip(),)).fetchone()
            if row is None:
                raise StoreError(f"There is no trainee called {pseudonym.strip()!r}.")
            trainee = _trainee(row)
            sessions = [
                _session(r) for r in conn.execute(schema.SELECT_SESSIONS_FOR_TRAINEE, (trainee.id,))
            ]
            per_session = [
                (s, [_choice(c) for c in conn.execute(schema.SELECT_CHOICES, (s.id,))])
                for s in reversed(sessions)  # oldest first reads naturally in an export
            ]
            reports = [
                _self_report(r)
                for r in conn.execute(schema.SELECT_SELF_REPORTS_FOR_TRAINEE, (trainee.id,))
            ]
            settings_row = conn.execute(schema.SELECT_SETTINGS, (trainee.id,)).fetchone()
        document = privacy.export_document(trainee, per_session, self._clock())
        document["self_reports"] = [asdict(r) for r in reports]
        document["settings"] = {} if settings_row is None else json.loads(settings_row[0])
        return document

    def _purge_freed_pages(self) -> None:
        """Rewrite the file and empty the write-ahead log so erased rows leave no trace.

        Best effort: another process reading at the same moment can make either step give up.
        """
        with self._lock:
            conn = self._live()
            for statement in (schema.VACUUM, schema.CHECKPOINT_TRUNCATE):
                with contextlib.suppress(sqlite3.Error):
                    conn.execute(statement).fetchall()

    def erase_trainee(self, pseudonym: str) -> int:
        """Delete the trainee and all their sessions and choices; returns rows deleted.

        Also scrubs them from every backup in the backups directory, vacuums the file and
        empties the write-ahead log, so no copy of the erased rows stays behind in them.
        """
        name = pseudonym.strip()
        with self._transaction("erase the trainee") as conn:
            row = conn.execute(schema.SELECT_TRAINEE_BY_PSEUDONYM, (name,)).fetchone()
            deleted = 0 if row is None else privacy.delete_trainee_rows(conn, int(row[0]))
        if deleted:
            self._purge_freed_pages()
        failed = privacy.scrub_backups(self.backups_dir, name)
        if failed:
            listed = ", ".join(str(p) for p in failed)
            raise StoreError(
                f"{name!r} was erased from the database but not from the backups {listed}; "
                "delete those files to finish."
            )
        return deleted
