"""The session engine: a pure state machine over a compiled scenario.

    start(scenario) -> Session
    choose(session, option_key, stance) -> (Session, [Event])
    rewind(session, step) -> Session
    replay(scenario, choices) -> Session

No clock, randomness or I/O here. A session is immutable; every call returns a new one, so the
store can re-create any session exactly from its stored choices.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from simulator.core.compiled import CompiledOption, CompiledScenario
from simulator.core.models import ALLIANCE_VARS


class EngineError(ValueError):
    """A choice that cannot be made here (unknown option, gated option, finished session)."""


# ---------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class Event:
    step: int


@dataclass(frozen=True, slots=True)
class Scored(Event):
    option_key: str
    codes: tuple[str, ...]
    humility: tuple[tuple[str, float, str], ...]
    moved: tuple[tuple[str, float], ...]  # state variable, change this turn (after decay)


@dataclass(frozen=True, slots=True)
class ThemeChanged(Event):
    theme: str
    active: bool
    level: float


@dataclass(frozen=True, slots=True)
class Rupture(Event):
    drop: float


@dataclass(frozen=True, slots=True)
class Repair(Event):
    rupture_step: int


@dataclass(frozen=True, slots=True)
class Opportunity(Event):
    node_id: str
    about: str
    outcome: str


@dataclass(frozen=True, slots=True)
class Disclosure(Event):
    node_id: str
    about: str


@dataclass(frozen=True, slots=True)
class Ended(Event):
    ending_id: str


# ---------------------------------------------------------------- session


Stance = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Turn:
    step: int
    node_id: str
    option: CompiledOption
    stance: Stance
    before: Mapping[str, float]
    after: Mapping[str, float]
    humility: tuple[tuple[str, float, str], ...]
    theme_push: Mapping[str, float]
    levels: tuple[float, ...]
    opportunity: str | None
    rupture: bool
    repair_of: int | None
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class Session:
    scenario: CompiledScenario
    node_id: str | None
    ending_id: str | None
    state: Mapping[str, float]
    pushes: tuple[float, ...]
    active: frozenset[str]
    turns: tuple[Turn, ...] = ()
    open_rupture: int | None = None
    visited: tuple[str, ...] = field(default=())

    @property
    def done(self) -> bool:
        return self.ending_id is not None

    @property
    def step(self) -> int:
        return len(self.turns)

    @property
    def path(self) -> tuple[str, ...]:
        return self.visited

    def client_line(self) -> str:
        if self.node_id is None:
            raise EngineError("the session has ended")
        return self.scenario.nodes[self.node_id].client_line(self.state)

    def options(self) -> tuple[CompiledOption, ...]:
        if self.node_id is None:
            return ()
        return self.scenario.nodes[self.node_id].available(self.state)

    def levels(self) -> tuple[float, ...]:
        return theme_levels(self.scenario, self.pushes, self.state)


def default_stance(scenario: CompiledScenario) -> Stance:
    return tuple(sorted(scenario.rubric.stance_defaults.items()))


def normalise_stance(scenario: CompiledScenario, stance: Mapping[str, str] | None) -> Stance:
    """Fill unspecified aspects with the rubric's defaults; refuse unknown aspects or values."""
    merged = dict(scenario.rubric.stance_defaults)
    for aspect, value in (stance or {}).items():
        if aspect not in merged:
            known = ", ".join(sorted(merged))
            raise EngineError(f"unknown stance aspect '{aspect}' (known: {known})")
        if (aspect, value) not in scenario.rubric.stance:
            values = sorted(v for a, v in scenario.rubric.stance if a == aspect)
            raise EngineError(f"unknown {aspect} '{value}' (choose one of: {', '.join(values)})")
        merged[aspect] = value
    return tuple(sorted(merged.items()))


def theme_levels(
    scenario: CompiledScenario, pushes: tuple[float, ...], state: Mapping[str, float]
) -> tuple[float, ...]:
    rubric = scenario.rubric
    return tuple(
        push + sum(w * (state[var] - 50.0) / 10.0 for var, w in weights)
        for push, weights in zip(pushes, rubric.theme_from_state, strict=True)
    )


def start(scenario: CompiledScenario) -> Session:
    state = dict(scenario.initial)
    start_node = scenario.model.start
    session = Session(
        scenario=scenario,
        node_id=start_node,
        ending_id=None,
        state=state,
        pushes=tuple(0.0 for _ in scenario.rubric.theme_ids),
        active=frozenset(),
        visited=(start_node,),
    )
    return session


def _resolve_next(option: CompiledOption, state: Mapping[str, float]) -> str:
    for branch in option.branches:
        if branch.when is None or branch.when(state):
            return branch.target
    return option.branches[-1].target


def choose(
    session: Session, option_key: str, stance: Mapping[str, str] | Stance | None = None
) -> tuple[Session, list[Event]]:
    if session.node_id is None:
        raise EngineError("the session has already ended")
    scenario = session.scenario
    rubric = scenario.rubric
    node = scenario.nodes[session.node_id]
    option = scenario.options.get(option_key)
    if option is None or option.node_id != node.id:
        raise EngineError(f"'{option_key}' is not an option at '{node.id}'")
    before = session.state
    if option.when is not None and not option.when(before):
        raise EngineError(f"'{option_key}' is not open to the trainee at this point")
    stance_t = stance if isinstance(stance, tuple) else normalise_stance(scenario, stance)
    step = len(session.turns)
    weight = scenario.model.nonverbal_weight
    scoring = rubric.model.scoring

    # 1. State: decay the alliance toward where this client started, then apply this turn.
    state = dict(before)
    initial = scenario.initial
    decay = scoring.alliance_decay
    for var in ALLIANCE_VARS:
        state[var] += (initial[var] - state[var]) * decay
    deltas = dict(option.deltas)
    push = dict(option.themes)
    for aspect_value in stance_t:
        effect = rubric.stance[aspect_value]
        for var, amount in effect.alliance.items():
            deltas[var] = deltas.get(var, 0.0) + amount * weight
        for theme, amount in effect.themes.items():
            push[theme] = push.get(theme, 0.0) + amount * weight

    humility = option.humility
    events: list[Event] = []

    # 2. Rupture and repair, judged on the turn's total change in the four alliance variables.
    for var, amount in deltas.items():
        state[var] = state.get(var, 0.0) + amount
    alliance_change = sum(state[v] - before[v] for v in ALLIANCE_VARS)
    open_rupture = session.open_rupture
    rupture = False
    repair_of: int | None = None
    if open_rupture is None and (option.ruptures or alliance_change <= -rubric.model.rupture.drop):
        rupture = True
        open_rupture = step
        events.append(Rupture(step, round(-alliance_change, 2)))
    elif (
        open_rupture is not None and option.repairs and alliance_change >= rubric.model.repair.gain
    ):
        repair_of = open_rupture
        open_rupture = None
        bonus = rubric.model.repair
        for var, amount in bonus.alliance.items():
            state[var] = state.get(var, 0.0) + amount
        humility = humility + tuple((d, a, "repair") for d, a in bonus.humility.items())
        events.append(Repair(step, repair_of))
    for var in state:
        value = state[var]
        if value < 0.0:
            state[var] = 0.0
        elif value > 100.0:
            state[var] = 100.0

    # 3. Themes: decayed pushes plus the state reading, switched with hysteresis.
    tdecay = scoring.theme_decay
    pushes = tuple(
        p * tdecay + push.get(t, 0.0) for p, t in zip(session.pushes, rubric.theme_ids, strict=True)
    )
    levels = theme_levels(scenario, pushes, state)
    active = set(session.active)
    for i, theme in enumerate(rubric.theme_ids):
        level = levels[i]
        if theme in active:
            if level < rubric.theme_off[i]:
                active.discard(theme)
                events.append(ThemeChanged(step, theme, False, round(level, 2)))
        elif level >= rubric.theme_on[i]:
            active.add(theme)
            events.append(ThemeChanged(step, theme, True, round(level, 2)))

    if option.opportunity is not None:
        about = node.model.opportunity or ""
        events.append(Opportunity(step, node.id, about, option.opportunity))
    moved = tuple((v, round(state[v] - before.get(v, 0.0), 2)) for v in state)
    events.insert(
        0,
        Scored(step, option.key, tuple(c.label for c in option.codes), humility, moved),
    )

    # 4. Where next.
    target = _resolve_next(option, state)
    node_id: str | None = None
    ending_id: str | None = None
    if target in scenario.endings:
        ending_id = target
        events.append(Ended(step, target))
    else:
        node_id = target
        reached = scenario.nodes[target].model
        if reached.disclosure is not None:
            events.append(Disclosure(step, target, reached.disclosure))

    turn = Turn(
        step=step,
        node_id=node.id,
        option=option,
        stance=stance_t,
        before=before,
        after=state,
        humility=humility,
        theme_push=push,
        levels=levels,
        opportunity=option.opportunity,
        rupture=rupture,
        repair_of=repair_of,
        events=tuple(events),
    )
    new = Session(
        scenario=scenario,
        node_id=node_id,
        ending_id=ending_id,
        state=state,
        pushes=pushes,
        active=frozenset(active),
        turns=(*session.turns, turn),
        open_rupture=open_rupture,
        visited=(*session.visited, target),
    )
    return new, events


Choice = tuple[str, Mapping[str, str] | Stance | None]


def replay(scenario: CompiledScenario, choices: Iterable[Choice]) -> Session:
    session = start(scenario)
    for option_key, stance in choices:
        session, _ = choose(session, option_key, stance)
    return session


def rewind(session: Session, step: int) -> Session:
    """The session as it was before decision `step` (0-based) was answered."""
    if not 0 <= step <= len(session.turns):
        raise EngineError(
            f"cannot rewind to decision {step + 1}: only {len(session.turns)} answered"
        )
    return replay(session.scenario, ((t.option.key, t.stance) for t in session.turns[:step]))
