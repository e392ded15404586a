"""What every benchmark returns, and small helpers for timing and printing."""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Op = Literal["<=", ">="]


@dataclass(frozen=True)
class Goal:
    """A figure held against the project's quality bar."""

    name: str
    value: float
    op: Op
    target: float

    @property
    def passed(self) -> bool:
        return self.value <= self.target if self.op == "<=" else self.value >= self.target

    def verdict(self) -> str:
        return "PASS" if self.passed else "FAIL"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "op": self.op,
            "target": self.target,
            "passed": self.passed,
        }


@dataclass
class BenchResult:
    """One benchmark's printed lines, its figures, its goals and its correctness checks."""

    name: str
    lines: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    goals: list[Goal] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # correctness failures, not slowness

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "figures": self.figures,
            "goals": [g.to_json() for g in self.goals],
            "ok": self.ok,
            "problems": self.problems,
        }


def log(message: str) -> None:
    """Progress for the person waiting; stderr, so `--json` output stays clean."""
    print(f"  .. {message}", file=sys.stderr, flush=True)


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and CPU seconds of one call, after a collection so earlier garbage is not billed."""
    gc.collect()
    cpu0 = time.process_time()
    start = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - start
    return wall, time.process_time() - cpu0, out


def rate(count: float, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def human_rate(value: float) -> str:
    if value >= 10_000_000:
        return f"{value / 1_000_000:,.1f} M"
    return f"{value:,.0f}"
