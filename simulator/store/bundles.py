"""Result bundles: a trainee's sessions as one self-describing JSON file for their supervisor.

A bundle names its format and version, the app that wrote it, when, the trainee (pseudonym and
identity facets), the assignment packs its sessions belong to, and every session with its
choices, self-report and summary, pinned to the scenario's id, version and content hash and the
rubric version. Typed free text and private reflections are left out unless the person exporting
asks for them. `content_hash` is the sha256 of the canonical JSON of everything else in the
bundle (sorted keys, no spaces, UTF-8), so any change after export is caught.

Importing checks the bundle strictly (format, version, hash, then a strict model of every
field) and writes everything in one transaction: a bad bundle leaves the store as it was.
Sessions keep their ids, so importing a bundle again changes nothing. A session already in the
store is brought up to date when the bundle holds a later state of it (more answers of an
unfinished session, or its end); a session whose stored content differs in any other way is a
conflict, and the whole bundle is refused.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from simulator.core.assignment import Pack, pack_from_json
from simulator.store import schema
from simulator.store.assignments import SELECT_PACK, UPSERT_PACK
from simulator.store.db import (
    FACET_KEY_MAX,
    FACET_VALUE_MAX,
    FACETS_MAX,
    PSEUDONYM_MAX,
    Store,
    _choice,
    _clean_facets,
    _clean_pseudonym,
    _dump,
    _self_report,
    _session,
)
from simulator.store.errors import StoreError
from simulator.store.models import SessionRow
from simulator.store.privacy import EXPORT_FORMAT
from simulator.store.reflections import REFLECTION_MAX, SELECT_REFLECTION, UPSERT_REFLECTION

BUNDLE_FORMAT = "intake-sim/result-bundle"
BUNDLE_FORMAT_VERSION = 1
BUNDLE_SUFFIX = ".intake-bundle.json"
# A year of daily practice is a few megabytes; the cap keeps a hostile file cheap to refuse.
MAX_BUNDLE_BYTES = 32 * 1024 * 1024
MAX_SESSIONS = 10_000
MAX_CHOICES = 1_000
HASH_PREFIX = "sha256:"

Short = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Stamp = Annotated[str, StringConstraints(min_length=1, max_length=40)]
SessionId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class BundleError(ValueError):
    """Why a bundle was refused, in one line."""


# ---------------------------------------------------------------- the bundle's shape


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class TraineeIn(_Strict):
    pseudonym: Annotated[str, StringConstraints(min_length=1, max_length=PSEUDONYM_MAX)]
    facets: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=FACET_KEY_MAX)],
            Annotated[str, StringConstraints(max_length=FACET_VALUE_MAX)],
        ],
        Field(max_length=FACETS_MAX),
    ]


class ScenarioRef(_Strict):
    id: Short
    version: Short
    content_hash: Short


class ChoiceIn(_Strict):
    step: Annotated[int, Field(ge=0, lt=MAX_CHOICES)]
    node: Short
    option: Short
    stance: dict[Short, Short]
    at: Stamp
    free_text: Annotated[str, StringConstraints(max_length=REFLECTION_MAX)] | None = None


class SelfReportIn(_Strict):
    themes: Annotated[list[Short], Field(max_length=100)]
    openness: Annotated[int, Field(ge=1, le=5)]
    trust: Annotated[int, Field(ge=1, le=5)]
    cooperation: Annotated[int, Field(ge=1, le=5)]
    at: Stamp


class ReflectionIn(_Strict):
    text: Annotated[str, StringConstraints(min_length=1, max_length=REFLECTION_MAX)]
    at: Stamp


class SessionIn(_Strict):
    id: SessionId
    scenario: ScenarioRef
    rubric_version: Short
    mode: Literal["coach", "assessment"]
    status: Literal["active", "completed", "abandoned"]
    started_at: Stamp
    ended_at: Stamp | None
    ending_id: Short | None
    assignment_id: Short | None
    summary: dict[str, Any] | None
    choices: Annotated[list[ChoiceIn], Field(max_length=MAX_CHOICES)]
    self_report: SelfReportIn | None
    reflection: ReflectionIn | None = None


class BundleIn(_Strict):
    format: Literal["intake-sim/result-bundle"]
    format_version: Literal[1]
    app_version: Short
    created_at: Stamp
    include_reflections: bool
    assignment: Short | None
    trainee: TraineeIn
    packs: Annotated[list[dict[str, Any]], Field(max_length=1_000)]
    sessions: Annotated[list[SessionIn], Field(max_length=MAX_SESSIONS)]
    content_hash: Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}$")]


# ---------------------------------------------------------------- hashing


def canonical_bytes(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def bundle_hash(bundle: dict[str, Any]) -> str:
    """sha256 over the canonical JSON of the bundle without its `content_hash` field."""
    body = {k: v for k, v in bundle.items() if k != "content_hash"}
    return HASH_PREFIX + hashlib.sha256(canonical_bytes(body)).hexdigest()


def app_version() -> str:
    try:
        return metadata.version("intake-sim")
    except metadata.PackageNotFoundError:
        return "unknown"


# ---------------------------------------------------------------- export


def _session_doc(
    row: SessionRow,
    choices: list[Any],
    report: Any,
    reflection: Any,
    include_reflections: bool,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": row.id,
        "scenario": {
            "id": row.scenario_id,
            "version": row.scenario_version,
            "content_hash": row.content_hash,
        },
        "rubric_version": row.rubric_version,
        "mode": row.mode,
        "status": row.status,
        "started_at": row.started_at,
        "ended_at": row.ended_at,
        "ending_id": row.ending_id,
        "assignment_id": row.assignment_id,
        "summary": row.summary,
        "choices": [],
        "self_report": None,
    }
    for c in choices:
        choice: dict[str, Any] = {
            "step": c.step,
            "node": c.node_id,
            "option": c.option_id,
            "stance": c.stance,
            "at": c.at,
        }
        if include_reflections and c.free_text is not None:
            choice["free_text"] = c.free_text
        doc["choices"].append(choice)
    if report is not None:
        doc["self_report"] = {
            "themes": report.themes,
            "openness": report.openness,
            "trust": report.trust,
            "cooperation": report.cooperation,
            "at": report.at,
        }
    if include_reflections and reflection is not None:
        doc["reflection"] = {"text": reflection[1], "at": reflection[2]}
    return doc


def export_bundle(
    store: Store,
    pseudonym: str,
    assignment_id: str | None = None,
    include_reflections: bool = False,
) -> dict[str, Any]:
    """The trainee's sessions (of one assignment, or all) as a bundle ready for `json.dump`."""
    name = pseudonym.strip()
    with store._transaction("export the trainee's sessions", write=False) as conn:
        row = conn.execute(schema.SELECT_TRAINEE_BY_PSEUDONYM, (name,)).fetchone()
        if row is None:
            raise StoreError(f"There is no trainee called {name!r} in {store.db_file}.")
        trainee = _trainee_doc(row)
        rows = [_session(r) for r in conn.execute(schema.SELECT_SESSIONS_FOR_TRAINEE, (row[0],))]
        rows.reverse()  # oldest first
        if assignment_id is not None:
            rows = [r for r in rows if r.assignment_id == assignment_id]
        sessions = []
        for s in rows:
            choices = [_choice(c) for c in conn.execute(schema.SELECT_CHOICES, (s.id,))]
            rep = conn.execute(schema.SELECT_SELF_REPORT, (s.id,)).fetchone()
            note = conn.execute(SELECT_REFLECTION, (s.id,)).fetchone()
            sessions.append(
                _session_doc(
                    s,
                    choices,
                    None if rep is None else _self_report(rep),
                    note,
                    include_reflections,
                )
            )
        pack_ids = sorted({s.assignment_id for s in rows if s.assignment_id} | _opt(assignment_id))
        packs = []
        for pid in pack_ids:
            pack_row = conn.execute(SELECT_PACK, (pid,)).fetchone()
            if pack_row is not None:
                packs.append(json.loads(pack_row[0]))
    bundle: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "format_version": BUNDLE_FORMAT_VERSION,
        "app_version": app_version(),
        "created_at": store._clock(),
        "include_reflections": include_reflections,
        "assignment": assignment_id,
        "trainee": trainee,
        "packs": packs,
        "sessions": sessions,
    }
    bundle["content_hash"] = bundle_hash(bundle)
    return bundle


def _opt(value: str | None) -> set[str]:
    return set() if value is None else {value}


def _trainee_doc(row: Any) -> dict[str, Any]:
    return {"pseudonym": row[1], "facets": json.loads(row[2])}


def bundle_bytes(bundle: dict[str, Any]) -> bytes:
    """The bundle as written to a file: indented for people, hashed canonically."""
    return (json.dumps(bundle, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def default_file_name(pseudonym: str, assignment_id: str | None, date: str) -> str:
    """`<pseudonym>-<assignment>-<date>.intake-bundle.json`, safe on every file system."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", pseudonym).strip("_") or "trainee"
    return f"{safe}-{assignment_id or 'all'}-{date[:10]}{BUNDLE_SUFFIX}"


# ---------------------------------------------------------------- reading and checking


def read_bundle_file(path: Path, max_bytes: int = MAX_BUNDLE_BYTES) -> Any:
    """The JSON data of a bundle file. Raises BundleError saying what is wrong with the file."""
    try:
        with open(path, "rb") as f:
            raw = f.read(max_bytes + 1)
    except FileNotFoundError:
        raise BundleError("no such file") from None
    except IsADirectoryError:
        raise BundleError("it is a directory, not a bundle file") from None
    except OSError as exc:
        raise BundleError(f"cannot read it ({exc.strerror or exc})") from None
    if len(raw) > max_bytes:
        raise BundleError(
            f"it is larger than {max_bytes // (1024 * 1024)} MiB, the most a bundle may be"
        )
    return parse_bundle_bytes(raw)


def parse_bundle_bytes(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BundleError(f"not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise BundleError(
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except (RecursionError, ValueError) as exc:
        raise BundleError(f"not valid JSON ({exc})") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in a bundle")


def check_bundle(data: Any) -> BundleIn:
    """The bundle, checked: format, version, content hash, then every field strictly."""
    if isinstance(data, dict) and data.get("format") == EXPORT_FORMAT:
        raise BundleError(
            "this is a trainee's personal export (intake-sim trainee export), not a result "
            "bundle; make one with intake-sim export"
        )
    if not isinstance(data, dict) or data.get("format") != BUNDLE_FORMAT:
        raise BundleError(f'not an intake-sim result bundle (no "format": "{BUNDLE_FORMAT}")')
    version = data.get("format_version")
    if version != BUNDLE_FORMAT_VERSION or isinstance(version, bool):
        raise BundleError(
            f"bundle format version {json.dumps(version)[:20]} is not one this intake-sim reads "
            f"(it reads version {BUNDLE_FORMAT_VERSION}); update intake-sim or re-export"
        )
    stated = data.get("content_hash")
    if not isinstance(stated, str):
        raise BundleError("it has no content_hash, so it cannot be checked")
    try:
        actual = bundle_hash(data)
    except (TypeError, ValueError):
        raise BundleError("it holds values that are not plain JSON") from None
    if actual != stated:
        raise BundleError(
            "content hash mismatch: the bundle was changed after it was exported "
            "(tampered with or damaged); ask for a fresh export"
        )
    try:
        bundle = BundleIn.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "the bundle"
        raise BundleError(f"invalid bundle ({where}: {first['msg']})") from None
    _check_meaning(bundle)
    return bundle


def _check_meaning(bundle: BundleIn) -> None:
    try:
        _clean_pseudonym(bundle.trainee.pseudonym)
        _clean_facets(bundle.trainee.facets)
    except StoreError as exc:
        raise BundleError(f"invalid bundle (trainee: {exc})") from None
    seen: set[str] = set()
    for i, s in enumerate(bundle.sessions):
        if s.id in seen:
            raise BundleError(f"invalid bundle (sessions.{i}: session {s.id} is listed twice)")
        seen.add(s.id)
        steps = [c.step for c in s.choices]
        if steps != list(range(len(steps))):
            raise BundleError(
                f"invalid bundle (sessions.{i}.choices: steps must run 0, 1, 2, ... in order)"
            )
        if s.status == "completed" and (s.ended_at is None or s.ending_id is None):
            raise BundleError(
                f"invalid bundle (sessions.{i}: a completed session needs ended_at and ending_id)"
            )
        if not bundle.include_reflections and (
            s.reflection is not None or any(c.free_text is not None for c in s.choices)
        ):
            raise BundleError(
                f"invalid bundle (sessions.{i}: typed text or a reflection although "
                "include_reflections is false)"
            )
    for i, raw in enumerate(bundle.packs):
        try:
            pack_from_json(raw)
        except ValueError as exc:
            raise BundleError(f"invalid bundle (packs.{i}: {exc})") from None


# ---------------------------------------------------------------- import


@dataclass(frozen=True)
class ImportResult:
    pseudonym: str
    sessions: int  # in the bundle
    imported: int  # new to this store
    updated: int  # a later state of a session already here
    unchanged: int  # already here, as in the bundle (or later)
    packs_added: int
    trainee_created: bool
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.imported or self.updated or self.packs_added or self.trainee_created)

    def message(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        if not self.changed:
            return f"already imported: {sessions(self.sessions)} of {self.pseudonym}"
        parts = [f"{verb} {sessions(self.imported)} of {self.pseudonym}"]
        if self.updated:
            parts.append(f"{'would update' if self.dry_run else 'updated'} {self.updated}")
        if self.unchanged:
            parts.append(f"{self.unchanged} already here")
        if self.packs_added:
            parts.append(f"{self.packs_added} assignment pack(s) added")
        return ", ".join(parts)


def sessions(n: int) -> str:
    return f"{n} session" if n == 1 else f"{n} sessions"


class _DryRun(Exception):
    def __init__(self, result: ImportResult) -> None:
        self.result = result


INSERT_FULL_SESSION = (
    "INSERT INTO sessions (id, trainee_id, scenario_id, scenario_version, content_hash, "
    "rubric_version, mode, status, started_at, ended_at, ending_id, assignment_id, summary) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
UPDATE_SESSION_STATE = (
    "UPDATE sessions SET status = ?, ended_at = ?, ending_id = ?, summary = ? WHERE id = ?"
)


def import_bundle(store: Store, data: Any, *, dry_run: bool = False) -> ImportResult:
    """Check the bundle, then load it in one transaction. Raises BundleError when refused."""
    bundle = check_bundle(data)
    packs = [pack_from_json(p) for p in bundle.packs]
    try:
        with store._transaction("import the bundle") as conn:
            result = _load(store, conn, bundle, packs, dry_run)
            if dry_run:
                raise _DryRun(result)
    except _DryRun as done:
        return done.result
    return result


def _load(
    store: Store, conn: sqlite3.Connection, bundle: BundleIn, packs: list[Pack], dry_run: bool
) -> ImportResult:
    name = _clean_pseudonym(bundle.trainee.pseudonym)
    facets = _dump(_clean_facets(bundle.trainee.facets))
    row = conn.execute(schema.SELECT_TRAINEE_BY_PSEUDONYM, (name,)).fetchone()
    created = row is None
    if row is None:
        conn.execute(schema.INSERT_TRAINEE, (name, facets, store._clock()))
        row = conn.execute(schema.SELECT_TRAINEE_BY_PSEUDONYM, (name,)).fetchone()
    elif row[2] != facets and bundle.trainee.facets:
        conn.execute(schema.UPDATE_FACETS, (facets, row[0]))
    trainee_id = int(row[0])
    packs_added = sum(_save_pack(store, conn, p) for p in packs)
    imported = updated = unchanged = 0
    for s in bundle.sessions:
        outcome = _load_session(conn, trainee_id, name, s)
        imported += outcome == "imported"
        updated += outcome == "updated"
        unchanged += outcome == "unchanged"
    return ImportResult(
        pseudonym=name,
        sessions=len(bundle.sessions),
        imported=imported,
        updated=updated,
        unchanged=unchanged,
        packs_added=packs_added,
        trainee_created=created,
        dry_run=dry_run,
    )


def _save_pack(store: Store, conn: sqlite3.Connection, pack: Pack) -> bool:
    """Add the pack unless the store has it; the supervisor's own copy wins over an older one."""
    digest = pack.content_hash()
    row = conn.execute(SELECT_PACK, (pack.id,)).fetchone()
    if row is not None:
        if row[1] == digest:
            return False
        mine = pack_from_json(json.loads(row[0]))
        if mine.version > pack.version:
            return False  # the trainee played an older version of the supervisor's pack
        if mine.version == pack.version:
            raise BundleError(
                f"its assignment pack '{pack.id}' (version {pack.version}) differs from the "
                "pack of that id and version in this store"
            )
    conn.execute(UPSERT_PACK, (pack.id, pack.cohort, pack.canonical(), digest, store._clock()))
    return True


_FIXED = ("scenario", "rubric_version", "mode", "started_at", "assignment_id")


def _core(doc: dict[str, Any]) -> dict[str, Any]:
    """What must match for a stored session to count as the bundle's (text left aside)."""
    out = {k: v for k, v in doc.items() if k != "reflection"}
    out["choices"] = [{k: v for k, v in c.items() if k != "free_text"} for c in doc["choices"]]
    return out


def _load_session(conn: sqlite3.Connection, trainee_id: int, name: str, s: SessionIn) -> str:
    incoming = _core(s.model_dump(exclude={"reflection"}))
    stored_row = conn.execute(schema.SELECT_SESSION, (s.id,)).fetchone()
    if stored_row is None:
        _insert_session(conn, trainee_id, s)
        return "imported"
    stored = _session(stored_row)
    if stored.trainee_id != trainee_id:
        raise BundleError(
            f"conflict: session {s.id} is already in this store as another trainee's, not {name}'s"
        )
    choices = [_choice(c) for c in conn.execute(schema.SELECT_CHOICES, (s.id,))]
    rep = conn.execute(schema.SELECT_SELF_REPORT, (s.id,)).fetchone()
    mine = _core(
        _session_doc(stored, choices, None if rep is None else _self_report(rep), None, False)
    )
    if mine == incoming:
        return "unchanged"
    same_start = all(mine[k] == incoming[k] for k in _FIXED)
    n_mine, n_in = len(mine["choices"]), len(incoming["choices"])
    if same_start and stored.status == "active":
        extends = incoming["choices"][:n_mine] == mine["choices"]
        if s.status != "active" or (extends and n_in >= n_mine):
            _replace_session(conn, s)
            return "updated"
    older = n_in <= n_mine and mine["choices"][:n_in] == incoming["choices"]
    if same_start and s.status == "active" and older:
        return "unchanged"  # an older copy of a session this store has a later state of
    raise BundleError(
        f"conflict: session {s.id} ({s.scenario.id}, started {s.started_at}) is already in "
        "this store with different content; nothing was imported"
    )


def _insert_session(conn: sqlite3.Connection, trainee_id: int, s: SessionIn) -> None:
    conn.execute(
        INSERT_FULL_SESSION,
        (
            s.id,
            trainee_id,
            s.scenario.id,
            s.scenario.version,
            s.scenario.content_hash,
            s.rubric_version,
            s.mode,
            s.status,
            s.started_at,
            s.ended_at,
            s.ending_id,
            s.assignment_id,
            None if s.summary is None else _dump(s.summary),
        ),
    )
    _write_parts(conn, s)


def _replace_session(conn: sqlite3.Connection, s: SessionIn) -> None:
    conn.execute(
        UPDATE_SESSION_STATE,
        (s.status, s.ended_at, s.ending_id, None if s.summary is None else _dump(s.summary), s.id),
    )
    conn.execute(schema.DELETE_CHOICES_OF_SESSION, (s.id,))
    _write_parts(conn, s)


def _write_parts(conn: sqlite3.Connection, s: SessionIn) -> None:
    for c in s.choices:
        conn.execute(
            schema.INSERT_CHOICE,
            (s.id, c.step, c.node, c.option, _dump(dict(c.stance)), c.free_text, c.at),
        )
    if s.self_report is not None:
        r = s.self_report
        conn.execute(
            schema.UPSERT_SELF_REPORT,
            (s.id, _dump(list(r.themes)), r.openness, r.trust, r.cooperation, r.at),
        )
    if s.reflection is not None:
        conn.execute(UPSERT_REFLECTION, (s.id, s.reflection.text, s.reflection.at))


__all__ = [
    "BUNDLE_FORMAT",
    "BUNDLE_FORMAT_VERSION",
    "MAX_BUNDLE_BYTES",
    "BundleError",
    "ImportResult",
    "bundle_bytes",
    "bundle_hash",
    "check_bundle",
    "default_file_name",
    "export_bundle",
    "import_bundle",
    "read_bundle_file",
]
