"""When a typed response sits between two written ones: the trainee says which was meant."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from simulator.core.coder_play import OptionMatch
from simulator.tui.safe import plain


class TypedChoiceScreen(ModalScreen[int | None]):
    """Dismisses with 0 or 1 (the first or second closest option), or None to retype."""

    BINDINGS = [
        Binding("1", "pick(0)", "The first"),
        Binding("2", "pick(1)", "The second"),
        Binding("escape", "retype", "Retype"),
    ]

    def __init__(self, typed: str, closest: tuple[OptionMatch, ...]) -> None:
        super().__init__()
        self.typed = typed
        self.closest = closest

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("That sits between two of the written responses.", classes="title")
            yield Label(plain(f'You typed: "{self.typed}"'), id="typed-quote")
            yield Label("Which is closer to what you meant? 1 or 2 (Esc to retype):")
            choices = OptionList(id="closest")
            for i, match in enumerate(self.closest, 1):
                choices.add_option(
                    Option(plain(f"{i}. {match.option.say}  (response {match.number})"))
                )
            yield choices

    def on_mount(self) -> None:
        choices = self.query_one(OptionList)
        choices.highlighted = 0
        choices.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_index)

    def action_pick(self, index: int) -> None:
        if index < len(self.closest):
            self.dismiss(index)

    def action_retype(self) -> None:
        self.dismiss(None)
