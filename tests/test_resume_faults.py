"""kill -9 a real plain-mode session at random moments, then --resume: nothing acknowledged is lost."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import DATA, ROOT

TRIALS = 20
ANSWERS = ["1", "2", "1", "1"]  # minimal: first.open, second.power, third.plan (3 decisions)


def _start(data_dir: Path, resume: bool) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "simulator", "play", "minimal", "--plain", "--json"]
    args += ["--scenarios", str(DATA)] + (["--resume"] if resume else [])
    return subprocess.Popen(
        args,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "INTAKE_SIM_DATA_DIR": str(data_dir)},
        bufsize=1,
    )


def _stored(data_dir: Path) -> list[tuple[int, str]]:
    con = sqlite3.connect(data_dir / "intake-sim.sqlite3")
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return [(s, o) for s, o in con.execute("SELECT step, option_id FROM choices ORDER BY step")]
    finally:
        con.close()


def test_kill_9_at_random_moments_then_resume(tmp_path: Path) -> None:
    rng = random.Random(20261122)
    for trial in range(TRIALS):
        data_dir = tmp_path / f"t{trial}"
        proc = _start(data_dir, resume=False)
        assert proc.stdin and proc.stdout
        acked = 0
        kill_after = rng.randrange(0, 3)  # answers to send before the kill
        sent = 0
        for answer in ANSWERS[: kill_after + 1]:
            proc.stdin.write(answer + "\n")
            proc.stdin.flush()
            sent += 1
            if sent <= kill_after:
                # Feedback is printed only after the choice is committed: that is the ack.
                for line in proc.stdout:
                    if line.startswith("You said:"):
                        acked += 1
                        break
        time.sleep(rng.random() * 0.05)  # the last answer may be mid-write when the kill lands
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        proc.stdin.close()
        if proc.stderr:
            proc.stderr.close()
        if not (data_dir / "intake-sim.sqlite3").exists():
            assert acked == 0
            continue
        stored = _stored(data_dir)
        assert [s for s, _ in stored] == list(range(len(stored))), "steps must be contiguous"
        assert acked <= len(stored) <= sent, (trial, acked, stored, sent)
        # Resume: opens at the first unanswered decision and finishes without double counting.
        remaining = "\n".join(ANSWERS[len(stored) :]) + "\n"
        con = sqlite3.connect(data_dir / "intake-sim.sqlite3")
        statuses = [row[0] for row in con.execute("SELECT status FROM sessions")]
        con.close()
        has_session = bool(statuses)
        if statuses == ["completed"]:  # the last answer finished the intake before the kill
            assert [o for _, o in stored] == ["open", "power", "plan"]
            continue
        resume = ["--resume"] if has_session else []  # killed before the session was created
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "simulator",
                "play",
                "minimal",
                "--plain",
                "--json",
                *resume,
                "--scenarios",
                str(DATA),
            ],
            input=remaining,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "INTAKE_SIM_DATA_DIR": str(data_dir)},
            timeout=60,
        )
        assert r.returncode == 0, r.stderr
        if stored:
            assert f"Resuming at decision {len(stored) + 1}" in r.stdout
        summary = json.loads(r.stdout.strip().splitlines()[-1])
        assert summary["path"][:3] == ["first", "second", "third"] and summary["ending"]
        final = _stored(data_dir)
        assert [s for s, _ in final] == [0, 1, 2]
        assert [o for _, o in final] == ["open", "power", "plan"]
