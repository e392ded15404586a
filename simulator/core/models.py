"""Typed models of the two authored formats: scenarios and the rubric.

Strict pydantic models: no silent coercion (an unquoted `No` stays a bool and is refused where text
is expected), unknown keys refused. Meaning-level checks live in `validate.py`.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

ID_PATTERN = r"^[a-z][a-z0-9_-]{0,63}$"
Ident = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Percent = Annotated[float, Field(ge=0, le=100)]
Level = Annotated[int, Field(ge=0, le=100)]
Delta = Annotated[float, Field(ge=-50, le=50)]

ALLIANCE_VARS = ("bond", "goal", "task", "trust")
DIMENSIONS = (
    "asking",
    "listening",
    "addressing_difference",
    "avoiding_assumptions",
    "sharing_power",
)
THEMES = (
    "understood",
    "comfortable",
    "openness",
    "trust",
    "empathy",
    "frustration",
    "anger",
    "disengagement",
)
OPPORTUNITY_OUTCOMES = ("engaged", "missed", "harmed")
CITATION_RE = re.compile(r"^(\d{4}(CL|PR)|[a-z][a-z0-9-]*)$")


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, populate_by_name=False)


# ---------------------------------------------------------------- shared pieces


class Citation(Strict):
    """A research basis: a seed excerpt code (e.g. 2247CL) or a finding id, with our own words."""

    cite: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    note: Text

    @field_validator("cite")
    @classmethod
    def _cite_shape(cls, value: str) -> str:
        if not CITATION_RE.match(value):
            raise ValueError(
                "cite must be a seed excerpt code such as 2247CL or 2199PR, "
                "or a finding id in lower-case-with-dashes such as nonverbal-discordance"
            )
        return value


# ---------------------------------------------------------------- scenario


class Client(Strict):
    name: ShortText
    age: Annotated[int, Field(ge=16, le=110)]
    pronouns: ShortText | None = None
    identity: dict[Ident, ShortText] = Field(min_length=1)
    presenting_problem: Text
    context: Text
    appearance: Text
    # How open, trusting and cooperative the client is written to be (1-5), so the trainee's
    # ratings can be compared with the script (the "bias mirror").
    scripted: dict[Literal["openness", "trust", "cooperation"], Annotated[int, Field(ge=1, le=5)]]


class TherapistRole(Strict):
    role: ShortText
    identity: dict[Ident, ShortText] = Field(min_length=1)
    # The facets on which the dyad is judged concordant or discordant (the study's was ethnicity).
    concordance: list[Ident] = Field(default_factory=lambda: ["ethnicity"], min_length=1)


class Line(Strict):
    """A client line shown only when its condition holds (the first that holds wins)."""

    when: str | None = Field(default=None, alias="if")
    text: Text


class Goto(Strict):
    when: str | None = Field(default=None, alias="if")
    goto: Ident


class Option(Strict):
    id: Ident | None = None
    say: Text
    codes: list[Annotated[str, StringConstraints(min_length=1, max_length=80)]] = Field(
        default_factory=list
    )
    when: str | None = Field(default=None, alias="if")
    effects: dict[Ident, Delta] = Field(default_factory=dict)
    effects_reason: Text | None = None
    feedback: Text | None = None
    basis: list[Citation] = Field(default_factory=list)
    opportunity: Literal["engaged", "missed", "harmed"] | None = None
    rupture: bool = False
    repair: bool = False
    next: Ident | list[Goto]


class Node(Strict):
    id: Ident
    client: Text | list[Line]
    cue: Text | None = None
    opportunity: Text | None = None
    broaching: Text | None = None
    disclosure: Text | None = None
    options: list[Option] = Field(min_length=1)
    # Questions a workshop facilitator can put to the room at this decision (facilitator view).
    discussion: list[ShortText] = Field(default_factory=list, max_length=6)


class Ending(Strict):
    id: Ident
    title: ShortText
    text: Text
    outcome: Literal["positive", "mixed", "negative"]


class Moment(Strict):
    at: Annotated[str, StringConstraints(min_length=3, max_length=130)]
    theme: Ident
    text: Text


class Debrief(Strict):
    intro: Text
    themes: dict[Ident, Text] = Field(min_length=1)
    moments: list[Moment] = Field(default_factory=list)


class Scenario(Strict):
    id: Ident
    title: ShortText
    version: Annotated[int, Field(ge=1)]
    setting: ShortText
    summary: Text
    difficulty: Literal["introductory", "intermediate", "advanced"]
    tags: list[Ident] = Field(default_factory=list)
    practises: list[ShortText] = Field(default_factory=list)
    research_basis: list[Citation] = Field(min_length=1)
    client: Client
    therapist: TherapistRole
    nonverbal_weight: Annotated[float, Field(ge=0, le=3)] = 1.0
    state: dict[Ident, Level] = Field(default_factory=dict)
    start: Ident
    nodes: list[Node] = Field(min_length=1)
    endings: list[Ending] = Field(min_length=1)
    debrief: Debrief


# ---------------------------------------------------------------- rubric


class Dimension(Strict):
    title: ShortText
    description: Text


class Theme(Strict):
    title: ShortText
    valence: Literal["positive", "negative"]
    clients_pct: Percent
    therapist_interviews_pct: Percent
    description: Text
    fostered_by: Text
    basis: list[Citation] = Field(min_length=1)
    # Reading a theme from the client's latent state: level = pushes + sum(weight * (var - 50) / 10)
    from_state: dict[Ident, Annotated[float, Field(ge=-2, le=2)]] = Field(default_factory=dict)
    rises_at: Annotated[float, Field(gt=0, le=50)]
    falls_below: Annotated[float, Field(ge=0, le=50)]


class AllianceVar(Strict):
    title: ShortText
    initial: Level
    description: Text


class ResponseCode(Strict):
    title: ShortText
    family: Literal["miti", "cultural"]
    primary: Literal["question", "reflection", "information", "other"]
    valence: Literal["positive", "neutral", "negative"]
    humility: dict[Ident, Delta] = Field(default_factory=dict)
    alliance: dict[Ident, Delta] = Field(default_factory=dict)
    themes: dict[Ident, Delta] = Field(default_factory=dict)
    feedback: Text
    better: Text | None = None
    basis: list[Citation] = Field(default_factory=list)


class StanceValue(Strict):
    title: ShortText
    alliance: dict[Ident, Delta] = Field(default_factory=dict)
    themes: dict[Ident, Delta] = Field(default_factory=dict)
    note: Text | None = None


class StanceAspect(Strict):
    title: ShortText
    default: Ident
    values: dict[Ident, StanceValue] = Field(min_length=2)


class CfiDomain(Strict):
    title: ShortText
    paraphrase: Text


class CfiIntent(Strict):
    domain: Ident
    paraphrase: Text


class Cfi(Strict):
    domains: dict[Ident, CfiDomain] = Field(min_length=4, max_length=4)
    intents: dict[Ident, CfiIntent] = Field(min_length=16, max_length=16)


class OpportunityRules(Strict):
    engage_codes: list[Ident] = Field(min_length=1)
    harm_codes: list[Ident] = Field(min_length=1)


class RuptureRules(Strict):
    drop: Annotated[float, Field(gt=0, le=50)]
    codes: list[Ident] = Field(default_factory=list)


class RepairRules(Strict):
    codes: list[Ident] = Field(min_length=1)
    gain: Annotated[float, Field(ge=0, le=50)]
    humility: dict[Ident, Delta] = Field(default_factory=dict)
    alliance: dict[Ident, Delta] = Field(default_factory=dict)


class BroachingStyle(Strict):
    title: ShortText
    meaning: Text
    rule: Text


class Scoring(Strict):
    prior: Annotated[float, Field(gt=0, le=50)]
    alliance_decay: Annotated[float, Field(ge=0, le=1)]
    theme_decay: Annotated[float, Field(ge=0, le=1)]
    max_salient: Annotated[int, Field(ge=1, le=8)]
    humility_weight: Annotated[float, Field(ge=0, le=1)]
    bands: dict[Ident, Annotated[float, Field(ge=0, le=100)]]


class Rubric(Strict):
    version: ShortText
    alliance: dict[Ident, AllianceVar]
    dimensions: dict[Ident, Dimension]
    themes: dict[Ident, Theme]
    codes: dict[Ident, ResponseCode]
    stance: dict[Ident, StanceAspect]
    cfi: Cfi
    opportunities: OpportunityRules
    rupture: RuptureRules
    repair: RepairRules
    broaching_styles: dict[Ident, BroachingStyle]
    scoring: Scoring
