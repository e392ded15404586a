"""`intake-sim xapi send` against a real learning record store.

The store is Ralph (ralph-malph, installed by the `test` extra) with its file-system backend,
served by uvicorn on 127.0.0.1 and a free port. `ralph runserver` would do the same but always
runs uvicorn's auto-reloader (a file watcher and a second process); the fixture starts the same
ASGI app (`ralph.api:app`) directly, configured by Ralph's own environment variables, with
credentials made by `ralph auth`. Ralph checks every statement with its own pydantic models.

Ralph 5.1's file-system backend writes each batch to one fixed file that it refuses to
overwrite, so it stores only the first write it is sent; later writes of new statements get
HTTP 500 ("Statements bulk indexation failed"). Each test therefore gets a fresh Ralph, the
cohort goes in one batch, and that 500 serves as a real server error for the retry path.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from simulator.reports.xapi_rules import problems
from tests.clirun import run_cli

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
BIN = Path(sys.executable).parent
USER = "supervisor"
PASSWORD = "correct horse battery staple"  # a throwaway test credential


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Ralph:
    url: str  # the xAPI endpoint
    statements_file: Path
    log: Path

    def all_statements(self) -> list[dict[str, Any]]:
        """Every statement Ralph holds, read back through its own statements resource."""
        out: list[dict[str, Any]] = []
        url: str | None = self.url + "statements?limit=100"
        while url:
            r = requests.get(
                url,
                auth=(USER, PASSWORD),
                headers={"X-Experience-API-Version": "1.0.3"},
                timeout=30,
            )
            assert r.status_code == 200, r.text
            body = r.json()
            out.extend(body["statements"])
            more = body.get("more")
            url = (self.url.split("/xAPI/")[0] + more) if more else None
        return out


@pytest.fixture
def ralph(tmp_path: Path) -> Iterator[Ralph]:
    ralph_cli = BIN / "ralph"
    if not ralph_cli.exists():
        pytest.fail("Ralph is not installed: pip install -e '.[test]' (it brings ralph-malph)")
    home = tmp_path / "ralph"
    home.mkdir()
    store_dir = home / "statements"
    store_dir.mkdir()
    env = {
        **os.environ,
        "RALPH_APP_DIR": str(home),
        "RALPH_AUTH_FILE": str(home / "auth.json"),
        "RALPH_RUNSERVER_BACKEND": "fs",
        "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(store_dir),
        "RALPH_BACKENDS__DATA__FS__DEFAULT_DIRECTORY_PATH": str(store_dir),
    }
    made = subprocess.run(
        [
            *(str(ralph_cli), "auth", "-u", USER, "-p", PASSWORD, "-s", "all"),
            *("-A", USER, "https://lrs-users.example/", "-w"),
        ],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    port = free_port()
    log = home / "server.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "ralph.api:app"),
                *("--host", "127.0.0.1", "--port", str(port), "--log-level", "info"),
            ],
            env=env,
            cwd=home,  # Ralph also reads a .env file from here; there is none
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_up(server, port, log)
        yield Ralph(f"http://127.0.0.1:{port}/xAPI/", store_dir / "fs_lrs.jsonl", log)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _wait_until_up(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    # A guard against hanging forever if the server cannot start, not a speed check.
    for _ in range(600):
        if server.poll() is not None:
            pytest.fail(f"Ralph exited with {server.returncode}:\n{log.read_text()}")
        try:
            r = requests.get(f"http://127.0.0.1:{port}/__heartbeat__", timeout=5)
            if r.status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    pytest.fail(f"Ralph did not answer on port {port}:\n{log.read_text()}")


def cli(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> Any:
    return run_cli(*args, stdin=stdin, env=env, unset=("INTAKE_SIM_LRS_PASSWORD",), timeout=300)


TYPED = "What would you like me to understand about your family first"


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three trainees in one store: two finished the test scenario on different paths, one
    typed a response and stopped half-way (still active); plus one abandoned session."""
    data = tmp_path_factory.mktemp("cohort")
    runs = [
        ("river", [], "1\n1\n1\n1\n1\n"),
        ("stone", ["--mode", "assessment"], "3\n3\n3\n3\n3\n"),
        ("fern", ["--free-text"], f"{TYPED}\n"),
        ("fern", [], "2\n"),
    ]
    for who, extra, picks in runs:
        r = cli(
            "play", "minimal", "--plain", "--scenarios", str(DATA), "--data-dir", str(data),
            "--trainee", who, *extra, stdin=picks,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
    from simulator.store import Store

    with Store.open(data) as store:
        fern = store.get_trainee("fern")
        assert fern is not None
        unfinished = store.unfinished_sessions(fern.id)
        assert len(unfinished) == 2
        store.abandon_session(unfinished[0].id)  # the newer one, with one answer
    return data


def export(data: Path, *extra: str) -> list[dict[str, Any]]:
    r = cli("xapi", "export", "--data-dir", str(data), "--scenarios", str(DATA), *extra)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


def send(ralph: Ralph, data: Path, *extra: str, password: str = PASSWORD) -> Any:
    return cli(
        "xapi", "send", "--endpoint", ralph.url, "--user", USER,
        "--data-dir", str(data), "--scenarios", str(DATA), *extra,
        env={"INTAKE_SIM_LRS_PASSWORD": password},
    )  # fmt: skip


def _same(stored: dict[str, Any], ours: dict[str, Any]) -> None:
    """Ralph keeps what we sent; it only adds `stored` and `authority`."""
    for key in ("id", "actor", "verb", "object", "result", "context"):
        assert stored.get(key) == ours.get(key), key
    assert problems(stored) == []
    from datetime import datetime

    def when(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    assert when(stored["timestamp"]) == when(ours["timestamp"])
    assert "stored" in stored and stored["authority"]["account"]["name"] == USER


def test_send_read_back_and_resend(ralph: Ralph, cohort: Path) -> None:
    statements = export(cohort)
    assert all(problems(st) == [] for st in statements)
    kinds = {st["verb"]["id"].rsplit("/", 1)[1] for st in statements}
    assert kinds == {"initialized", "answered", "completed", "terminated", "abandoned"}
    n = len(statements)

    r = send(ralph, cohort)
    assert r.returncode == 0, r.stderr
    assert f"sent {n}, already present 0, failed 0" in r.stdout
    assert "Traceback" not in r.stderr

    held = {st["id"]: st for st in ralph.all_statements()}
    assert set(held) == {st["id"] for st in statements}  # Ralph accepted every one
    for st in statements:
        _same(held[st["id"]], st)
    lines_before = ralph.statements_file.read_text(encoding="utf-8").splitlines()
    assert len(lines_before) == n

    # Sending everything again changes nothing, whatever the batch size.
    for size in ("100", "3"):
        r = send(ralph, cohort, "--batch-size", size)
        assert r.returncode == 0, r.stderr
        assert f"sent 0, already present {n}, failed 0" in r.stdout
    assert len(ralph.all_statements()) == n
    assert ralph.statements_file.read_text(encoding="utf-8").splitlines() == lines_before

    # The typed response never left the store; neither did the password.
    assert TYPED not in ralph.statements_file.read_text(encoding="utf-8")
    assert PASSWORD not in r.stdout + r.stderr


def test_a_different_statement_under_a_sent_id_is_a_clear_failure(
    ralph: Ralph, cohort: Path
) -> None:
    assert send(ralph, cohort).returncode == 0
    before = ralph.all_statements()
    # The same events under another account home page: same ids, different statements.
    r = send(ralph, cohort, "--trainee", "stone", "--home-page", "https://other.example/people")
    assert r.returncode == 1
    stone = export(cohort, "--trainee", "stone")
    assert f"sent 0, already present 0, failed {len(stone)}" in r.stdout
    assert "HTTP 409" in r.stdout and "different statement with this id" in r.stdout
    assert "sending one by one" in r.stderr
    assert "Traceback" not in r.stderr
    assert ralph.all_statements() == before


def test_server_errors_are_retried_then_reported(ralph: Ralph, cohort: Path) -> None:
    # river's sessions are Ralph's first write; everyone's afterwards is a second write,
    # which Ralph's file-system backend answers with HTTP 500 every time.
    r = send(ralph, cohort, "--trainee", "river")
    assert r.returncode == 0, r.stderr
    n = len(export(cohort))
    r = send(ralph, cohort, "--retries", "2", "--backoff", "0")
    assert r.returncode == 1
    assert "attempt 1 of 3 failed (HTTP 500: Statements bulk indexation failed)" in r.stderr
    assert "gave up after 3 attempts" in r.stderr
    assert f"sent 0, already present 0, failed {n}" in r.stdout
    assert "Traceback" not in r.stderr


def test_wrong_password(ralph: Ralph, cohort: Path) -> None:
    wrong = "not-the-password-42"
    r = send(ralph, cohort, password=wrong)
    assert r.returncode == 1
    assert f"the LRS refused the credentials of user '{USER}' (HTTP 401" in r.stderr
    assert "sent 0, already present 0, failed" in r.stdout
    assert "Traceback" not in r.stderr
    assert wrong not in r.stdout + r.stderr
    assert ralph.all_statements() == []


def test_lrs_down(cohort: Path) -> None:
    port = free_port()  # nothing listens here
    r = cli(
        "xapi", "send", "--endpoint", f"http://127.0.0.1:{port}/xAPI/", "--user", USER,
        "--retries", "2", "--backoff", "0.05",
        "--data-dir", str(cohort), "--scenarios", str(DATA),
        env={"INTAKE_SIM_LRS_PASSWORD": PASSWORD},
    )  # fmt: skip
    assert r.returncode == 1
    n = len(export(cohort))
    assert "attempt 1 of 3 failed (connection refused); retrying in 0.05 s" in r.stderr
    assert "attempt 2 of 3 failed (connection refused); retrying in 0.1 s" in r.stderr
    assert "could not be reached: connection refused (gave up after 3 attempts)" in r.stderr
    assert f"sent 0, already present 0, failed {n}" in r.stdout
    assert "Traceback" not in r.stderr
    assert PASSWORD not in r.stdout + r.stderr
