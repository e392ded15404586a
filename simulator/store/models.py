"""The rows the store hands out: plain frozen values, detached from the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SESSION_STATUSES = ("active", "completed", "abandoned")


@dataclass(frozen=True)
class Trainee:
    id: int
    pseudonym: str
    facets: dict[str, str]
    created_at: str


@dataclass(frozen=True)
class SessionRow:
    id: str
    trainee_id: int
    scenario_id: str
    scenario_version: str
    content_hash: str
    rubric_version: str
    mode: str
    status: str  # 'active' | 'completed' | 'abandoned'
    started_at: str
    ended_at: str | None
    ending_id: str | None
    assignment_id: str | None
    summary: dict[str, Any] | None


@dataclass(frozen=True)
class ChoiceRow:
    session_id: str
    step: int
    node_id: str
    option_id: str
    stance: dict[str, str]
    free_text: str | None
    at: str


@dataclass(frozen=True)
class CheckReport:
    """What `Store.check` found: PRAGMA quick_check's text, and each repair it made."""

    quick_check: str
    repairs: list[str] = field(default_factory=list)

    @property
    def integrity_ok(self) -> bool:
        return self.quick_check == "ok"

    @property
    def clean(self) -> bool:
        """True when the file is sound and nothing needed repairing."""
        return self.integrity_ok and not self.repairs

    def lines(self) -> list[str]:
        head = "integrity: ok" if self.integrity_ok else f"integrity: {self.quick_check}"
        if not self.repairs:
            return [head, "repairs: none needed"]
        return [head, *(f"repaired: {r}" for r in self.repairs)]


@dataclass(frozen=True)
class SelfReport:
    """The trainee's post-intake answers: the themes they think the client would name, and
    how open, trusting and cooperative (1-5) they found the client."""

    session_id: str
    themes: list[str]
    openness: int
    trust: int
    cooperation: int
    at: str
