"""The debrief: the client's own account beside the trainee's reading, then the evidence."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Static

from simulator.core.coder import default_coder
from simulator.core.coder_play import MitiSummary, miti_summary, typed_turns
from simulator.core.debrief import client_debrief
from simulator.core.engine import Session
from simulator.core.scoring import summarize
from simulator.store import SelfReport, SessionRow
from simulator.tui.context import ctx_of
from simulator.tui.safe import plain
from simulator.tui.widgets.bars import bar_lines


class DebriefScreen(Screen[None]):
    BINDINGS = [
        Binding("a", "again", "Play again"),
        Binding("h", "app.history", "History"),
        Binding("escape", "back", "Library"),
    ]

    def __init__(self, row: SessionRow, session: Session, report: SelfReport | None) -> None:
        super().__init__()
        self.row = row
        self.session = session
        self.report = report
        self.summary = summarize(session)
        self.miti: MitiSummary | None = None
        if typed_turns(session):  # MITI-style figures over what was typed (as plain mode gives)
            self.miti = miti_summary(session, default_coder(session.scenario.rubric))

    def compose(self) -> ComposeResult:
        scenario = self.session.scenario
        rubric = scenario.rubric.model
        s = self.summary
        debrief = client_debrief(self.session, s)
        name = scenario.model.client.name.split()[0]
        yield Header()
        with VerticalScroll(id="debrief"):
            yield Label(plain(f"Debrief: {scenario.model.title}"), classes="title")
            yield Static(
                plain(f"Ending: {debrief.ending_title}\n{debrief.ending_text or ''}"), classes="box"
            )
            with Horizontal(id="accounts"):
                voice = [debrief.intro, ""]
                voice += [f"[{rubric.themes[t].title}] {text}" for t, text in debrief.voice]
                voice += [f"About decision {m.step + 1}: {m.text}" for m in debrief.moments]
                yield Static(plain(f"{name}'s account\n\n" + "\n".join(voice)), classes="box half")
                yield Static(plain(self._gap_text()), classes="box half", id="gap")
            yield Label("Humility profile (0-100)", classes="section")
            yield Static(
                bar_lines((rubric.dimensions[d].title, v) for d, v in s.humility.items()),
                id="profile",
            )
            yield Label("Cultural opportunities", classes="section")
            yield Static(plain(self._opportunities_text()))
            style = rubric.broaching_styles[s.broaching_style]
            yield Label("Broaching style", classes="section")
            yield Static(plain(f"{style.title}: {style.meaning}\nWhy: {s.broaching_reason}"))
            yield Label("Cultural Formulation Interview domains", classes="section")
            yield Static(plain(self._cfi_text()))
            if self.miti is not None:
                coder = default_coder(scenario.rubric)
                head, *rows = self.miti.lines(coder.title)
                yield Label(plain(head), classes="section", id="miti-title")
                yield Static(plain("\n".join(r.strip() for r in rows)), id="miti")
            yield Label("For next time", classes="section")
            yield Static(plain(self._points_text()))
            yield Static(
                plain(f"Overall: {s.overall} ({s.band.replace('_', ' ')})"), classes="section"
            )
        yield Footer()

    def _gap_text(self) -> str:
        rubric = self.session.scenario.rubric.model
        scripted = self.session.scenario.model.client.scripted
        client_themes = [rubric.themes[t].title for t in self.summary.salient]
        lines = ["Your reading and the client's", ""]
        lines.append("The client named: " + (", ".join(client_themes) or "nothing in particular"))
        if self.report is None:
            lines += ["", "You skipped the post-intake questions, so there is nothing to compare."]
            return "\n".join(lines)
        mine = [rubric.themes[t].title for t in self.report.themes]
        lines.append("You expected: " + (", ".join(mine) or "none chosen"))
        both = set(self.report.themes) & set(self.summary.salient)
        lines.append(f"Matched: {len(both)} of {len(self.summary.salient)}")
        lines += ["", "How you rated the client, and how they were written (1-5):"]
        for q in ("openness", "trust", "cooperation"):
            yours = getattr(self.report, q)
            written = scripted.get(q, 3)
            gap = yours - written
            note = "same" if gap == 0 else (f"{abs(gap)} lower" if gap < 0 else f"{gap} higher")
            lines.append(f"• {q.capitalize():<12} you {yours}, written {written} ({note})")
        lines += [
            "",
            "Therapists in the study saw less openness and trust in clients unlike themselves; "
            "the history screen shows whether you do, across your attempts.",
        ]
        return "\n".join(lines)

    def _opportunities_text(self) -> str:
        counts = self.summary.opportunity_counts()
        lines = [
            f"{counts['offered']} offered: {counts['engaged']} engaged, {counts['missed']} missed, {counts['harmed']} harmed."
        ]
        for o in self.summary.opportunities:
            lines.append(f"• Decision {o.step + 1} ({o.about}): {o.outcome}.")
            if o.better:
                lines.append(f"→ A better response: {o.better}")
        return "\n".join(lines)

    def _cfi_text(self) -> str:
        rubric = self.session.scenario.rubric.model
        lines = []
        for domain, intents in self.summary.cfi_domains.items():
            mark = "touched" if intents else "not touched"
            detail = "; ".join(rubric.cfi.intents[i].paraphrase.rstrip(".") for i in intents)
            lines.append(
                f"• {rubric.cfi.domains[domain].title}: {mark}" + (f" ({detail})" if detail else "")
            )
        return "\n".join(lines)

    def _points_text(self) -> str:
        if not self.summary.improvements:
            return "No missteps on this path. Try the scenario again and take the other turns to see how the client responds."
        lines = []
        for imp in self.summary.improvements:
            lines.append(f"• Decision {imp.step + 1}: {imp.issue}")
            if imp.better:
                lines.append(f"→ A better response: {imp.better}")
        return "\n".join(lines)

    def action_again(self) -> None:
        self.app.pop_screen()
        self.app.open_play(self.session.scenario.id)  # type: ignore[attr-defined]

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_mount(self) -> None:
        ctx_of(self)  # the debrief needs a signed-in trainee; fails loudly in tests if not
