"""The trainee's post-intake answers, before the client's account is revealed."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, RadioButton, RadioSet, SelectionList, Static

from simulator.core.compiled import CompiledScenario
from simulator.core.models import THEMES
from simulator.tui.safe import plain

QUALITIES = (
    ("openness", "How open was the client with you?"),
    ("trust", "How trustworthy did the client seem?"),
    ("cooperation", "How cooperative was the client?"),
)
SCALE = ("1 not at all", "2", "3 somewhat", "4", "5 very")


class SelfReportScreen(ModalScreen[tuple[list[str], int, int, int] | None]):
    BINDINGS = [Binding("escape", "skip", "Skip"), Binding("ctrl+d", "submit", "Done")]

    def __init__(self, scenario: CompiledScenario) -> None:
        super().__init__()
        self.scenario = scenario

    def compose(self) -> ComposeResult:
        rubric = self.scenario.rubric.model
        name = self.scenario.model.client.name.split()[0]
        with VerticalScroll(id="dialog"):
            yield Label("Before you hear from the client: your own reading", classes="title")
            yield Static(
                plain(
                    f"Which two or three themes do you think {name} would name about this intake? "
                    "(Space to tick, up to three.)"
                )
            )
            yield SelectionList[str](
                *((plain(rubric.themes[t].title), t) for t in THEMES), id="themes"
            )
            for key, question in QUALITIES:
                yield Label(question)
                with RadioSet(id=f"q-{key}"):
                    for i, label in enumerate(SCALE):
                        yield RadioButton(label, value=(i == 2))
            with Horizontal(classes="buttons"):
                yield Button("See the debrief", variant="primary", id="done")
                yield Button("Skip (Esc)", id="skip")
            yield Static("", id="error")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "done":
            self.action_submit()
        else:
            self.action_skip()

    def action_submit(self) -> None:
        themes = list(self.query_one(SelectionList).selected)
        if len(themes) > 3:
            self.query_one("#error", Static).update("Choose at most three themes.")
            return
        ratings = []
        for key, _ in QUALITIES:
            index = self.query_one(f"#q-{key}", RadioSet).pressed_index
            ratings.append((index if index >= 0 else 2) + 1)
        self.dismiss((themes, ratings[0], ratings[1], ratings[2]))

    def action_skip(self) -> None:
        self.dismiss(None)
