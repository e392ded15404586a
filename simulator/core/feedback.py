"""What a trainee is told about one response (coach mode shows it at once; assessment mode at the end)."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.core.engine import Disclosure, Session, ThemeChanged, Turn
from simulator.core.models import ALLIANCE_VARS, Citation


@dataclass(frozen=True, slots=True)
class CodeNote:
    label: str
    title: str
    valence: str
    text: str
    better: str | None
    implicit: bool


@dataclass(frozen=True)
class TurnFeedback:
    step: int
    option_key: str
    read_as: str
    notes: tuple[CodeNote, ...]
    option_feedback: str | None
    context: str | None  # why this option moves the client differently here (effects_reason)
    humility: tuple[tuple[str, float], ...]
    moved: tuple[tuple[str, float], ...]
    themes_changed: tuple[tuple[str, bool], ...]
    rupture: bool
    repaired: bool
    opportunity: tuple[str, str] | None  # (what the client raised, engaged/missed/harmed)
    disclosure: str | None
    basis: tuple[Citation, ...]


def read_as(turn: Turn, session: Session) -> str:
    """'open question + complex reflection': the codes in plain words, in the author's order."""
    codes = session.scenario.rubric.model.codes
    parts = []
    for ref in turn.option.codes:
        title = codes[ref.code].title.lower()
        if ref.intent:
            intents = session.scenario.rubric.model.cfi.intents
            title = f"{title} ({intents[ref.intent].paraphrase.rstrip('.').lower()})"
        parts.append(title)
    return " + ".join(parts) if parts else "no rubric code"


def turn_feedback(session: Session, step: int) -> TurnFeedback:
    turn = session.turns[step]
    rubric = session.scenario.rubric.model
    notes = tuple(
        CodeNote(
            label=ref.label,
            title=rubric.codes[ref.code].title,
            valence=rubric.codes[ref.code].valence,
            text=rubric.codes[ref.code].feedback,
            better=rubric.codes[ref.code].better,
            implicit=ref.implicit,
        )
        for ref in turn.option.codes
    )
    per_dim: dict[str, float] = {}
    for dim, amount, _ in turn.humility:
        per_dim[dim] = per_dim.get(dim, 0.0) + amount
    moved = tuple(
        (v, round(turn.after[v] - turn.before[v], 1))
        for v in ALLIANCE_VARS
        if abs(turn.after[v] - turn.before[v]) >= 0.05
    )
    # The option's own citations first; a code's citation only where the option has none of its own.
    basis = list(turn.option.model.basis)
    for ref in turn.option.codes:
        for cite in rubric.codes[ref.code].basis:
            if all(cite.cite != b.cite for b in basis):
                basis.append(cite)
    opp = None
    if turn.opportunity is not None:
        opp = (session.scenario.nodes[turn.node_id].model.opportunity or "", turn.opportunity)
    disclosure = next((e.about for e in turn.events if isinstance(e, Disclosure)), None)
    return TurnFeedback(
        step=step,
        option_key=turn.option.key,
        read_as=read_as(turn, session),
        notes=notes,
        option_feedback=turn.option.model.feedback,
        context=turn.option.model.effects_reason,
        humility=tuple((d, round(a, 1)) for d, a in per_dim.items() if a),
        moved=moved,
        themes_changed=tuple(
            (e.theme, e.active) for e in turn.events if isinstance(e, ThemeChanged)
        ),
        rupture=turn.rupture,
        repaired=turn.repair_of is not None,
        opportunity=opp,
        disclosure=disclosure,
        basis=tuple(basis),
    )
