"""The scenario as a graph: plain text for the terminal, Mermaid and Graphviz DOT for documents.

With a `Heat` (a cohort's choice counts, built by simulator/reports/heatmap.py) every edge is
labelled with how many answers took it and their share of the answers at that decision, and
drawn heavier the more it was taken; responses coded negative or as an assumption are drawn in
another colour. The counts are always written in the label, so colour never carries them alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from simulator.core.compiled import CompiledOption, CompiledScenario
from simulator.core.text import clean

FORMATS = ("text", "mermaid", "dot")
BAR = 20
MISSTEP_COLOUR = "#c05621"
CHOSEN_COLOUR = "#2b6cb0"
UNCHOSEN_COLOUR = "#a0a0a0"


@dataclass(frozen=True)
class Heat:
    """How often a cohort took each option of a scenario, and where it led.

    `options`: (node id, option id) -> answers. `edges`: (node id, option id, target) -> answers
    known to have led there (an active session's last answer has no known target yet).
    """

    label: str
    sessions: int
    options: Mapping[tuple[str, str], int] = field(default_factory=dict)
    edges: Mapping[tuple[str, str, str], int] = field(default_factory=dict)

    def answers_at(self, node_id: str) -> int:
        return sum(n for (node, _), n in self.options.items() if node == node_id)

    def option(self, opt: CompiledOption) -> int:
        return self.options.get((opt.node_id, opt.id), 0)

    def edge(self, opt: CompiledOption, target: str) -> int:
        """Answers along one edge: every answer of a one-branch option, else the known ones."""
        if len(opt.branches) == 1:
            return self.option(opt)
        return self.edges.get((opt.node_id, opt.id, target), 0)

    def share(self, node_id: str, count: int) -> float:
        total = self.answers_at(node_id)
        return count / total if total else 0.0


def _pct(share: float) -> str:
    return f"{100 * share:.0f}%"


def _misstep(opt: CompiledOption) -> bool:
    return opt.negative or opt.assumption


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(clean(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class _Edge:
    src: str
    dst: str
    label: str
    option: CompiledOption


def _edges(scenario: CompiledScenario) -> list[_Edge]:
    """One edge for every option and conditional branch."""
    out = []
    for node in scenario.nodes.values():
        for opt in node.options:
            for branch in opt.branches:
                label = opt.id if branch.when is None else f"{opt.id} if {branch.when.source}"
                out.append(_Edge(node.id, branch.target, label, opt))
    return out


def _heat_label(label: str, heat: Heat | None, edge: _Edge) -> tuple[str, int, float]:
    if heat is None:
        return label, 0, 0.0
    count = heat.edge(edge.option, edge.dst)
    share = heat.share(edge.src, count)
    # The condition may be shortened; the count never is.
    return f"{_short(label, 40)}: {count} ({_pct(share)})", count, share


def _bar(share: float) -> str:
    filled = round(BAR * share)
    return "#" * filled + "." * (BAR - filled)


def to_text(scenario: CompiledScenario, heat: Heat | None = None) -> str:
    m = scenario.model
    lines = [f"{m.id}: {_short(m.title)} (start: {m.start})"]
    if heat is not None:
        lines.append(
            f"Choices of {_short(heat.label, 80)}: {heat.sessions} sessions. Each response shows "
            "its answers and their share of the answers at that decision; * marks a response "
            "coded negative or as an assumption."
        )
    for node in scenario.nodes.values():
        marks = [k for k in ("opportunity", "broaching", "disclosure") if getattr(node.model, k)]
        tag = f" ({', '.join(marks)})" if marks else ""
        answered = f" ({heat.answers_at(node.id)} answers)" if heat is not None else ""
        lines.append(f"[{node.id}]{tag}{answered} {_short(node.client_line(scenario.initial))}")
        for i, opt in enumerate(node.options, 1):
            targets = " | ".join(
                b.target if b.when is None else f"{b.target} if {b.when.source}"
                for b in opt.branches
            )
            gate = f" (only if {opt.when.source})" if opt.when else ""
            codes = ", ".join(c.label for c in opt.codes if not c.implicit)
            line = f"  {i}. {opt.id} -> {targets}{gate}  [{codes}]"
            if heat is not None:
                n = heat.option(opt)
                share = heat.share(node.id, n)
                star = "*" if _misstep(opt) else " "
                line = f"  {i}.{star}{opt.id:<16} {_bar(share)} {n:>6} {_pct(share):>4}  -> {targets}{gate}  [{codes}]"
            lines.append(line)
    lines.append("Endings:")
    for ending in scenario.endings.values():
        lines.append(f"  ({ending.id}) {ending.outcome}: {_short(ending.title)}")
    return "\n".join(lines)


def _mermaid_label(text: str) -> str:
    return _short(text).replace('"', "#quot;").replace("[", "#91;").replace("]", "#93;")


def to_mermaid(scenario: CompiledScenario, heat: Heat | None = None) -> str:
    lines = ["flowchart TD"]
    for node in scenario.nodes.values():
        lines.append(
            f'  {node.id}["{node.id}: {_mermaid_label(node.client_line(scenario.initial))}"]'
        )
    for ending in scenario.endings.values():
        lines.append(f'  {ending.id}(["{ending.outcome}: {_mermaid_label(ending.title)}"])')
    styles = []
    for i, edge in enumerate(_edges(scenario)):
        label, count, share = _heat_label(edge.label, heat, edge)
        lines.append(f'  {edge.src} -->|"{_mermaid_label(label)}"| {edge.dst}')
        if heat is not None:
            styles.append(f"  linkStyle {i} {_mermaid_style(edge.option, count, share)}")
    if heat is not None:
        lines += styles
        lines.append(
            f"  %% Choices of {_comment(heat.label)}: {heat.sessions} sessions; labels give answers "
            "and their share at that decision; width grows with the share; orange: negative or "
            "assumptive responses; grey dashed: never chosen"
        )
    return "\n".join(lines)


def _comment(text: str) -> str:
    return _short(text, 80).replace("\n", " ")


def _mermaid_style(opt: CompiledOption, count: int, share: float) -> str:
    if count == 0:
        return f"stroke:{UNCHOSEN_COLOUR},stroke-width:1px,stroke-dasharray:3 3"
    colour = MISSTEP_COLOUR if _misstep(opt) else CHOSEN_COLOUR
    return f"stroke:{colour},stroke-width:{1 + 7 * share:.1f}px"


def _dot(text: str, limit: int = 60) -> str:
    return '"' + _short(text, limit).replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(scenario: CompiledScenario, heat: Heat | None = None) -> str:
    lines = [f"digraph {_dot(scenario.id)} {{", "  rankdir=TB;", "  node [shape=box];"]
    if heat is not None:
        legend = (
            f"Choices of {_short(heat.label, 80)}: {heat.sessions} sessions. Edge labels: answers "
            "(share at that decision); orange: negative or assumptive; dashed: never chosen"
        )
        lines.append(f"  labelloc=t; label={_dot(legend, 240)};")
    for node in scenario.nodes.values():
        lines.append(
            f"  {_dot(node.id)} [label={_dot(node.id + ': ' + node.client_line(scenario.initial))}];"
        )
    for ending in scenario.endings.values():
        lines.append(
            f"  {_dot(ending.id)} [shape=oval, label={_dot(ending.outcome + ': ' + ending.title)}];"
        )
    for edge in _edges(scenario):
        label, count, share = _heat_label(edge.label, heat, edge)
        attrs = f"label={_dot(label)}"
        if heat is not None:
            if count == 0:
                attrs += f', style=dashed, color="{UNCHOSEN_COLOUR}"'
            else:
                colour = MISSTEP_COLOUR if _misstep(edge.option) else CHOSEN_COLOUR
                attrs += f', penwidth={1 + 7 * share:.1f}, color="{colour}", fontcolor="{colour}"'
        lines.append(f"  {_dot(edge.src)} -> {_dot(edge.dst)} [{attrs}];")
    lines.append("}")
    return "\n".join(lines)


def render(scenario: CompiledScenario, fmt: str, heat: Heat | None = None) -> str:
    return {"text": to_text, "mermaid": to_mermaid, "dot": to_dot}[fmt](scenario, heat)
