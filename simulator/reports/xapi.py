"""xAPI 1.0.3 statements for stored sessions: pure functions from stored rows to statements.

One session gives, in order: initialized; answered (one per stored choice); completed, then
passed or failed when the session belongs to an assignment pack, then terminated (completed
sessions); or abandoned (sessions marked abandoned). Active sessions give only what has happened
so far (initialized and their answers): an active session can still be resumed, so calling it
abandoned after some cut-off would contradict the completed statement that may follow.

Statement ids are uuid5 over the session id, the kind of event and its step (for an answer also
the option, because a rewound answer is a different event), so sending the same sessions again
never duplicates anything in a learning record store.

Actors are pseudonymous: an `account` on a configurable home page, named by the pseudonym.
Typed free-text responses stay out unless explicitly included (`include_reflections`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from simulator.core.engine import Session
from simulator.core.feedback import turn_feedback
from simulator.store.models import ChoiceRow, SessionRow

BASE = "https://intake-sim.example/xapi"
EXT = f"{BASE}/ext/"
ACTIVITIES = f"{BASE}/activities/"
DEFAULT_HOME_PAGE = "https://intake-sim.example/trainees"
# Every statement id and registration is a uuid5 in this namespace.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, BASE)
LANG = "en-US"

VERBS: dict[str, str] = {
    "initialized": "http://adlnet.gov/expapi/verbs/initialized",
    "answered": "http://adlnet.gov/expapi/verbs/answered",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
    "terminated": "http://adlnet.gov/expapi/verbs/terminated",
    "abandoned": "https://w3id.org/xapi/adl/verbs/abandoned",
}
SIMULATION = "http://adlnet.gov/expapi/activities/simulation"
INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
ASSESSMENT = "http://adlnet.gov/expapi/activities/assessment"


def ext(name: str) -> str:
    return EXT + name


@dataclass(frozen=True)
class Options:
    home_page: str = DEFAULT_HOME_PAGE
    include_reflections: bool = False


@dataclass(frozen=True)
class PackResult:
    """A session's verdict against its assignment pack's thresholds."""

    pack_id: str
    thresholds: Mapping[str, float]
    passed: bool
    failing: Sequence[str] = ()


@dataclass(frozen=True)
class SessionRecord:
    """Everything stored about one session that its statements are made from.

    `session` is the session re-created from its choices through the engine (for the response
    text and the feedback given); None when the scenario is no longer in the library or its
    stored answers no longer fit it, in which case the answers are left out.
    """

    row: SessionRow
    pseudonym: str
    choices: Sequence[ChoiceRow]
    session: Session | None = None
    scenario_title: str | None = None
    pack: PackResult | None = None
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- identifiers


def statement_id(session_id: str, kind: str, step: int | None = None, detail: str = "") -> str:
    """A stable id for one event of one session."""
    key = f"{session_id}/{kind}/{'-' if step is None else step}"
    if detail:
        key += f"/{detail}"
    return str(uuid.uuid5(NAMESPACE, key))


def registration(session_id: str) -> str:
    """The session's xAPI registration: the same uuid for every statement of the session."""
    return str(uuid.uuid5(NAMESPACE, f"registration/{session_id}"))


def _seg(text: str) -> str:
    return quote(text, safe="-._~")


def scenario_iri(scenario_id: str) -> str:
    return f"{ACTIVITIES}scenarios/{_seg(scenario_id)}"


def decision_iri(scenario_id: str, node_id: str) -> str:
    return f"{scenario_iri(scenario_id)}/decisions/{_seg(node_id)}"


def assignment_iri(pack_id: str) -> str:
    return f"{ACTIVITIES}assignments/{_seg(pack_id)}"


# ---------------------------------------------------------------- times


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso_duration(start: str, end: str) -> str:
    """ISO 8601 duration between two stored times, to the hundredth of a second."""
    seconds = max(0.0, (_parse_time(end) - _parse_time(start)).total_seconds())
    hundredths = round(seconds * 100)
    hours, rest = divmod(hundredths, 360000)
    minutes, rest = divmod(rest, 6000)
    secs = f"{rest // 100}.{rest % 100:02d}".rstrip("0").rstrip(".")
    out = "PT"
    if hours:
        out += f"{hours}H"
    if minutes:
        out += f"{minutes}M"
    return out + f"{secs}S"


# ---------------------------------------------------------------- parts


def _actor(pseudonym: str, options: Options) -> dict[str, Any]:
    return {
        "objectType": "Agent",
        "account": {"homePage": options.home_page, "name": pseudonym},
    }


def _verb(kind: str) -> dict[str, Any]:
    return {"id": VERBS[kind], "display": {LANG: kind}}


def _scenario_activity(rec: SessionRecord) -> dict[str, Any]:
    row = rec.row
    title = rec.scenario_title or row.scenario_id
    return {
        "objectType": "Activity",
        "id": scenario_iri(row.scenario_id),
        "definition": {
            "type": SIMULATION,
            "name": {LANG: title},
            "description": {LANG: f"Intake interview simulation '{row.scenario_id}'"},
        },
    }


def _decision_activity(rec: SessionRecord, node_id: str) -> dict[str, Any]:
    row = rec.row
    return {
        "objectType": "Activity",
        "id": decision_iri(row.scenario_id, node_id),
        "definition": {
            "type": INTERACTION,
            "name": {LANG: f"Decision '{node_id}'"},
            "description": {
                LANG: f"Decision '{node_id}' of the intake simulation '{row.scenario_id}'"
            },
            # The trainee's response is free prose (an authored option's words), not a choice
            # id, so the interaction type is "other" and result.response holds the words.
            "interactionType": "other",
        },
    }


def _assignment_activity(pack_id: str) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": assignment_iri(pack_id),
        "definition": {"type": ASSESSMENT, "name": {LANG: f"Assignment {pack_id}"}},
    }


def _context(
    rec: SessionRecord, *, parent: bool, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    row = rec.row
    activities: dict[str, list[dict[str, Any]]] = {}
    if parent:
        activities["parent"] = [_scenario_activity(rec)]
    if row.assignment_id:
        activities["grouping"] = [_assignment_activity(row.assignment_id)]
    extensions: dict[str, Any] = {
        ext("session"): row.id,
        ext("mode"): row.mode,
        ext("scenario-version"): row.scenario_version,
        ext("content-hash"): row.content_hash,
        ext("rubric-version"): row.rubric_version,
    }
    if row.assignment_id:
        extensions[ext("assignment")] = row.assignment_id
    extensions.update(extra or {})
    context: dict[str, Any] = {
        "registration": registration(row.id),
        "platform": "intake-sim",
        "language": LANG,
        "extensions": extensions,
    }
    if activities:
        context["contextActivities"] = activities
    return context


def _statement(
    rec: SessionRecord,
    options: Options,
    kind: str,
    sid: str,
    obj: dict[str, Any],
    timestamp: str,
    context: dict[str, Any],
    result: dict[str, Any] | None = None,
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "id": sid,
        "actor": _actor(rec.pseudonym, options),
        "verb": _verb(kind),
        "object": obj,
    }
    if result is not None:
        statement["result"] = result
    statement["context"] = context
    statement["timestamp"] = timestamp
    return statement


def _score(overall: Any) -> dict[str, Any] | None:
    if isinstance(overall, bool) or not isinstance(overall, int | float):
        return None
    raw = max(0.0, min(100.0, float(overall)))
    return {"scaled": round(raw / 100, 4), "raw": raw, "min": 0.0, "max": 100.0}


def _summary_extensions(summary: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    keys = {
        "humility": "humility",
        "salient_themes": "salient-themes",
        "broaching_style": "broaching-style",
        "band": "band",
        "ending": "ending",
        "ending_outcome": "ending-outcome",
        "decisions": "decisions",
    }
    for key, name in keys.items():
        if summary.get(key) is not None:
            out[ext(name)] = summary[key]
    opps = summary.get("opportunities")
    if isinstance(opps, Mapping):
        out[ext("opportunities")] = {
            k: opps[k] for k in ("offered", "engaged", "missed", "harmed") if k in opps
        }
    return out


# ---------------------------------------------------------------- answers


def _feedback(session: Session, step: int, mode: str) -> dict[str, Any]:
    """What the trainee was told about this response (at once in coach mode, at the end in
    assessment mode), as data."""
    fb = turn_feedback(session, step)
    out: dict[str, Any] = {
        "shown": "after the response" if mode == "coach" else "at the end of the session",
        "read_as": fb.read_as,
        "notes": [
            {
                "code": n.label,
                "title": n.title,
                "valence": n.valence,
                "text": n.text,
                **({"better": n.better} if n.better and n.valence == "negative" else {}),
            }
            for n in fb.notes
        ],
        "rupture": fb.rupture,
        "repaired": fb.repaired,
    }
    if fb.option_feedback:
        out["about_this_response"] = fb.option_feedback
    if fb.context:
        out["in_this_moment"] = fb.context
    if fb.moved:
        out["alliance"] = {v: a for v, a in fb.moved}
    if fb.opportunity:
        out["opportunity"] = {"about": fb.opportunity[0], "outcome": fb.opportunity[1]}
    if fb.themes_changed:
        out["themes"] = {t: ("rising" if a else "fading") for t, a in fb.themes_changed}
    if fb.disclosure:
        out["disclosure"] = fb.disclosure
    if fb.basis:
        out["basis"] = [{"cite": c.cite, "note": c.note} for c in fb.basis]
    return out


def _answered(rec: SessionRecord, options: Options, choice: ChoiceRow) -> dict[str, Any] | None:
    session = rec.session
    if session is None or choice.step >= len(session.turns):
        return None
    turn = session.turns[choice.step]
    if turn.node_id != choice.node_id or turn.option.id != choice.option_id:
        return None
    per_dim: dict[str, float] = {}
    for dim, amount, _ in turn.humility:
        per_dim[dim] = round(per_dim.get(dim, 0.0) + amount, 3)
    result_ext: dict[str, Any] = {
        ext("option"): choice.option_id,
        ext("codes"): list(turn.option.labels),
        ext("humility-change"): per_dim,
        ext("feedback"): _feedback(session, choice.step, rec.row.mode),
    }
    if choice.free_text is not None:
        result_ext[ext("typed")] = True
        if options.include_reflections:
            result_ext[ext("typed-response")] = choice.free_text
    node = session.scenario.nodes[turn.node_id]
    context = _context(
        rec,
        parent=True,
        extra={
            ext("step"): choice.step + 1,
            ext("stance"): dict(choice.stance),
            ext("client-line"): node.client_line(turn.before),
        },
    )
    return _statement(
        rec,
        options,
        "answered",
        statement_id(rec.row.id, "answered", choice.step, f"{choice.node_id}.{choice.option_id}"),
        _decision_activity(rec, choice.node_id),
        choice.at,
        context,
        {"response": turn.option.say, "extensions": result_ext},
    )


# ---------------------------------------------------------------- a session


def session_statements(rec: SessionRecord, options: Options | None = None) -> list[dict[str, Any]]:
    """Every statement for one stored session, in the order the events happened."""
    options = options or Options()
    row = rec.row
    scenario = _scenario_activity(rec)
    out = [
        _statement(
            rec,
            options,
            "initialized",
            statement_id(row.id, "initialized"),
            scenario,
            row.started_at,
            _context(rec, parent=False),
        )
    ]
    for choice in rec.choices:
        answered = _answered(rec, options, choice)
        if answered is not None:
            out.append(answered)
    end = row.ended_at
    if row.status == "completed" and end:
        summary = row.summary or {}
        score = _score(summary.get("overall"))
        duration = iso_duration(row.started_at, end)
        completed_result: dict[str, Any] = {"completion": True, "duration": duration}
        if score is not None:
            completed_result["score"] = score
        extensions = _summary_extensions(summary)
        if extensions:
            completed_result["extensions"] = extensions
        out.append(
            _statement(
                rec,
                options,
                "completed",
                statement_id(row.id, "completed"),
                scenario,
                end,
                _context(rec, parent=False),
                completed_result,
            )
        )
        if rec.pack is not None:
            out.append(_verdict(rec, options, scenario, end, score, duration))
        out.append(
            _statement(
                rec,
                options,
                "terminated",
                statement_id(row.id, "terminated"),
                scenario,
                end,
                _context(rec, parent=False),
                {"duration": duration},
            )
        )
    elif row.status == "abandoned" and end:
        out.append(
            _statement(
                rec,
                options,
                "abandoned",
                statement_id(row.id, "abandoned"),
                scenario,
                end,
                _context(rec, parent=False, extra={ext("decisions"): len(rec.choices)}),
                {"completion": False, "duration": iso_duration(row.started_at, end)},
            )
        )
    return out


def _verdict(
    rec: SessionRecord,
    options: Options,
    scenario: dict[str, Any],
    end: str,
    score: dict[str, Any] | None,
    duration: str,
) -> dict[str, Any]:
    pack = rec.pack
    assert pack is not None
    kind = "passed" if pack.passed else "failed"
    result: dict[str, Any] = {"success": pack.passed, "completion": True, "duration": duration}
    if score is not None:
        result["score"] = score
    result["extensions"] = {
        ext("thresholds"): dict(pack.thresholds),
        ext("failing-dimensions"): list(pack.failing),
        ext("humility"): (rec.row.summary or {}).get("humility", {}),
    }
    context = _context(rec, parent=False)
    context["contextActivities"] = {"grouping": [_assignment_activity(pack.pack_id)]}
    context["extensions"][ext("assignment")] = pack.pack_id
    return _statement(
        rec, options, kind, statement_id(rec.row.id, kind), scenario, end, context, result
    )


def statements(
    records: Sequence[SessionRecord], options: Options | None = None
) -> list[dict[str, Any]]:
    """The statements of many sessions, session after session."""
    out: list[dict[str, Any]] = []
    for rec in records:
        out.extend(session_statements(rec, options))
    return out
