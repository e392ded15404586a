"""First run: a pseudonym and, optionally, self-described identity facets."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

FACETS = (
    ("ethnicity", "Ethnicity or heritage"),
    ("religion", "Religion and observance"),
    ("class", "Class background"),
    ("gender", "Gender"),
)
WHY = (
    "Optional. These are used for one thing only: to mark each scenario as concordant "
    "(the client shares your background) or discordant for you, so your own reports can be "
    "split that way. They never change a score. Leave them blank to use each scenario's "
    "default therapist role."
)


class ProfileScreen(ModalScreen[tuple[str, dict[str, str]] | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, first_run: bool = False) -> None:
        super().__init__()
        self.first_run = first_run

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(
                "Welcome. Choose a pseudonym" if self.first_run else "Your profile", classes="title"
            )
            yield Static("Use a pseudonym, not your name: sessions are stored under it.")
            yield Input(placeholder="Pseudonym (required)", id="pseudonym", max_length=60)
            yield Static(WHY, classes="hint")
            for key, label in FACETS:
                yield Input(placeholder=f"{label} (optional)", id=f"facet-{key}", max_length=120)
            yield Button("Continue", variant="primary", id="ok")
            yield Static("", id="error")

    def on_mount(self) -> None:
        self.query_one("#pseudonym", Input).focus()

    def on_input_submitted(self) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self._submit()

    def _submit(self) -> None:
        name = self.query_one("#pseudonym", Input).value.strip()
        if not name:
            self.query_one("#error", Static).update("Please enter a pseudonym to continue.")
            self.query_one("#pseudonym", Input).focus()
            return
        facets = {
            key: value
            for key, _ in FACETS
            if (value := self.query_one(f"#facet-{key}", Input).value.strip())
        }
        self.dismiss((name, facets))

    def action_cancel(self) -> None:
        self.dismiss(None)
