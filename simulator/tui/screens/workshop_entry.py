"""A browser tab's first screens: the workshop code and a pseudonym, a second-tab question, and
what a tab shows once its trainee continued in another tab."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Header, Input, Label, Static

from simulator.store import StoreError
from simulator.store.workshop import check_code, get_room
from simulator.tui.context import ctx_of
from simulator.tui.safe import plain

ENTRY_TITLE = "Enter the workshop code and a pseudonym"
WRONG_CODE = "That is not this workshop's code. Check it with the facilitator and try again."
NO_ROOM = "This workshop is not open yet; ask the facilitator to start it, then reload the page."
# After this many wrong codes, each further try waits one second more (guessing stays slow).
FREE_TRIES = 3


class WorkshopEntryScreen(Screen[str]):
    """Dismissed with the pseudonym once the code is right; the app then signs the trainee in."""

    DEFAULT_CSS = """
    WorkshopEntryScreen {
        align: center middle;
    }
    WorkshopEntryScreen #error {
        margin-top: 1;
    }
    """
    BINDINGS = [Binding("ctrl+q", "app.quit", "Quit", priority=True)]

    def __init__(self, cohort: str, message: str = "") -> None:
        super().__init__()
        self.cohort = cohort
        self.message = message
        self.failures = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="dialog"):
            yield Label(ENTRY_TITLE, classes="title")
            yield Static(
                "Type the code the facilitator gave the room, then a pseudonym: use a "
                "pseudonym, not your name, and the same one if you come back later."
            )
            yield Input(placeholder="Workshop code", id="code", max_length=80)
            yield Input(placeholder="Pseudonym", id="pseudonym", max_length=60)
            yield Button("Enter", variant="primary", id="enter")
            yield Static(plain(self.message), id="error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#code", Input).focus()
        if get_room(ctx_of(self).store, self.cohort) is None:
            self._say(NO_ROOM)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "code" and not self.query_one("#pseudonym", Input).value.strip():
            self.query_one("#pseudonym", Input).focus()
            return
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self._submit()

    def _say(self, text: str) -> None:
        self.query_one("#error", Static).update(plain(text))

    def _submit(self) -> None:
        code_box = self.query_one("#code", Input)
        name_box = self.query_one("#pseudonym", Input)
        if code_box.disabled:
            return
        if not code_box.value.strip():
            self._say("Please type the workshop code.")
            code_box.focus()
            return
        name = name_box.value.strip()
        if not name:
            self._say("Please choose a pseudonym to continue.")
            name_box.focus()
            return
        try:
            right = check_code(ctx_of(self).store, self.cohort, code_box.value)
        except StoreError as exc:
            self._say(str(exc))
            return
        if not right:
            self.failures += 1
            code_box.value = ""
            code_box.focus()
            wait = self.failures - FREE_TRIES
            if wait > 0:
                self._say(f"{WRONG_CODE} (You can try again in {wait} s.)")
                code_box.disabled = True
                self.set_timer(wait, self._unlock)
            else:
                self._say(WRONG_CODE)
            return
        self.dismiss(name)

    def _unlock(self) -> None:
        box = self.query_one("#code", Input)
        box.disabled = False
        box.focus()
        self._say(WRONG_CODE)


class TakeOverScreen(ModalScreen[bool]):
    """The pseudonym is playing in another live tab: continue here, or go back."""

    BINDINGS = [
        Binding("t", "answer(True)", "Take over here"),
        Binding("b,escape", "answer(False)", "Back"),
    ]

    def __init__(self, pseudonym: str) -> None:
        super().__init__()
        self.pseudonym = pseudonym

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("This pseudonym is active in another tab", classes="title")
            yield Static(
                plain(
                    f"{self.pseudonym} is playing in another browser tab right now. Take over "
                    "here? The other tab stops saving and your session continues in this one, "
                    "from the first unanswered decision."
                )
            )
            with Horizontal(classes="buttons"):
                yield Button("Take over here (t)", variant="primary", id="yes")
                yield Button("Back (b)", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class ContinuedElsewhereScreen(ModalScreen[None]):
    """Shown for good once another tab took this trainee over: nothing here saves any more."""

    BINDINGS = [Binding("ctrl+q", "app.quit", "Close", priority=True)]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Continued in another tab", classes="title")
            yield Static(
                "Your session continued in another browser tab, so this tab no longer saves "
                "anything. Everything you answered here before is kept. Close this tab "
                "(or press Ctrl+Q) and carry on in the other one."
            )
