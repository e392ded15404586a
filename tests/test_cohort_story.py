"""The supervisor's story end to end, as people would do it, with real processes and stores.

A supervisor writes an assignment pack; three trainees play it in their own data directories
(one passes, one fails, one stops half way); each exports a bundle; the supervisor imports them
(one twice, and a tampered copy that is refused) and reads the cohort report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.clirun import run_cli
from tests.conftest import DATA

SCEN = str(DATA)  # the test scenario `minimal`; shula-nerves comes with the app


def run(*args: str, cwd: Path, stdin: str = "") -> Any:
    return run_cli(*args, cwd=cwd, stdin=stdin, unset=("INTAKE_SIM_DATA_DIR", "INTAKE_SIM_TRAINEE"))


def ok(*args: str, cwd: Path, stdin: str = "") -> Any:
    r = run(*args, cwd=cwd, stdin=stdin)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r


def play(person: Path, name: str, scenario: str, answers: list[str]) -> None:
    """`play --plain` under the pack, answers piped; the input ends where the answers do."""
    person.mkdir(exist_ok=True)
    ok(
        "--trainee", name, "play", scenario, "--plain", "--assignment", "../week-1.yaml",
        "--scenarios", SCEN, "--data-dir", "data",
        cwd=person, stdin="\n".join(answers) + "\n",
    )  # fmt: skip


def test_three_trainees_one_pack_one_report(tmp_path: Path) -> None:
    sup = tmp_path / "supervisor"
    sup.mkdir()
    ok(
        "assign", "new", "--id", "week-1", "--cohort", "spring", "--title", "Week one",
        "--scenario", "minimal,shula-nerves", "--mode", "coach",
        "--threshold", "asking=60", "--threshold", "avoiding_assumptions=60",
        "--scenarios", SCEN, "-o", str(tmp_path / "week-1.yaml"), cwd=sup,
    )  # fmt: skip
    ok("assign", "add", "../week-1.yaml", "--scenarios", SCEN, "--data-dir", "data", cwd=sup)

    # Avi answers well throughout; Bea does well on the short one and badly with Shula;
    # Carmel finishes the short one and stops after two answers with Shula.
    people = {"Avi": tmp_path / "avi", "Bea": tmp_path / "bea", "Carmel": tmp_path / "carmel"}
    for name, home in people.items():
        play(home, name, "minimal", ["1"] * 4 + [""])
    play(people["Avi"], "Avi", "shula-nerves", ["1"] * 9 + [""])
    play(people["Bea"], "Bea", "shula-nerves", ["2"] * 10 + [""])
    play(people["Carmel"], "Carmel", "shula-nerves", ["1", "1"])

    bundles: dict[str, Path] = {}
    for name, home in people.items():
        r = ok(
            "--trainee", name, "export", "--assignment", "week-1", "--data-dir", "data", cwd=home
        )
        (made,) = home.glob(f"{name}-week-1-*.intake-bundle.json")
        assert r.stdout.startswith(f"Wrote {made.name}: 2 sessions of {name}")
        bundles[name] = made

    tampered = tmp_path / "bea-edited.intake-bundle.json"
    doc = json.loads(bundles["Bea"].read_text(encoding="utf-8"))
    shula = next(s for s in doc["sessions"] if s["scenario"]["id"] == "shula-nerves")
    shula["summary"]["humility"] = dict.fromkeys(shula["summary"]["humility"], 100)
    tampered.write_text(json.dumps(doc, indent=1), encoding="utf-8")

    files = [str(bundles["Avi"]), str(bundles["Bea"]), str(bundles["Carmel"])]
    r = run("import", *files, str(bundles["Avi"]), str(tampered), "--data-dir", "data", cwd=sup)
    assert r.returncode == 1  # one bundle was refused
    assert r.stdout.splitlines() == [
        f"{bundles['Avi']}: imported 2 sessions of Avi",
        f"{bundles['Bea']}: imported 2 sessions of Bea",
        f"{bundles['Carmel']}: imported 2 sessions of Carmel",
        f"{bundles['Avi']}: already imported: 2 sessions of Avi",
        f"{tampered}: refused: content hash mismatch: the bundle was changed after it was "
        "exported (tampered with or damaged); ask for a fresh export",
    ]
    # Importing all three again changes nothing.
    r = ok("import", *files, "--data-dir", "data", cwd=sup)
    assert all(": already imported: 2 sessions of " in line for line in r.stdout.splitlines())

    r = ok("report", "--assignment", "week-1", "--json", "--scenarios", SCEN, "--data-dir", "data", cwd=sup)  # fmt: skip
    report = json.loads(r.stdout)
    results = {t["pseudonym"]: t for t in report["trainees"]["results"]}
    assert set(results) == {"Avi", "Bea", "Carmel"}
    assert (report["trainees"]["passed"], report["trainees"]["failed"]) == (1, 1)
    assert report["trainees"]["incomplete"] == 1
    assert results["Avi"]["verdict"] == "passed" and results["Avi"]["completed"] == 2
    assert results["Bea"]["verdict"] == "failed" and results["Bea"]["completed"] == 2
    assert results["Bea"]["failing_dimensions"]["shula-nerves"]  # below a threshold there
    assert (
        "minimal" not in results["Bea"]["failing_dimensions"]
        or not (results["Bea"]["failing_dimensions"]["minimal"])
    )
    assert results["Carmel"]["verdict"] == "incomplete" and results["Carmel"]["completed"] == 1
    assert results["Carmel"]["progress"] == {
        "minimal": "completed",
        "shula-nerves": "in progress",
    }
    assert report["sessions"] == {"total": 6, "completed": 5, "active": 1, "abandoned": 0}

    # Carmel finishes later and sends a new bundle: her unfinished session is brought up to date.
    carmel = people["Carmel"]
    ok(
        "--trainee", "Carmel", "play", "shula-nerves", "--plain", "--resume",
        "--scenarios", SCEN, "--data-dir", "data", cwd=carmel, stdin="1\n" * 8 + "\n",
    )  # fmt: skip
    later = carmel / "carmel-later.json"
    ok(
        "--trainee", "Carmel", "export", "--assignment", "week-1", "-o", str(later),
        "--data-dir", "data", cwd=carmel,
    )  # fmt: skip
    r = ok("import", str(later), "--data-dir", "data", cwd=sup)
    assert r.stdout.strip() == f"{later}: imported 0 sessions of Carmel, updated 1, 1 already here"
    r = ok("report", "--assignment", "week-1", "--json", "--scenarios", SCEN, "--data-dir", "data", cwd=sup)  # fmt: skip
    results = {t["pseudonym"]: t for t in json.loads(r.stdout)["trainees"]["results"]}
    assert results["Carmel"]["verdict"] == "passed" and results["Carmel"]["completed"] == 2
