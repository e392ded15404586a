"""Pick an earlier decision to answer again (practice only)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from simulator.core.engine import Session
from simulator.tui.safe import plain


class RewindScreen(ModalScreen[int | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(
                "Go back to which decision? Later answers will be removed.", classes="title"
            )
            options = OptionList(id="steps")
            for turn in self.session.turns:
                options.add_option(
                    Option(
                        plain(f'Decision {turn.step + 1}: you said "{turn.option.say}"'),
                        id=str(turn.step),
                    )
                )
            yield options

    def on_mount(self) -> None:
        steps = self.query_one(OptionList)
        steps.highlighted = steps.option_count - 1  # the most recent decision
        steps.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))

    def action_cancel(self) -> None:
        self.dismiss(None)
