"""Meaning-level checks on a scenario (and on the rubric), each located in the YAML.

Runs after the strict model accepted the shape. Every finding is collected; nothing stops early.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator

from simulator.core.compiled import CFI_PREFIX, MISS_CODE, CodeRef, option_id
from simulator.core.conditions import ConditionError, parse_condition
from simulator.core.diagnostics import Diagnostic
from simulator.core.models import ALLIANCE_VARS, DIMENSIONS, THEMES, Rubric, Scenario
from simulator.core.yamlsafe import YamlDoc

MAX_EFFECT = 25.0
BROACH_CODES = {"broach_relationship", "broach_context"}
REQUIRED_STYLES = {
    "avoidant",
    "isolating",
    "continuing",
    "integrated",
    "infusing",
    "not_applicable",
}

PathT = tuple[str | int, ...]


class _Report:
    def __init__(self, doc: YamlDoc) -> None:
        self.doc = doc
        self.items: list[Diagnostic] = []

    def add(self, code: str, path: PathT, message: str, *, key: bool = False) -> None:
        line, col = self.doc.locate_key(path) if key else self.doc.locate(path)
        dotted = ""
        for p in path:
            dotted += f"[{p}]" if isinstance(p, int) else (f".{p}" if dotted else str(p))
        self.items.append(Diagnostic(self.doc.file, line, col, code, message, dotted))


def _conditions(s: Scenario) -> Iterator[tuple[PathT, str]]:
    for ni, node in enumerate(s.nodes):
        if not isinstance(node.client, str):
            for li, line in enumerate(node.client):
                if line.when is not None:
                    yield ("nodes", ni, "client", li, "if"), line.when
        for oi, opt in enumerate(node.options):
            if opt.when is not None:
                yield ("nodes", ni, "options", oi, "if"), opt.when
            if not isinstance(opt.next, str):
                for gi, goto in enumerate(opt.next):
                    if goto.when is not None:
                        yield ("nodes", ni, "options", oi, "next", gi, "if"), goto.when


def _targets(opt_next: str | list) -> list[tuple[int | None, str]]:  # type: ignore[type-arg]
    if isinstance(opt_next, str):
        return [(None, opt_next)]
    return [(i, g.goto) for i, g in enumerate(opt_next)]


def check_scenario(s: Scenario, rubric: Rubric, doc: YamlDoc) -> list[Diagnostic]:
    r = _Report(doc)
    node_ids: dict[str, int] = {}
    ending_ids: dict[str, int] = {}
    for i, node in enumerate(s.nodes):
        if node.id in node_ids or node.id in ending_ids:
            r.add("IS201", ("nodes", i, "id"), f"id '{node.id}' is used twice")
        node_ids.setdefault(node.id, i)
    for i, ending in enumerate(s.endings):
        if ending.id in node_ids or ending.id in ending_ids:
            r.add("IS201", ("endings", i, "id"), f"id '{ending.id}' is used twice")
        ending_ids.setdefault(ending.id, i)
    if s.start not in node_ids:
        r.add("IS211", ("start",), f"start node '{s.start}' is not among the nodes")

    # State variables: the four alliance ones plus those the scenario declares.
    known_vars = set(ALLIANCE_VARS) | set(s.state)
    used_vars: set[str] = set()
    for path, text in _conditions(s):
        try:
            cond = parse_condition(text)
        except ConditionError as exc:
            r.add("IS205", path, f"condition '{text}' cannot be read: {exc}")
            continue
        used_vars |= cond.names
        for name in sorted(cond.names - known_vars):
            r.add("IS204", path, f"condition uses '{name}', which is not declared under state:")

    option_keys: set[str] = set()
    edges: dict[str, set[str]] = defaultdict(set)
    credited: set[str] = set()
    has_opportunity = False
    has_broaching = False
    for ni, node in enumerate(s.nodes):
        has_opportunity = has_opportunity or node.opportunity is not None
        has_broaching = has_broaching or node.broaching is not None
        seen_opts: set[str] = set()
        if all(o.when is not None for o in node.options):
            r.add(
                "IS208",
                ("nodes", ni, "options"),
                f"every option at '{node.id}' has a condition; add one without 'if' so the "
                "trainee always has a response",
            )
        for oi, opt in enumerate(node.options):
            base: PathT = ("nodes", ni, "options", oi)
            oid = option_id(opt, oi)
            if oid in seen_opts:
                r.add("IS201", (*base, "id"), f"option id '{oid}' is used twice at '{node.id}'")
            seen_opts.add(oid)
            option_keys.add(f"{node.id}.{oid}")
            negative = False
            for ci, label in enumerate(opt.codes):
                ref = CodeRef.parse(label)
                if ref.code not in rubric.codes:
                    r.add("IS203", (*base, "codes", ci), f"'{label}' is not a code in the rubric")
                    continue
                if ref.code == "cfi_question" and ref.intent is None:
                    r.add(
                        "IS210",
                        (*base, "codes", ci),
                        f"name the CFI intent, e.g. {CFI_PREFIX}cause_own",
                    )
                elif ref.intent is not None and ref.intent not in rubric.cfi.intents:
                    r.add("IS210", (*base, "codes", ci), f"'{ref.intent}' is not a CFI intent")
                code = rubric.codes[ref.code]
                negative = negative or code.valence == "negative"
                credited |= {d for d, a in code.humility.items() if a > 0}
                has_broaching = has_broaching or ref.code in BROACH_CODES
            if not opt.codes:
                r.add("IS303", (*base, "say"), f"option '{oid}' at '{node.id}' has no rubric codes")
            if negative and opt.feedback is None:
                r.add(
                    "IS304",
                    (*base, "codes"),
                    f"option '{oid}' at '{node.id}' is coded negative but has no feedback",
                )
            for var, amount in opt.effects.items():
                used_vars.add(var)
                if var not in known_vars:
                    r.add(
                        "IS204",
                        (*base, "effects", var),
                        f"effect on undeclared state '{var}'",
                        key=True,
                    )
                if abs(amount) > MAX_EFFECT:
                    r.add(
                        "IS206",
                        (*base, "effects", var),
                        f"effect {amount:+g} on '{var}' is larger than {MAX_EFFECT:g} in one turn",
                    )
            if opt.effects and opt.effects_reason is None:
                r.add("IS102", base, "an option with effects needs effects_reason: say why")
            for gi, target in _targets(opt.next):
                path = (*base, "next") if gi is None else (*base, "next", gi, "goto")
                if target not in node_ids and target not in ending_ids:
                    r.add("IS202", path, f"next '{target}' is neither a node nor an ending")
                else:
                    edges[node.id].add(target)
            if not isinstance(opt.next, str) and opt.next[-1].when is not None:
                r.add(
                    "IS105",
                    (*base, "next"),
                    "the last entry of a conditional next must have no 'if' (the fallback)",
                )

    # Reachability (conditions ignored: an author's gate may open on some path).
    start = s.start if s.start in node_ids else None
    reached: set[str] = set()
    stack = [start] if start else []
    while stack:
        cur = stack.pop()
        if cur in reached:
            continue
        reached.add(cur)
        stack.extend(edges.get(cur, ()))
    if start:
        for ni, node in enumerate(s.nodes):
            if node.id not in reached:
                r.add(
                    "IS301",
                    ("nodes", ni, "id"),
                    f"node '{node.id}' cannot be reached from '{s.start}'",
                )
        for ei, ending in enumerate(s.endings):
            if ending.id not in reached:
                r.add("IS308", ("endings", ei, "id"), f"ending '{ending.id}' is never reached")
    # Nodes that can never reach an ending are trapped in a loop.
    reverse: dict[str, set[str]] = defaultdict(set)
    for src, dsts in edges.items():
        for d in dsts:
            reverse[d].add(src)
    can_end: set[str] = set()
    stack = list(ending_ids)
    while stack:
        cur = stack.pop()
        for src in reverse.get(cur, ()):
            if src not in can_end:
                can_end.add(src)
                stack.append(src)
    for ni, node in enumerate(s.nodes):
        if node.id in reached and node.id not in can_end:
            r.add("IS207", ("nodes", ni, "id"), f"from '{node.id}' no path leads to an ending")

    # Declaring an alliance variable only sets where this client starts; that is use enough.
    for var in sorted(set(s.state) - used_vars - set(ALLIANCE_VARS)):
        r.add(
            "IS302",
            ("state", var),
            f"state '{var}' is declared but no condition or effect uses it",
            key=True,
        )
    if not has_opportunity:
        r.add("IS305", ("nodes",), "no node is marked as a cultural opportunity (opportunity:)")
    if not has_broaching:
        r.add("IS306", ("nodes",), "no node is marked as apt for broaching and no option broaches")
    for dim in DIMENSIONS:
        if dim not in credited:
            r.add(
                "IS307", ("nodes",), f"no option credits '{dim}', so its top score is unreachable"
            )

    for theme_id in s.debrief.themes:
        if theme_id not in THEMES:
            r.add(
                "IS209",
                ("debrief", "themes", theme_id),
                f"'{theme_id}' is not one of the eight themes",
                key=True,
            )
    for mi, moment in enumerate(s.debrief.moments):
        if moment.theme not in THEMES:
            r.add("IS209", ("debrief", "moments", mi, "theme"), f"'{moment.theme}' is not a theme")
        if moment.at not in option_keys:
            r.add(
                "IS213",
                ("debrief", "moments", mi, "at"),
                f"'{moment.at}' names no option; write node_id.option_id, e.g. opening.1",
            )
    return r.items


def check_rubric(rubric: Rubric, doc: YamlDoc) -> list[Diagnostic]:
    r = _Report(doc)

    def exact(section: str, have: set[str], want: tuple[str, ...]) -> None:
        for missing in sorted(set(want) - have):
            r.add("IS102", (section,), f"{section} must define '{missing}'")
        for extra in sorted(have - set(want)):
            r.add(
                "IS101", (section, extra), f"'{extra}' is not one of the fixed {section}", key=True
            )

    exact("alliance", set(rubric.alliance), ALLIANCE_VARS)
    exact("dimensions", set(rubric.dimensions), DIMENSIONS)
    exact("themes", set(rubric.themes), THEMES)

    def known(
        keys: Iterable[str], allowed: Collection[str], code: str, base: PathT, what: str
    ) -> None:
        for k in keys:
            if k not in allowed:
                r.add(code, (*base, k), f"'{k}' is not {what}", key=True)

    alliance_var, dimension, theme_id = "an alliance variable", "a humility dimension", "a theme"
    for tid, theme in rubric.themes.items():
        if theme.falls_below >= theme.rises_at:
            r.add(
                "IS104",
                ("themes", tid, "falls_below"),
                "falls_below must be below rises_at (hysteresis)",
            )
        known(theme.from_state, ALLIANCE_VARS, "IS204", ("themes", tid, "from_state"), alliance_var)
    for cid, code in rubric.codes.items():
        known(code.humility, DIMENSIONS, "IS105", ("codes", cid, "humility"), dimension)
        known(code.alliance, ALLIANCE_VARS, "IS204", ("codes", cid, "alliance"), alliance_var)
        known(code.themes, THEMES, "IS209", ("codes", cid, "themes"), theme_id)
    for required in (
        "cfi_question",
        MISS_CODE,
        "broach_relationship",
        "broach_context",
        "acknowledge_power",
        "assumption",
    ):
        if required not in rubric.codes:
            r.add("IS102", ("codes",), f"the engine needs the code '{required}'")
    for aid, aspect in rubric.stance.items():
        if aspect.default not in aspect.values:
            r.add(
                "IS105",
                ("stance", aid, "default"),
                f"default '{aspect.default}' is not one of its values",
            )
        for vid, value in aspect.values.items():
            base = ("stance", aid, "values", vid)
            known(value.alliance, ALLIANCE_VARS, "IS204", (*base, "alliance"), alliance_var)
            known(value.themes, THEMES, "IS209", (*base, "themes"), theme_id)
    for iid, intent in rubric.cfi.intents.items():
        if intent.domain not in rubric.cfi.domains:
            r.add(
                "IS105", ("cfi", "intents", iid, "domain"), f"'{intent.domain}' is not a CFI domain"
            )
    lists = (
        ("opportunities", "engage_codes", rubric.opportunities.engage_codes),
        ("opportunities", "harm_codes", rubric.opportunities.harm_codes),
        ("repair", "codes", rubric.repair.codes),
        ("rupture", "codes", rubric.rupture.codes),
    )
    for section, key, codes in lists:
        for i, cid in enumerate(codes):
            if cid not in rubric.codes:
                r.add("IS203", (section, key, i), f"'{cid}' is not a code in this rubric")
    known(rubric.repair.humility, DIMENSIONS, "IS105", ("repair", "humility"), dimension)
    known(rubric.repair.alliance, ALLIANCE_VARS, "IS204", ("repair", "alliance"), alliance_var)
    for style in sorted(REQUIRED_STYLES - set(rubric.broaching_styles)):
        r.add("IS102", ("broaching_styles",), f"broaching_styles must define '{style}'")
    return r.items
