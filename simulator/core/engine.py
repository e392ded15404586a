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
# Records are slotted but not frozen: frozen dataclasses set every field through
# object.__setattr__, which tripled the cost of a choice. Nothing mutates them after creation.


@dataclass(slots=True)
class Event:
    step: int


@dataclass(slots=True)
class Scored(Event):
    option_key: str
    codes: tuple[str, ...]
    humility: tuple[tuple[str, float, str], ...]


@dataclass(slots=True)
class ThemeChanged(Event):
    theme: str
    active: bool
    level: float


@dataclass(slots=True)
class Rupture(Event):
    drop: float


@dataclass(slots=True)
class Repair(Event):
    rupture_step: int


@dataclass(slots=True)
class Opportunity(Event):
    node_id: str
    about: str
    outcome: str


@dataclass(slots=True)
class Disclosure(Event):
    node_id: str
    about: str


@dataclass(slots=True)
class Ended(Event):
    ending_id: str


# ---------------------------------------------------------------- session


Stance = tuple[tuple[str, str], ...]


@dataclass(slots=True)
class Turn:
    step: int
    node_id: str
    option: CompiledOption
    stance: Stance
    before: Mapping[str, float]
    after: Mapping[str, float]
    humility: tuple[tuple[str, float, str], ...]
    theme_push: tuple[float, ...]  # this turn's pushes, in the rubric's theme order
    levels: tuple[float, ...]
    opportunity: str | None
    rupture: bool
    repair_of: int | None
    events: tuple[Event, ...]


@dataclass(slots=True)
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


def normalise_stance(scenario: CompiledScenario, stance: Mapping[str, str] | None) -> Stance:
    """Fill unspecified aspects with the rubric's defaults; refuse unknown aspects or values."""
    memo = scenario.rubric._stance_memo
    key = tuple(stance.items()) if stance else ()
    found = memo.get(key)
    if found is not None:
        return found
    merged = dict(scenario.rubric.stance_defaults)
    for aspect, value in (stance or {}).items():
        if aspect not in merged:
            known = ", ".join(sorted(merged))
            raise EngineError(f"unknown stance aspect '{aspect}' (known: {known})")
        if (aspect, value) not in scenario.rubric.stance:
            values = sorted(v for a, v in scenario.rubric.stance if a == aspect)
            raise EngineError(f"unknown {aspect} '{value}' (choose one of: {', '.join(values)})")
        merged[aspect] = value
    result = tuple(sorted(merged.items()))
    memo[key] = result
    return result


def theme_levels(
    scenario: CompiledScenario, pushes: tuple[float, ...], state: Mapping[str, float]
) -> tuple[float, ...]:
    """level = pushes + sum(weight * (var - 50) / 10) for the theme's state weights."""
    return scenario.rubric.levels(pushes, state)


def start(scenario: CompiledScenario) -> Session:
    start_node = scenario.model.start
    return Session(
        scenario=scenario,
        node_id=start_node,
        ending_id=None,
        state=dict(scenario.initial),
        pushes=(0.0,) * len(scenario.rubric.theme_ids),
        active=frozenset(),
        visited=(start_node,),
    )


def clamp_touched(option: CompiledOption, state: dict[str, float]) -> None:
    """Keep every variable this option moved within 0-100."""
    for var in option.touched:
        value = state[var]
        if value < 0.0:
            state[var] = 0.0
        elif value > 100.0:
            state[var] = 100.0


def resolve_next(option: CompiledOption, state: Mapping[str, float]) -> str:
    """The first branch whose condition holds on the new state, else the last."""
    for branch in option.branches:
        if branch.when is None or branch.when(state):
            return branch.target
    return option.branches[-1].target


# What one answer changes besides the new Turn: where it led (the next node or the ending), the
# next node (None once ended), the ending, pushes, active themes, open rupture.
_Moved = tuple[Turn, str, str | None, str | None, tuple[float, ...], frozenset[str], int | None]


def _answer(
    scenario: CompiledScenario,
    node_id: str,
    before: Mapping[str, float],
    pushes: tuple[float, ...],
    active: frozenset[str],
    open_rupture: int | None,
    step: int,
    option_key: str,
    stance: Mapping[str, str] | Stance | None,
) -> _Moved:
    """One decision answered from where a session stands; `choose` and `replay` share it."""
    rubric = scenario.rubric
    node = scenario.nodes[node_id]
    option = scenario.options.get(option_key)
    if option is None or option.node_id != node_id:
        raise EngineError(f"'{option_key}' is not an option at '{node_id}'")
    if option.when is not None and not option.when(before):
        raise EngineError(f"'{option_key}' is not open to the trainee at this point")
    stance_t = stance if isinstance(stance, tuple) else normalise_stance(scenario, stance)
    effect = scenario.stance_effect(stance_t)

    # 1. State: decay the alliance toward where this client started, then apply this turn (the
    #    option, then the stance), and sum the change in the four alliance variables.
    state = dict(before)
    decay = rubric.alliance_decay
    change = 0.0
    for var, start_at, by_option, by_stance in zip(
        ALLIANCE_VARS,
        scenario.alliance_initial,
        option.alliance_deltas,
        effect.alliance_vec,
        strict=True,
    ):
        value = before[var]
        moved = value + (start_at - value) * decay
        if by_option is not None:
            moved += by_option
        if by_stance is not None:
            moved += by_stance
        state[var] = moved
        change += moved - value
    for var, amount in option.other_deltas:
        state[var] = state.get(var, 0.0) + amount
    for var, amount in effect.alliance_other:
        state[var] += amount

    # 2. Rupture and repair, judged on that change.
    humility = option.humility
    rupture = False
    repair_of: int | None = None
    if open_rupture is None and (option.ruptures or change <= -rubric.rupture_drop):
        rupture = True
        open_rupture = step
        events: list[Event] = [
            Scored(step, option_key, option.labels, humility),
            Rupture(step, -change),
        ]
    elif open_rupture is not None and option.repairs and change >= rubric.repair_gain:
        repair_of = open_rupture
        open_rupture = None
        repair = rubric.model.repair
        for var, amount in repair.alliance.items():
            state[var] = state.get(var, 0.0) + amount
        humility = humility + tuple((d, a, "repair") for d, a in repair.humility.items())
        events = [Scored(step, option_key, option.labels, humility), Repair(step, repair_of)]
    else:
        events = [Scored(step, option_key, option.labels, humility)]
    clamp_touched(option, state)

    # 3. Themes: decayed pushes plus the state reading, switched with hysteresis.
    push, pushes, levels = rubric.theme_step(option.theme_vec, effect.theme_vec, pushes, state)
    flips: dict[str, bool] = {}
    for (theme, on, off), level in zip(rubric.theme_switches, levels, strict=True):
        if theme in active:
            if level < off:
                flips[theme] = False
                events.append(ThemeChanged(step, theme, False, level))
        elif level >= on:
            flips[theme] = True
            events.append(ThemeChanged(step, theme, True, level))
    if flips:
        active = frozenset(
            [t for t in active if flips.get(t, True)] + [t for t, on in flips.items() if on]
        )

    if option.opportunity is not None:
        events.append(Opportunity(step, node_id, node.model.opportunity or "", option.opportunity))

    # 4. Where next.
    target = resolve_next(option, state)
    next_node: str | None = None
    ending_id: str | None = None
    if target in scenario.endings:
        ending_id = target
        events.append(Ended(step, target))
    else:
        next_node = target
        disclosure = scenario.nodes[target].model.disclosure
        if disclosure is not None:
            events.append(Disclosure(step, target, disclosure))

    turn = Turn(
        step,
        node_id,
        option,
        stance_t,
        before,
        state,
        humility,
        push,
        levels,
        option.opportunity,
        rupture,
        repair_of,
        tuple(events),
    )
    return turn, target, next_node, ending_id, pushes, active, open_rupture


def choose(
    session: Session, option_key: str, stance: Mapping[str, str] | Stance | None = None
) -> tuple[Session, list[Event]]:
    if session.node_id is None:
        raise EngineError("the session has already ended")
    turn, target, node_id, ending_id, pushes, active, open_rupture = _answer(
        session.scenario,
        session.node_id,
        session.state,
        session.pushes,
        session.active,
        session.open_rupture,
        len(session.turns),
        option_key,
        stance,
    )
    new = Session(
        session.scenario,
        node_id,
        ending_id,
        turn.after,
        pushes,
        active,
        (*session.turns, turn),
        open_rupture,
        (*session.visited, target),
    )
    return new, list(turn.events)


Choice = tuple[str, Mapping[str, str] | Stance | None]


def replay(scenario: CompiledScenario, choices: Iterable[Choice]) -> Session:
    """`start` then `choose` for each choice, without building every session in between."""
    first = start(scenario)
    node_id, ending_id = first.node_id, first.ending_id
    state, pushes, active, open_rupture = first.state, first.pushes, first.active, None
    turns: list[Turn] = []
    visited = list(first.visited)
    for option_key, stance in choices:
        if node_id is None:
            raise EngineError("the session has already ended")
        turn, target, node_id, ending_id, pushes, active, open_rupture = _answer(
            scenario, node_id, state, pushes, active, open_rupture, len(turns), option_key, stance
        )
        state = turn.after
        turns.append(turn)
        visited.append(target)
    return Session(
        scenario,
        node_id,
        ending_id,
        state,
        pushes,
        active,
        tuple(turns),
        open_rupture,
        tuple(visited),
    )


def rewind(session: Session, step: int) -> Session:
    """The session as it was before decision `step` (0-based) was answered."""
    if not 0 <= step <= len(session.turns):
        raise EngineError(
            f"cannot rewind to decision {step + 1}: only {len(session.turns)} answered"
        )
    return replay(session.scenario, ((t.option.key, t.stance) for t in session.turns[:step]))
