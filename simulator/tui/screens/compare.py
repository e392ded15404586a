"""Two attempts side by side: the paths, the point of divergence, the score deltas."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Static

from simulator.core.compare import compare
from simulator.core.engine import Session
from simulator.core.scoring import summarize
from simulator.store import SessionRow
from simulator.tui.safe import plain


class CompareScreen(Screen[None]):
    BINDINGS = [Binding("escape", "back", "Back")]

    def __init__(self, a: tuple[SessionRow, Session], b: tuple[SessionRow, Session]) -> None:
        super().__init__()
        self.a, self.b = a, b

    def compose(self) -> ComposeResult:
        (ra, sa), (rb, sb) = self.a, self.b
        rubric = sa.scenario.rubric.model
        c = compare(sa, summarize(sa), sb, summarize(sb))
        yield Header()
        with VerticalScroll():
            yield Label(
                plain(f"Comparing two attempts at {sa.scenario.model.title}"), classes="title"
            )
            yield Static(
                plain(
                    f"A: {ra.started_at[:16].replace('T', ' ')}   B: {rb.started_at[:16].replace('T', ' ')}"
                )
            )
            if c.diverged_at is None:
                yield Static("The two paths are identical.")
            else:
                yield Static(plain(f"The paths diverged at decision {c.diverged_at + 1}."))
            lines = []
            for pair in c.steps:
                marker = "· " if pair.same else ">>"
                if c.diverged_at == pair.step:
                    marker = "◆ "
                a_text = pair.a[1] if pair.a else "(not on this path)"
                b_text = pair.b[1] if pair.b else "(not on this path)"
                if pair.same:
                    lines.append(f"{marker}{pair.step + 1:>2}. both: {a_text}")
                else:
                    lines += [f"{marker}{pair.step + 1:>2}. A: {a_text}", f"    B: {b_text}"]
            yield Label("Paths (◆ where they diverged, >> where they differ)", classes="section")
            yield Static(plain("\n".join(lines)))
            yield Label("Scores (A, B, change)", classes="section")
            score_lines = [
                f"• {rubric.dimensions[d].title:<22} {x:>3} {y:>3} {delta:+4d}"
                for d, (x, y, delta) in c.humility.items()
            ]
            x, y, delta = c.overall
            score_lines.append(f"• {'Overall':<22} {x:>3} {y:>3} {delta:+4d}")
            yield Static(plain("\n".join(score_lines)))
            ta = ", ".join(rubric.themes[t].title for t in c.salient[0]) or "none"
            tb = ", ".join(rubric.themes[t].title for t in c.salient[1]) or "none"
            yield Label("What the client named", classes="section")
            yield Static(
                plain(f"A: {ta} (ending: {c.endings[0]})\nB: {tb} (ending: {c.endings[1]})")
            )
        yield Footer()

    def action_back(self) -> None:
        self.app.pop_screen()
