"""A cohort report: one assignment's sessions aggregated for the supervisor.

What counts:

- **The counted attempt.** A trainee may play a scenario of the pack more than once; their latest
  completed session of it is the one that counts (for completion, pass/fail, the humility
  distributions and the concordant/discordant split). Every session is still listed in the
  trainee's drill-down.
- **Pass/fail.** A counted session passes when every humility dimension meets the pack's
  threshold (`Pack.verdict`). A trainee has *passed* when every scenario of the pack has a
  counted session and all of them pass, *failed* when all are done and one or more does not
  pass, and is *incomplete* otherwise.
- **Choices.** The per-decision distributions count every answer given in the assignment's
  sessions that were not abandoned (a restart would otherwise count twice), all attempts
  included: where people go wrong on their first try is what a supervisor looks for.
- **Missteps.** Options coded negative (or as an assumption) ranked by how often they were chosen.

Identity facets are used only to mark each session concordant or discordant; they never appear
in a report. Typed free text appears only when the report is asked to include reflections.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from simulator.core.compiled import CompiledScenario
from simulator.core.dyad import dyad_for
from simulator.core.library import Library
from simulator.core.models import DIMENSIONS
from simulator.reports.queries import EdgeCount, Selection, SessionFigures, reading
from simulator.store import Store

BINS = 10  # histogram bins of ten points; the last one holds 90-100
MISSTEPS_SHOWN = 10
DYADS = ("concordant", "discordant", "not comparable")
VERDICTS = ("passed", "failed", "incomplete")


class PackLike(Protocol):
    """What a report needs of an assignment pack (simulator.core.assignment.Pack)."""

    @property
    def id(self) -> str: ...
    @property
    def cohort(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def scenarios(self) -> Sequence[str]: ...
    @property
    def mode(self) -> str: ...
    @property
    def thresholds(self) -> Mapping[str, int]: ...

    def verdict(self, humility: Mapping[str, int]) -> tuple[bool, list[str]]: ...


# ---------------------------------------------------------------- the report's parts


@dataclass(slots=True)  # one per session: 10,000 in a large cohort
class SessionResult:
    id: str
    scenario_id: str
    status: str  # active | completed | abandoned
    mode: str
    started_at: str
    ended_at: str | None
    decisions: int
    ending_id: str | None
    ending_outcome: str | None
    humility: dict[str, int] | None
    overall: int | None
    band: str | None
    path: list[str]
    dyad: str  # concordant | discordant | not comparable
    in_pack: bool
    counted: bool = False
    passed: bool | None = None  # None until completed
    failing: list[str] = field(default_factory=list)
    typed: list[tuple[int, str, str]] | None = None  # (step, node, text), only on request

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.id,
            "scenario": self.scenario_id,
            "status": self.status,
            "mode": self.mode,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "decisions": self.decisions,
            "ending": self.ending_id,
            "ending_outcome": self.ending_outcome,
            "humility": self.humility,
            "overall": self.overall,
            "band": self.band,
            "path": self.path,
            "dyad": self.dyad,
            "in_pack": self.in_pack,
            "counted": self.counted,
            "passed": self.passed,
            "failing_dimensions": self.failing,
        }
        if self.typed is not None:
            doc["reflections"] = [
                {"step": step + 1, "node": node, "text": text} for step, node, text in self.typed
            ]
        return doc


@dataclass(slots=True)
class TraineeResult:
    pseudonym: str
    verdict: str  # passed | failed | incomplete
    progress: dict[str, str]  # pack scenario -> completed | in progress | abandoned | not started
    failing: dict[str, list[str]]  # pack scenario -> dimensions below threshold (counted attempt)
    sessions: list[SessionResult]

    @property
    def completed(self) -> int:
        return sum(1 for state in self.progress.values() if state == "completed")

    def to_json(self) -> dict[str, Any]:
        return {
            "pseudonym": self.pseudonym,
            "verdict": self.verdict,
            "completed": self.completed,
            "progress": self.progress,
            "failing_dimensions": self.failing,
            "sessions": [s.to_json() for s in self.sessions],
        }


@dataclass
class DimensionStats:
    id: str
    title: str
    threshold: int | None
    values: list[int] = field(repr=False)

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def bins(self) -> list[int]:
        out = [0] * BINS
        for v in self.values:
            out[min(max(v, 0) // 10, BINS - 1)] += 1
        return out

    @property
    def below(self) -> int:
        t = self.threshold
        return 0 if t is None else sum(1 for v in self.values if v < t)

    @property
    def mean(self) -> float | None:
        return round(statistics.fmean(self.values), 1) if self.values else None

    @property
    def median(self) -> float | None:
        return float(statistics.median(self.values)) if self.values else None

    @property
    def quartiles(self) -> tuple[float, float] | None:
        if not self.values:
            return None
        if len(self.values) == 1:
            return float(self.values[0]), float(self.values[0])
        q1, _, q3 = statistics.quantiles(self.values, n=4, method="inclusive")
        return round(q1, 1), round(q3, 1)

    @property
    def low(self) -> int | None:
        return min(self.values) if self.values else None

    @property
    def high(self) -> int | None:
        return max(self.values) if self.values else None

    def to_json(self) -> dict[str, Any]:
        q = self.quartiles
        return {
            "id": self.id,
            "title": self.title,
            "threshold": self.threshold,
            "n": self.n,
            "mean": self.mean,
            "median": self.median,
            "q1": None if q is None else q[0],
            "q3": None if q is None else q[1],
            "min": self.low,
            "max": self.high,
            "below_threshold": self.below,
            "histogram": self.bins,
        }


@dataclass
class DyadStats:
    dyad: str
    sessions: int
    trainees: int
    passed: int
    means: dict[str, float | None]

    def to_json(self) -> dict[str, Any]:
        return {
            "dyad": self.dyad,
            "sessions": self.sessions,
            "trainees": self.trainees,
            "passed": self.passed,
            "means": self.means,
        }


@dataclass
class OptionStat:
    id: str
    say: str
    count: int
    share: float  # of the answers given at this decision
    negative: bool
    assumption: bool
    best: bool  # the most humble response at this decision (the one the debrief suggests)
    feedback: str | None
    targets: dict[str, int] = field(default_factory=dict)  # where it led, when known

    @property
    def misstep(self) -> bool:
        return self.negative or self.assumption

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "say": self.say,
            "count": self.count,
            "share": round(self.share, 4),
            "negative": self.negative,
            "assumption": self.assumption,
            "best": self.best,
            "feedback": self.feedback,
            "targets": self.targets,
        }


@dataclass
class DecisionStat:
    node_id: str
    prompt: str
    answers: int
    options: list[OptionStat]

    def to_json(self) -> dict[str, Any]:
        return {
            "node": self.node_id,
            "prompt": self.prompt,
            "answers": self.answers,
            "options": [o.to_json() for o in self.options],
        }


@dataclass
class ScenarioStats:
    id: str
    title: str
    in_library: bool
    sessions: int  # not abandoned
    completed: int
    decisions: list[DecisionStat]
    unreached: int  # decisions nobody answered

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "in_library": self.in_library,
            "sessions": self.sessions,
            "completed": self.completed,
            "unreached_decisions": self.unreached,
            "decisions": [d.to_json() for d in self.decisions],
        }


@dataclass
class Misstep:
    scenario_id: str
    scenario_title: str
    node_id: str
    option_id: str
    say: str
    count: int
    answers: int
    share: float
    kinds: list[str]  # negative, assumption
    feedback: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario_id,
            "scenario_title": self.scenario_title,
            "node": self.node_id,
            "option": self.option_id,
            "say": self.say,
            "count": self.count,
            "answers": self.answers,
            "share": round(self.share, 4),
            "kinds": self.kinds,
            "feedback": self.feedback,
        }


@dataclass
class CohortReport:
    assignment: dict[str, Any]
    generated_at: str
    dimension_titles: dict[str, str]
    scenario_titles: dict[str, str]
    trainees: list[TraineeResult]
    dimensions: list[DimensionStats]
    dyads: list[DyadStats]
    scenarios: list[ScenarioStats]
    missteps: list[Misstep]
    status_counts: dict[str, int]
    include_reflections: bool

    @property
    def empty(self) -> bool:
        return not self.trainees

    @property
    def sessions(self) -> int:
        return sum(self.status_counts.values())

    def verdict_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(VERDICTS, 0)
        for t in self.trainees:
            counts[t.verdict] += 1
        return counts

    def to_json(self) -> dict[str, Any]:
        return {
            "assignment": self.assignment,
            "generated_at": self.generated_at,
            "empty": self.empty,
            "counting": {
                "attempt": "latest completed session per trainee and scenario",
                "choices": "every answer in sessions not abandoned, all attempts",
            },
            "sessions": {"total": self.sessions, **self.status_counts},
            "trainees": {
                "total": len(self.trainees),
                **self.verdict_counts(),
                "results": [t.to_json() for t in self.trainees],
            },
            "dimensions": [d.to_json() for d in self.dimensions],
            "dyads": [d.to_json() for d in self.dyads],
            "scenarios": [s.to_json() for s in self.scenarios],
            "missteps": [m.to_json() for m in self.missteps],
            "include_reflections": self.include_reflections,
        }


# ---------------------------------------------------------------- building it


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


class _Dyads:
    """Concordant or discordant per (scenario, trainee facets), worked out once each."""

    def __init__(self, library: Library) -> None:
        self._library = library
        self._memo: dict[tuple[str, str], str] = {}

    def __call__(self, scenario_id: str, facets_json: str) -> str:
        key = (scenario_id, facets_json)
        found = self._memo.get(key)
        if found is None:
            scenario = self._library.get(scenario_id)
            dyad = None
            if scenario is not None:
                facets = json.loads(facets_json) if facets_json else {}
                dyad = dyad_for(scenario.model, facets if isinstance(facets, dict) else {})
            found = self._memo[key] = dyad or "not comparable"
        return found


def _session(fig: SessionFigures, dyad: str, pack_scenarios: set[str]) -> SessionResult:
    humility = _loads(fig.humility_json) if fig.status == "completed" else None
    path = _loads(fig.path_json) if fig.status == "completed" else None
    return SessionResult(
        id=fig.id,
        scenario_id=fig.scenario_id,
        status=fig.status,
        mode=fig.mode,
        started_at=fig.started_at,
        ended_at=fig.ended_at,
        decisions=int(fig.decisions),
        ending_id=fig.ending_id,
        ending_outcome=fig.ending_outcome,
        humility={k: int(v) for k, v in humility.items()} if isinstance(humility, dict) else None,
        overall=None if fig.overall is None else int(fig.overall),
        band=fig.band,
        path=[str(p) for p in path] if isinstance(path, list) else [],
        dyad=dyad,
        in_pack=fig.scenario_id in pack_scenarios,
    )


def _trainee(
    name: str,
    sessions: list[SessionResult],
    pack: PackLike,
    verdict: Callable[[Mapping[str, int]], tuple[bool, list[str]]],
) -> TraineeResult:
    progress = dict.fromkeys(pack.scenarios, "not started")
    counted: dict[str, SessionResult] = {}
    for s in sessions:  # oldest first, so the last completed one wins
        if not s.in_pack:
            continue
        if s.status == "completed":
            counted[s.scenario_id] = s
        elif s.status == "active" and progress[s.scenario_id] != "completed":
            progress[s.scenario_id] = "in progress"
        elif s.status == "abandoned" and progress[s.scenario_id] == "not started":
            progress[s.scenario_id] = "abandoned"
    failing: dict[str, list[str]] = {}
    for scenario_id, s in counted.items():
        progress[scenario_id] = "completed"
        s.counted = True
    for s in sessions:
        if s.status == "completed" and s.humility is not None:
            s.passed, s.failing = verdict(s.humility)
            if s.counted and s.failing:
                failing[s.scenario_id] = list(s.failing)
        if s.counted and s.humility is None:  # a completed session without figures
            s.passed, failing[s.scenario_id] = False, ["no summary"]
    if len(counted) < len(progress):
        result = "incomplete"
    elif all(s.passed for s in counted.values()):
        result = "passed"
    else:
        result = "failed"
    return TraineeResult(name, result, progress, failing, sessions)


def _feedback(scenario: CompiledScenario, option_key: str) -> str | None:
    """The option's own feedback, else the first negatively coded code's feedback."""
    opt = scenario.options[option_key]
    if opt.model.feedback:
        return " ".join(opt.model.feedback.split())
    codes = scenario.rubric.model.codes
    for ref in opt.codes:
        code = codes[ref.code]
        if code.valence == "negative" and code.feedback:
            return " ".join(code.feedback.split())
    return None


def _scenario_stats(
    scenario_id: str,
    scenario: CompiledScenario | None,
    edges: Iterable[EdgeCount],
    sessions: int,
    completed: int,
) -> ScenarioStats:
    per_option: dict[tuple[str, str], dict[str | None, int]] = defaultdict(dict)
    for e in edges:
        targets = per_option[(e.node_id, e.option_id)]
        targets[e.target] = targets.get(e.target, 0) + e.count
    decisions: list[DecisionStat] = []
    if scenario is None:
        # No longer in the library: the ids are all there is to show.
        nodes: dict[str, list[tuple[str, dict[str | None, int]]]] = defaultdict(list)
        for (node_id, option_id), targets in per_option.items():
            nodes[node_id].append((option_id, targets))
        for node_id in sorted(nodes):
            answers = sum(sum(t.values()) for _, t in nodes[node_id])
            options = [
                OptionStat(
                    oid,
                    "",
                    sum(t.values()),
                    sum(t.values()) / answers,
                    False,
                    False,
                    False,
                    None,
                    _known(t),
                )
                for oid, t in sorted(nodes[node_id])
            ]
            decisions.append(DecisionStat(node_id, "", answers, options))
        return ScenarioStats(scenario_id, scenario_id, False, sessions, completed, decisions, 0)
    unreached = 0
    for node in scenario.nodes.values():
        counts = {o.id: per_option.get((node.id, o.id), {}) for o in node.options}
        answers = sum(sum(t.values()) for t in counts.values())
        if answers == 0:
            unreached += 1
            continue
        best = node.best.id
        options = [
            OptionStat(
                id=o.id,
                say=" ".join(o.say.split()),
                count=sum(counts[o.id].values()),
                share=sum(counts[o.id].values()) / answers,
                negative=o.negative,
                assumption=o.assumption,
                best=o.id == best,
                feedback=_feedback(scenario, o.key) if (o.negative or o.assumption) else None,
                targets=_known(counts[o.id]),
            )
            for o in node.options
        ]
        # Answers to options the scenario no longer has (it was edited since they were given).
        for (node_id, option_id), targets in per_option.items():
            if node_id == node.id and option_id not in counts:
                n = sum(targets.values())
                options.append(
                    OptionStat(
                        option_id,
                        "(no longer in the scenario)",
                        n,
                        n / answers,
                        False,
                        False,
                        False,
                        None,
                        _known(targets),
                    )
                )
        decisions.append(
            DecisionStat(
                node.id, " ".join(node.client_line(scenario.initial).split()), answers, options
            )
        )
    return ScenarioStats(
        scenario_id, scenario.model.title, True, sessions, completed, decisions, unreached
    )


def _known(targets: Mapping[str | None, int]) -> dict[str, int]:
    return {t: n for t, n in targets.items() if t is not None}


def _missteps(scenarios: Sequence[ScenarioStats]) -> list[Misstep]:
    found = [
        Misstep(
            scenario_id=s.id,
            scenario_title=s.title,
            node_id=d.node_id,
            option_id=o.id,
            say=o.say,
            count=o.count,
            answers=d.answers,
            share=o.share,
            kinds=[k for k, on in (("negative", o.negative), ("assumption", o.assumption)) if on],
            feedback=o.feedback,
        )
        for s in scenarios
        for d in s.decisions
        for o in d.options
        if o.misstep and o.count > 0
    ]
    found.sort(key=lambda m: (-m.count, -m.share, m.scenario_id, m.node_id, m.option_id))
    return found[:MISSTEPS_SHOWN]


def _dyad_stats(trainees: Sequence[TraineeResult]) -> list[DyadStats]:
    groups: dict[str, list[SessionResult]] = {d: [] for d in DYADS}
    names: dict[str, set[str]] = {d: set() for d in DYADS}
    for t in trainees:
        for s in t.sessions:
            if s.counted and s.humility is not None:
                groups[s.dyad].append(s)
                names[s.dyad].add(t.pseudonym)
    out = []
    for dyad in DYADS:
        rows = groups[dyad]
        means: dict[str, float | None] = {
            d: round(statistics.fmean(r.humility[d] for r in rows if r.humility), 1)
            if rows
            else None
            for d in DIMENSIONS
        }
        out.append(
            DyadStats(dyad, len(rows), len(names[dyad]), sum(1 for r in rows if r.passed), means)
        )
    return out


def build_report(
    store: Store,
    pack: PackLike,
    library: Library,
    *,
    include_reflections: bool = False,
    now: Callable[[], str] | None = None,
) -> CohortReport:
    """Aggregate the sessions tagged with the pack's id into a report."""
    pick = Selection(assignments=(pack.id,))
    pack_scenarios = set(pack.scenarios)
    dyad = _Dyads(library)
    by_trainee: dict[str, list[SessionResult]] = {}
    status_counts = {"completed": 0, "active": 0, "abandoned": 0}
    per_scenario: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # not abandoned, completed
    edges: dict[str, list[EdgeCount]] = defaultdict(list)
    typed: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    with reading(store) as reader:
        for fig in reader.sessions(pick):
            s = _session(fig, dyad(fig.scenario_id, fig.facets_json), pack_scenarios)
            by_trainee.setdefault(fig.pseudonym, []).append(s)
            status_counts[s.status] = status_counts.get(s.status, 0) + 1
            if s.status != "abandoned":
                per_scenario[s.scenario_id][0] += 1
                per_scenario[s.scenario_id][1] += s.status == "completed"
        for e in reader.edges(pick):
            edges[e.scenario_id].append(e)
        if include_reflections:
            for session_id, step, node_id, text in reader.typed(pick):
                typed[session_id].append((step, node_id, text))
    trainees = [_trainee(name, rows, pack, pack.verdict) for name, rows in by_trainee.items()]
    if include_reflections:
        for t in trainees:
            for s in t.sessions:
                s.typed = typed.get(s.id, [])
    dims = library.rubric.model.dimensions
    dimension_titles = {d: dims[d].title if d in dims else d for d in DIMENSIONS}
    counted = [s for t in trainees for s in t.sessions if s.counted and s.humility is not None]
    dimensions = [
        DimensionStats(
            d,
            dimension_titles[d],
            pack.thresholds.get(d),
            sorted(s.humility[d] for s in counted if s.humility and d in s.humility),
        )
        for d in DIMENSIONS
    ]
    order = list(pack.scenarios) + sorted(set(per_scenario) - pack_scenarios)
    scenarios = [
        _scenario_stats(sid, library.get(sid), edges.get(sid, []), *per_scenario.get(sid, [0, 0]))
        for sid in order
    ]
    titles = {s.id: s.title for s in scenarios}
    stamp = now() if now else datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return CohortReport(
        assignment=_pack_json(pack),
        generated_at=stamp,
        dimension_titles=dimension_titles,
        scenario_titles=titles,
        trainees=trainees,
        dimensions=dimensions,
        dyads=_dyad_stats(trainees),
        scenarios=scenarios,
        missteps=_missteps(scenarios),
        status_counts=status_counts,
        include_reflections=include_reflections,
    )


def _pack_json(pack: PackLike) -> dict[str, Any]:
    due = getattr(pack, "due", None)
    return {
        "id": pack.id,
        "cohort": pack.cohort,
        "title": pack.title,
        "mode": pack.mode,
        "free_text": getattr(pack, "free_text", None),
        "due": None if due is None else str(due),
        "scenarios": list(pack.scenarios),
        "thresholds": dict(pack.thresholds),
    }
