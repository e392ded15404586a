"""Session metrics: a pure function of a played session (so of the scenario, rubric and choices).

Every figure points back at the turns that produced it. See docs/rubric.md for the formulas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from simulator.core.engine import Session, Turn
from simulator.core.models import ALLIANCE_VARS, DIMENSIONS


class Evidence(NamedTuple):
    step: int
    amount: float
    source: str


@dataclass(frozen=True, slots=True)
class ThemeReading:
    theme: str
    level: float
    active: bool
    salient: bool
    peak_step: int | None
    moments: tuple[int, ...]  # steps that pushed it most


@dataclass(frozen=True, slots=True)
class Improvement:
    step: int
    node_id: str
    issue: str
    better: str


@dataclass(frozen=True, slots=True)
class OpportunityRecord:
    step: int
    node_id: str
    about: str
    outcome: str
    better: str | None


@dataclass(frozen=True)
class Summary:
    scenario: str
    scenario_version: str
    rubric_version: str
    content_hash: str
    path: tuple[str, ...]
    ending: str | None
    ending_outcome: str | None
    decisions: int
    humility: dict[str, int]
    evidence: dict[str, tuple[Evidence, ...]]
    themes: dict[str, ThemeReading]
    salient: tuple[str, ...]
    opportunities: tuple[OpportunityRecord, ...]
    broaching_style: str
    broaching_reason: str
    cfi_domains: dict[str, tuple[str, ...]]
    alliance: dict[str, float]
    ruptures: tuple[int, ...]
    repairs: tuple[tuple[int, int], ...]
    overall: int
    band: str
    improvements: tuple[Improvement, ...]

    def opportunity_counts(self) -> dict[str, int]:
        counts = {"offered": len(self.opportunities), "engaged": 0, "missed": 0, "harmed": 0}
        for o in self.opportunities:
            counts[o.outcome] += 1
        return counts

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "scenario_version": self.scenario_version,
            "rubric_version": self.rubric_version,
            "content_hash": self.content_hash,
            "path": list(self.path),
            "ending": self.ending,
            "ending_outcome": self.ending_outcome,
            "decisions": self.decisions,
            "humility": dict(self.humility),
            "humility_evidence": {
                d: [{"step": e.step + 1, "amount": e.amount, "source": e.source} for e in ev]
                for d, ev in self.evidence.items()
            },
            "themes": {
                t: {
                    "level": round(r.level, 2),
                    "active": r.active,
                    "salient": r.salient,
                    "peak_step": None if r.peak_step is None else r.peak_step + 1,
                    "moments": [s + 1 for s in r.moments],
                }
                for t, r in self.themes.items()
            },
            "salient_themes": list(self.salient),
            "opportunities": {
                **self.opportunity_counts(),
                "details": [
                    {
                        "step": o.step + 1,
                        "node": o.node_id,
                        "about": o.about,
                        "outcome": o.outcome,
                        "better": o.better,
                    }
                    for o in self.opportunities
                ],
            },
            "broaching_style": self.broaching_style,
            "broaching_reason": self.broaching_reason,
            "cfi_domains": {d: list(i) for d, i in self.cfi_domains.items()},
            "alliance": {k: round(v, 1) for k, v in self.alliance.items()},
            "ruptures": [s + 1 for s in self.ruptures],
            "repairs": [{"step": s + 1, "repairs_rupture_at": r + 1} for s, r in self.repairs],
            "overall": self.overall,
            "band": self.band,
            "improvements": [
                {"step": i.step + 1, "node": i.node_id, "issue": i.issue, "better": i.better}
                for i in self.improvements
            ],
        }


# tuple.__new__ builds an Evidence without the Python-level __new__ a NamedTuple adds: the
# profile makes one per humility code of every turn.
_new_tuple = tuple.__new__


def humility_profile(
    turns: tuple[Turn, ...], prior: float
) -> tuple[dict[str, int], dict[str, tuple[Evidence, ...]]]:
    """Score = 100 * (credits + prior) / (credits + debits + 2 * prior); 50 with no evidence."""
    evidence: dict[str, list[Evidence]] = {d: [] for d in DIMENSIONS}
    for turn in turns:
        step = turn.step
        for dim, amount, source in turn.humility:
            evidence[dim].append(_new_tuple(Evidence, (step, amount, source)))
    profile: dict[str, int] = {}
    for dim, items in evidence.items():
        credit = debit = 0.0
        for _, amount, _ in items:
            if amount > 0:
                credit += amount
            else:
                debit -= amount
        profile[dim] = round(100 * (credit + prior) / (credit + debit + 2 * prior))
    return profile, {d: tuple(v) for d, v in evidence.items()}


def _strongest(pushes: tuple[float, ...]) -> list[int]:
    """Indices of the (up to) three largest positive pushes, largest first, earlier on ties."""
    positive = [k for k, p in enumerate(pushes) if p > 0]
    # A stable sort keeps equal pushes in turn order, reverse=True included.
    return sorted(positive, key=pushes.__getitem__, reverse=True)[:3]


def read_themes(session: Session) -> tuple[dict[str, ThemeReading], tuple[str, ...]]:
    scenario = session.scenario
    rubric = scenario.rubric
    levels = session.levels()
    max_salient = rubric.model.scoring.max_salient
    ids = rubric.theme_ids
    active = [t for t in ids if t in session.active]
    ranked = sorted(active, key=lambda t: -levels[ids.index(t)])
    if not ranked:
        # Every client leaves with some impression: the strongest reading, if any is positive.
        best = max(range(len(ids)), key=lambda i: levels[i])
        ranked = [ids[best]] if levels[best] > 0 else []
    salient = tuple(ranked[:max_salient])
    turns = session.turns
    readings: dict[str, ThemeReading] = {}
    if not turns:
        for theme, level in zip(ids, levels, strict=True):
            readings[theme] = ThemeReading(
                theme, level, theme in session.active, theme in salient, None, ()
            )
        return readings, salient
    # Column-wise over the turns (zip does the transposing in C): each theme's peak turn (the
    # first of equals) and the (up to three) turns that pushed it hardest.
    level_cols = zip(*(t.levels for t in turns), strict=True)
    push_cols = zip(*(t.theme_push for t in turns), strict=True)
    for theme, level, col, pushes in zip(ids, levels, level_cols, push_cols, strict=True):
        readings[theme] = ThemeReading(
            theme,
            level,
            theme in session.active,
            theme in salient,
            turns[col.index(max(col))].step,
            tuple(turns[k].step for k in _strongest(pushes)),
        )
    return readings, salient


def broaching_style(
    turns: tuple[Turn, ...], opportunities: tuple[OpportunityRecord, ...]
) -> tuple[str, str]:
    """Day-Vines et al.'s continuum, read by the rules printed in the rubric."""
    n = 0  # broaching responses
    levels: set[str] = set()
    assumed = power = over = False
    for t in turns:
        option = t.option
        if option.broach_levels:
            n += 1
            levels |= option.broach_levels
        assumed = assumed or option.assumption
        power = power or option.acknowledges_power
        over = over or option.over_broaches
    offered = len(opportunities)
    engaged = sum(1 for o in opportunities if o.outcome == "engaged")
    if n == 0 and not over:
        if offered == 0:
            return (
                "not_applicable",
                "No cultural opportunity came up on this path and none was raised.",
            )
        if engaged == offered:
            return (
                "avoidant",
                "Difference was never named, though every cultural opportunity was engaged in other ways.",
            )
        return (
            "avoidant",
            f"Difference was never named, and {offered - engaged} of {offered} cultural opportunities were not engaged.",
        )
    if over:
        return (
            "continuing",
            "Difference was put at the centre after the client had set it aside, so the talk did not follow the client.",
        )
    if n == 1 and engaged * 2 < offered:
        return (
            "isolating",
            f"One broaching response, but only {engaged} of {offered} opportunities engaged.",
        )
    if assumed:
        return (
            "continuing",
            "Difference was raised, but an assumption was also made in the session.",
        )
    if "relationship" not in levels:
        return (
            "continuing",
            "Difference was raised only about society, never between the two of you.",
        )
    if engaged * 2 < offered:
        return (
            "continuing",
            f"Broaching happened, but only {engaged} of {offered} opportunities were engaged.",
        )
    if levels == {"relationship", "context"} and power and engaged == offered:
        return (
            "infusing",
            "Broaching at both levels, power acknowledged, every opportunity engaged.",
        )
    return (
        "integrated",
        f"Broaching between you and the client, no assumptions, {engaged} of {offered} opportunities engaged.",
    )


def _better_at(session: Session, turn: Turn) -> str:
    best = session.scenario.nodes[turn.node_id].best
    return best.say if best.key != turn.option.key else ""


def _cost(turn: Turn, left_open: bool) -> float | None:
    """How much a turn calls for an improvement (see `_issue`), or None if it does not."""
    missed = turn.opportunity in ("missed", "harmed")
    if not (missed or turn.option.negative or left_open):
        return None
    debit = -sum(a for _, a, _ in turn.humility if a < 0)
    drop = max(0.0, sum(turn.before[v] - turn.after[v] for v in ALLIANCE_VARS) / 4)
    if missed:
        cost = debit + drop + (3 if turn.opportunity == "harmed" else 2)
    elif turn.option.negative:
        cost = debit + drop
    else:
        cost = drop + 1
    return cost + 2 if left_open else cost


def _issue(session: Session, turn: Turn) -> Improvement:
    """What to do better at a turn `_cost` found wanting (the reasons in the same order)."""
    rubric = session.scenario.rubric.model
    better = _better_at(session, turn)
    negatives = turn.option.negative_codes
    if turn.opportunity in ("missed", "harmed"):
        about = session.scenario.nodes[turn.node_id].model.opportunity or "their background"
        verb = "moved past" if turn.opportunity == "missed" else "pushed against"
        issue = f"The client opened a door ({about}) and the response {verb} it."
    elif negatives:
        titles = ", ".join(rubric.codes[c.code].title.lower() for c in negatives)
        issue = f"This response read as {titles}."
        code_better = rubric.codes[negatives[0].code].better
        better = better or (code_better or "")
    else:
        issue = "The alliance ruptured here and was not repaired before the end."
    return Improvement(turn.step, turn.node_id, issue, better)


def improvements(session: Session, unrepaired: list[int]) -> tuple[Improvement, ...]:
    # The three costliest turns (the earlier of equals); only those get their text written.
    candidates: list[tuple[float, int, Turn]] = []
    for turn in session.turns:
        cost = _cost(turn, turn.step in unrepaired)
        if cost is not None:
            candidates.append((-cost, turn.step, turn))
    candidates.sort(key=lambda c: (c[0], c[1]))
    chosen = [_issue(session, turn) for _, _, turn in candidates[:3]]
    if len(chosen) < 3:
        # Fill with the turns where an available response would have earned the most more.
        taken = {i.step for i in chosen}
        nodes = session.scenario.nodes
        gaps = []
        for turn in session.turns:
            best = nodes[turn.node_id].best
            gap = best.value - turn.option.value
            if gap > 0 and turn.step not in taken:
                gaps.append((gap, turn, best))
        for _, turn, best in sorted(gaps, key=lambda g: (-g[0], g[1].step))[: 3 - len(chosen)]:
            chosen.append(
                Improvement(
                    turn.step, turn.node_id, "A more humble response was available here.", best.say
                )
            )
    return tuple(sorted(chosen, key=lambda i: i.step))


def summarize(session: Session) -> Summary:
    scenario = session.scenario
    nodes = scenario.nodes
    rubric = scenario.rubric.model
    turns = session.turns
    profile, evidence = humility_profile(turns, rubric.scoring.prior)
    themes, salient = read_themes(session)
    # One pass over the turns for the cultural opportunities, CFI domains, ruptures and repairs.
    opportunities: list[OpportunityRecord] = []
    domains: dict[str, list[str]] = {d: [] for d in rubric.cfi.domains}
    ruptures: list[int] = []
    repairs: list[tuple[int, int]] = []
    for t in turns:
        if t.opportunity is not None:
            opportunities.append(
                OpportunityRecord(
                    step=t.step,
                    node_id=t.node_id,
                    about=nodes[t.node_id].model.opportunity or "",
                    outcome=t.opportunity,
                    better=_better_at(session, t) if t.opportunity != "engaged" else None,
                )
            )
        for intent in t.option.cfi_intents:
            domain = rubric.cfi.intents[intent].domain
            if intent not in domains[domain]:
                domains[domain].append(intent)
        if t.rupture:
            ruptures.append(t.step)
        if t.repair_of is not None:
            repairs.append((t.step, t.repair_of))
    style, reason = broaching_style(turns, tuple(opportunities))
    repaired = {r for _, r in repairs}
    unrepaired = [s for s in ruptures if s not in repaired]
    alliance = {v: session.state[v] for v in ALLIANCE_VARS}
    w = rubric.scoring.humility_weight
    overall = round(
        w * sum(profile.values()) / len(profile) + (1 - w) * sum(alliance.values()) / len(alliance)
    )
    bands = sorted(rubric.scoring.bands.items(), key=lambda kv: -kv[1])
    band = next((name for name, floor in bands if overall >= floor), "needs_work")
    ending = scenario.endings.get(session.ending_id) if session.ending_id else None
    return Summary(
        scenario=scenario.id,
        scenario_version=scenario.version,
        rubric_version=rubric.version,
        content_hash=scenario.content_hash,
        path=session.path,
        ending=session.ending_id,
        ending_outcome=ending.outcome if ending else None,
        decisions=len(turns),
        humility=profile,
        evidence=evidence,
        themes=themes,
        salient=salient,
        opportunities=tuple(opportunities),
        broaching_style=style,
        broaching_reason=reason,
        cfi_domains={d: tuple(i) for d, i in domains.items()},
        alliance=alliance,
        ruptures=tuple(ruptures),
        repairs=tuple(repairs),
        overall=overall,
        band=band,
        improvements=improvements(session, unrepaired),
    )
