"""xAPI statements built from sessions played through the real engine and store."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from simulator.core.compiled import CompiledScenario
from simulator.core.feedback import turn_feedback
from simulator.practice import Practice
from simulator.reports import xapi, xapi_source
from simulator.reports.xapi_rules import problems
from simulator.store import Store
from tests.clirun import run_cli

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
EXT = xapi.EXT


def ticking_clock() -> Callable[[], str]:
    """Stored times one and a quarter seconds apart, so durations are known."""
    state = {"n": 0}

    def now() -> str:
        state["n"] += 1
        micro = state["n"] * 1_250_000
        return f"2026-03-01T09:{micro // 60_000_000:02d}:{micro % 60_000_000 / 1e6:09.6f}Z"

    return now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "data", clock=ticking_clock()) as s:
        yield s


def play(
    store: Store,
    scenario: CompiledScenario,
    picks: list[int],
    *,
    trainee: str = "river",
    mode: str = "coach",
    stance: dict[str, str] | None = None,
    assignment: str | None = None,
) -> Practice:
    t = store.get_or_create_trainee(trainee)
    p = Practice.begin(store, t, scenario, mode, assignment_id=assignment)
    for pick in picks:
        if p.session.done:
            break
        p.choose(p.session.options()[pick], stance)
    return p


def build(store: Store, scenario: CompiledScenario, **kwargs: Any) -> list[dict[str, Any]]:
    options = kwargs.pop("options", None)
    records = xapi_source.records(
        store, lambda sid: scenario if sid == scenario.id else None, None, **kwargs
    )
    return xapi.statements(records, options)


def verbs(statements: list[dict[str, Any]]) -> list[str]:
    return [st["verb"]["display"]["en-US"] for st in statements]


# ---------------------------------------------------------------- a completed session


def test_completed_session_statements(store: Store, minimal: CompiledScenario) -> None:
    p = play(store, minimal, [0, 0, 0, 0, 0], stance={"tone": "warm"})
    assert p.session.done
    out = build(store, minimal)
    turns = p.session.turns
    assert verbs(out) == ["initialized"] + ["answered"] * len(turns) + ["completed", "terminated"]
    for st in out:
        assert problems(st) == [], st
    row = store.get_session(p.row.id)
    assert row is not None and row.ended_at is not None
    reg = xapi.registration(row.id)
    assert {st["context"]["registration"] for st in out} == {reg}
    assert all(
        st["actor"]
        == {
            "objectType": "Agent",
            "account": {"homePage": xapi.DEFAULT_HOME_PAGE, "name": "river"},
        }
        for st in out
    )
    assert out[0]["timestamp"] == row.started_at
    assert out[0]["object"]["id"] == xapi.scenario_iri("minimal")
    assert out[0]["object"]["definition"]["name"] == {"en-US": minimal.model.title}

    choices = store.choices(row.id)
    for st, turn, choice in zip(out[1:], turns, choices, strict=False):
        assert st["timestamp"] == choice.at
        assert st["object"]["id"] == xapi.decision_iri("minimal", turn.node_id)
        assert st["result"]["response"] == turn.option.say
        ext = st["result"]["extensions"]
        assert ext[EXT + "option"] == turn.option.id
        fb = turn_feedback(p.session, turn.step)
        assert ext[EXT + "feedback"]["read_as"] == fb.read_as
        assert [n["text"] for n in ext[EXT + "feedback"]["notes"]] == [n.text for n in fb.notes]
        assert ext[EXT + "feedback"]["shown"] == "after the response"
        per_dim: dict[str, float] = {}
        for dim, amount, _ in turn.humility:
            per_dim[dim] = per_dim.get(dim, 0.0) + amount
        assert ext[EXT + "humility-change"] == pytest.approx(per_dim)
        ctx = st["context"]
        assert ctx["extensions"][EXT + "step"] == turn.step + 1
        assert ctx["extensions"][EXT + "stance"]["tone"] == "warm"
        assert ctx["contextActivities"]["parent"][0]["id"] == xapi.scenario_iri("minimal")

    completed, terminated = out[-2], out[-1]
    summary = row.summary or {}
    assert completed["timestamp"] == terminated["timestamp"] == row.ended_at
    assert completed["result"]["completion"] is True
    assert completed["result"]["score"]["scaled"] == pytest.approx(summary["overall"] / 100)
    assert completed["result"]["score"]["raw"] == summary["overall"]
    assert completed["result"]["extensions"][EXT + "humility"] == summary["humility"]
    # The ticking clock: one tick to start, one per choice, one to complete.
    expected = xapi.iso_duration(row.started_at, row.ended_at)
    assert completed["result"]["duration"] == terminated["result"]["duration"] == expected
    assert expected == f"PT{1.25 * (len(turns) + 1):g}S"
    assert not any(v in verbs(out) for v in ("passed", "failed"))  # no pack, no verdict


def test_assessment_mode_says_feedback_came_at_the_end(
    store: Store, minimal: CompiledScenario
) -> None:
    play(store, minimal, [1, 2, 0, 0, 0], mode="assessment")
    answered = [st for st in build(store, minimal) if verbs([st]) == ["answered"]]
    assert answered
    for st in answered:
        feedback = st["result"]["extensions"][EXT + "feedback"]
        assert feedback["shown"] == "at the end of the session"
        assert st["context"]["extensions"][EXT + "mode"] == "assessment"


# ---------------------------------------------------------------- ids


def test_ids_are_stable_and_unique(store: Store, minimal: CompiledScenario, tmp_path: Path) -> None:
    play(store, minimal, [0, 0, 0, 0, 0], trainee="river")
    play(store, minimal, [2, 2, 2, 2, 2], trainee="stone")
    first = build(store, minimal)
    ids = [st["id"] for st in first]
    assert len(set(ids)) == len(ids)
    assert all(uuid.UUID(i).version == 5 for i in ids)
    store.close()
    # Read again from a reopened store: the very same statements, byte for byte.
    with Store.open(tmp_path / "data") as again:
        second = build(again, minimal)
    assert json.dumps(second, sort_keys=True) == json.dumps(first, sort_keys=True)


def test_id_formula() -> None:
    a = xapi.statement_id("s1", "answered", 2, "n.o")
    assert a == xapi.statement_id("s1", "answered", 2, "n.o")
    assert a != xapi.statement_id("s1", "answered", 2, "n.other")
    assert a != xapi.statement_id("s1", "answered", 3, "n.o")
    assert a != xapi.statement_id("s2", "answered", 2, "n.o")
    assert xapi.statement_id("s1", "passed") != xapi.statement_id("s1", "failed")
    assert xapi.registration("s1") != xapi.registration("s2")
    assert uuid.UUID(xapi.registration("s1")).version == 5


def test_a_rewound_answer_is_a_new_event(store: Store, minimal: CompiledScenario) -> None:
    p = play(store, minimal, [0, 0])
    before = {st["id"] for st in build(store, minimal)}
    p.rewind(1)
    p.choose(p.session.options()[2])
    after = build(store, minimal)
    answered = [st for st in after if verbs([st]) == ["answered"]]
    assert answered[0]["id"] in before  # the first answer is the same event
    assert answered[1]["id"] not in before  # the second was answered differently


# ---------------------------------------------------------------- lifecycle


def test_abandoned_and_active_sessions(store: Store, minimal: CompiledScenario) -> None:
    gone = play(store, minimal, [0, 1], trainee="river")
    store.abandon_session(gone.row.id)
    play(store, minimal, [0], trainee="stone")
    out = build(store, minimal)
    by_trainee: dict[str, list[str]] = {}
    for st in out:
        by_trainee.setdefault(st["actor"]["account"]["name"], []).append(verbs([st])[0])
    assert by_trainee["river"] == ["initialized", "answered", "answered", "abandoned"]
    # An active session can still be resumed: only what has happened so far.
    assert by_trainee["stone"] == ["initialized", "answered"]
    abandoned = next(st for st in out if verbs([st]) == ["abandoned"])
    assert abandoned["verb"]["id"] == "https://w3id.org/xapi/adl/verbs/abandoned"
    assert abandoned["result"]["completion"] is False
    assert abandoned["context"]["extensions"][EXT + "decisions"] == 2
    assert problems(abandoned) == []


def test_filters_by_trainee_and_assignment(store: Store, minimal: CompiledScenario) -> None:
    play(store, minimal, [0, 0, 0, 0, 0], trainee="river", assignment="spring-cohort")
    play(store, minimal, [0, 0, 0, 0, 0], trainee="stone")
    assert {st["actor"]["account"]["name"] for st in build(store, minimal, trainee="STONE")} == {
        "stone"
    }
    graded = build(store, minimal, assignment="spring-cohort")
    assert {st["actor"]["account"]["name"] for st in graded} == {"river"}
    for st in graded:
        grouping = st["context"]["contextActivities"]["grouping"]
        assert grouping[0]["id"] == xapi.assignment_iri("spring-cohort")
    assert build(store, minimal, assignment="nobody") == []


def test_passed_and_failed_against_a_pack(store: Store, minimal: CompiledScenario) -> None:
    play(store, minimal, [0, 0, 0, 0, 0], assignment="spring")
    [rec] = xapi_source.records(store, lambda _id: minimal, None)
    humility = (rec.row.summary or {})["humility"]
    for passed in (True, False):
        pack = xapi.PackResult("spring", {"asking": 60}, passed, () if passed else ("asking",))
        rec_with = xapi.SessionRecord(
            rec.row, rec.pseudonym, rec.choices, rec.session, rec.scenario_title, pack
        )
        out = xapi.session_statements(rec_with)
        kinds = verbs(out)
        assert kinds[-3:] == ["completed", "passed" if passed else "failed", "terminated"]
        verdict = out[-2]
        assert problems(verdict) == []
        assert verdict["result"]["success"] is passed
        assert verdict["result"]["extensions"][EXT + "thresholds"] == {"asking": 60}
        assert verdict["result"]["extensions"][EXT + "humility"] == humility
        assert verdict["result"]["extensions"][EXT + "failing-dimensions"] == (
            [] if passed else ["asking"]
        )
        assert verdict["id"] == xapi.statement_id(rec.row.id, kinds[-2])


def test_unknown_scenario_leaves_answers_out_with_a_note(
    store: Store, minimal: CompiledScenario
) -> None:
    play(store, minimal, [0, 0, 0, 0, 0])
    [rec] = xapi_source.records(store, lambda _id: None, None)
    assert rec.notes and "not in the library" in rec.notes[0]
    out = xapi.session_statements(rec)
    assert verbs(out) == ["initialized", "completed", "terminated"]
    assert all(problems(st) == [] for st in out)


# ---------------------------------------------------------------- privacy


TYPED = "Tell me, in your own words, what brings you here today? [bold]x[/]"


def test_typed_responses_stay_out_unless_included(store: Store, minimal: CompiledScenario) -> None:
    t = store.get_or_create_trainee("river")
    p = Practice.begin(store, t, minimal)
    coded = p.read(TYPED)
    option = p.session.options()[0]
    p.choose_typed(option, coded)
    default = json.dumps(build(store, minimal), ensure_ascii=False)
    assert "in your own words" not in default
    answered = next(st for st in build(store, minimal) if verbs([st]) == ["answered"])
    assert answered["result"]["response"] == option.say
    assert answered["result"]["extensions"][EXT + "typed"] is True
    included = build(store, minimal, options=xapi.Options(include_reflections=True))
    answered = next(st for st in included if verbs([st]) == ["answered"])
    assert answered["result"]["extensions"][EXT + "typed-response"] == TYPED
    assert problems(answered) == []


# ---------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-01-01T10:00:00Z", "2026-01-01T10:00:00Z", "PT0S"),
        ("2026-01-01T10:00:00.000000Z", "2026-01-01T10:00:01.500000Z", "PT1.5S"),
        ("2026-01-01T10:00:00Z", "2026-01-01T11:02:03.25Z", "PT1H2M3.25S"),
        ("2026-01-01T10:00:00Z", "2026-01-03T10:00:00Z", "PT48H0S"),
        ("2026-01-01T10:00:05Z", "2026-01-01T10:00:00Z", "PT0S"),  # clock went back
    ],
)
def test_iso_duration(start: str, end: str, expected: str) -> None:
    assert xapi.iso_duration(start, end) == expected


# ---------------------------------------------------------------- the rules checker


def good() -> dict[str, Any]:
    return {
        "id": "f1b7c4a2-3d5e-4f60-8a9b-0c1d2e3f4a5b",
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": "https://example.org/people", "name": "river"},
        },
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
        "object": {
            "objectType": "Activity",
            "id": "https://example.org/activities/q1",
            "definition": {"name": {"en-US": "Q1"}, "interactionType": "other"},
        },
        "result": {
            "score": {"scaled": 0.5, "raw": 50, "min": 0, "max": 100},
            "success": True,
            "completion": True,
            "response": "words",
            "duration": "PT1M2.5S",
            "extensions": {"https://example.org/ext/x": {"any": "thing"}},
        },
        "context": {
            "registration": "0b7c4a2f-3d5e-4f60-8a9b-0c1d2e3f4a5b",
            "contextActivities": {"parent": [{"id": "https://example.org/activities/s"}]},
            "extensions": {"https://example.org/ext/y": 1},
        },
        "timestamp": "2026-01-01T10:00:00.123Z",
        "version": "1.0.3",
    }


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(st: dict[str, Any]) -> None:
        *head, last = path.split(".")
        cur = st
        for key in head:
            cur = cur[key]
        if value is DELETE:
            del cur[last]
        else:
            cur[last] = value

    return edit


DELETE = object()

BAD = [
    ("actor", DELETE, "statement.actor: is required"),
    ("verb", DELETE, "statement.verb: is required"),
    ("object", DELETE, "statement.object: is required"),
    ("id", "not-a-uuid", "statement.id: must be a UUID"),
    ("actor.mbox", "mailto:river@example.org", "exactly one identifier"),
    ("actor", {"mbox": "mailto:river@example.org"}, "project policy: actors are pseudonymous"),
    ("actor", {"mbox": "river@example.org"}, "must be a mailto: IRI"),
    ("actor", {"objectType": "Group", "member": []}, "must be 'Agent'"),
    ("actor.account.homePage", "example.org", "must be a resolvable http(s) IRL"),
    ("actor.account.name", "", "must not be empty"),
    ("verb.id", "answered", "statement.verb.id: must be an absolute IRI"),
    ("verb.display", DELETE, "statement.verb.display: is required"),
    ("verb.display", {"english!": "answered"}, "not an RFC 5646 language tag"),
    ("object.id", "q1 with spaces", "statement.object.id: must be an absolute IRI"),
    ("object.definition", DELETE, "statement.object.definition: is required"),
    ("object.definition.interactionType", "essay", "is not an xAPI interaction type"),
    ("object.definition.choices", [{"id": "a"}], "not allowed with interactionType 'other'"),
    ("result.score.scaled", 1.5, "must be between -1 and 1"),
    ("result.score.raw", 150, "is above max 100"),
    ("result.score.min", 100, "must be less than max"),
    ("result.score.raw", True, "must be a finite number"),
    ("result.success", "yes", "statement.result.success: must be true or false"),
    ("result.completion", 1, "statement.result.completion: must be true or false"),
    ("result.duration", "5 minutes", "must be an ISO 8601 duration"),
    ("result.duration", "PT", "must be an ISO 8601 duration"),
    ("result.extensions", {"plain-key": 1}, "must be an absolute IRI"),
    ("result.grade", "A", "statement.result.grade: is not a property"),
    ("context.registration", "session-1", "statement.context.registration: must be a UUID"),
    ("context.contextActivities.parent", {"id": "https://example.org/a"}, "must be a list"),
    ("context.contextActivities.parent", [{"id": "nope"}], "must be an absolute IRI"),
    ("context.extensions", {"step": 1}, "must be an absolute IRI"),
    ("context.language", "en_US", "not an RFC 5646 language tag"),
    ("timestamp", "2026-01-01T10:00:00", "with a time zone"),
    ("timestamp", "2026-01-01 10:00:00Z", "with a time zone"),
    ("timestamp", "2026-02-30T10:00:00Z", "not a real date"),
    ("timestamp", "2026-01-01T10:00:00-00:00", "-00:00 is not allowed"),
    ("version", "2.0.0", "must be 1.0.x"),
    ("result.response", None, "statement.result.response: must not be null"),
    ("colour", "blue", "statement.colour: is not a property"),
]


def test_the_good_statement_passes() -> None:
    assert problems(good()) == []


@pytest.mark.parametrize(("path", "value", "expected"), BAD, ids=[b[2][:40] for b in BAD])
def test_rules_catch_bad_statements(path: str, value: Any, expected: str) -> None:
    st = copy.deepcopy(good())
    _set(path, value)(st)
    found = problems(st)
    assert any(expected in p for p in found), found


def test_rules_on_non_objects() -> None:
    assert problems([]) == ["statement: must be an object"]
    assert problems({"actor": "river", "verb": {}, "object": 3})[0].startswith("statement.")


# ---------------------------------------------------------------- the command


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=env, unset=("INTAKE_SIM_LRS_PASSWORD",))


@pytest.fixture
def played(tmp_path: Path) -> Path:
    data = tmp_path / "with space ü"
    for who, picks in (("river", "1\n1\n1\n1\n1\n"), ("stone", "3\n3\n3\n3\n3\n")):
        r = subprocess.run(
            [
                *(sys.executable, "-m", "simulator", "play", "minimal", "--plain"),
                *("--scenarios", str(DATA), "--data-dir", str(data), "--trainee", who),
            ],
            input=picks,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr
    return data


def test_export_command(played: Path, tmp_path: Path) -> None:
    out = tmp_path / "out dir" / "statements.jsonl"
    out.parent.mkdir()
    common = ("--data-dir", str(played), "--scenarios", str(DATA))
    r = cli("xapi", "export", *common, "-o", str(out))
    assert r.returncode == 0, r.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    statements = [json.loads(line) for line in lines]
    assert f"wrote {len(statements)} statements of 2 sessions" in r.stderr
    assert all(problems(st) == [] for st in statements)
    assert {st["actor"]["account"]["name"] for st in statements} == {"river", "stone"}
    # Standard output gives the same lines; a trainee filter narrows them.
    r = cli("xapi", "export", *common)
    assert r.stdout.splitlines() == lines
    r = cli("xapi", "export", *common, "--trainee", "stone", "--home-page", "https://u.example/p")
    mine = [json.loads(line) for line in r.stdout.splitlines()]
    assert mine and {st["actor"]["account"]["name"] for st in mine} == {"stone"}
    assert {st["actor"]["account"]["homePage"] for st in mine} == {"https://u.example/p"}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("export", "--trainee", "nobody"), 1, "there is no trainee called 'nobody'"),
        (("export", "--home-page", "not a url"), 1, "--home-page must be an http(s) URL"),
        (("export", "-o", "."), 1, "that is a directory"),
        (("send", "--endpoint", "http://127.0.0.1:9/xAPI", "--user", "u"), 1, "no LRS password"),
        (
            ("send", "--endpoint", "ftp://lrs.example/xAPI", "--user", "u", "--password", "p"),
            1,
            "--endpoint: the endpoint must be an http(s) URL",
        ),
        (
            ("send", "--endpoint", "https://u:hunter22@lrs.example/", "--user", "u"),
            1,
            "not in the endpoint URL",
        ),
        (("send", "--endpoint", "http://x/", "--user", "u", "--batch-size", "0"), 2, "above 0"),
        (("send", "--user", "u"), 2, "--endpoint"),
    ],
)
def test_command_errors(played: Path, args: tuple[str, ...], code: int, message: str) -> None:
    r = cli("xapi", *args, "--data-dir", str(played), "--scenarios", str(DATA))
    assert r.returncode == code, (r.stdout, r.stderr)
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert "hunter22" not in r.stderr + r.stdout
