"""Privacy through the command line: typed text and private notes stay out of every output
unless asked for, a trainee's own export holds everything, and erasure leaves no trace."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.clirun import run_cli
from tests.conftest import DATA, ROOT

TYPED = "zebra-quartz words"
NOTE = "my private lantern note"
NAME = "Quillonette"
WHAT = "1 session, 3 choices, 1 typed response, 1 reflection"


def run(*args: str, cwd: Path, stdin: str = "") -> Any:
    return run_cli(*args, cwd=cwd, stdin=stdin, unset=("INTAKE_SIM_DATA_DIR",))


def ok(*args: str, cwd: Path, stdin: str = "") -> Any:
    r = run(*args, cwd=cwd, stdin=stdin)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    return r


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A supervisor's store with a pack, and one trainee who typed a response and kept a note."""
    w = tmp_path_factory.mktemp("privacy")
    scen = str(DATA)
    ok(
        "assign", "new", "--scenarios", scen, "--id", "week-1", "--title", "Week one",
        "--scenario", "minimal", "--free-text", "--threshold", "asking=40", "-o", "week-1.yaml",
        cwd=w,
    )  # fmt: skip
    ok("assign", "add", "week-1.yaml", "--scenarios", scen, "--data-dir", "sup", cwd=w)
    ok("assign", "add", "week-1.yaml", "--scenarios", scen, "--data-dir", "me", cwd=w)
    play = ok(
        "play", "minimal", "--plain", "--free-text", "--assignment", "week-1", "--scenarios",
        scen, "--trainee", NAME, "--data-dir", "me",
        cwd=w, stdin=f"Tell me what brings you here, {TYPED}\n1\n1\n{NOTE}\n",
    )  # fmt: skip
    assert "Note saved" in play.stdout
    ok("db", "--data-dir", "me", "backup", cwd=w)
    return w


def test_a_trainees_own_export_holds_everything(world: Path) -> None:
    r = ok("trainee", "export", NAME, "--data-dir", "me", cwd=world)
    doc = json.loads(r.stdout)
    assert doc["trainee"]["pseudonym"] == NAME
    assert doc["sessions"][0]["choices"][0]["free_text"].endswith(TYPED)
    assert [n["text"] for n in doc["reflections"]] == [NOTE]
    assert [a["id"] for a in doc["assignments"]] == ["week-1"]
    out = world / "mine.json"
    r = ok("trainee", "export", NAME, "-o", str(out), "--data-dir", "me", cwd=world)
    assert r.stdout.startswith(f"Wrote {out}: everything stored about {NAME} (1 session")
    assert json.loads(out.read_text(encoding="utf-8"))["reflections"][0]["text"] == NOTE
    r = run("trainee", "export", "Nobody", "--data-dir", "me", cwd=world)
    assert r.returncode == 1 and "no trainee called 'Nobody'" in r.stderr


def test_typed_text_and_notes_are_in_no_output_without_the_flag(world: Path) -> None:
    outputs: dict[str, str] = {}
    r = ok("export", "--trainee", NAME, "-o", "plain.json", "--data-dir", "me", cwd=world)
    outputs["export stdout"] = r.stdout + r.stderr
    outputs["bundle"] = (world / "plain.json").read_text(encoding="utf-8")
    r = ok("import", "plain.json", "--data-dir", "sup", cwd=world)
    outputs["import"] = r.stdout + r.stderr
    for store in ("sup", "me"):
        base = ("report", "--assignment", "week-1", "--scenarios", str(DATA), "--data-dir", store)
        outputs[f"report text {store}"] = ok(*base, cwd=world).stdout
        outputs[f"report json {store}"] = ok(*base, "--json", cwd=world).stdout
        ok(*base, "--html", f"r-{store}.html", "--csv", f"r-{store}.csv", cwd=world)
        outputs[f"html {store}"] = (world / f"r-{store}.html").read_text(encoding="utf-8")
        outputs[f"csv {store}"] = (world / f"r-{store}.csv").read_text(encoding="utf-8")
        xapi = ok("xapi", "export", "--scenarios", str(DATA), "--data-dir", store, cwd=world)
        outputs[f"xapi {store}"] = xapi.stdout + xapi.stderr
    # The report really covers the session (so the absence below means something).
    report = json.loads(outputs["report json sup"])
    assert [t["pseudonym"] for t in report["trainees"]["results"]] == [NAME]
    assert '"verb"' in outputs["xapi sup"] and NAME in outputs["xapi sup"]
    for what, text in outputs.items():
        assert TYPED not in text, what
        assert NOTE not in text, what
    # The app keeps no log file; if one appears it must not hold free text either.
    for log in world.rglob("*.log"):
        text = log.read_text(encoding="utf-8", errors="replace")
        assert TYPED not in text and NOTE not in text, log


def test_the_flag_brings_typed_text_in_where_it_exists(world: Path) -> None:
    ok(
        "export", "--trainee", NAME, "-o", "full.json", "--include-reflections",
        "--data-dir", "me", cwd=world,
    )  # fmt: skip
    bundle = (world / "full.json").read_text(encoding="utf-8")
    assert TYPED in bundle and NOTE in bundle
    base = ("report", "--assignment", "week-1", "--scenarios", str(DATA), "--data-dir", "me")
    flagged = (*base, "--include-reflections")
    assert TYPED in ok(*flagged, "--json", cwd=world).stdout
    assert TYPED in ok(*flagged, cwd=world).stdout
    ok(*flagged, "--html", "f.html", "--csv", "f.csv", cwd=world)
    assert TYPED in (world / "f.html").read_text(encoding="utf-8")
    assert TYPED in (world / "f.csv").read_text(encoding="utf-8")
    # Private notes are for the trainee: reports never show them, flag or not.
    assert NOTE not in (world / "f.html").read_text(encoding="utf-8")
    xapi = ok(
        "xapi", "export", "--include-reflections", "--scenarios", str(DATA), "--data-dir", "me",
        cwd=world,
    )  # fmt: skip
    assert TYPED in xapi.stdout


def _erase_on_a_terminal(world: Path, data_dir: str, answer: str) -> tuple[int, str]:
    """`trainee erase` with its standard input on a pseudo-terminal, answering `answer`."""
    leader, follower = pty.openpty()
    try:
        env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "simulator", "trainee", "erase", NAME, "--data-dir", data_dir],
            stdin=follower,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=world,
            env=env,
            text=True,
        )
        os.write(leader, (answer + "\n").encode())
        out, _ = proc.communicate(timeout=120)
        return proc.returncode, out
    finally:
        os.close(leader)
        os.close(follower)


def _files_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


def test_erase_asks_on_a_terminal_and_leaves_no_trace(world: Path) -> None:
    me = world / "me"
    assert NAME.encode() in _files_bytes(me) and NOTE.encode() in _files_bytes(me)
    r = run("trainee", "erase", NAME, "--data-dir", "me", cwd=world)
    assert r.returncode == 1 and "add --yes" in r.stderr
    code, out = _erase_on_a_terminal(world, "me", "no")
    assert code == 1 and "Type yes to erase" in out and "Nothing was erased." in out
    assert f"This removes {NAME} and {WHAT}, also from backups." in out
    assert NAME.encode() in _files_bytes(me)
    code, out = _erase_on_a_terminal(world, "me", "yes")
    assert code == 0, out
    assert f"Erased {NAME}: {WHAT}. The database file was rewritten." in out
    # The database, its journal and the backup made earlier: none holds a trace.
    blob = _files_bytes(me)
    for secret in (NAME, TYPED, NOTE):
        assert secret.encode() not in blob, secret
    r = run("trainee", "export", NAME, "--data-dir", "me", cwd=world)
    assert r.returncode == 1 and "no trainee called" in r.stderr
    r = run("trainee", "erase", NAME, "--yes", "--data-dir", "me", cwd=world)
    assert r.returncode == 1 and "no trainee called" in r.stderr


def test_erase_with_yes_in_the_supervisors_store(world: Path) -> None:
    ok("import", "full.json", "--data-dir", "sup2", cwd=world)
    r = ok("trainee", "erase", NAME, "--yes", "--data-dir", "sup2", cwd=world)
    assert r.stdout.startswith(f"Erased {NAME}: 1 session")
    blob = _files_bytes(world / "sup2")
    assert NAME.encode() not in blob and TYPED.encode() not in blob and NOTE.encode() not in blob
