"""Playing an intake: the client's line and cue, numbered responses or a typed one, the stance,
feedback.

A typed response takes the same path as in plain mode (simulator/plain.py): `Practice.read` codes
it, `rank_options` maps it to the nearest written response (the trainee picks between the two
closest when the mapping is unsure), and `Practice.choose_typed` saves the text with the choice
and scores the typed codes.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from simulator.core.coder import CodedResponse
from simulator.core.coder_play import OptionMatch, TypedOption, rank_options
from simulator.core.engine import EngineError
from simulator.core.feedback import TurnFeedback, turn_feedback
from simulator.core.models import ALLIANCE_VARS
from simulator.plain import MAX_TYPED
from simulator.practice import Practice
from simulator.store import StoreError
from simulator.tui.context import ctx_of
from simulator.tui.safe import notify, plain
from simulator.tui.widgets.bars import bar_lines
from simulator.tui.widgets.typed_read import typed_read

STANCE_KEYS = (("t", "tone"), ("e", "eye_contact"), ("p", "posture"), ("a", "pace"), ("n", "notes"))


TYPE_HINT = "Or type your own response: press / (Enter sends it, Esc returns here)"
TYPING_HINT = "Type your response and press Enter (a number picks one above; Esc: the list)"


class PlayScreen(Screen[None]):
    DEFAULT_CSS = """
    PlayScreen #typed { margin-top: 0; }
    """
    BINDINGS = [
        *(Binding(str(i), f"choose({i})", f"Response {i}", show=False) for i in range(1, 10)),
        Binding("slash", "type", "Type your own", show=False),  # said in the hint
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
        self.typing = False  # typed responses by default (setting, pack, or a typed session)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            with Vertical(id="main"):
                yield Static(id="progress")
                yield Static(id="client-line")
                yield Static(id="cue")
                yield Label("Your response (1-9 or arrows and Enter):", classes="section")
                yield OptionList(id="options")
                yield Static(TYPE_HINT, id="typed-hint", classes="section")
                yield Input(
                    placeholder="What would you say to the client?",
                    max_length=MAX_TYPED,
                    id="typed",
                )
                yield Static(id="stance")
            with VerticalScroll(id="side"):
                yield Static(id="meters")
                yield Static(id="feedback")
        yield Footer()

    def on_mount(self) -> None:
        if self.practice.notice:
            notify(self, self.practice.notice, timeout=10)
        self._apply_meters_setting()
        self.typing = self._typing_by_default()
        self.query_one("#typed-hint", Static).update(TYPING_HINT if self.typing else TYPE_HINT)
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
        if self.typing:
            self.query_one("#typed", Input).focus()
        else:
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

    def _typing_by_default(self) -> bool:
        """Typed responses first when the trainee's setting, the session's assignment pack or an
        earlier typed answer in this session says so."""
        ctx = ctx_of(self)
        if ctx.settings.get("free_text", False) or self.practice.coder is not None:
            return True  # (a session begun with a coder is a typed one, e.g. a free-text pack's)
        if any(isinstance(t.option, TypedOption) for t in self.practice.session.turns):
            return True
        pack_id = self.practice.row.assignment_id
        if pack_id:
            from simulator.store.assignments import get_pack

            try:
                pack = get_pack(ctx.store, pack_id)
            except StoreError:
                return False
            return bool(pack is not None and pack.free_text)
        return False

    def _feedback_text(self, fb: TurnFeedback, *, read_as: bool = True) -> str:
        rubric = self.practice.scenario.rubric.model
        lines = [f"Read as: {fb.read_as}", ""] if read_as else []
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
        self._after_answer()

    def _after_answer(self) -> None:
        self.query_one("#side", VerticalScroll).scroll_home(animate=False)
        if self.practice.session.done:
            self._finish()
        else:
            self._show_node()

    # -- typed responses -------------------------------------------------------------------

    def action_type(self) -> None:
        self.query_one("#typed", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "typed":
            event.stop()
            self._submit_typed(event.value)

    def _submit_typed(self, value: str) -> None:
        session = self.practice.session
        if session.done:
            return
        options = session.options()
        text = value.strip()
        if not text:
            self.notify("Type a response first, or press Esc to choose a written one.")
            return
        if text.isdigit():  # as in plain mode, a number picks a written response
            if 1 <= int(text) <= len(options):
                self.query_one("#typed", Input).value = ""
                self._answer(int(text) - 1)
            else:
                self.notify(f"There are responses 1 to {len(options)}; or type your own words.")
            return
        if len(text) > MAX_TYPED:
            self.notify(f"That is {len(text)} characters; keep a response under {MAX_TYPED}.")
            return
        coded = self.practice.read(text)
        coder = self.practice.coder
        assert coder is not None  # practice.read set it
        mapping = rank_options(coder, coded, options, self.practice.scenario)
        if mapping.confident or len(mapping.ranked) == 1:
            self._commit_typed(coded, mapping.best, "the closest match")
            return
        from simulator.tui.screens.typed_choice import TypedChoiceScreen

        closest = mapping.closest_two

        def picked(index: int | None) -> None:
            if index is None:  # retype: the words stay in the box
                self.query_one("#typed", Input).focus()
                return
            self._commit_typed(coded, closest[index], "your choice")

        self.app.push_screen(TypedChoiceScreen(coded.text, closest), picked)

    def _commit_typed(self, coded: CodedResponse, counted: OptionMatch, how: str) -> None:
        coder = self.practice.coder
        assert coder is not None
        try:
            self.practice.choose_typed(counted.option, coded, self.stance)
        except StoreError as exc:
            notify(self, f"Not saved: {exc}", severity="error", timeout=10)
            return
        except EngineError as exc:
            notify(self, f"Not accepted: {exc}", severity="error")
            return
        self.query_one("#typed", Input).value = ""
        self.typing = True  # keep typing at the next decision
        self.query_one("#typed-hint", Static).update(TYPING_HINT)
        head = typed_read(coder, coded, counted, how)
        if self.practice.mode == "coach":
            fb = turn_feedback(self.practice.session, self.practice.session.step - 1)
            body = plain(self._feedback_text(fb, read_as=False))
        else:
            body = plain("Response recorded.")
        self.query_one("#feedback", Static).update(Content("\n\n").join([head, body]))
        self._after_answer()

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
        if isinstance(self.focused, Input):  # Esc in the typing box goes back to the list
            self.query_one("#options", OptionList).focus()
            return
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
