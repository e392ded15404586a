"""The app as one browser tab of a workshop (`intake-sim serve` starts one process per tab).

The tab opens on the workshop code and a pseudonym instead of the first-run profile. Signing in
takes the trainee's lease (simulator/store/leases.py): a second live tab of the same pseudonym
is asked whether to take over, and a tab that was taken over stops saving and says so. Every
session the tab starts or resumes joins the workshop room. A reloaded page is a new process:
it signs in again and is offered the unfinished session, which opens at the first unanswered
decision (every answer was committed before the screen moved on).
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from pathlib import Path

from textual import events, work

from simulator.core.library import Library
from simulator.store import SessionRow, StoreError, Trainee
from simulator.store.leases import (
    HEARTBEAT_EVERY_S,
    Acquired,
    Held,
    LeasedStore,
    acquire,
    heartbeat,
    new_owner,
    release,
)
from simulator.store.workshop import get_room, join_room
from simulator.tui.app import HIGH_CONTRAST, IntakeApp
from simulator.tui.context import AppContext
from simulator.tui.safe import notify
from simulator.tui.screens.library import LibraryScreen
from simulator.tui.screens.resume import ResumeScreen
from simulator.tui.screens.workshop_entry import (
    ContinuedElsewhereScreen,
    TakeOverScreen,
    WorkshopEntryScreen,
)

# A reloaded page starts its new process while the old one is still closing: wait this long
# for the old tab to let the pseudonym go before asking whether to take over.
RELOAD_GRACE_S = 6.0


class WorkshopApp(IntakeApp):
    """One browser tab in a workshop room."""

    def __init__(self, context: AppContext, store: LeasedStore, cohort: str) -> None:
        super().__init__(context)
        self.leased = store
        self.cohort = cohort
        self.owner = new_owner()
        self.lost = False
        self.sub_title = "workshop"

    def on_mount(self, event: events.Mount | None = None) -> None:
        # Textual also runs the base class's handler unless told not to: IntakeApp's first-run
        # profile gives way to the workshop entry. (The event is optional only to keep the
        # override's signature compatible.)
        if event is not None:
            event.prevent_default()
        self.register_theme(HIGH_CONTRAST)
        self.push_screen(WorkshopEntryScreen(self.cohort), self._entered)

    # -- signing in ------------------------------------------------------------------------

    def _entered(self, pseudonym: str | None) -> None:
        if pseudonym is None:
            return
        try:
            trainee = self.ctx.store.get_or_create_trainee(pseudonym)
        except StoreError as exc:
            self.push_screen(WorkshopEntryScreen(self.cohort, str(exc)), self._entered)
            return
        self._take_seat(trainee)

    @work(thread=True, exclusive=True, group="seat", exit_on_error=False)
    def _take_seat(self, trainee: Trainee) -> None:
        deadline = time.monotonic() + RELOAD_GRACE_S
        told = False
        try:
            while True:
                result = acquire(self.leased, trainee.id, self.owner)
                if isinstance(result, Acquired) or time.monotonic() >= deadline:
                    break
                if not told:
                    told = True
                    self.call_from_thread(
                        notify, self, f"Signing in as {trainee.pseudonym}...", timeout=4
                    )
                time.sleep(0.25)
        except StoreError as exc:
            self.call_from_thread(self._back_to_entry, str(exc))
            return
        self.call_from_thread(self._seat_answer, trainee, result)

    def _back_to_entry(self, message: str) -> None:
        self.push_screen(WorkshopEntryScreen(self.cohort, message), self._entered)

    def _seat_answer(self, trainee: Trainee, result: Acquired | Held) -> None:
        if isinstance(result, Acquired):
            self._signed_in(trainee)
            return

        def answered(take: bool | None) -> None:
            if not take:
                self._back_to_entry(
                    f"{trainee.pseudonym} stays in the other tab. Choose another pseudonym, or "
                    "close the other tab first."
                )
                return
            try:
                acquire(self.leased, trainee.id, self.owner, takeover=True)
            except StoreError as exc:
                self._back_to_entry(str(exc))
                return
            self._signed_in(trainee)

        self.push_screen(TakeOverScreen(trainee.pseudonym), answered)

    def _signed_in(self, trainee: Trainee) -> None:
        self.leased.hold(trainee.id, self.owner)
        self.leased.on_lost = self._lost_from_any_thread
        self.set_interval(HEARTBEAT_EVERY_S, self._beat)
        self.ctx.sign_in(trainee)
        self.push_screen(LibraryScreen())
        self._after_sign_in()
        if isinstance(self.screen, ResumeScreen):
            return
        room = get_room(self.ctx.store, self.cohort)
        if room is not None and room.scenario_id and self.ctx.library.get(room.scenario_id):
            self.open_play(room.scenario_id)

    # -- the lease -------------------------------------------------------------------------

    def _beat(self) -> None:
        if not self.lost:
            self._beat_now()

    @work(thread=True, exclusive=True, group="heartbeat", exit_on_error=False)
    def _beat_now(self) -> None:
        lease = self.leased.lease
        if lease is None:
            return
        try:
            kept = heartbeat(self.leased, *lease)
        except StoreError:
            return  # a busy or failing disk: the next beat tries again
        if not kept:
            self.call_from_thread(self._lease_lost)

    def _lost_from_any_thread(self) -> None:
        # Called inside a refused write, which may run in a worker thread.
        if threading.get_ident() == self._thread_id:
            self.call_later(self._lease_lost)
        else:
            self.call_from_thread(self._lease_lost)

    def _lease_lost(self) -> None:
        if self.lost:
            return
        self.lost = True
        # Hold nobody's lease: every write from here on is refused, and the final release
        # leaves the other tab's lease alone.
        self.leased.hold(-1, "")
        self.push_screen(ContinuedElsewhereScreen())

    # -- sessions join the room ------------------------------------------------------------

    def open_play(self, scenario_id: str | None = None, row_to_resume: object = None) -> None:
        if isinstance(row_to_resume, SessionRow) and self.ctx.trainee is not None:
            try:
                join_room(self.ctx.store, self.cohort, row_to_resume.id, self.ctx.trainee.id)
            except StoreError as exc:
                notify(self, str(exc), severity="warning", timeout=10)
        super().open_play(scenario_id, row_to_resume)


def run_tab(data_dir: Path, cohort: str, library: Library, extra: tuple[Path, ...] = ()) -> int:
    """Run one tab (under textual-serve's web driver) until its page goes away."""
    with LeasedStore.open(data_dir) as store:
        store.room = cohort
        gc.freeze()  # see run_app: the library and Textual live as long as the tab
        gc.enable()
        app = WorkshopApp(AppContext(store, library, extra_dirs=extra), store, cohort)
        try:
            app.run()
        finally:
            lease = store.lease
            if lease is not None and lease[0] >= 0:
                # On failure it goes stale by itself: the pid is gone.
                with contextlib.suppress(StoreError):
                    release(store, *lease)
    return 0
