"""Command palette entries: every app-level action, findable by name."""

from __future__ import annotations

from functools import partial

from textual.command import Hit, Hits, Provider

ENTRIES = (
    ("Scenario library", "Back to the list of scenarios", "library"),
    ("History", "Past attempts, compare two, the bias mirror", "history"),
    ("Settings", "Feedback mode, alliance meters, theme", "settings"),
    (
        "Cohort reports",
        "Supervisor: an assignment's completion, scores, missteps, decision heatmaps",
        "cohort",
    ),
    ("Help", "Keys and how the simulator scores", "help"),
)


class IntakeCommands(Provider):
    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action in ENTRIES:
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(title), partial(self._run, action), help=help_text
                )

    async def discover(self) -> Hits:
        for title, help_text, action in ENTRIES:
            yield Hit(1.0, title, partial(self._run, action), help=help_text)

    async def _run(self, action: str) -> None:
        app = self.app
        if action == "library":
            from simulator.tui.screens.library import LibraryScreen

            while not isinstance(app.screen, LibraryScreen) and len(app.screen_stack) > 1:
                app.pop_screen()
            return
        await app.run_action(action)
