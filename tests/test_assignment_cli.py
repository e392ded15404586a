"""`intake-sim assign ...`, `play --assignment` and `--assignment` as users drive them: real
stores in tmp_path, real pack files, the real library, through `simulator.cli.main` (and one
real process)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from simulator.cli import main
from simulator.core.assignment import MAX_PACK_BYTES, load_pack
from simulator.core.compiled import CompiledScenario
from simulator.core.engine import choose, normalise_stance, start
from simulator.core.library import load_library
from simulator.core.scoring import summarize
from simulator.store import Store
from simulator.store.assignments import get_pack, sessions_for_assignment
from tests.clirun import run_cli
from tests.conftest import DATA

SCENARIO = "shula-nerves"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every command runs against a fresh store, from inside tmp_path."""
    d = tmp_path / "store"
    monkeypatch.setenv("INTAKE_SIM_DATA_DIR", str(d))
    monkeypatch.delenv("INTAKE_SIM_TRAINEE", raising=False)
    monkeypatch.chdir(tmp_path)
    return d


def run(capsys: pytest.CaptureFixture[str], *argv: str, stdin: str = "") -> tuple[int, str, str]:
    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        code = main(list(argv))
    finally:
        sys.stdin = old
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    """A user error: exactly one line on stderr, from intake-sim, no traceback."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("intake-sim: "), err
    assert "Traceback" not in err
    return lines[0]


FULL = (
    "assign",
    "new",
    "--id",
    "spring-2027",
    "--cohort",
    "spring",
    "--title",
    "Spring intake practice",
    "--scenario",
    "shula-nerves",
    "--scenario",
    "larisa-pills,nelson-back",
    "--mode",
    "assessment",
    "--threshold",
    "asking=60",
    "--threshold",
    "listening=55",
    "--due",
    "2027-04-30",
    "--instructions",
    "Play each scenario once.\nTake your time.",
    "-o",
    "spring.yaml",
)


# ---------------------------------------------------------------- assign new


def test_new_writes_a_valid_pack_with_every_option(data_dir: Path, tmp_path: Path, capsys) -> None:
    code, out, err = run(capsys, *FULL)
    assert code == 0, err
    assert "Wrote spring.yaml: assignment spring-2027, 3 scenario(s), assessment mode." in out
    pack = load_pack(tmp_path / "spring.yaml", {"shula-nerves", "larisa-pills", "nelson-back"})
    assert pack.id == "spring-2027" and pack.cohort == "spring"
    assert pack.title == "Spring intake practice"
    assert pack.scenarios == ["shula-nerves", "larisa-pills", "nelson-back"]
    assert pack.mode == "assessment" and pack.free_text is False
    assert pack.thresholds == {"asking": 60, "listening": 55}
    assert pack.due is not None and pack.due.isoformat() == "2027-04-30"
    assert pack.instructions == "Play each scenario once.\nTake your time."
    assert pack.version == 1
    # The file is for people too: comments, and nothing the next person cannot read.
    text = (tmp_path / "spring.yaml").read_text(encoding="utf-8")
    assert text.startswith("# intake-sim assignment pack")
    assert not list(tmp_path.glob(".spring.yaml.*"))  # the atomic write left no temporary file


def test_new_with_free_text_and_version(data_dir: Path, tmp_path: Path, capsys) -> None:
    code, _, err = run(
        capsys, "assign", "new", "--id", "typed", "--scenario", SCENARIO, "--free-text",
        "--version", "3",
    )  # fmt: skip
    assert code == 0, err
    pack = load_pack(tmp_path / "typed.yaml")  # default file name: ID.yaml
    assert pack.free_text is True and pack.version == 3 and pack.cohort == "typed"


def test_new_without_options_writes_a_starter_pack_and_says_what_defaulted(
    data_dir: Path, tmp_path: Path, capsys
) -> None:
    code, out, err = run(capsys, "assign", "new")
    assert code == 0, err
    assert "Defaults used for id, cohort, title, scenarios" in out
    library_ids = {s.id for s in load_library([]).scenarios}
    pack = load_pack(tmp_path / "assignment.yaml", library_ids)
    assert len(pack.scenarios) == 3 and pack.mode == "coach"


def test_new_to_standard_output(data_dir: Path, tmp_path: Path, capsys) -> None:
    code, out, _ = run(capsys, "assign", "new", "--id", "x1", "--scenario", SCENARIO, "-o", "-")
    assert code == 0
    assert yaml.safe_load(out)["scenarios"] == [SCENARIO]
    assert not (tmp_path / "x1.yaml").exists()


def test_new_refuses_to_overwrite_without_force(data_dir: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "spring.yaml"
    target.write_text("keep me\n", encoding="utf-8")
    code, _, err = run(capsys, *FULL)
    assert code == 1
    assert "spring.yaml already exists; add --force" in one_error_line(err)
    assert target.read_text(encoding="utf-8") == "keep me\n"
    code, _, err = run(capsys, *FULL, "--force")
    assert code == 0, err
    assert load_pack(target).id == "spring-2027"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            ["--scenario", "shula-nerve"],
            "--scenario 'shula-nerve': unknown scenario; did you mean 'shula-nerves'?",
        ),
        (["--scenario", "zzzz-qqqq"], "unknown scenario; `intake-sim list` shows the library"),
        (["--scenario", "shula-nerves,shula-nerves"], "'shula-nerves' is given twice"),
        (
            ["--scenario", "shula-nerves", "--scenario", "shula-nerves"],
            "'shula-nerves' is given twice",
        ),
        (
            ["--threshold", "askng=60"],
            "unknown humility dimension 'askng' (did you mean 'asking'?)",
        ),
        (["--threshold", "asking=160"], "the mark must be a whole number from 0 to 100"),
        (["--threshold", "asking=-5"], "the mark must be a whole number from 0 to 100"),
        (["--threshold", "asking=high"], "the mark must be a whole number from 0 to 100"),
        (["--threshold", "asking"], "--threshold 'asking': write DIM=N, e.g. asking=60"),
        (["--threshold", "asking=60", "--threshold", "asking=70"], "asking is given twice"),
        (["--due", "2027-02-30"], "--due 2027-02-30: there is no such day in the calendar"),
        (["--due", "30/04/2027"], "is not a date written YYYY-MM-DD"),
        (["--id", "Spring 2027"], "--id 'Spring 2027' must be a slug"),
        (["--cohort=-x"], "--cohort '-x' must be a slug"),
        (["--title", " "], "--title must be 1 to 200 characters"),
        (["--version", "0"], "--version must be from 1 to 1000000"),
        (["--instructions", "x" * 5001], "--instructions is longer than 5000 characters"),
        (["-o", "."], ". is a directory"),
    ],
)
def test_new_bad_options_are_one_line_each(
    data_dir: Path, tmp_path: Path, capsys, options: list[str], expected: str
) -> None:
    code, _, err = run(capsys, "assign", "new", "--id", "bad", *options)
    assert code == 1
    assert expected in one_error_line(err)
    assert not (tmp_path / "bad.yaml").exists()


def test_new_unknown_scenario_directory_is_one_line(data_dir: Path, capsys) -> None:
    code, _, err = run(capsys, "assign", "new", "--scenarios", "no/such/dir")
    assert code == 1
    assert "--scenarios no/such/dir: no such file or directory" in one_error_line(err)


def test_new_accepts_scenarios_from_an_extra_directory(data_dir: Path, tmp_path: Path, capsys):
    code, _, err = run(
        capsys, "assign", "new", "--id", "t", "--scenario", "minimal", "--scenarios", str(DATA)
    )
    assert code == 0, err
    assert load_pack(tmp_path / "t.yaml", {"minimal"}).scenarios == ["minimal"]


# ---------------------------------------------------------------- assign show


def test_show_a_file_reads_like_a_summary(data_dir: Path, capsys) -> None:
    run(capsys, *FULL)
    code, out, err = run(capsys, "assign", "show", "spring.yaml")
    assert code == 0, err
    assert 'Assignment spring-2027, version 1: "Spring intake practice"' in out
    assert "Mode: assessment, typed responses off" in out
    assert "Due: 2027-04-30" in out
    assert "1. shula-nerves" in out and "Shula Azoulay" in out
    assert "Pass marks: asking 60, listening 55" in out
    assert "Instructions:\n  Play each scenario once.\n  Take your time." in out
    code, out, _ = run(capsys, "assign", "show", "spring.yaml", "--json")
    assert code == 0 and json.loads(out)["thresholds"] == {"asking": 60, "listening": 55}


def test_show_from_the_store_by_id_and_unknown_ids(data_dir: Path, capsys) -> None:
    code, _, err = run(capsys, "assign", "show", "spring-2027")
    assert code == 1
    assert "'spring-2027' is neither a pack file nor the id of a stored pack" in one_error_line(err)
    run(capsys, *FULL)
    run(capsys, "assign", "add", "spring.yaml")
    code, out, err = run(capsys, "assign", "show", "spring-2027")
    assert code == 0, err
    assert f"From: the store at {data_dir}" in out and "Cohort: spring" in out
    code, _, err = run(capsys, "assign", "show", "autumn")
    assert "packs in this store: spring-2027" in one_error_line(err)


def test_show_marks_scenarios_missing_from_the_library(data_dir: Path, tmp_path: Path, capsys):
    (tmp_path / "other.yaml").write_text(
        "id: other\ncohort: c\ntitle: T\nmode: coach\nscenarios: [shula-nerves, their-own]\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "assign", "show", "other.yaml")
    assert code == 0, err
    assert "their-own" in out and "(not in your library)" in out


def test_show_missing_file_and_not_yaml(data_dir: Path, tmp_path: Path, capsys) -> None:
    code, _, err = run(capsys, "assign", "show", "gone.yaml")
    assert code == 1 and "gone.yaml: no such pack file" in one_error_line(err)
    (tmp_path / "broken.yaml").write_text("id: x\ntitle: [unclosed\n", encoding="utf-8")
    code, _, err = run(capsys, "assign", "show", "broken.yaml")
    assert code == 1
    assert err.startswith("broken.yaml:3:1: IS004 ") and "Traceback" not in err


# ---------------------------------------------------------------- assign validate


def write_variant(tmp_path: Path, name: str, old: str, new: str) -> Path:
    text = (tmp_path / "spring.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_validate_a_good_pack(data_dir: Path, capsys) -> None:
    run(capsys, *FULL)
    code, out, _ = run(capsys, "assign", "validate", "spring.yaml")
    assert code == 0
    assert out.strip() == "1 pack(s) checked: 0 error(s), 0 warning(s)."


@pytest.mark.parametrize(
    ("name", "old", "new", "expected"),
    [
        (
            "unknown-scenario.yaml",
            "- larisa-pills",
            "- larisa-pill",
            "unknown-scenario.yaml:9:3: IS401 unknown scenario 'larisa-pill'; "
            "did you mean 'larisa-pills'? (at scenarios[1])",
        ),
        (
            "duplicate.yaml",
            "- nelson-back",
            "- shula-nerves",
            "duplicate.yaml:10:3: IS402 scenario 'shula-nerves' is listed twice (first at line 8)",
        ),
        (
            "dimension.yaml",
            "asking: 60",
            "askng: 60",
            "dimension.yaml:15:3: IS403 unknown humility dimension 'askng'",
        ),
        (
            "threshold.yaml",
            "asking: 60",
            "asking: 160",
            "threshold.yaml:15:11: IS404 threshold 160 for asking is out of range",
        ),
        (
            "date.yaml",
            "due: 2027-04-30",
            "due: 2027-13-01",
            "date.yaml:17:6: IS405 due '2027-13-01' is not a date written YYYY-MM-DD",
        ),
        ("mode.yaml", "mode: assessment", "mode: exam", "mode.yaml:5:7: IS105 Input should be"),
        ("not-yaml.yaml", "title: Spring", "title: [Spring", "not-yaml.yaml:"),
    ],
)
def test_validate_reports_each_problem_where_it_is(
    data_dir: Path, tmp_path: Path, capsys, name: str, old: str, new: str, expected: str
) -> None:
    run(capsys, *FULL)
    write_variant(tmp_path, name, old, new)
    code, out, _ = run(capsys, "assign", "validate", "spring.yaml", name)
    assert code == 1
    assert expected in out
    assert "2 pack(s) checked: 1 error(s)" in out


def test_validate_missing_oversized_and_binary_files(
    data_dir: Path, tmp_path: Path, capsys
) -> None:
    (tmp_path / "big.yaml").write_text("id: x\n" + "#" * MAX_PACK_BYTES, encoding="utf-8")
    (tmp_path / "binary.yaml").write_bytes(b"id: \xff\xfe\x00\n")
    code, out, _ = run(capsys, "assign", "validate", "gone.yaml", "big.yaml", "binary.yaml")
    assert code == 1
    assert "gone.yaml:0:0: IS001 cannot read file: No such file or directory" in out
    assert "big.yaml:1:1: IS002 file is 262,150 bytes; the limit is 262,144 bytes" in out
    assert "binary.yaml:1:5: IS003 " in out
    assert "3 pack(s) checked: 3 error(s)" in out


def test_validate_json_and_usage_errors(data_dir: Path, tmp_path: Path, capsys) -> None:
    run(capsys, *FULL)
    write_variant(tmp_path, "bad.yaml", "- larisa-pills", "- larisa-pill")
    code, out, _ = run(capsys, "assign", "validate", "--json", "spring.yaml", "bad.yaml")
    assert code == 1
    doc = json.loads(out)
    assert doc["errors"] == 1
    good, bad = doc["files"]
    assert good == {
        "file": "spring.yaml",
        "kind": "pack",
        "id": "spring-2027",
        "ok": True,
        "diagnostics": [],
    }
    assert bad["ok"] is False and bad["id"] is None
    assert [(d["code"], d["line"], d["path"]) for d in bad["diagnostics"]] == [
        ("IS401", 9, "scenarios[1]")
    ]
    with pytest.raises(SystemExit) as exc:
        main(["assign", "validate"])
    assert exc.value.code == 2


def test_validate_a_directory_of_packs(data_dir: Path, tmp_path: Path, capsys) -> None:
    packs = tmp_path / "packs"
    packs.mkdir()
    run(capsys, *FULL[:-1], str(packs / "spring.yaml"))
    run(capsys, "assign", "new", "--id", "two", "--scenario", SCENARIO, "-o", str(packs / "2.yml"))
    code, out, _ = run(capsys, "assign", "validate", str(packs))
    assert code == 0 and "2 pack(s) checked: 0 error(s)" in out


# ---------------------------------------------------------------- assign add and list


def test_add_keeps_the_pack_so_report_finds_it(data_dir: Path, capsys) -> None:
    run(capsys, *FULL)
    code, _, err = run(capsys, "report", "--assignment", "spring-2027")
    assert code == 1 and "unknown assignment 'spring-2027'" in err
    code, out, err = run(capsys, "assign", "add", "spring.yaml")
    assert code == 0, err
    assert (
        f"Added assignment spring-2027 (version 1, 3 scenario(s)) to the store at {data_dir}" in out
    )
    code, out, err = run(capsys, "assign", "add", "spring.yaml")
    assert code == 0 and "already in the store, unchanged" in out
    code, out, err = run(capsys, "report", "--assignment", "spring-2027", "--json")
    assert code == 0, err
    assert json.loads(out)["assignment"]["id"] == "spring-2027"
    code, out, _ = run(capsys, "assign", "list")
    assert code == 0 and out.startswith("spring-2027") and "3 scenario(s), 0 session(s)" in out
    code, out, _ = run(capsys, "assign", "list", "--json")
    assert json.loads(out)[0]["sessions"] == 0


def test_list_on_an_empty_store(data_dir: Path, capsys) -> None:
    code, out, _ = run(capsys, "assign", "list")
    assert code == 0 and out.startswith("No assignment packs in this store.")


def test_add_a_changed_pack_needs_a_higher_version(data_dir: Path, tmp_path: Path, capsys):
    run(capsys, *FULL)
    run(capsys, "assign", "add", "spring.yaml")
    write_variant(tmp_path, "changed.yaml", "Take your time.", "Take an hour.")
    code, _, err = run(capsys, "assign", "add", "changed.yaml")
    assert code == 1
    line = one_error_line(err)
    assert "already has a different pack 'spring-2027' version 1 (it differs in instructions)" in (
        line
    )
    assert "raise 'version' in changed.yaml above 1" in line
    with Store.open(data_dir) as store:
        kept = get_pack(store, "spring-2027")
    assert kept is not None and kept.instructions.endswith("Take your time.")
    text = (tmp_path / "changed.yaml").read_text(encoding="utf-8")
    (tmp_path / "changed.yaml").write_text(text.replace("version: 1", "version: 2"), "utf-8")
    code, out, err = run(capsys, "assign", "add", "changed.yaml")
    assert code == 0, err
    assert "Replaced assignment spring-2027 version 1 with version 2." in out
    with Store.open(data_dir) as store:
        kept = get_pack(store, "spring-2027")
    assert kept is not None and kept.version == 2 and kept.instructions.endswith("an hour.")


def test_add_bad_input(data_dir: Path, tmp_path: Path, capsys) -> None:
    code, _, err = run(capsys, "assign", "add", "gone.yaml")
    assert code == 1 and "gone.yaml: no such pack file" in one_error_line(err)
    (tmp_path / "list.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    code, _, err = run(capsys, "assign", "add", "list.yaml")
    assert code == 1 and err.startswith("list.yaml:1:1: IS10") and "Traceback" not in err
    run(capsys, *FULL)
    write_variant(tmp_path, "unknown.yaml", "- nelson-back", "- nelson-bak")
    code, _, err = run(capsys, "assign", "add", "unknown.yaml")
    assert code == 1 and "IS401 unknown scenario 'nelson-bak'; did you mean 'nelson-back'?" in err
    with Store.open(data_dir) as store:
        assert get_pack(store, "spring-2027") is None  # nothing was saved


# ---------------------------------------------------------------- a trainee plays a pack


def path_humility(scenario: CompiledScenario, pick: int) -> tuple[int, dict[str, int]]:
    """What always choosing response number `pick` scores: (decisions, humility profile)."""
    session = start(scenario)
    while not session.done:
        options = session.options()
        key = options[min(pick, len(options)) - 1].key
        session, _ = choose(session, key, normalise_stance(scenario, None))
    return session.step, dict(summarize(session).humility)


@pytest.fixture
def two_scenarios(tmp_path: Path) -> tuple[Path, dict[str, CompiledScenario]]:
    """The test scenario and a copy under another id, in one directory."""
    lib = tmp_path / "lib"
    lib.mkdir()
    text = (DATA / "minimal.yaml").read_text(encoding="utf-8")
    (lib / "minimal.yaml").write_text(text, encoding="utf-8")
    (lib / "second.yaml").write_text(text.replace("id: minimal", "id: second", 1), "utf-8")
    library = load_library([lib])
    found = {s.id: s for s in library.scenarios if s.id in ("minimal", "second")}
    assert set(found) == {"minimal", "second"}
    return lib, found


def test_a_trainee_plays_two_scenarios_under_a_pack(
    data_dir: Path, tmp_path: Path, capsys, two_scenarios
) -> None:
    lib, scenarios = two_scenarios
    steps_good, good = path_humility(scenarios["minimal"], 1)
    steps_poor, poor = path_humility(scenarios["second"], 2)
    # A mark between the two paths' asking scores: the first passes, the second does not.
    assert good["asking"] > poor["asking"]
    mark = poor["asking"] + 1
    both = min(good["listening"], poor["listening"])  # a mark both reach
    code, _, err = run(
        capsys, "assign", "new", "--id", "spring-2027", "--title", "Spring",
        "--scenario", "minimal,second", "--mode", "assessment", "--due", "2027-04-30",
        "--threshold", f"asking={mark}", "--threshold", f"listening={both}",
        "--scenarios", str(lib), "-o", "pack.yaml",
    )  # fmt: skip
    assert code == 0, err

    def play(scenario_id: str, pick: int, steps: int) -> str:
        code, out, err = run(
            capsys, "play", scenario_id, "--plain", "--assignment", "pack.yaml",
            "--trainee", "dana", "--scenarios", str(lib),
            stdin=f"{pick}\n" * steps + "\n\n\n",
        )  # fmt: skip
        assert code == 0, err
        return out

    out = play("minimal", 1, steps_good)
    assert out.startswith(
        'Assignment spring-2027 "Spring" (due 2027-04-30): 0 of 2 scenarios done, 0 passed\n'
    )
    assert "Mode: assessment." in out  # the pack's mode, though the trainee gave no --mode
    last = out.strip().splitlines()[-1]
    assert last == "Assignment spring-2027: 1 of 2 scenarios done, 1 passed; next: second"
    out = play("second", 2, steps_poor)
    last = out.strip().splitlines()[-1]
    assert last == "Assignment spring-2027: 2 of 2 scenarios done, 1 passed; try again: second"

    with Store.open(data_dir) as store:
        assert get_pack(store, "spring-2027") is not None  # kept in the trainee's store
        rows = sessions_for_assignment(store, "spring-2027")
    assert [(r.scenario_id, r.mode, r.status) for r in rows] == [
        ("minimal", "assessment", "completed"),
        ("second", "assessment", "completed"),
    ]
    assert rows[0].summary is not None and rows[0].summary["humility"] == good

    code, out, err = run(
        capsys, "assign", "progress", "spring-2027", "--trainee", "dana", "--scenarios", str(lib)
    )
    assert code == 0, err
    assert out.splitlines() == [
        'Assignment spring-2027 "Spring" for dana (due 2027-04-30, assessment mode)',
        "2 of 2 scenarios done, 1 passed",
        "  minimal  passed",
        "  second   not passed (below: asking)",
        "Try again: intake-sim play second --plain --assignment spring-2027",
    ]
    code, out, _ = run(
        capsys, "assign", "progress", "pack.yaml", "--trainee", "dana", "--json",
        "--scenarios", str(lib),
    )  # fmt: skip
    doc = json.loads(out)
    assert (doc["completed"], doc["passed"], doc["total"], doc["next"]) == (2, 1, 2, "second")
    assert doc["scenarios"][1] == {
        "scenario": "second",
        "status": "completed",
        "passed": False,
        "below": ["asking"],
    }


def test_progress_before_anything_is_played_and_for_unknown_trainees(
    data_dir: Path, capsys
) -> None:
    run(capsys, *FULL)
    code, _, err = run(capsys, "assign", "progress", "spring.yaml", "--trainee", "nobody")
    assert code == 1 and "no trainee 'nobody' in this store" in one_error_line(err)
    with Store.open(data_dir) as store:
        store.get_or_create_trainee("dana")
    code, out, err = run(capsys, "assign", "progress", "spring.yaml", "--trainee", "dana")
    assert code == 0, err
    assert "0 of 3 scenarios done, 0 passed" in out
    assert "  larisa-pills  not started" in out
    assert out.strip().endswith(
        "Next: intake-sim play shula-nerves --plain --assignment spring-2027"
    )
    code, _, err = run(capsys, "assign", "progress", "autumn", "--trainee", "dana")
    assert code == 1 and "'autumn' is neither a pack file nor the id" in one_error_line(err)


def test_only_the_packs_scenarios_in_its_mode(data_dir: Path, capsys) -> None:
    run(capsys, *FULL)
    code, _, err = run(capsys, "play", "dennis-layoff", "--plain", "--assignment", "spring.yaml")
    assert code == 1
    assert one_error_line(err) == (
        "intake-sim: 'dennis-layoff' is not part of assignment 'spring-2027'; its scenarios are "
        "shula-nerves, larisa-pills, nelson-back"
    )
    code, _, err = run(
        capsys, "play", SCENARIO, "--plain", "--assignment", "spring.yaml", "--mode", "coach"
    )
    assert "is played in assessment mode; drop --mode" in one_error_line(err)
    code, _, err = run(
        capsys, "play", SCENARIO, "--plain", "--assignment", "spring.yaml", "--free-text"
    )
    assert "has typed responses off; drop --free-text" in one_error_line(err)
    with Store.open(data_dir) as store:
        assert store.list_trainees() == []  # nothing was started


def test_play_under_a_pack_with_bad_packs(data_dir: Path, tmp_path: Path, capsys) -> None:
    code, _, err = run(capsys, "play", SCENARIO, "--plain", "--assignment", "gone.yaml")
    assert code == 1 and "gone.yaml: no such pack file" in one_error_line(err)
    code, _, err = run(capsys, "play", SCENARIO, "--plain", "--assignment", "spring-2027")
    assert "neither a pack file nor the id of a stored pack" in one_error_line(err)
    (tmp_path / "bad.yaml").write_text(
        "id: p\ncohort: c\ntitle: T\nmode: coach\nscenarios: [shula-nerves, nobody-here]\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, "play", SCENARIO, "--plain", "--assignment", "bad.yaml")
    assert code == 1
    assert (
        err.strip()
        == "bad.yaml:5:27: IS401 unknown scenario 'nobody-here'; see `intake-sim list` (at scenarios[1])"
    )


def test_the_top_level_flag_checks_the_pack_before_the_screen(
    data_dir: Path, tmp_path: Path, capsys
) -> None:
    (tmp_path / "bad.yaml").write_text("id: x\ntitle: [unclosed\n", encoding="utf-8")
    code, _, err = run(capsys, "--assignment", "bad.yaml")
    assert code == 1 and err.startswith("bad.yaml:3:1: IS004 ")
    run(capsys, *FULL)
    code, _, err = run(capsys, "--assignment", "spring.yaml")  # tests have no terminal
    assert "the full-screen app needs a terminal" in one_error_line(err)
    with Store.open(data_dir) as store:
        assert get_pack(store, "spring-2027") is not None  # opened: kept for the trainee


def test_a_changed_pack_under_the_same_id_is_refused_for_the_trainee(
    data_dir: Path, tmp_path: Path, capsys
) -> None:
    run(capsys, *FULL)
    run(capsys, "assign", "add", "spring.yaml")
    write_variant(tmp_path, "changed.yaml", "- nelson-back", "- dennis-layoff")
    code, _, err = run(capsys, "play", SCENARIO, "--plain", "--assignment", "changed.yaml")
    assert code == 1
    assert "already has a different pack 'spring-2027' (version 1)" in one_error_line(err)


def test_a_free_text_pack_takes_typed_responses(data_dir: Path, capsys) -> None:
    code, _, err = run(
        capsys, "assign", "new", "--id", "typed", "--scenario", "minimal", "--free-text",
        "--scenarios", str(DATA),
    )  # fmt: skip
    assert code == 0, err
    code, out, err = run(
        capsys, "play", "minimal", "--plain", "--assignment", "typed.yaml",
        "--scenarios", str(DATA), "--trainee", "sam",
        stdin="What brings you here, in your own words?\n1\n",
    )  # fmt: skip
    assert code == 0, err
    assert "Type your response" in out
    with Store.open(data_dir) as store:
        [row] = sessions_for_assignment(store, "typed")
        choices = store.choices(row.id)
    assert "+coder-" in row.rubric_version
    assert choices[0].free_text == "What brings you here, in your own words?"
    assert out.strip().splitlines()[-1].startswith("Assignment typed: 0 of 1 scenarios done")


def test_resume_under_a_pack_continues_its_own_session(data_dir: Path, capsys) -> None:
    run(capsys, *FULL)
    common = ("--plain", "--trainee", "dana")
    code, _, err = run(capsys, "play", SCENARIO, *common, "--mode", "assessment", stdin="1\n")
    assert code == 0, err  # an untagged session, left unfinished
    code, out, err = run(
        capsys, "play", SCENARIO, *common, "--resume", "--assignment", "spring.yaml"
    )
    assert code == 1 and "has no unfinished session" in one_error_line(err)
    run(capsys, "play", SCENARIO, *common, "--assignment", "spring.yaml", stdin="2\n")
    code, out, err = run(
        capsys, "play", SCENARIO, *common, "--resume", "--assignment", "spring.yaml", stdin=""
    )
    assert code == 0, err
    with Store.open(data_dir) as store:
        [row] = sessions_for_assignment(store, "spring-2027")
        assert len(store.choices(row.id)) == 1
    assert "Assignment spring-2027: 0 of 3 scenarios done, 0 passed; next: shula-nerves" in out


# ---------------------------------------------------------------- a real process


def test_the_whole_loop_in_real_processes(tmp_path: Path) -> None:
    pack = str(tmp_path / "p.yaml")

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return run_cli(*args, stdin=stdin, data_dir=tmp_path / "trainee")

    made = cli("assign", "new", "--id", "p", "--scenario", "minimal", "--scenarios", "tests/data",
               "-o", pack)  # fmt: skip
    assert made.returncode == 0, made.stderr
    played = cli("play", "minimal", "--plain", "--json", "--assignment", pack,
                 "--scenarios", "tests/data", stdin="1\n" * 4 + "\n\n")  # fmt: skip
    assert played.returncode == 0, played.stderr
    assert json.loads(played.stdout.strip().splitlines()[-1])["scenario"] == "minimal"
    # With --json, standard output ends with the JSON line and the progress goes to stderr.
    assert "Assignment p: 1 of 1 scenarios done, 1 passed; all passed." in played.stderr
    bad = cli("assign", "validate", str(tmp_path / "gone.yaml"))
    assert bad.returncode == 1 and "IS001" in bad.stdout and "Traceback" not in bad.stderr


BAD_FILES = {
    "missing": (None, "gone.yaml: no such pack file"),
    "not-yaml": ("id: x\ntitle: [unclosed\n", "IS004 "),
    "not-a-mapping": ("just a sentence\n", "IS10"),
    "unknown-scenario": ("- larisa-pills", "IS401 unknown scenario 'larisa-pill'"),
    "bad-threshold": ("asking: 60", "IS404 threshold 160 for asking is out of range"),
    "bad-date": ("due: 2027-04-30", "IS405 due '2027-04-31' is not a date"),
    "duplicate-scenarios": ("- nelson-back", "IS402 scenario 'shula-nerves' is listed twice"),
    "oversized": ("", "IS002 file is "),
}
REPLACEMENTS = {
    "unknown-scenario": "- larisa-pill",
    "bad-threshold": "asking: 160",
    "bad-date": "due: 2027-04-31",
    "duplicate-scenarios": "- shula-nerves",
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
@pytest.mark.parametrize("command", ["add", "play", "progress", "app"])
def test_every_kind_of_bad_pack_file_is_one_line_and_saves_nothing(
    data_dir: Path, tmp_path: Path, capsys, kind: str, command: str
) -> None:
    run(capsys, *FULL)
    source, expected = BAD_FILES[kind]
    name = "gone.yaml" if source is None else f"{kind}.yaml"
    if kind in REPLACEMENTS:
        write_variant(tmp_path, name, source or "", REPLACEMENTS[kind])
    elif kind == "oversized":
        (tmp_path / name).write_text("id: x\n" + "#" * MAX_PACK_BYTES, encoding="utf-8")
    elif source is not None:
        (tmp_path / name).write_text(source, encoding="utf-8")
    argv = {
        "add": ["assign", "add", name],
        "play": ["play", SCENARIO, "--plain", "--assignment", name],
        "progress": ["assign", "progress", name],
        "app": ["--assignment", name],
    }[command]
    code, out, err = run(capsys, *argv, stdin="1\n")
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], err
    assert "Traceback" not in err and out == ""
    if data_dir.exists():  # the store may not have been created at all
        with Store.open(data_dir) as store:
            assert get_pack(store, "spring-2027") is None
            assert store.list_trainees() == []
