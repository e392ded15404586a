"""Offer to resume an unfinished session before anything else."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from simulator.store import SessionRow
from simulator.tui.context import ctx_of
from simulator.tui.safe import plain


class ResumeScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Resume"),
        Binding("n,escape", "answer(False)", "Not now"),
    ]

    def __init__(self, row: SessionRow) -> None:
        super().__init__()
        self.row = row

    def compose(self) -> ComposeResult:
        ctx = ctx_of(self)
        scenario = ctx.library.get(self.row.scenario_id)
        title = scenario.model.title if scenario else self.row.scenario_id
        answered = len(ctx.store.choices(self.row.id))
        with Vertical(id="dialog"):
            yield Label("You have an unfinished session", classes="title")
            yield Static(
                plain(
                    f"{title}, begun {self.row.started_at[:16].replace('T', ' ')}, "
                    f"{answered} decision(s) answered."
                )
            )
            yield Static("Resume it now? Your earlier answers are kept either way.")
            with Horizontal(classes="buttons"):
                yield Button("Resume (y)", variant="primary", id="yes")
                yield Button("Not now (n)", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
