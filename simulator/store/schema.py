"""The database schema and every SQL statement the store runs."""

from __future__ import annotations

# 2: workshop tables. 3: session leases (one browser tab per trainee). 4: assignment packs and
# private reflections. Every table is CREATE ... IF NOT EXISTS, so an older store is brought up
# to date by running CREATE_SCHEMA again (connection._create_or_migrate).
SCHEMA_VERSION = 4
# Written to the file header so a stray SQLite file is not mistaken for ours ("ISIM").
APPLICATION_ID = 0x4953494D
BUSY_TIMEOUT_MS = 30_000
SQLITE_MAGIC = b"SQLite format 3\x00"

# Per-connection settings; journal_mode is set separately because its answer must be checked.
SET_BUSY_TIMEOUT = "PRAGMA busy_timeout = {ms:d}"
CONNECTION_PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    # Erased trainee data must not linger in free pages.
    "PRAGMA secure_delete = ON",
)
SET_WAL = "PRAGMA journal_mode = WAL"
GET_JOURNAL_MODE = "PRAGMA journal_mode"  # the mode itself: simulator/store/sqlite_safety.py
SET_SYNCHRONOUS_FULL = "PRAGMA synchronous = FULL"
GET_USER_VERSION = "PRAGMA user_version"
GET_APPLICATION_ID = "PRAGMA application_id"
QUICK_CHECK = "PRAGMA quick_check"
INTEGRITY_CHECK = "PRAGMA integrity_check"
SET_JOURNAL_DELETE = "PRAGMA journal_mode = DELETE"
CHECKPOINT_TRUNCATE = "PRAGMA wal_checkpoint(TRUNCATE)"
VACUUM = "VACUUM"
COUNT_OBJECTS = "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"

BEGIN = "BEGIN IMMEDIATE"
BEGIN_READ = "BEGIN"  # a consistent snapshot for multi-statement reads
COMMIT = "COMMIT"
ROLLBACK = "ROLLBACK"

CREATE_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS trainees (
        id         INTEGER PRIMARY KEY,
        pseudonym  TEXT NOT NULL UNIQUE COLLATE NOCASE,
        facets     TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS sessions (
        id               TEXT PRIMARY KEY,
        trainee_id       INTEGER NOT NULL REFERENCES trainees(id) ON DELETE CASCADE,
        scenario_id      TEXT NOT NULL,
        scenario_version TEXT NOT NULL,
        content_hash     TEXT NOT NULL,
        rubric_version   TEXT NOT NULL,
        mode             TEXT NOT NULL,
        status           TEXT NOT NULL DEFAULT 'active'
                         CHECK (status IN ('active', 'completed', 'abandoned')),
        started_at       TEXT NOT NULL,
        ended_at         TEXT,
        ending_id        TEXT,
        assignment_id    TEXT,
        summary          TEXT
    )
    """,
    "CREATE INDEX IF NOT EXISTS sessions_by_trainee ON sessions (trainee_id, status)",
    """
    CREATE TABLE IF NOT EXISTS choices (
        id         INTEGER PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        step       INTEGER NOT NULL CHECK (step >= 0),
        node_id    TEXT NOT NULL,
        option_id  TEXT NOT NULL,
        stance     TEXT NOT NULL DEFAULT '{}',
        free_text  TEXT,
        at         TEXT NOT NULL,
        UNIQUE (session_id, step)
    )
    """,
    # The trainee's own post-intake answers, set beside the client's account in the debrief.
    """
    CREATE TABLE IF NOT EXISTS self_reports (
        session_id  TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
        themes      TEXT NOT NULL DEFAULT '[]',
        openness    INTEGER NOT NULL CHECK (openness BETWEEN 1 AND 5),
        trust       INTEGER NOT NULL CHECK (trust BETWEEN 1 AND 5),
        cooperation INTEGER NOT NULL CHECK (cooperation BETWEEN 1 AND 5),
        at          TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS settings (
        trainee_id INTEGER PRIMARY KEY REFERENCES trainees(id) ON DELETE CASCADE,
        value      TEXT NOT NULL DEFAULT '{}'
    )
    """,
    # Workshop rooms (simulator/store/workshop.py): the code, the scenario and a pause point.
    """
    CREATE TABLE IF NOT EXISTS workshop_rooms (
        cohort      TEXT PRIMARY KEY,
        code        TEXT NOT NULL,
        scenario_id TEXT,
        paused_node TEXT,
        updated_at  TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS workshop_members (
        session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
        cohort     TEXT NOT NULL,
        trainee_id INTEGER NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS workshop_members_by_cohort ON workshop_members (cohort)",
    # Which process plays as the trainee now (simulator/store/leases.py): a second browser tab
    # takes the lease over or is refused, and the first tab's writes are refused from then on.
    """
    CREATE TABLE IF NOT EXISTS session_leases (
        trainee_id   INTEGER PRIMARY KEY REFERENCES trainees(id) ON DELETE CASCADE,
        owner        TEXT NOT NULL,
        pid          INTEGER NOT NULL,
        host         TEXT NOT NULL,
        heartbeat_at REAL NOT NULL
    )
    """,
    # Assignment packs opened or imported here (simulator/store/assignments.py), as JSON.
    """
    CREATE TABLE IF NOT EXISTS assignments (
        id           TEXT PRIMARY KEY,
        cohort       TEXT NOT NULL,
        pack         TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        added_at     TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS sessions_by_assignment ON sessions (assignment_id)",
    # A trainee's optional private note after a session: never scored, never logged, left out
    # of bundles and reports unless --include-reflections (simulator/store/reflections.py).
    """
    CREATE TABLE IF NOT EXISTS reflections (
        session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
        text       TEXT NOT NULL,
        at         TEXT NOT NULL
    )
    """,
    f"PRAGMA application_id = {APPLICATION_ID}",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)
SET_META = "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"

# Trainees (column order matches db._trainee)
SELECT_TRAINEE_BY_PSEUDONYM = (
    "SELECT id, pseudonym, facets, created_at FROM trainees WHERE pseudonym = ?"
)
SELECT_TRAINEE_BY_ID = "SELECT id, pseudonym, facets, created_at FROM trainees WHERE id = ?"
SELECT_TRAINEES = "SELECT id, pseudonym, facets, created_at FROM trainees ORDER BY id"
INSERT_TRAINEE = "INSERT INTO trainees (pseudonym, facets, created_at) VALUES (?, ?, ?)"
UPDATE_FACETS = "UPDATE trainees SET facets = ? WHERE id = ?"

# Sessions (column order matches db._session)
_SELECT_SESSIONS = (
    "SELECT id, trainee_id, scenario_id, scenario_version, content_hash, rubric_version, "
    "mode, status, started_at, ended_at, ending_id, assignment_id, summary FROM sessions "
)
INSERT_SESSION = (
    "INSERT INTO sessions (id, trainee_id, scenario_id, scenario_version, content_hash, "
    "rubric_version, mode, status, started_at, assignment_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)"
)
SELECT_SESSION = _SELECT_SESSIONS + "WHERE id = ?"
# rowid breaks ties between sessions started within the same clock tick.
SELECT_UNFINISHED = (
    _SELECT_SESSIONS
    + "WHERE trainee_id = ? AND status = 'active' ORDER BY started_at DESC, rowid DESC"
)
SELECT_UNFINISHED_FOR_SCENARIO = (
    _SELECT_SESSIONS + "WHERE trainee_id = ? AND status = 'active' AND scenario_id = ? "
    "ORDER BY started_at DESC, rowid DESC"
)
SELECT_SESSIONS_FOR_TRAINEE = (
    _SELECT_SESSIONS + "WHERE trainee_id = ? ORDER BY started_at DESC, rowid DESC"
)
COMPLETE_SESSION = (
    "UPDATE sessions SET status = 'completed', ended_at = ?, ending_id = ?, summary = ? "
    "WHERE id = ?"
)
ABANDON_SESSION = "UPDATE sessions SET status = 'abandoned', ended_at = ? WHERE id = ?"

# Choices (column order matches db._choice)
SELECT_CHOICES = (
    "SELECT session_id, step, node_id, option_id, stance, free_text, at FROM choices "
    "WHERE session_id = ? ORDER BY step"
)
SELECT_CHOICE_AT = (
    "SELECT node_id, option_id, stance FROM choices WHERE session_id = ? AND step = ?"
)
COUNT_CHOICES = "SELECT count(*) FROM choices WHERE session_id = ?"
INSERT_CHOICE = (
    "INSERT INTO choices (session_id, step, node_id, option_id, stance, free_text, at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
DELETE_CHOICES_FROM = "DELETE FROM choices WHERE session_id = ? AND step >= ?"

# Self-reports and settings
UPSERT_SELF_REPORT = (
    "INSERT INTO self_reports (session_id, themes, openness, trust, cooperation, at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (session_id) DO UPDATE SET themes = excluded.themes, "
    "openness = excluded.openness, trust = excluded.trust, cooperation = excluded.cooperation, "
    "at = excluded.at"
)
_SELECT_SELF_REPORTS = "SELECT r.session_id, r.themes, r.openness, r.trust, r.cooperation, r.at FROM self_reports AS r "
SELECT_SELF_REPORT = _SELECT_SELF_REPORTS + "WHERE r.session_id = ?"
SELECT_SELF_REPORTS_FOR_TRAINEE = (
    _SELECT_SELF_REPORTS + "JOIN sessions AS s ON s.id = r.session_id WHERE s.trainee_id = ? "
    "ORDER BY s.started_at, s.rowid"
)
SELECT_SETTINGS = "SELECT value FROM settings WHERE trainee_id = ?"
UPSERT_SETTINGS = (
    "INSERT INTO settings (trainee_id, value) VALUES (?, ?) "
    "ON CONFLICT (trainee_id) DO UPDATE SET value = excluded.value"
)

# Privacy
SELECT_SESSION_IDS_FOR_TRAINEE = "SELECT id FROM sessions WHERE trainee_id = ? ORDER BY rowid"
DELETE_SELF_REPORTS_OF_TRAINEE = (
    "DELETE FROM self_reports WHERE session_id IN (SELECT id FROM sessions WHERE trainee_id = ?)"
)
DELETE_SETTINGS_OF_TRAINEE = "DELETE FROM settings WHERE trainee_id = ?"
DELETE_CHOICES_OF_TRAINEE = (
    "DELETE FROM choices WHERE session_id IN (SELECT id FROM sessions WHERE trainee_id = ?)"
)
DELETE_SESSIONS_OF_TRAINEE = "DELETE FROM sessions WHERE trainee_id = ?"
DELETE_TRAINEE = "DELETE FROM trainees WHERE id = ?"

# Semantic checks and repairs (run by `check`, all inside one transaction)
SELECT_SESSIONS_WITHOUT_TRAINEE = (
    "SELECT s.id, s.trainee_id FROM sessions AS s "
    "WHERE NOT EXISTS (SELECT 1 FROM trainees AS t WHERE t.id = s.trainee_id) ORDER BY s.id"
)
DELETE_CHOICES_OF_SESSION = "DELETE FROM choices WHERE session_id = ?"
DELETE_SESSION = "DELETE FROM sessions WHERE id = ?"
SELECT_ORPHAN_CHOICE_SESSIONS = (
    "SELECT c.session_id, count(*) FROM choices AS c "
    "WHERE NOT EXISTS (SELECT 1 FROM sessions AS s WHERE s.id = c.session_id) "
    "GROUP BY c.session_id ORDER BY c.session_id"
)
# A session has a gap when its step count differs from max(step) + 1 (steps are unique).
SELECT_SESSIONS_WITH_GAPS = (
    "SELECT session_id FROM choices GROUP BY session_id "
    "HAVING count(*) != max(step) + 1 ORDER BY session_id"
)
SELECT_STEPS = "SELECT step FROM choices WHERE session_id = ? ORDER BY step"
SELECT_COMPLETED_WITHOUT_END = (
    "SELECT id FROM sessions WHERE status = 'completed' AND ended_at IS NULL ORDER BY id"
)
SET_ENDED_AT_TO_STARTED_AT = "UPDATE sessions SET ended_at = started_at WHERE id = ?"
