"""Fault injection with real processes and real files: kill -9, many writers, disk full, SIGTERM.

The writer is tests/store_writer.py; every `ACK <step>` it prints was printed after COMMIT
returned, so each acknowledged step must survive whatever happens to the process next.
Randomness is seeded (override with STORE_FAULT_SEED) so a failure can be replayed.
"""

from __future__ import annotations

import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from simulator import paths
from simulator.store import Store
from simulator.store.errors import CHOICE_NOT_SAVED_FULL

WRITER = Path(__file__).with_name("store_writer.py")
ROOT = WRITER.parents[1]
SEED = int(os.environ.get("STORE_FAULT_SEED", "20240501"))
# Generous ceilings so a hung process fails the test instead of hanging it; never asserted on.
HANG_GUARD_S = 600

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and rlimits")


def _writer(
    data_dir: Path,
    session_id: str,
    n: int,
    *extra: str,
    preexec: Callable[[], None] | None = None,
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(data_dir), session_id, str(n), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        preexec_fn=preexec,
    )


def _drain(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """The rest of stdout, and stderr, once the process ends.

    Not communicate(): it reads the pipe directly and would drop whatever readline() has
    already pulled into the stream's buffer, i.e. acknowledgements.
    """
    assert proc.stdout is not None and proc.stderr is not None
    rest = proc.stdout.read()
    err = proc.stderr.read()
    proc.wait(timeout=HANG_GUARD_S)
    return rest, err


def _acks(lines: list[str]) -> list[int]:
    return [int(line.split()[1]) for line in lines if line.startswith("ACK ")]


def _integrity(data_dir: Path) -> str:
    conn = sqlite3.connect(paths.db_path(data_dir))
    try:
        return "\n".join(r[0] for r in conn.execute("PRAGMA integrity_check").fetchall())
    finally:
        conn.close()


def _stored_steps(data_dir: Path, session_id: str) -> list[int]:
    if not paths.db_path(data_dir).exists():
        return []
    conn = sqlite3.connect(paths.db_path(data_dir))
    try:
        has_table = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'choices'"
        ).fetchone()
        if has_table is None:
            return []
        rows = conn.execute(
            "SELECT step FROM choices WHERE session_id = ? ORDER BY step", (session_id,)
        ).fetchall()
        return [r[0] for r in rows]
    finally:
        conn.close()


def _run_to_end(data_dir: Path, session_id: str, n: int) -> subprocess.CompletedProcess[str]:
    proc = _writer(data_dir, session_id, n)
    out, err = proc.communicate(timeout=HANG_GUARD_S)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


# -- 1. kill -9 at random moments -----------------------------------------------------------

KILL_TRIALS = 24
KILL_N = 100


def test_kill_9_at_random_moments_loses_no_acknowledged_choice(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    interrupted = 0
    for trial in range(KILL_TRIALS):
        where = f"trial {trial} (STORE_FAULT_SEED={SEED})"
        # Trials share a data directory two at a time: half start on a fresh file (a kill can
        # land while the schema is created), half on a file that already holds sessions.
        data_dir = tmp_path / f"data-{trial // 2}"
        session_id = f"s{trial}"
        proc = _writer(data_dir, session_id, KILL_N)
        assert proc.stdout is not None
        lines: list[str] = []
        # The writer runs ahead of what has been read, so stop reading well short of N.
        kill_after = rng.randrange(0, KILL_N * 2 // 3)
        if kill_after == 0:
            time.sleep(rng.uniform(0.0, 0.2))  # somewhere in start-up, open or the first write
        else:
            while len(_acks(lines)) < kill_after:
                line = proc.stdout.readline()
                if not line:
                    break
                lines.append(line.strip())
            time.sleep(rng.uniform(0.0, 0.01))
        proc.send_signal(signal.SIGKILL)
        rest, err = _drain(proc)
        # Lines still in the pipe were printed after their commits too: they count.
        lines.extend(rest.splitlines())
        assert "Traceback" not in err, f"{where}: {err}"
        acked = _acks(lines)

        if paths.db_path(data_dir).exists():
            assert _integrity(data_dir) == "ok", where
        steps = _stored_steps(data_dir, session_id)
        assert set(acked) <= set(steps), f"{where}: acked {acked}, stored {steps}"
        assert steps == list(range(len(steps))), f"{where}: steps not contiguous: {steps}"
        # At most the one commit whose ACK the kill cut off is stored unacknowledged.
        assert len(steps) - len(acked) <= 1, f"{where}: acked {acked}, stored {steps}"
        interrupted += len(steps) < KILL_N

        done = _run_to_end(data_dir, session_id, KILL_N)
        assert done.returncode == 0, f"{where}: {done.stderr}"
        assert _integrity(data_dir) == "ok", where
        assert _stored_steps(data_dir, session_id) == list(range(KILL_N)), where
    # Guard against a vacuous run in which the writers finished before every kill.
    assert interrupted >= KILL_TRIALS // 2, f"only {interrupted} kills landed mid-run"


# -- 2. many concurrent writers -------------------------------------------------------------

WRITERS = 30
CHOICES_EACH = 100


def test_thirty_concurrent_writers_all_land(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"  # not created beforehand: the writers race to create it too
    procs = [_writer(data_dir, f"w{i}", CHOICES_EACH) for i in range(WRITERS)]
    results = [(p, *p.communicate(timeout=HANG_GUARD_S)) for p in procs]
    for i, (proc, out, err) in enumerate(results):
        assert proc.returncode == 0, f"writer {i}: {err}"
        assert "locked" not in err and "Traceback" not in err, f"writer {i}: {err}"
        assert _acks(out.splitlines()) == list(range(CHOICES_EACH)), f"writer {i}"

    assert _integrity(data_dir) == "ok"
    conn = sqlite3.connect(paths.db_path(data_dir))
    try:
        assert conn.execute("SELECT count(*) FROM choices").fetchone()[0] == WRITERS * CHOICES_EACH
        per_session = conn.execute(
            "SELECT session_id, count(*), min(step), max(step) FROM choices GROUP BY session_id"
        ).fetchall()
        assert conn.execute("SELECT count(*) FROM trainees").fetchone()[0] == 1
    finally:
        conn.close()
    assert sorted(per_session) == sorted(
        (f"w{i}", CHOICES_EACH, 0, CHOICES_EACH - 1) for i in range(WRITERS)
    )


# -- 3. disk full ---------------------------------------------------------------------------


def _file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        # Ignored, SIGXFSZ no longer kills the child: the write fails with EFBIG instead.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_disk_full_loses_nothing_acknowledged_and_recovers(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        trainee = store.get_or_create_trainee("writer")
        store.start_session(trainee.id, "fault-scenario", "1", "h", "r", "practice", session_id="S")
        # Padding, so the limit below sits well past the files that already exist.
        pad = store.start_session(trainee.id, "padding", "1", "h", "r", "practice").id
        for step in range(40):
            store.record_choice(pad, step, "n", "o", None, "p" * 1000)
    size = paths.db_path(data_dir).stat().st_size
    limit = size + 256 * 1024  # the write-ahead log reaches this within a few dozen choices

    proc = _writer(data_dir, "S", 100_000, "--text-bytes", "1000", preexec=_file_size_limit(limit))
    out, err = proc.communicate(timeout=HANG_GUARD_S)
    lines = out.splitlines()
    assert proc.returncode == 3, f"{out[-500:]}\n{err}"
    assert err == "", err  # no traceback: the message went to stdout as one line
    assert lines[-1] == f"DISKFULL {CHOICE_NOT_SAVED_FULL}"
    acked = _acks(lines)
    assert acked == list(range(len(acked))) and len(acked) > 0

    assert _integrity(data_dir) == "ok"
    assert _stored_steps(data_dir, "S") == acked  # nothing unacknowledged slipped in either
    with Store.open(data_dir) as store:
        # Space is back (no limit in this process): the failed choice goes through on retry.
        nxt = len(acked)
        assert store.record_choice("S", nxt, f"node-{nxt}", f"option-{nxt % 3}", None) is True
        assert [c.step for c in store.choices("S")] == [*acked, nxt]
        assert store.check().clean


# -- 4. SIGTERM during writes ---------------------------------------------------------------

TERM_TRIALS = 5


def test_sigterm_finishes_the_transaction_and_exits_cleanly(tmp_path: Path) -> None:
    rng = random.Random(SEED + 1)
    data_dir = tmp_path / "data"
    for trial in range(TERM_TRIALS):
        where = f"trial {trial} (STORE_FAULT_SEED={SEED})"
        session_id = f"t{trial}"
        proc = _writer(data_dir, session_id, 100_000)
        assert proc.stdout is not None
        lines: list[str] = []
        # At least one ACK first, so the handler is installed before the signal arrives.
        wanted = rng.randrange(1, 40)
        while len(_acks(lines)) < wanted:
            line = proc.stdout.readline()
            assert line, f"{where}: writer ended early"
            lines.append(line.strip())
        time.sleep(rng.uniform(0.0, 0.01))
        proc.send_signal(signal.SIGTERM)
        rest, err = _drain(proc)
        lines.extend(rest.splitlines())
        assert proc.returncode == 0, f"{where}: {err}"
        assert err == "", f"{where}: {err}"
        assert lines[-1] == "TERM", where
        acked = _acks(lines)
        assert _integrity(data_dir) == "ok", where
        assert _stored_steps(data_dir, session_id) == acked, where
