"""The Textual app: library -> play -> self-report -> debrief, with history, help and settings."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding
from textual.theme import Theme

from simulator.tui.commands import IntakeCommands
from simulator.tui.context import AppContext
from simulator.tui.screens.library import LibraryScreen
from simulator.tui.screens.profile import ProfileScreen
from simulator.tui.screens.resume import ResumeScreen

if TYPE_CHECKING:
    from simulator.core.assignment import Pack
    from simulator.core.compiled import CompiledScenario
    from simulator.practice import Practice

HIGH_CONTRAST = Theme(
    name="high-contrast",
    primary="#ffff00",
    secondary="#00ffff",
    accent="#ffff00",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#1a1a1a",
    success="#00ff00",
    warning="#ffff00",
    error="#ff5555",
    dark=True,
)
THEMES = ("textual-dark", "textual-light", "high-contrast")


class IntakeApp(App[None]):
    """Practise intake interviews across cultural difference."""

    TITLE = "intake-sim"
    SUB_TITLE = "cultural humility intake simulator"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {IntakeCommands}
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("ctrl+s", "settings", "Settings"),
        Binding("ctrl+r", "cohort", "Cohort reports", show=False),  # trainees rarely need it
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(
        self, context: AppContext, trainee_name: str | None = None, scenario_id: str | None = None
    ) -> None:
        super().__init__()
        self.ctx = context
        self._trainee_name = trainee_name
        self._scenario_id = scenario_id

    def on_mount(self) -> None:
        self.register_theme(HIGH_CONTRAST)
        self.push_screen(LibraryScreen())
        if self._trainee_name:
            self.ctx.sign_in(self.ctx.store.get_or_create_trainee(self._trainee_name))
            self._after_sign_in()
        else:
            self.push_screen(ProfileScreen(first_run=True), self._profile_done)

    def _profile_done(self, result: tuple[str, dict[str, str]] | None) -> None:
        if result is None:
            self.exit()
            return
        name, facets = result
        self.ctx.sign_in(self.ctx.store.get_or_create_trainee(name, facets or None))
        self._after_sign_in()

    def _after_sign_in(self) -> None:
        self.theme = self.ctx.settings.get("theme", "textual-dark")
        if self.theme not in THEMES:
            self.theme = "textual-dark"
        library = self.screen
        if isinstance(library, LibraryScreen) and library.is_mounted:
            library.refresh_rows()  # a first-run profile changes the dyad column
        assert self.ctx.trainee is not None
        self.sub_title = f"trainee: {self.ctx.trainee.pseudonym}"
        if self._scenario_id:
            self.open_play(self._scenario_id)
            return
        unfinished = self.ctx.store.unfinished_sessions(self.ctx.trainee.id)
        unfinished = [r for r in unfinished if self.ctx.library.get(r.scenario_id)]
        if unfinished:
            self.push_screen(ResumeScreen(unfinished[0]), self._resume_done)

    def _resume_done(self, resume: bool | None) -> None:
        if not resume or self.ctx.trainee is None:
            return
        row = self.ctx.store.unfinished_sessions(self.ctx.trainee.id)[0]
        self.open_play(row_to_resume=row)

    # -- navigation shared by screens ------------------------------------------------------

    def open_play(self, scenario_id: str | None = None, row_to_resume: object = None) -> None:
        from simulator.practice import ResumeError
        from simulator.store import SessionRow, StoreError
        from simulator.tui.screens.play import PlayScreen

        ctx = self.ctx
        assert ctx.trainee is not None
        try:
            if isinstance(row_to_resume, SessionRow):
                practice = ctx.resume(row_to_resume)
            else:
                scenario = ctx.library.get(scenario_id or "")
                if scenario is None:
                    self.notify("That scenario is not in the library.", severity="error")
                    return
                practice = _begin(ctx, scenario)
                if ctx.assignment and scenario.id not in ctx.assignment.scenarios:
                    self.notify(
                        "This scenario is not part of the assignment: the session is your own "
                        "practice and does not count towards it."
                    )
        except (ResumeError, LookupError, StoreError) as exc:
            from simulator.tui.safe import notify

            notify(self, str(exc), severity="error", timeout=10)
            return
        _forget_closed_screens()
        self.push_screen(PlayScreen(practice))

    def action_help(self) -> None:
        from simulator.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_settings(self) -> None:
        from simulator.tui.screens.settings import SettingsScreen

        self.push_screen(SettingsScreen())

    def action_history(self) -> None:
        from simulator.tui.screens.history import HistoryScreen

        self.push_screen(HistoryScreen())

    def action_cohort(self) -> None:
        from simulator.tui.screens.cohort import CohortScreen

        self.push_screen(CohortScreen())


def _begin(ctx: AppContext, scenario: CompiledScenario) -> Practice:
    """A new session: under the open assignment pack when the scenario is in it (tagged, in the
    pack's mode and typed-response setting), else as the trainee's own practice."""
    from simulator.practice import Practice

    assert ctx.trainee is not None
    pack = ctx.assignment
    if pack is None or scenario.id not in pack.scenarios:
        return Practice.begin(ctx.store, ctx.trainee, scenario, ctx.settings["mode"])
    coder = None
    if pack.free_text:
        from simulator.core.coder import default_coder

        coder = default_coder(scenario.rubric)
    return Practice.begin(ctx.store, ctx.trainee, scenario, pack.mode, pack.id, coder)


def _forget_closed_screens() -> None:
    """Let the widgets of closed screens go (called as each session starts).

    Textual 8.2.8 memoises `StylesCache.get_inner_outer` in an lru_cache of 1,024 entries keyed on
    the StylesCache itself, so every widget that was ever painted stays alive, rendered lines and
    all, until 1,024 newer ones push it out (Textualize/textual#6665): memory grows session after
    session and the garbage collector's full passes get slower (mid-session key presses in
    bench/tui_bench.py: p95 about halved by clearing it). The cache refills at once for the
    widgets on screen.
    """
    from textual._styles_cache import StylesCache

    clear = getattr(getattr(StylesCache, "get_inner_outer", None), "cache_clear", None)
    if clear is not None:
        clear()


def run_app(
    data_dir: Path,
    trainee: str | None,
    extra: tuple[Path, ...] = (),
    scenario_id: str | None = None,
    assignment: Pack | None = None,
) -> int:
    from simulator.core.library import load_library
    from simulator.store import Store

    library = load_library(list(extra))
    with Store.open(data_dir) as store:
        # Everything built so far lives as long as the app: keep the cyclic GC from rescanning it
        # (intake-sim disabled the GC while it was built; see cli._run_tui).
        gc.freeze()
        gc.enable()
        context = AppContext(store, library, extra_dirs=extra, assignment=assignment)
        app = IntakeApp(context, trainee, scenario_id)
        app.run()
    return 0
