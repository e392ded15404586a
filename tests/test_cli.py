"""The command line as a user drives it: real processes, real files, real store."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clirun import run_cli
from tests.conftest import DATA, ROOT


def cli(
    *args: str, stdin: str = "", data_dir: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, stdin=stdin, data_dir=data_dir, env=env)


def play_minimal(*extra: str, stdin: str, data_dir: Path):
    """`intake-sim play minimal --plain --json` on the test scenario, with extra flags."""
    return cli(
        "play",
        "minimal",
        "--plain",
        "--json",
        "--scenarios",
        str(DATA),
        *extra,
        stdin=stdin,
        data_dir=data_dir,
    )


def last_json(result) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_list_json_shows_the_bundled_library() -> None:
    r = cli("list", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    ids = {row["id"] for row in rows if row["valid"]}
    assert "shula-nerves" in ids
    assert all(row["valid"] for row in rows)


def test_list_marks_a_broken_extra_file_as_invalid(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("id: x\ntitle: [unclosed\n", encoding="utf-8")
    r = cli("list", "--json", "--scenarios", str(tmp_path))
    assert r.returncode == 0
    rows = json.loads(r.stdout)
    [bad] = [row for row in rows if not row["valid"]]
    assert bad["file"].endswith("broken.yaml") and "IS004" in bad["errors"][0]


def test_validate_exit_codes_and_json(tmp_path: Path) -> None:
    ok = cli("validate", "scenarios", "rubrics", str(DATA / "minimal.yaml"))
    assert ok.returncode == 0, ok.stdout
    # The bundled files are clean; the tiny test scenario legitimately falls short of the content
    # standard in two ways (four decisions, no option-level basis), and only those.
    assert "0 error(s), 2 warning(s)" in ok.stdout
    warned = sorted(re.findall(r"^(\S+):\d+:\d+: (IS\d{3}) ", ok.stdout, re.M))
    assert [(Path(f).name, c) for f, c in warned] == [
        ("minimal.yaml", "IS309"),
        ("minimal.yaml", "IS314"),
    ]
    bad = tmp_path / "bad.yaml"
    bad.write_text((DATA / "minimal.yaml").read_text().replace("next: second", "next: sekond", 1))
    r = cli("validate", str(bad))
    assert r.returncode == 1
    assert f"{bad}:" in r.stdout and "IS202" in r.stdout and "sekond" in r.stdout
    j = cli("validate", "--json", str(bad))
    data = json.loads(j.stdout)
    assert data["errors"] == 1 and data["files"][0]["diagnostics"][0]["code"] == "IS202"
    assert cli("validate").returncode == 2  # usage error


def test_validate_reports_unreadable_and_missing_files(tmp_path: Path) -> None:
    r = cli("validate", str(tmp_path / "nope.yaml"))
    assert r.returncode == 1 and "IS001" in r.stdout and "Traceback" not in r.stderr


def test_graph_formats() -> None:
    text = cli("graph", "shula-nerves")
    assert text.returncode == 0 and "[opening]" in text.stdout and "Endings:" in text.stdout
    mermaid = cli("graph", "shula-nerves", "--format", "mermaid")
    assert mermaid.stdout.startswith("flowchart TD") and "opening -->" in mermaid.stdout
    dot = cli("graph", "shula-nerves", "--format", "dot")
    assert dot.stdout.startswith('digraph "shula-nerves"') and dot.stdout.rstrip().endswith("}")


def test_unknown_scenario_is_one_clear_line(tmp_path: Path) -> None:
    r = cli("play", "no-such-id", "--plain", data_dir=tmp_path)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and "unknown scenario 'no-such-id'" in r.stderr
    assert "Traceback" not in r.stderr


def test_unwritable_data_dir_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    r = cli("play", "shula-nerves", "--plain", data_dir=blocker / "sub", stdin="1\n")
    assert r.returncode == 1
    assert "Traceback" not in r.stderr and str(blocker) in r.stderr


def test_data_dir_with_spaces_and_non_ascii(tmp_path: Path) -> None:
    d = tmp_path / "my data ü"
    r = cli(
        "play",
        "minimal",
        "--plain",
        "--scenarios",
        str(DATA),
        "--data-dir",
        str(d),
        stdin="1\n" * 6,
    )
    assert r.returncode == 0, r.stderr
    assert (d / "intake-sim.sqlite3").exists()


def test_plain_play_end_to_end_with_json_summary(tmp_path: Path) -> None:
    r = cli(
        "play",
        "shula-nerves",
        "--plain",
        "--json",
        stdin="1 tone=warm eye_contact=steady\n" + "1\n" * 12,
        data_dir=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["scenario"] == "shula-nerves"
    assert summary["path"][0] == "opening" and summary["ending"] == "returns"
    assert set(summary["humility"]) == {
        "asking",
        "listening",
        "addressing_difference",
        "avoiding_assumptions",
        "sharing_power",
    }
    assert {"offered", "engaged", "missed"} <= set(summary["opportunities"])
    assert summary["broaching_style"] and "overall" in summary and summary["cfi_domains"]
    assert len(summary["themes"]) == 8
    out = r.stdout
    assert 'Shula: "Dr. Peretz sent me' in out and "Read as:" in out and "Debrief" in out


def test_no_command_with_plain_is_a_numbered_menu_that_plays(tmp_path: Path) -> None:
    r = cli("--plain", "--trainee", "ana", stdin="0\nseven\n1\n" + "1\n" * 14, data_dir=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Scenario library" in r.stdout and "(or q to quit)" in r.stdout
    assert r.stdout.count("Type a number from 1 to") == 2  # 0 and 'seven' re-prompt
    assert "Debrief" in r.stdout
    stored = json.loads(cli("trainee", "export", "ana", data_dir=tmp_path).stdout)
    assert [s["status"] for s in stored["sessions"]] == ["completed"]
    again = cli("--plain", "--trainee", "ana", stdin="q\n", data_dir=tmp_path)
    assert again.returncode == 0 and "Debrief" not in again.stdout


def test_assessment_mode_holds_feedback(tmp_path: Path) -> None:
    r = cli(
        "play",
        "minimal",
        "--plain",
        "--scenarios",
        str(DATA),
        "--mode",
        "assessment",
        stdin="1\n" * 6,
        data_dir=tmp_path,
    )
    assert r.returncode == 0
    assert "Read as:" not in r.stdout and "Humility profile" in r.stdout


def test_invalid_entries_reprompt_without_losing_the_place(tmp_path: Path) -> None:
    r = cli(
        "play",
        "minimal",
        "--plain",
        "--scenarios",
        str(DATA),
        stdin="7\nabc\n\n1 tone=shouty\n1\n2\n1\n",
        data_dir=tmp_path,
    )
    assert r.returncode == 0
    assert "'7' is not one of the responses" in r.stdout
    assert "'abc' is not one of the responses" in r.stdout
    assert "'an empty line' is not one" in r.stdout
    assert "Not accepted: unknown tone 'shouty'" in r.stdout
    assert r.stdout.count("Decision 1\n") == 1


def test_input_ending_early_pauses_and_resume_continues(tmp_path: Path) -> None:
    first = play_minimal(stdin="1\n", data_dir=tmp_path)
    assert first.returncode == 0
    paused = last_json(first)
    assert paused["status"] == "paused" and paused["decisions"] == 1
    again = play_minimal("--resume", stdin="2\n1\n", data_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "Resuming at decision 2" in again.stdout
    summary = last_json(again)
    assert summary["path"][:2] == ["first", "second"] and summary["ending"]
    none_left = cli(
        "play", "minimal", "--plain", "--resume", "--scenarios", str(DATA), data_dir=tmp_path
    )
    assert none_left.returncode == 1 and "no unfinished session" in none_left.stderr


def test_rewind_in_plain_mode(tmp_path: Path) -> None:
    r = play_minimal(stdin="3\n3\nrewind 1\n1\n2\n1\n", data_dir=tmp_path)
    assert r.returncode == 0
    assert "Back at decision 1" in r.stdout
    summary = last_json(r)
    assert summary["decisions"] == 3 and summary["opportunities"]["engaged"] == 1


def test_resume_after_the_scenario_was_edited_says_so(tmp_path: Path) -> None:
    scen = tmp_path / "sc"
    scen.mkdir()
    src = (DATA / "minimal.yaml").read_text()
    (scen / "m.yaml").write_text(src)
    cli(
        "play", "minimal", "--plain", "--scenarios", str(scen), stdin="1\n", data_dir=tmp_path / "d"
    )
    (scen / "m.yaml").write_text(
        src.replace("version: 1", "version: 2").replace("She shrugs.", "She shrugs again.")
    )
    r = cli(
        "play",
        "minimal",
        "--plain",
        "--resume",
        "--scenarios",
        str(scen),
        stdin="2\n1\n",
        data_dir=tmp_path / "d",
    )
    assert r.returncode == 0
    assert "edited after the session began" in r.stdout and "version 1" in r.stdout


def test_db_check_and_backup(tmp_path: Path) -> None:
    cli("play", "minimal", "--plain", "--scenarios", str(DATA), stdin="1\n", data_dir=tmp_path)
    check = cli("db", "check", data_dir=tmp_path)
    assert check.returncode == 0 and "Integrity: ok" in check.stdout
    backup = cli("db", "backup", "--to", str(tmp_path / "copy.sqlite3"), data_dir=tmp_path)
    assert backup.returncode == 0 and (tmp_path / "copy.sqlite3").exists()


def test_schema_is_current() -> None:
    r = cli("schema")
    assert json.loads(r.stdout) == json.loads(
        (ROOT / "docs" / "schema" / "scenario.schema.json").read_text()
    )
    r = cli("schema", "--rubric")
    assert json.loads(r.stdout) == json.loads(
        (ROOT / "docs" / "schema" / "rubric.schema.json").read_text()
    )


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--json"],
        ["validate", "scenarios"],
        ["graph", "shula-nerves"],
        ["play", "minimal", "--plain", "--scenarios", "tests/data"],
        ["db", "check"],
        ["code", "So you feel stuck. What would help?"],
        ["code", "--eval", "tests/data/coded_responses.jsonl"],
        ["play", "minimal", "--plain", "--free-text", "--scenarios", "tests/data"],
        ["--plain"],
    ],
)
def test_commands_without_the_tui_never_import_textual(tmp_path: Path, args: list[str]) -> None:
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['intake-sim', *{args!r}]\n"
        "try:\n    runpy.run_module('simulator', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print('IMPORTED', bad)\n"
    )
    env = {**os.environ, "INTAKE_SIM_DATA_DIR": str(tmp_path)}
    r = subprocess.run(
        [sys.executable, "-c", code],
        input="",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert "IMPORTED []" in r.stdout, r.stdout[-500:] + r.stderr[-500:]


def test_corrupt_store_is_refused_then_restored_from_backup(tmp_path: Path) -> None:
    play_minimal(stdin="1\n", data_dir=tmp_path)
    backup = cli("db", "backup", data_dir=tmp_path)
    assert backup.returncode == 0
    db = tmp_path / "intake-sim.sqlite3"
    damaged = b"this is not a database" * 200
    db.write_bytes(damaged)
    for leftover in tmp_path.glob("intake-sim.sqlite3-*"):
        leftover.unlink()
    refused = play_minimal(stdin="1\n", data_dir=tmp_path)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "damaged" in refused.stderr and "db restore" in refused.stderr
    assert db.read_bytes() == damaged  # the damaged file is kept as it was
    latest = refused.stderr.split("db restore ")[1].split("`")[0].strip()
    restored = cli("db", "restore", latest, data_dir=tmp_path)
    assert restored.returncode == 0, restored.stderr
    check = cli("db", "check", data_dir=tmp_path)
    assert check.returncode == 0 and "Integrity: ok" in check.stdout
    resumed = play_minimal("--resume", stdin="2\n1\n", data_dir=tmp_path)
    assert resumed.returncode == 0 and "Resuming at decision 2" in resumed.stdout
