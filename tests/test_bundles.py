"""Result bundles: export, strict import, idempotence, tampering, conflicts, and their CLI."""

from __future__ import annotations

import copy
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simulator.core.assignment import Pack
from simulator.core.compiled import CompiledScenario
from simulator.practice import Practice
from simulator.store import Store, StoreError
from simulator.store.assignments import get_pack, save_pack, sessions_for_assignment
from simulator.store.bundles import (
    BUNDLE_FORMAT,
    MAX_BUNDLE_BYTES,
    BundleError,
    bundle_bytes,
    bundle_hash,
    export_bundle,
    import_bundle,
    read_bundle_file,
)
from simulator.store.reflections import get_reflection, save_reflection
from tests.clirun import run_cli
from tests.conftest import DATA

PACK = Pack(
    id="week-1",
    cohort="spring",
    title="Week one",
    scenarios=["minimal"],
    mode="coach",
    thresholds={"asking": 10},
)


def _play(store: Store, name: str, scenario: CompiledScenario, answers: int | None = None) -> str:
    """Play `scenario` for trainee `name` under PACK, first option each time; returns the id."""
    trainee = store.get_or_create_trainee(name, {"ethnicity": "Example ethnicity"})
    practice = Practice.begin(store, trainee, scenario, "coach", assignment_id=PACK.id)
    n = 0
    while not practice.session.done and (answers is None or n < answers):
        practice.choose(practice.session.options()[0])
        n += 1
    return practice.row.id


def _table_dump(store: Store) -> list[Any]:
    conn = sqlite3.connect(store.db_file)
    try:
        out = []
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'"):
            out.append((table, sorted(map(repr, conn.execute(f"SELECT * FROM {table}")))))
        return sorted(out)
    finally:
        conn.close()


@pytest.fixture
def trainee_store(tmp_path: Path, minimal: CompiledScenario) -> Iterator[Store]:
    store = Store.open(tmp_path / "trainee")
    save_pack(store, PACK)
    done = _play(store, "Noa", minimal)
    store.save_self_report(done, ["family"], 3, 4, 2)
    save_reflection(store, done, "I felt rushed; private thought about Dana")
    _play(store, "Noa", minimal, answers=1)
    yield store
    store.close()


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path / "supervisor")
    yield store
    store.close()


def test_round_trip_carries_sessions_choices_self_reports_and_packs(
    trainee_store: Store, supervisor: Store
) -> None:
    bundle = export_bundle(trainee_store, "noa", PACK.id)
    assert bundle["format"] == BUNDLE_FORMAT and bundle["format_version"] == 1
    assert bundle["content_hash"] == bundle_hash(bundle)
    assert bundle["trainee"] == {"pseudonym": "Noa", "facets": {"ethnicity": "Example ethnicity"}}
    assert [p["id"] for p in bundle["packs"]] == [PACK.id]
    assert [s["status"] for s in bundle["sessions"]] == ["completed", "active"]
    first = bundle["sessions"][0]
    assert first["scenario"]["id"] == "minimal" and first["scenario"]["content_hash"]
    assert first["rubric_version"] and first["summary"]["humility"]
    assert first["self_report"]["themes"] == ["family"]
    assert {"step", "node", "option", "stance", "at"} == set(first["choices"][0])
    assert "reflection" not in first

    result = import_bundle(supervisor, json.loads(bundle_bytes(bundle)))
    assert (result.imported, result.unchanged, result.trainee_created) == (2, 0, True)
    assert get_pack(supervisor, PACK.id) == PACK
    here = sessions_for_assignment(supervisor, PACK.id)
    theirs = sessions_for_assignment(trainee_store, PACK.id)
    assert [s.id for s in here] == [s.id for s in theirs]
    for mine, orig in zip(here, theirs, strict=True):
        assert {**mine.__dict__, "trainee_id": 0} == {**orig.__dict__, "trainee_id": 0}
        assert supervisor.choices(mine.id) == trainee_store.choices(orig.id)
    assert supervisor.self_report(here[0].id) == trainee_store.self_report(theirs[0].id)
    assert get_reflection(supervisor, here[0].id) is None  # left out by default
    again = export_bundle(supervisor, "Noa", PACK.id)
    assert again["sessions"] == bundle["sessions"] and again["trainee"] == bundle["trainee"]


def test_importing_twice_changes_nothing(trainee_store: Store, supervisor: Store) -> None:
    bundle = export_bundle(trainee_store, "Noa")
    import_bundle(supervisor, bundle)
    before = _table_dump(supervisor)
    result = import_bundle(supervisor, copy.deepcopy(bundle))
    assert not result.changed and result.unchanged == 2
    assert result.message() == "already imported: 2 sessions of Noa"
    assert _table_dump(supervisor) == before


def test_a_later_bundle_brings_an_unfinished_session_up_to_date(
    trainee_store: Store, supervisor: Store, minimal: CompiledScenario
) -> None:
    early = export_bundle(trainee_store, "Noa")
    import_bundle(supervisor, early)
    active = trainee_store.unfinished_sessions(trainee_store.get_trainee("Noa").id)[0]  # type: ignore[union-attr]
    practice = Practice.resume(trainee_store, trainee_store.get_trainee("Noa"), active, minimal)  # type: ignore[arg-type]
    while not practice.session.done:
        practice.choose(practice.session.options()[0])
    late = export_bundle(trainee_store, "Noa")
    result = import_bundle(supervisor, late)
    assert (result.imported, result.updated, result.unchanged) == (0, 1, 1)
    assert supervisor.get_session(active.id).status == "completed"  # type: ignore[union-attr]
    assert supervisor.choices(active.id) == trainee_store.choices(active.id)
    # The older bundle, imported after the newer one, does not turn the clock back.
    stale = import_bundle(supervisor, early)
    assert not stale.changed and supervisor.get_session(active.id).status == "completed"  # type: ignore[union-attr]


def test_reflections_and_typed_text_only_with_the_flag(
    trainee_store: Store, supervisor: Store, minimal: CompiledScenario
) -> None:
    noa = trainee_store.get_or_create_trainee("Noa")
    row = trainee_store.start_session(noa.id, "minimal", "1", minimal.content_hash, "r", "coach")
    trainee_store.record_choice(row.id, 0, "first", "open", free_text="typed words only I saw")
    plain = bundle_bytes(export_bundle(trainee_store, "Noa"))
    assert b"typed words only I saw" not in plain and b"private thought" not in plain
    full = export_bundle(trainee_store, "Noa", include_reflections=True)
    text = bundle_bytes(full)
    assert b"typed words only I saw" in text and b"private thought about Dana" in text
    import_bundle(supervisor, full)
    done = next(s for s in full["sessions"] if s["status"] == "completed")
    note = get_reflection(supervisor, done["id"])
    assert note is not None and "private thought" in note.text
    assert supervisor.choices(row.id)[0].free_text == "typed words only I saw"


def _rehash(bundle: dict[str, Any]) -> dict[str, Any]:
    bundle["content_hash"] = bundle_hash(bundle)
    return bundle


def _refused(store: Store, data: Any, reason: str) -> None:
    before = _table_dump(store)
    with pytest.raises(BundleError, match=reason):
        import_bundle(store, data)
    assert _table_dump(store) == before


def test_tampered_bundles_are_refused_and_change_nothing(
    trainee_store: Store, supervisor: Store
) -> None:
    bundle = export_bundle(trainee_store, "Noa")
    forged = copy.deepcopy(bundle)
    forged["sessions"][0]["summary"]["humility"]["asking"] = 100
    _refused(supervisor, forged, "content hash mismatch: the bundle was changed")
    no_hash = {k: v for k, v in bundle.items() if k != "content_hash"}
    _refused(supervisor, no_hash, "no content_hash")
    # The hash covers the header too: a changed pseudonym is caught.
    renamed = copy.deepcopy(bundle)
    renamed["trainee"]["pseudonym"] = "Someone else"
    _refused(supervisor, renamed, "content hash mismatch")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda b: b.update(format_version=2), "format version 2 is not one this"),
        (lambda b: b.update(format_version="1"), 'format version "1" is not one'),
        (lambda b: b.update(format="something/else"), "not an intake-sim result bundle"),
        (lambda b: b.update(extra_field=1), "extra_field: Extra inputs are not permitted"),
        (lambda b: b["sessions"][0].update(mode="exam"), r"sessions\.0\.mode"),
        (lambda b: b["sessions"][0]["choices"][0].update(step="0"), r"choices\.0\.step"),
        (lambda b: b["sessions"][0]["choices"].pop(0), "steps must run 0, 1, 2"),
        (lambda b: b["sessions"][0].update(id="../../etc"), r"sessions\.0\.id"),
        (lambda b: b["sessions"].append(copy.deepcopy(b["sessions"][0])), "listed twice"),
        (lambda b: b["trainee"].update(pseudonym="a\x07b"), "pseudonym"),
        (lambda b: b["packs"][0].update(mode="exam"), r"packs\.0"),
        (
            lambda b: b["sessions"][0]["choices"][0].update(free_text="x"),
            "include_reflections is false",
        ),
    ],
)
def test_malformed_bundles_are_refused_with_the_place(
    trainee_store: Store, supervisor: Store, change: Any, reason: str
) -> None:
    bundle = export_bundle(trainee_store, "Noa")
    change(bundle)
    _refused(supervisor, _rehash(bundle), reason)


def test_not_a_bundle_at_all(trainee_store: Store, supervisor: Store) -> None:
    personal = json.loads(json.dumps(trainee_store.export_trainee("Noa")))
    _refused(supervisor, personal, "a trainee's personal export")
    _refused(supervisor, [1, 2], "not an intake-sim result bundle")
    _refused(supervisor, "text", "not an intake-sim result bundle")


def test_conflicting_session_ids_refuse_the_whole_bundle(
    trainee_store: Store, supervisor: Store, tmp_path: Path, minimal: CompiledScenario
) -> None:
    bundle = export_bundle(trainee_store, "Noa")
    import_bundle(supervisor, bundle)
    # A second trainee's store where a session reuses one of Noa's ids with other answers.
    other = Store.open(tmp_path / "other")
    try:
        save_pack(other, PACK)
        done = bundle["sessions"][0]
        trainee = other.get_or_create_trainee("Noa")
        other.start_session(
            trainee.id,
            "minimal",
            done["scenario"]["version"],
            done["scenario"]["content_hash"],
            done["rubric_version"],
            "coach",
            PACK.id,
            session_id=done["id"],
        )
        _play(other, "Noa", minimal)  # a new session too, which must not be imported either
        clash = export_bundle(other, "Noa")
    finally:
        other.close()
    _refused(supervisor, clash, f"conflict: session {done['id']}")
    # Same id under another pseudonym: refused too.
    moved = copy.deepcopy(bundle)
    moved["trainee"]["pseudonym"] = "Eli"
    _refused(supervisor, _rehash(moved), "another trainee's")


def test_a_different_pack_under_the_same_id_and_version_is_refused(
    trainee_store: Store, supervisor: Store
) -> None:
    save_pack(supervisor, PACK.model_copy(update={"title": "Another week one"}))
    _refused(supervisor, export_bundle(trainee_store, "Noa"), "assignment pack 'week-1'")
    # A newer version kept by the supervisor wins; the trainee's sessions still come in.
    newer = PACK.model_copy(update={"title": "Week one, revised", "version": 2})
    save_pack(supervisor, newer)
    assert import_bundle(supervisor, export_bundle(trainee_store, "Noa")).imported == 2
    assert get_pack(supervisor, PACK.id) == newer


def test_dry_run_stores_nothing(trainee_store: Store, supervisor: Store) -> None:
    before = _table_dump(supervisor)
    result = import_bundle(supervisor, export_bundle(trainee_store, "Noa"), dry_run=True)
    assert result.imported == 2 and result.message().startswith("would import 2 sessions")
    assert _table_dump(supervisor) == before


def test_reading_files(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="no such file"):
        read_bundle_file(tmp_path / "missing.json")
    with pytest.raises(BundleError, match="a directory"):
        read_bundle_file(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "intake-sim/result-bundle",\n "x": }', encoding="utf-8")
    with pytest.raises(BundleError, match=r"not valid JSON \(line 2, column 7: Expecting value\)"):
        read_bundle_file(bad)
    bad.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(BundleError, match="not UTF-8"):
        read_bundle_file(bad)
    bad.write_text('{"a": NaN}', encoding="utf-8")
    with pytest.raises(BundleError, match="NaN is not allowed"):
        read_bundle_file(bad)
    bad.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(BundleError, match="not valid JSON"):
        read_bundle_file(bad)
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(MAX_BUNDLE_BYTES + 1)  # sparse: cheap to make, refused before parsing
    with pytest.raises(BundleError, match="larger than 32 MiB"):
        read_bundle_file(big)


# ---------------------------------------------------------------- the commands


def run(*args: str, cwd: Path, data_dir: Path, stdin: str = "") -> Any:
    return run_cli(*args, cwd=cwd, data_dir=data_dir, stdin=stdin)


def test_export_and_import_commands(tmp_path: Path) -> None:
    mine, sup = tmp_path / "mine", tmp_path / "sup"
    r = run(
        "play", "minimal", "--plain", "--scenarios", str(DATA), "--trainee", "Dana R.",
        cwd=tmp_path, data_dir=mine, stdin="1\n" * 4 + "\n",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = run("export", "--trainee", "Dana R.", cwd=tmp_path, data_dir=mine)
    assert r.returncode == 0, r.stderr
    made = list(tmp_path.glob("*.intake-bundle.json"))
    assert len(made) == 1 and re.fullmatch(
        r"Dana_R-all-\d{4}-\d\d-\d\d\.intake-bundle\.json", made[0].name
    )
    assert r.stdout.startswith(f"Wrote {made[0].name}: 1 session of Dana R. (1 completed)")
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left no temporary file

    tampered = tmp_path / "tampered.json"
    data = json.loads(made[0].read_text(encoding="utf-8"))
    data["sessions"][0]["summary"]["overall"] = 99
    tampered.write_text(json.dumps(data), encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text(made[0].read_text(encoding="utf-8")[:-20], encoding="utf-8")
    r = run(
        "import", made[0].name, made[0].name, str(tampered), str(broken), "missing.json",
        cwd=tmp_path, data_dir=sup,
    )  # fmt: skip
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines[0] == f"{made[0].name}: imported 1 session of Dana R."
    assert lines[1] == f"{made[0].name}: already imported: 1 session of Dana R."
    assert lines[2].startswith(f"{tampered}: refused: content hash mismatch")
    assert lines[3].startswith(f"{broken}: refused: not valid JSON (line")
    assert lines[4] == "missing.json: refused: no such file"
    assert "3 of 5 bundles refused" in r.stderr and "Traceback" not in r.stderr

    r = run("import", "--dry-run", made[0].name, cwd=tmp_path, data_dir=tmp_path / "fresh")
    assert r.returncode == 0 and "would import 1 session of Dana R." in r.stdout
    r = run("export", "--trainee", "Nobody", cwd=tmp_path, data_dir=mine)
    assert r.returncode == 1 and "no trainee called 'Nobody'" in r.stderr
    r = run("export", "--assignment", "nope", "--trainee", "Dana R.", cwd=tmp_path, data_dir=mine)
    assert r.returncode == 1 and "no sessions of assignment 'nope'" in r.stderr
    r = run("import", cwd=tmp_path, data_dir=sup)
    assert r.returncode == 2 and "FILE" in r.stderr


def test_reflections_are_kept_replaced_and_removed(trainee_store: Store) -> None:
    sid = trainee_store.sessions_for_trainee(trainee_store.get_trainee("Noa").id)[0].id  # type: ignore[union-attr]
    saved = save_reflection(trainee_store, sid, "  first line\n\x1b[31msecond\x07 line  ")
    assert saved is not None and saved.text == "first line\n[31msecond line"
    assert get_reflection(trainee_store, sid) == saved
    assert save_reflection(trainee_store, sid, "   ") is None  # an empty note removes it
    assert get_reflection(trainee_store, sid) is None
    with pytest.raises(StoreError, match="at most 10000 characters"):
        save_reflection(trainee_store, sid, "x" * 10_001)
    with pytest.raises(StoreError, match="There is no session nope"):
        save_reflection(trainee_store, "nope", "a note")
