"""Two attempts side by side: where the paths diverged and how every score moved."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.core.engine import Session
from simulator.core.scoring import Summary


@dataclass(frozen=True, slots=True)
class StepPair:
    step: int
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


def compare(a: Session, sa: Summary, b: Session, sb: Summary) -> Comparison:
    n = max(len(a.turns), len(b.turns))
    steps = []
    diverged: int | None = None
    for i in range(n):
        ta = a.turns[i] if i < len(a.turns) else None
        tb = b.turns[i] if i < len(b.turns) else None
        same = ta is not None and tb is not None and ta.option.key == tb.option.key
        if not same and diverged is None:
            diverged = i
        steps.append(
            StepPair(
                i,
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
