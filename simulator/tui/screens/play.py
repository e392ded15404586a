"""Playing an intake: the client's line and cue, numbered responses, the stance, feedback."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, OptionList, Static
from textual.widgets.option_list import Option

from simulator.core.engine import EngineError
from simulator.core.feedback import TurnFeedback, turn_feedback
from simulator.core.models import ALLIANCE_VARS
from simulator.practice import Practice
from simulator.store import StoreError
from simulator.tui.context import ctx_of
from simulator.tui.safe import notify, plain
from simulator.tui.widgets.bars import bar_lines

STANCE_KEYS = (("t", "tone"), ("e", "eye_contact"), ("p", "posture"), ("a", "pace"), ("n", "notes"))


class PlayScreen(Screen[None]):
    BINDINGS = [
        *(Binding(str(i), f"choose({i})", f"Response {i}", show=False) for i in range(1, 10)),
        Binding("t", "stance('tone')", "Tone"),
        Binding("e", "stance('eye_contact')", "Eyes"),
        Binding("p", "stance('posture')", "Posture"),
        Binding("a", "stance('pace')", "Pace"),
        Binding("n", "stance('notes')", "Notes"),
        Binding("m", "toggle_meters", "Meters"),
        Binding("r", "rewind", "Rewind"),
        Binding("escape", "leave", "Save & leave"),
    ]

    def __init__(self, practice: Practice) -> None:
        super().__init__()
        self.practice = practice
        rubric = practice.scenario.rubric
        self.stance: dict[str, str] = dict(rubric.stance_defaults)
        if practice.session.turns:
            self.stance = dict(practice.session.turns[-1].stance)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            with Vertical(id="main"):
                yield Static(id="progress")
                yield Static(id="client-line")
                yield Static(id="cue")
                yield Label("Your response (1-9 or arrows and Enter):", classes="section")
                yield OptionList(id="options")
                yield Static(id="stance")
            with VerticalScroll(id="side"):
                yield Static(id="meters")
                yield Static(id="feedback")
        yield Footer()

    def on_mount(self) -> None:
        if self.practice.notice:
            notify(self, self.practice.notice, timeout=10)
        self._apply_meters_setting()
        if self.practice.session.done:
            self._finish()
            return
        self._show_node()
        self.query_one("#feedback", Static).update(self._intro_text())

    # -- rendering -------------------------------------------------------------------------

    def _intro_text(self) -> str:
        mode = self.practice.mode
        if mode == "coach":
            return (
                "Coach mode: after each response you will see what it read as, what it did to "
                "the client's trust, bond and agreement, and why."
            )
        return "Assessment mode: feedback is held until the debrief."

    def _show_node(self) -> None:
        session = self.practice.session
        scenario = self.practice.scenario
        node = scenario.nodes[session.node_id or ""]
        first = scenario.model.client.name.split()[0]
        self.query_one("#progress", Static).update(
            plain(
                f"{scenario.model.title}  ·  decision {session.step + 1}  ·  {self.practice.mode} mode"
            )
        )
        self.query_one("#client-line", Static).update(plain(f'{first}: "{session.client_line()}"'))
        self.query_one("#cue", Static).update(
            plain(f"({node.model.cue})" if node.model.cue else "")
        )
        options = self.query_one("#options", OptionList)
        options.clear_options()
        for i, option in enumerate(session.options(), 1):
            options.add_option(Option(plain(f"{i}. {option.say}"), id=option.key))
        options.highlighted = 0
        options.focus()
        self._show_stance()
        self._show_meters()
        from simulator.tui.room_watch import watch_room  # a workshop room paused here holds play

        watch_room(self)

    def _show_stance(self) -> None:
        rubric = self.practice.scenario.rubric.model
        parts = []
        for key, aspect in STANCE_KEYS:
            title = rubric.stance[aspect].values[self.stance[aspect]].title
            parts.append(f"{rubric.stance[aspect].title} [{key}]: {title}")
        self.query_one("#stance", Static).update(plain("Stance  " + "  ·  ".join(parts)))

    def _show_meters(self) -> None:
        rubric = self.practice.scenario.rubric.model
        state = self.practice.session.state
        rows = [(rubric.alliance[v].title, state[v]) for v in ALLIANCE_VARS]
        meters = self.query_one("#meters", Static)
        meters.update(bar_lines(rows, width=16, label_width=20))

    def _apply_meters_setting(self) -> None:
        self.query_one("#meters", Static).display = bool(ctx_of(self).settings.get("meters", True))

    def _feedback_text(self, fb: TurnFeedback) -> str:
        rubric = self.practice.scenario.rubric.model
        lines = [f"Read as: {fb.read_as}", ""]
        for note in fb.notes:
            sign = {"positive": "+", "negative": "-", "neutral": "="}[note.valence]
            lines.append(f"{sign} {note.title}: {note.text}")
            if note.better and note.valence == "negative":
                lines.append(f"  Try: {note.better}")
        if fb.option_feedback:
            lines += ["", f"About this response: {fb.option_feedback}"]
        if fb.context:
            lines.append(f"In this moment: {fb.context}")
        if fb.humility:
            lines += [
                "",
                "Humility: " + ", ".join(f"{d.replace('_', ' ')} {a:+g}" for d, a in fb.humility),
            ]
        if fb.moved:
            lines.append("Alliance: " + ", ".join(f"{v} {a:+.1f}" for v, a in fb.moved))
        if fb.opportunity:
            lines.append(f"Cultural opportunity ({fb.opportunity[0]}): {fb.opportunity[1]}.")
        if fb.rupture:
            lines.append("Rupture: this response cost the alliance. It can still be repaired.")
        if fb.repaired:
            lines.append("Repair: this response mended the earlier rupture.")
        for theme, active in fb.themes_changed:
            lines.append(
                f"{'Rising' if active else 'Fading'} in the client: {rubric.themes[theme].title.lower()}."
            )
        if fb.disclosure:
            lines.append(f"The client is opening up: {fb.disclosure}.")
        if fb.basis:
            lines += ["", "Research basis:"] + [f"  {c.cite}: {c.note}" for c in fb.basis[:3]]
        return "\n".join(lines)

    # -- actions ---------------------------------------------------------------------------

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._answer(event.option_index)

    def action_choose(self, number: int) -> None:
        if number <= len(self.practice.session.options()):
            self._answer(number - 1)

    def _answer(self, index: int) -> None:
        session = self.practice.session
        if session.done:
            return
        option = session.options()[index]
        try:
            self.practice.choose(option, self.stance)
        except StoreError as exc:
            notify(self, f"Not saved: {exc}", severity="error", timeout=10)
            return
        except EngineError as exc:
            notify(self, f"Not accepted: {exc}", severity="error")
            return
        feedback = self.query_one("#feedback", Static)
        if self.practice.mode == "coach":
            fb = turn_feedback(self.practice.session, self.practice.session.step - 1)
            feedback.update(plain(f'You said: "{option.say}"\n\n' + self._feedback_text(fb)))
        else:
            feedback.update(plain(f'You said: "{option.say}"\n\nResponse recorded.'))
        self.query_one("#side", VerticalScroll).scroll_home(animate=False)
        if self.practice.session.done:
            self._finish()
        else:
            self._show_node()

    def action_stance(self, aspect: str) -> None:
        # Cycle from the neutral default to the rubric's first (most attuned) value onwards.
        spec = self.practice.scenario.rubric.model.stance[aspect]
        values = [spec.default, *(v for v in spec.values if v != spec.default)]
        self.stance[aspect] = values[(values.index(self.stance[aspect]) + 1) % len(values)]
        self._show_stance()

    def action_toggle_meters(self) -> None:
        ctx = ctx_of(self)
        ctx.settings["meters"] = not ctx.settings.get("meters", True)
        ctx.save_settings()
        self._apply_meters_setting()

    def action_rewind(self) -> None:
        from simulator.tui.screens.rewind import RewindScreen

        if self.practice.mode != "coach":
            self.notify("Rewinding is for practice (coach mode); assessments run straight through.")
            return
        if not self.practice.session.turns:
            self.notify("Nothing to rewind yet.")
            return

        def done(step: int | None) -> None:
            if step is None:
                return
            try:
                self.practice.rewind(step)
            except (EngineError, StoreError) as exc:
                notify(self, f"Cannot rewind: {exc}", severity="error")
                return
            self.query_one("#feedback", Static).update(
                f"Back at decision {step + 1}; later answers were removed."
            )
            self._show_node()

        self.app.push_screen(RewindScreen(self.practice.session), done)

    def action_leave(self) -> None:
        self.notify("Saved. Resume from the library or with --resume.")
        self.app.pop_screen()

    def _finish(self) -> None:
        from simulator.tui.screens.selfreport import SelfReportScreen

        def after(answers: tuple[list[str], int, int, int] | None) -> None:
            from simulator.tui.screens.debrief import DebriefScreen

            ctx = ctx_of(self)
            report = None
            if answers is not None:
                try:
                    report = ctx.store.save_self_report(self.practice.row.id, *answers)
                except StoreError as exc:
                    notify(self, f"Your answers were not saved: {exc}", severity="error")
            self.app.switch_screen(DebriefScreen(self.practice.row, self.practice.session, report))

        self.app.push_screen(SelfReportScreen(self.practice.scenario), after)
