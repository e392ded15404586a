"""Content checks: does a compiled scenario meet the content standard? (warnings IS309-IS314)

The meaning-level checks in `validate.py` look at the scenario as written; these look at what it
does when played, so they run on the COMPILED scenario, after `validate` found no errors
(`library.load_scenario` runs them). Each rule is cheap on purpose: loading a 50-node scenario
must stay within a few percent of its cost without them (`bench/run.py --only validate`).

The rules, documented for authors in `docs/diagnostics.md`:

IS309  The typical path is shorter than eight decisions. The typical path is simulated from
       `start`: at every node the first option open on the current state, the rubric's default
       stance, state moved exactly as the engine moves it (decay, code and option effects,
       rupture and repair, clamping), `next` resolved on the new state; it ends at an ending.
IS310  Fewer than three endings, or the endings lack one of the outcomes positive, mixed and
       negative.
IS311  No repair path: no option reachable from `start` can open a rupture (it is marked
       `rupture: true`, carries a rubric rupture code, or its own alliance changes sum to at least
       `rupture.drop` points lost) with, somewhere after it (any node reachable from the option's
       targets, conditions ignored), an option that can repair (a repair code or `repair: true`)
       and whose own alliance changes sum to at least `repair.gain` points won back. Stance and
       decay are left out on both sides: the check asks what the authored options do by
       themselves.
IS312  Fewer than five themes that the content can raise. A theme can be raised when an option
       reachable from `start` (conditions ignored) pushes it upwards through its codes (the automatic
       `miss_opportunity` included), or when the rubric's state reading alone can carry it to
       `rises_at` (each `from_state` weight w contributes at most 5|w|, the variable being
       between 0 and 100). Stance is not counted: in the core rubric the trainee's stance alone
       reaches six themes in every scenario, which would make the check empty.
IS313  A theme that can become salient has no debrief snippet. A theme can become salient when
       it can be raised (IS312), when some stance value pushes it upwards (and the scenario's
       `nonverbal_weight` is above zero), or when its state reading can be above zero (any
       `from_state` weight: a client with no active theme names the strongest reading above
       zero). One warning per missing theme, at `debrief.themes`.
IS314  No option cites a research basis (`basis:`). The scenario-level `research_basis` is
       required by the format; this asks for at least one option-level citation as well.
"""

from __future__ import annotations

from simulator.core.compiled import CompiledOption, CompiledScenario
from simulator.core.diagnostics import Diagnostic
from simulator.core.engine import clamp_touched, normalise_stance, resolve_next
from simulator.core.models import ALLIANCE_VARS
from simulator.core.yamlsafe import YamlDoc

MIN_DECISIONS = 8
MIN_ENDINGS = 3
OUTCOMES = ("positive", "mixed", "negative")
MIN_THEMES = 5
# A bound on the simulated typical path: a path that has not ended after this many decisions
# per node goes round a conditional loop and is long enough by any measure.
_STEPS_PER_NODE = 4

PathT = tuple[str | int, ...]


def _dotted(path: PathT) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def typical_path(scenario: CompiledScenario) -> tuple[list[str], str | None]:
    """The option keys of the typical path and the ending it reaches (None if it never ends).

    The typical path takes the first option open on the current state at every node, with the
    rubric's default stance. The state is moved as `engine.choose` moves it; themes, events and
    records are skipped, which makes this several times cheaper than playing the engine (a test
    checks that the two agree).
    """
    rubric = scenario.rubric
    initial = scenario.initial
    decay = rubric.alliance_decay
    drop = rubric.rupture_drop
    gain = rubric.repair_gain
    repair_alliance = rubric.model.repair.alliance.items()
    stance = tuple(scenario.stance_effect(normalise_stance(scenario, None)).alliance.items())
    nodes = scenario.nodes
    endings = scenario.endings
    state = dict(initial)
    open_rupture = False
    keys: list[str] = []
    node_id = scenario.model.start
    for _ in range(_STEPS_PER_NODE * len(nodes) + MIN_DECISIONS):
        for option in nodes[node_id].options:
            if option.when is None or option.when(state):
                break
        keys.append(option.key)
        before = [state[var] for var in ALLIANCE_VARS]
        for var in ALLIANCE_VARS:
            state[var] += (initial[var] - state[var]) * decay
        for var, amount in option.deltas.items():
            state[var] = state.get(var, 0.0) + amount
        if stance:
            for var, amount in stance:
                state[var] += amount
        # Summed as the engine sums it (after minus before, per variable), so that a change
        # exactly at a threshold goes the same way in both.
        change = 0.0
        for var, was in zip(ALLIANCE_VARS, before, strict=True):
            change += state[var] - was
        if not open_rupture and (option.ruptures or change <= -drop):
            open_rupture = True
        elif open_rupture and option.repairs and change >= gain:
            open_rupture = False
            for var, amount in repair_alliance:
                state[var] = state.get(var, 0.0) + amount
        clamp_touched(option, state)
        target = resolve_next(option, state)
        if target in endings:
            return keys, target
        node_id = target
    return keys, None


def check_content(scenario: CompiledScenario, doc: YamlDoc) -> list[Diagnostic]:
    """Warnings IS309-IS314 for one compiled scenario; see the module docstring for the rules."""
    out: list[Diagnostic] = []

    def add(code: str, path: PathT, message: str, *, key: bool = False) -> None:
        line, col = doc.locate_key(path) if key else doc.locate(path)
        out.append(Diagnostic(doc.file, line, col, code, message, _dotted(path)))

    model = scenario.model
    rubric = scenario.rubric
    nodes = scenario.nodes
    node_index = {node.id: i for i, node in enumerate(model.nodes)}

    # IS309: the typical path.
    keys, ending = typical_path(scenario)
    if ending is not None and len(keys) < MIN_DECISIONS:
        route = " -> ".join([*(k.split(".", 1)[0] for k in keys), ending])
        add(
            "IS309",
            ("start",),
            f"the typical path (the first open option at every node, default stance) takes "
            f"{len(keys)} decision{'s' if len(keys) != 1 else ''} ({route}); the content standard "
            f"asks for at least {MIN_DECISIONS}",
        )

    # IS310: endings.
    outcomes = {e.outcome for e in model.endings}
    missing = [o for o in OUTCOMES if o not in outcomes]
    if len(model.endings) < MIN_ENDINGS or missing:
        parts = []
        if len(model.endings) < MIN_ENDINGS:
            parts.append(f"{len(model.endings)} ending{'s' if len(model.endings) != 1 else ''}")
        if missing:
            parts.append("no " + " or ".join(missing) + " ending")
        add(
            "IS310",
            ("endings",),
            f"{'; '.join(parts)}: write at least {MIN_ENDINGS} endings, at least one of each "
            "outcome (positive, mixed, negative)",
            key=True,
        )

    # Reachable nodes (conditions ignored) and the options on them.
    reached: set[str] = set()
    stack = [model.start]
    while stack:
        cur = stack.pop()
        if cur in reached or cur not in nodes:
            continue
        reached.add(cur)
        for option in nodes[cur].options:
            for branch in option.branches:
                stack.append(branch.target)
    reachable = [o for n in model.nodes if n.id in reached for o in nodes[n.id].options]

    # IS311: a rupture followed by a chance to repair it.
    drop, gain = rubric.rupture_drop, rubric.repair_gain
    rupturing: list[CompiledOption] = []
    repair_nodes: set[str] = set()  # nodes with an option that can repair
    for option in reachable:
        deltas = option.deltas
        change = 0.0
        for var in ALLIANCE_VARS:
            change += deltas.get(var, 0.0)
        if option.ruptures or change <= -drop:
            rupturing.append(option)
        if option.repairs and change >= gain:
            repair_nodes.add(option.node_id)
    if not rupturing:
        add(
            "IS311",
            ("nodes",),
            f"no option can open a rupture: none costs the alliance {drop:g} points or more, is "
            "marked rupture: true or carries a rupture code; write a costly misstep and a node "
            "after it where the trainee can repair",
            key=True,
        )
    else:
        # Search forward from the rupturing options' targets for a node with a repairing option.
        repairable = False
        if repair_nodes:
            seen: set[str] = set()
            stack = [b.target for o in rupturing for b in o.branches]
            while stack:
                cur = stack.pop()
                if cur in seen or cur not in nodes:
                    continue
                if cur in repair_nodes:
                    repairable = True
                    break
                seen.add(cur)
                for option in nodes[cur].options:
                    for branch in option.branches:
                        stack.append(branch.target)
        if not repairable:
            first = min(rupturing, key=lambda o: (node_index[o.node_id], o.index))
            shown = ", ".join(o.key for o in rupturing[:3]) + (
                ", ..." if len(rupturing) > 3 else ""
            )
            add(
                "IS311",
                ("nodes", node_index[first.node_id], "options", first.index),
                f"no repair path: after the options that can open a rupture ({shown}) no option "
                f"with a repair code (or repair: true) wins back {gain:g} points or more",
            )

    # IS312 / IS313: themes.
    theme_ids = rubric.theme_ids
    themes = rubric.model.themes
    raised = {
        tid
        for tid in theme_ids
        if sum(abs(w) for w in themes[tid].from_state.values()) * 5.0 >= themes[tid].rises_at
    }
    for option in reachable:
        for tid, push in option.themes.items():
            if push > 0:
                raised.add(tid)
        if len(raised) == len(theme_ids):
            break
    if len(raised) < MIN_THEMES:
        named = ", ".join(t for t in theme_ids if t in raised) or "none"
        add(
            "IS312",
            ("nodes",),
            f"the options can raise only {len(raised)} of the eight themes ({named}); code the "
            f"responses so that at least {MIN_THEMES} can become salient",
            key=True,
        )
    salient = set(raised)
    if model.nonverbal_weight > 0:
        for effect in rubric.stance.values():
            salient.update(tid for tid, push in effect.themes.items() if push > 0)
    salient.update(tid for tid in theme_ids if themes[tid].from_state)
    snippets = model.debrief.themes
    for tid in theme_ids:
        if tid in salient and tid not in snippets:
            add(
                "IS313",
                ("debrief", "themes"),
                f"theme '{tid}' can become salient but the debrief has no snippet for it; write "
                "one in the client's voice that is true on any path that could raise it",
                key=True,
            )

    # IS314: option-level research basis.
    if not any(option.basis for node in model.nodes for option in node.options):
        add(
            "IS314",
            ("nodes",),
            "no option cites a research basis; add basis: to the options whose teaching rests "
            "on a finding or an excerpt (seed excerpt code or finding id, in your own words)",
            key=True,
        )
    return out
