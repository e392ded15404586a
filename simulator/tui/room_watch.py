"""A workshop room's pause, seen from a trainee's play screen.

The play screen calls `watch_room(screen)` each time it shows a decision. When the session
belongs to a workshop room paused at that decision, a modal covers the screen ("Paused for
discussion") until the facilitator resumes; while it is up the play screen takes no keys, so
no choice can be made. The check runs at once on arriving at a decision, then every
`POLL_SECONDS` while the screen is open (to catch a pause or a resume from the facilitator).
Sessions outside any room cost one small read per decision and nothing else.
"""

from __future__ import annotations

import weakref
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Static

from simulator.store import StoreError, workshop
from simulator.tui.safe import plain

POLL_SECONDS = 1.0
PAUSED_TEXT = "Paused for discussion — your facilitator will resume shortly"


class PausedScreen(ModalScreen[None]):
    """Covers the play screen while the room is paused at this decision."""

    BINDINGS = [Binding("escape", "leave", "Save & leave")]
    DEFAULT_CSS = """
    PausedScreen { align: center middle; }
    #paused-box {
        width: 70%; height: auto; padding: 1 2;
        border: thick $warning; background: $panel;
    }
    #paused-text { text-style: bold; color: $text; }
    #paused-where, #paused-note { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, node_title: str) -> None:
        super().__init__(id="room-paused")
        self.node_title = node_title

    def compose(self) -> ComposeResult:
        with Vertical(id="paused-box"):
            yield Static(plain(PAUSED_TEXT), id="paused-text")
            yield Static(plain(self.node_title), id="paused-where")
            yield Static(plain("Your answers so far are saved."), id="paused-note")

    def action_leave(self) -> None:
        play = self.app.screen_stack[-2] if len(self.app.screen_stack) > 1 else None
        self.dismiss()
        leave = getattr(play, "action_leave", None)
        if callable(leave):
            leave()


class _Watch:
    def __init__(self, screen: Screen[Any], cohort: str) -> None:
        self.screen = weakref.ref(screen)
        self.cohort = cohort
        self.modal: PausedScreen | None = None
        self.timer: Timer = screen.set_interval(POLL_SECONDS, self.check)

    def check(self) -> None:
        screen = self.screen()
        if screen is None or not screen.is_attached:
            self.timer.stop()
            return
        practice = getattr(screen, "practice", None)
        if practice is None:
            return
        node = practice.session.node_id
        try:
            paused = workshop.paused_node(practice.store, self.cohort)
        except StoreError:
            return  # the store is busy or gone: keep the screen as it is, try again next tick
        hold = node is not None and paused == node
        if hold and self.modal is None:
            self.modal = PausedScreen(f"Decision {practice.session.step + 1}")
            screen.app.push_screen(self.modal, lambda _: self._closed())
        elif not hold and self.modal is not None and screen.app.screen is self.modal:
            self.modal.dismiss()

    def _closed(self) -> None:
        self.modal = None


_watches: weakref.WeakKeyDictionary[Screen[Any], _Watch | None] = weakref.WeakKeyDictionary()


def watch_room(screen: Screen[Any]) -> None:
    """Hold the play screen while its room is paused at the current decision (see module doc)."""
    if screen in _watches:
        watch = _watches[screen]
        if watch is not None:
            watch.check()
        return
    practice = getattr(screen, "practice", None)
    if practice is None:
        return
    try:
        cohort, _ = workshop.session_pause(practice.store, practice.row.id)
    except StoreError:
        return
    if cohort is None:
        _watches[screen] = None
        return
    watch = _Watch(screen, cohort)
    _watches[screen] = watch
    watch.check()
