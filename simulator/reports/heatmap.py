"""A cohort's choice counts over one scenario's graph (`intake-sim graph ID --cohort C`, the TUI).

A cohort id names any of: an assignment pack's `cohort`, an assignment id itself, or a
workshop room. The sessions covered are those of every matching assignment and room, abandoned
ones left out (a restart would count twice).
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.core.graph import Heat
from simulator.reports.queries import Selection, reading
from simulator.store import Store


class UnknownCohort(LookupError):
    """No assignment, pack cohort or workshop room has this id."""


@dataclass(frozen=True)
class Cohorts:
    """Every id a heatmap or report can be asked for, as found in the store."""

    packs: dict[str, str]  # assignment id -> its cohort
    tagged: dict[str, int]  # assignment id -> sessions tagged with it
    rooms: list[str]

    def resolve(self, cohort_id: str) -> Selection:
        assignments = {a for a, c in self.packs.items() if c == cohort_id}
        if cohort_id in self.packs or cohort_id in self.tagged:
            assignments.add(cohort_id)
        rooms = (cohort_id,) if cohort_id in self.rooms else ()
        if not assignments and not rooms:
            raise UnknownCohort(
                f"no cohort, assignment or workshop room '{cohort_id}' in this store. "
                f"Known: {self.known_text()}"
            )
        return Selection(tuple(sorted(assignments)), rooms)

    def known_text(self) -> str:
        parts = []
        cohorts = sorted(set(self.packs.values()))
        if cohorts:
            parts.append("cohorts " + ", ".join(cohorts))
        assignments = sorted(set(self.packs) | set(self.tagged))
        if assignments:
            parts.append("assignments " + ", ".join(assignments))
        if self.rooms:
            parts.append("workshop rooms " + ", ".join(self.rooms))
        return "; ".join(parts) or "none (no assignment has sessions yet)"


def cohorts_in(store: Store) -> Cohorts:
    from simulator.store.assignments import list_packs

    packs = {p.id: p.cohort for p in list_packs(store)}
    with reading(store, "list the cohorts") as r:
        tagged = dict(r.assignment_ids())
        rooms = r.room_cohorts()
    return Cohorts(packs, tagged, rooms)


def heat_for(store: Store, pick: Selection, scenario_id: str, label: str) -> Heat:
    options: dict[tuple[str, str], int] = {}
    edges: dict[tuple[str, str, str], int] = {}
    with reading(store, "read the cohort's choices") as r:
        sessions = r.count_sessions(pick, scenario_id)
        for e in r.edges(pick, scenario_id):
            key = (e.node_id, e.option_id)
            options[key] = options.get(key, 0) + e.count
            if e.target is not None:
                edges[(e.node_id, e.option_id, e.target)] = e.count
    return Heat(label, sessions, options, edges)


def cohort_heat(store: Store, cohort_id: str, scenario_id: str) -> Heat:
    """The choice counts of cohort `cohort_id` on scenario `scenario_id` (UnknownCohort if the
    id matches nothing in the store)."""
    pick = cohorts_in(store).resolve(cohort_id)
    return heat_for(store, pick, scenario_id, f"cohort {cohort_id}")
