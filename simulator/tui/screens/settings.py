"""Settings: feedback mode, alliance meters, typed responses, theme (including high contrast)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, RadioButton, RadioSet, Switch

from simulator.tui.context import ctx_of

MODES = (
    ("coach", "Coach: feedback after each response"),
    ("assessment", "Assessment: feedback at the end"),
)
THEMES = (("textual-dark", "Dark"), ("textual-light", "Light"), ("high-contrast", "High contrast"))


class SettingsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "close", "Close")]

    def compose(self) -> ComposeResult:
        s = ctx_of(self).settings
        with Vertical(id="dialog"):
            yield Label("Settings (saved as you change them; Esc closes)", classes="title")
            yield Label("Feedback mode for new sessions")
            with RadioSet(id="mode"):
                for value, label in MODES:
                    yield RadioButton(label, value=s.get("mode") == value)
            yield Label("Show the alliance meters while playing")
            yield Switch(value=bool(s.get("meters", True)), id="meters")
            yield Label("Type your own responses (free text) instead of choosing by default")
            yield Switch(value=bool(s.get("free_text", False)), id="free_text")
            yield Label("Theme")
            with RadioSet(id="theme"):
                for value, label in THEMES:
                    yield RadioButton(label, value=s.get("theme") == value)

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        ctx = ctx_of(self)
        if event.radio_set.id == "mode":
            ctx.settings["mode"] = MODES[event.index][0]
        else:
            ctx.settings["theme"] = THEMES[event.index][0]
            self.app.theme = ctx.settings["theme"]
        ctx.save_settings()

    def on_switch_changed(self, event: Switch.Changed) -> None:
        ctx = ctx_of(self)
        ctx.settings[event.switch.id or "meters"] = event.value
        ctx.save_settings()

    def action_close(self) -> None:
        self.dismiss(None)
