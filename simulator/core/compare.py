"""Two attempts side by side: where the paths diverged and how every score moved."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from simulator.core.engine import Session, Turn
from simulator.core.scoring import Summary


@dataclass(frozen=True, slots=True)
class StepPair:
    step: int  # row in the aligned comparison (the decision number where both paths agree)
    a: tuple[str, str] | None  # (node id, what was said), None when that attempt had no such step
    b: tuple[str, str] | None
    same: bool


@dataclass(frozen=True)
class Comparison:
    steps: tuple[StepPair, ...]
    diverged_at: int | None  # first step where the responses differ; None if identical
    humility: dict[str, tuple[int, int, int]]  # dimension -> (a, b, b - a)
    overall: tuple[int, int, int]
    salient: tuple[tuple[str, ...], tuple[str, ...]]
    endings: tuple[str | None, str | None]


def _aligned(a: Session, b: Session) -> list[tuple[Turn | None, Turn | None]]:
    """Pair the turns of both attempts by the moment (node) they answered, so a detour that
    only one attempt took shows as its own rows instead of shifting everything after it."""
    nodes_a = [t.node_id for t in a.turns]
    nodes_b = [t.node_id for t in b.turns]
    pairs: list[tuple[Turn | None, Turn | None]] = []
    matcher = difflib.SequenceMatcher(a=nodes_a, b=nodes_b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            pairs += [
                (a.turns[i], b.turns[j]) for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            ]
        else:
            pairs += [(a.turns[i], None) for i in range(i1, i2)]
            pairs += [(None, b.turns[j]) for j in range(j1, j2)]
    return pairs


def compare(a: Session, sa: Summary, b: Session, sb: Summary) -> Comparison:
    steps = []
    diverged: int | None = None
    for row, (ta, tb) in enumerate(_aligned(a, b)):
        same = ta is not None and tb is not None and ta.option.key == tb.option.key
        if not same and diverged is None:
            diverged = row
        steps.append(
            StepPair(
                row,
                (ta.node_id, ta.option.say) if ta else None,
                (tb.node_id, tb.option.say) if tb else None,
                same,
            )
        )
    humility = {
        d: (sa.humility[d], sb.humility[d], sb.humility[d] - sa.humility[d]) for d in sa.humility
    }
    return Comparison(
        steps=tuple(steps),
        diverged_at=diverged,
        humility=humility,
        overall=(sa.overall, sb.overall, sb.overall - sa.overall),
        salient=(sa.salient, sb.salient),
        endings=(sa.ending, sb.ending),
    )
