"""The scenario as a graph: plain text for the terminal, Mermaid and Graphviz DOT for documents."""

from __future__ import annotations

from simulator.core.compiled import CompiledScenario
from simulator.core.text import clean

FORMATS = ("text", "mermaid", "dot")


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(clean(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _edges(scenario: CompiledScenario) -> list[tuple[str, str, str]]:
    """(from, to, label) for every option and conditional branch."""
    out = []
    for node in scenario.nodes.values():
        for opt in node.options:
            for branch in opt.branches:
                label = opt.id if branch.when is None else f"{opt.id} if {branch.when.source}"
                out.append((node.id, branch.target, label))
    return out


def to_text(scenario: CompiledScenario) -> str:
    m = scenario.model
    lines = [f"{m.id}: {_short(m.title)} (start: {m.start})"]
    for node in scenario.nodes.values():
        marks = [k for k in ("opportunity", "broaching", "disclosure") if getattr(node.model, k)]
        tag = f" ({', '.join(marks)})" if marks else ""
        lines.append(f"[{node.id}]{tag} {_short(node.client_line(scenario.initial))}")
        for i, opt in enumerate(node.options, 1):
            targets = " | ".join(
                b.target if b.when is None else f"{b.target} if {b.when.source}"
                for b in opt.branches
            )
            gate = f" (only if {opt.when.source})" if opt.when else ""
            codes = ", ".join(c.label for c in opt.codes if not c.implicit)
            lines.append(f"  {i}. {opt.id} -> {targets}{gate}  [{codes}]")
    lines.append("Endings:")
    for ending in scenario.endings.values():
        lines.append(f"  ({ending.id}) {ending.outcome}: {_short(ending.title)}")
    return "\n".join(lines)


def _mermaid_label(text: str) -> str:
    return _short(text).replace('"', "#quot;").replace("[", "#91;").replace("]", "#93;")


def to_mermaid(scenario: CompiledScenario) -> str:
    lines = ["flowchart TD"]
    for node in scenario.nodes.values():
        lines.append(
            f'  {node.id}["{node.id}: {_mermaid_label(node.client_line(scenario.initial))}"]'
        )
    for ending in scenario.endings.values():
        lines.append(f'  {ending.id}(["{ending.outcome}: {_mermaid_label(ending.title)}"])')
    for src, dst, label in _edges(scenario):
        lines.append(f'  {src} -->|"{_mermaid_label(label)}"| {dst}')
    return "\n".join(lines)


def _dot(text: str) -> str:
    return '"' + _short(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(scenario: CompiledScenario) -> str:
    lines = [f"digraph {_dot(scenario.id)} {{", "  rankdir=TB;", "  node [shape=box];"]
    for node in scenario.nodes.values():
        lines.append(
            f"  {_dot(node.id)} [label={_dot(node.id + ': ' + node.client_line(scenario.initial))}];"
        )
    for ending in scenario.endings.values():
        lines.append(
            f"  {_dot(ending.id)} [shape=oval, label={_dot(ending.outcome + ': ' + ending.title)}];"
        )
    for src, dst, label in _edges(scenario):
        lines.append(f"  {_dot(src)} -> {_dot(dst)} [label={_dot(label)}];")
    lines.append("}")
    return "\n".join(lines)


def render(scenario: CompiledScenario, fmt: str) -> str:
    return {"text": to_text, "mermaid": to_mermaid, "dot": to_dot}[fmt](scenario)
