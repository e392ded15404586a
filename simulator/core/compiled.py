"""Validated models turned into lookup-ready structures for the engine.

Everything the engine needs per option (summed code effects, parsed conditions, the cultural
opportunity outcome) is computed once here, so a choice costs a few dictionary operations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from simulator.core.conditions import Condition, parse_condition
from simulator.core.models import (
    ALLIANCE_VARS,
    THEMES,
    Ending,
    Node,
    Option,
    Rubric,
    Scenario,
)

CFI_PREFIX = "cfi:"
MISS_CODE = "miss_opportunity"


@dataclass(frozen=True, slots=True)
class CodeRef:
    """One response code on an option: `question_open`, or `cfi:<intent>` for a CFI question."""

    label: str
    code: str
    intent: str | None = None
    implicit: bool = False

    @classmethod
    def parse(cls, label: str) -> CodeRef:
        if label.startswith(CFI_PREFIX):
            return cls(label, "cfi_question", label[len(CFI_PREFIX) :])
        return cls(label, label)


@dataclass(frozen=True, slots=True)
class StanceEffect:
    alliance: Mapping[str, float]
    themes: Mapping[str, float]
    theme_vec: tuple[float, ...] = ()
    # `alliance` split as the engine applies it (see split_alliance)
    alliance_vec: tuple[float | None, ...] = ()
    alliance_other: tuple[tuple[str, float], ...] = ()


_ALLIANCE_SET = frozenset(ALLIANCE_VARS)
AllianceSplit = tuple[tuple[float | None, ...], tuple[tuple[str, float], ...]]


def split_alliance(deltas: Mapping[str, float]) -> AllianceSplit:
    """The deltas of ALLIANCE_VARS in that order (None where absent), and the others."""
    aligned = tuple(map(deltas.get, ALLIANCE_VARS))
    if deltas.keys() <= _ALLIANCE_SET:
        return aligned, ()
    return aligned, tuple(item for item in deltas.items() if item[0] not in _ALLIANCE_SET)


Vec = tuple[float, ...]
LevelsFn = Callable[[Vec, Mapping[str, float]], Vec]
ThemeStepFn = Callable[[Vec, Vec, Vec, Mapping[str, float]], tuple[Vec, Vec, Vec]]


@dataclass(frozen=True)
class CompiledRubric:
    model: Rubric
    initial: Mapping[str, float]
    theme_ids: tuple[str, ...]
    theme_terms: tuple[tuple[tuple[str, float], ...], ...]  # per theme: (variable, weight / 10)
    theme_on: tuple[float, ...]
    theme_off: tuple[float, ...]
    stance: Mapping[tuple[str, str], StanceEffect]
    stance_defaults: Mapping[str, str]
    engage_codes: frozenset[str]
    harm_codes: frozenset[str]
    repair_codes: frozenset[str]
    rupture_codes: frozenset[str]
    # The engine reads these every turn; plain attributes are cheaper than walking the model.
    alliance_decay: float
    theme_decay: float
    rupture_drop: float
    repair_gain: float
    _stance_memo: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def version(self) -> str:
        return self.model.version

    @cached_property
    def theme_switches(self) -> tuple[tuple[str, float, float], ...]:
        """Per theme: (id, rises at, falls below)."""
        return tuple(zip(self.theme_ids, self.theme_on, self.theme_off, strict=True))

    @cached_property
    def levels(self) -> LevelsFn:
        """levels(pushes, state): per theme, its push + weight * (var - 50) / 10 for each of the
        theme's state weights, added in order."""
        levels: LevelsFn = self._generated["levels"]
        return levels

    @cached_property
    def theme_step(self) -> ThemeStepFn:
        """theme_step(option_vec, stance_vec, pushes, state) -> (push, pushes, levels): a turn's
        push (option + stance), the decayed pushes plus it, and the levels they give."""
        step: ThemeStepFn = self._generated["theme_step"]
        return step

    @cached_property
    def _generated(self) -> dict[str, Any]:
        """The theme arithmetic as generated tuple expressions, one element per theme (as
        namedtuple and dataclasses generate code): the engine does it every turn, and this is
        three times faster than looping over the themes and terms. Each element is computed by
        the same operations in the same order as such a loop would, so the floats are equal."""
        weights: list[float] = []
        levels = []
        for i, terms in enumerate(self.theme_terms):
            expr = f"p[{i}]"
            for var, w10 in terms:
                expr += f" + w[{len(weights)}] * (s[{var!r}] - 50.0)"
                weights.append(w10)
            levels.append(expr)
        n = len(self.theme_ids)

        def tup(items: Iterable[str]) -> str:
            return f"({''.join(item + ', ' for item in items)})"

        source = (
            f"def levels(p, s, w=w):\n"
            f"    return {tup(levels)}\n"
            f"def theme_step(o, t, p, s, w=w, d=d):\n"
            f"    q = {tup(f'o[{i}] + t[{i}]' for i in range(n))}\n"
            f"    p = {tup(f'p[{i}] * d + q[{i}]' for i in range(n))}\n"
            f"    return q, p, {tup(levels)}\n"
        )
        namespace: dict[str, Any] = {"w": tuple(weights), "d": self.theme_decay}
        exec(source, namespace)  # noqa: S102 - our own text: indices and quoted variable names
        return namespace

    @classmethod
    def build(cls, rubric: Rubric) -> CompiledRubric:
        themes = THEMES
        stance: dict[tuple[str, str], StanceEffect] = {}
        for aspect_id, aspect in rubric.stance.items():
            for value_id, value in aspect.values.items():
                stance[(aspect_id, value_id)] = StanceEffect(
                    dict(value.alliance), dict(value.themes)
                )
        return cls(
            model=rubric,
            initial={v: float(rubric.alliance[v].initial) for v in ALLIANCE_VARS},
            theme_ids=themes,
            theme_terms=tuple(
                tuple((v, w / 10.0) for v, w in rubric.themes[t].from_state.items()) for t in themes
            ),
            theme_on=tuple(rubric.themes[t].rises_at for t in themes),
            theme_off=tuple(rubric.themes[t].falls_below for t in themes),
            stance=stance,
            stance_defaults={a: s.default for a, s in rubric.stance.items()},
            engage_codes=frozenset(rubric.opportunities.engage_codes),
            harm_codes=frozenset(rubric.opportunities.harm_codes),
            repair_codes=frozenset(rubric.repair.codes),
            rupture_codes=frozenset(rubric.rupture.codes),
            alliance_decay=rubric.scoring.alliance_decay,
            theme_decay=rubric.scoring.theme_decay,
            rupture_drop=rubric.rupture.drop,
            repair_gain=rubric.repair.gain,
        )


@dataclass(frozen=True, slots=True)
class Branch:
    when: Condition | None
    target: str


@dataclass(frozen=True)
class CompiledOption:
    key: str  # "node_id.option_id", unique in the scenario
    id: str
    node_id: str
    index: int
    model: Option
    codes: tuple[CodeRef, ...]
    when: Condition | None
    humility: tuple[tuple[str, float, str], ...]  # (dimension, amount, code label)
    deltas: Mapping[str, float]  # alliance and custom state
    themes: Mapping[str, float]
    cfi_intents: tuple[str, ...]
    negative: bool
    opportunity: str | None  # engaged / missed / harmed, only at opportunity nodes
    broach_levels: frozenset[str]
    assumption: bool
    repairs: bool
    ruptures: bool
    branches: tuple[Branch, ...]
    value: float  # net humility credit, to suggest a better response
    labels: tuple[str, ...]  # the code labels, as the author wrote them
    touched: tuple[str, ...]  # the state variables this option can move (clamped after a turn)
    theme_vec: tuple[float, ...]  # theme pushes in the rubric's theme order
    alliance_deltas: tuple[float | None, ...]  # `deltas` split by split_alliance
    other_deltas: tuple[tuple[str, float], ...]
    # For scoring, so a summary need not walk every turn's codes.
    negative_codes: tuple[CodeRef, ...]  # the codes of negative valence, in order
    acknowledges_power: bool
    over_broaches: bool

    @property
    def say(self) -> str:
        return self.model.say


@dataclass(frozen=True)
class CompiledNode:
    id: str
    model: Node
    lines: tuple[tuple[Condition | None, str], ...]
    options: tuple[CompiledOption, ...]

    def client_line(self, state: Mapping[str, float]) -> str:
        for when, text in self.lines:
            if when is None or when(state):
                return text
        return self.lines[-1][1]

    @property
    def discussion(self) -> tuple[str, ...]:
        """The author's prompts for a room discussing this decision (may be empty)."""
        return tuple(self.model.discussion)

    def available(self, state: Mapping[str, float]) -> tuple[CompiledOption, ...]:
        return tuple(o for o in self.options if o.when is None or o.when(state))

    @cached_property
    def best(self) -> CompiledOption:
        """The option with the most net humility credit (the first of equals)."""
        return max(self.options, key=lambda o: (o.value, -o.index))


@dataclass(frozen=True)
class CompiledScenario:
    model: Scenario
    rubric: CompiledRubric
    content_hash: str
    file: str
    nodes: Mapping[str, CompiledNode]
    endings: Mapping[str, Ending]
    options: Mapping[str, CompiledOption]
    initial: Mapping[str, float]
    alliance_initial: tuple[float, ...]  # `initial` of ALLIANCE_VARS, in that order
    _stance_memo: dict[tuple[tuple[str, str], ...], StanceEffect] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def id(self) -> str:
        return self.model.id

    def stance_effect(self, stance: tuple[tuple[str, str], ...]) -> StanceEffect:
        """The summed effect of a whole stance, scaled by this client's non-verbal weight.

        Memoised: a session uses a handful of stances, and replay asks for them thousands of times.
        """
        effect = self._stance_memo.get(stance)
        if effect is None:
            weight = self.model.nonverbal_weight
            alliance: dict[str, float] = {}
            pushes = [0.0] * len(self.rubric.theme_ids)
            for aspect_value in stance:
                part = self.rubric.stance[aspect_value]
                for var, amount in part.alliance.items():
                    alliance[var] = alliance.get(var, 0.0) + amount * weight
                for theme, amount in part.themes.items():
                    pushes[self.rubric.theme_ids.index(theme)] += amount * weight
            effect = StanceEffect(alliance, {}, tuple(pushes), *split_alliance(alliance))
            self._stance_memo[stance] = effect
        return effect

    @property
    def version(self) -> str:
        return str(self.model.version)


def option_id(option: Option, index: int) -> str:
    return option.id or str(index + 1)


def _cond(text: str | None) -> Condition | None:
    return parse_condition(text) if text is not None else None


def compile_option(
    node: Node, index: int, option: Option, rubric: CompiledRubric
) -> CompiledOption:
    r = rubric.model
    refs = [CodeRef.parse(c) for c in option.codes]
    codes_present = {ref.code for ref in refs}
    outcome: str | None = None
    if node.opportunity is not None:
        if option.opportunity is not None:
            outcome = option.opportunity
        elif codes_present & rubric.harm_codes:
            outcome = "harmed"
        elif codes_present & rubric.engage_codes:
            outcome = "engaged"
        else:
            outcome = "missed"
        if outcome == "missed" and MISS_CODE not in codes_present:
            refs.append(CodeRef(MISS_CODE, MISS_CODE, implicit=True))
    humility: list[tuple[str, float, str]] = []
    deltas: dict[str, float] = {}
    themes: dict[str, float] = {}
    negatives: list[CodeRef] = []
    for ref in refs:
        code = r.codes[ref.code]
        if code.valence == "negative":
            negatives.append(ref)
        for dim, amount in code.humility.items():
            humility.append((dim, amount, ref.label))
        for var, amount in code.alliance.items():
            deltas[var] = deltas.get(var, 0.0) + amount
        for theme, amount in code.themes.items():
            themes[theme] = themes.get(theme, 0.0) + amount
    for var, amount in option.effects.items():
        deltas[var] = deltas.get(var, 0.0) + amount
    if isinstance(option.next, str):
        branches: tuple[Branch, ...] = (Branch(None, option.next),)
    else:
        branches = tuple(Branch(_cond(g.when), g.goto) for g in option.next)
    levels = set()
    if "broach_relationship" in codes_present:
        levels.add("relationship")
    if "broach_context" in codes_present:
        levels.add("context")
    oid = option_id(option, index)
    alliance_deltas, other_deltas = split_alliance(deltas)
    return CompiledOption(
        key=f"{node.id}.{oid}",
        id=oid,
        node_id=node.id,
        index=index,
        model=option,
        codes=tuple(refs),
        when=_cond(option.when),
        humility=tuple(humility),
        deltas=deltas,
        themes=themes,
        cfi_intents=tuple(ref.intent for ref in refs if ref.intent),
        negative=bool(negatives),
        opportunity=outcome,
        broach_levels=frozenset(levels),
        assumption="assumption" in codes_present,
        repairs=option.repair or bool(codes_present & rubric.repair_codes),
        ruptures=option.rupture or bool(codes_present & rubric.rupture_codes),
        branches=branches,
        value=sum(a for _, a, _ in humility),
        labels=tuple(ref.label for ref in refs),
        touched=tuple(dict.fromkeys([*ALLIANCE_VARS, *deltas])),
        theme_vec=tuple(themes.get(t, 0.0) for t in rubric.theme_ids),
        alliance_deltas=alliance_deltas,
        other_deltas=other_deltas,
        negative_codes=tuple(negatives),
        acknowledges_power="acknowledge_power" in codes_present,
        over_broaches="over_broaching" in codes_present,
    )


def compile_scenario(
    scenario: Scenario, rubric: CompiledRubric, content_hash: str, file: str
) -> CompiledScenario:
    """Assumes `validate.check_scenario` found no errors."""
    nodes: dict[str, CompiledNode] = {}
    options: dict[str, CompiledOption] = {}
    for node in scenario.nodes:
        opts = tuple(compile_option(node, i, o, rubric) for i, o in enumerate(node.options))
        for o in opts:
            options[o.key] = o
        if isinstance(node.client, str):
            lines: tuple[tuple[Condition | None, str], ...] = ((None, node.client),)
        else:
            lines = tuple((_cond(line.when), line.text) for line in node.client)
        nodes[node.id] = CompiledNode(node.id, node, lines, opts)
    initial = dict(rubric.initial)
    initial.update({k: float(v) for k, v in scenario.state.items()})
    return CompiledScenario(
        model=scenario,
        rubric=rubric,
        content_hash=content_hash,
        file=file,
        nodes=nodes,
        endings={e.id: e for e in scenario.endings},
        options=options,
        initial=initial,
        alliance_initial=tuple(initial[v] for v in ALLIANCE_VARS),
    )
