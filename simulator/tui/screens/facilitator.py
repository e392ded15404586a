"""The facilitator's view of a workshop room, made for a projector.

Left: every decision of the scenario with how many trainees answered it and how many stand at it
now. Right: the highlighted decision's choice distribution (bars with counts and percentages in
text), and the author's discussion prompts. The view re-reads the shared store every
`REFRESH_SECONDS`. `p` pauses the room at the highlighted decision (trainees reaching it wait,
see simulator/tui/room_watch.py), `r` resumes, `f` jumps to where most trainees are.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from simulator.core.compiled import CompiledScenario
from simulator.core.library import Library
from simulator.room import distribution
from simulator.store import Store, StoreError, workshop
from simulator.store.workshop import RoomDistribution
from simulator.tui.safe import plain, styled
from simulator.tui.widgets.distribution import decision_label, distribution_lines

REFRESH_SECONDS = 2.0


class FacilitatorScreen(Screen[None]):
    BINDINGS = [
        Binding("p", "pause", "Pause here"),
        Binding("r", "resume", "Resume"),
        Binding("f", "follow", "Where most are"),
        Binding("c", "toggle_code", "Show/hide code"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(
        self, store: Store, library: Library, cohort: str, scenario_id: str | None = None
    ) -> None:
        super().__init__()
        self.store = store
        self.library = library
        self.cohort = cohort
        self.fixed_scenario = scenario_id
        self.scenario: CompiledScenario | None = None
        self.dist = RoomDistribution()
        self.paused: str | None = None
        self.code: str | None = None
        self.show_code = True
        self.refreshed: str | None = None
        self.problem: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="room")
        yield Static(id="paused-banner")
        with Horizontal(id="facilitator"):
            yield OptionList(id="decisions")
            with VerticalScroll(id="detail"):
                yield Static(id="decision-title")
                yield Static(id="decision-client")
                yield Static(id="bars")
                yield Static(id="decision-here")
                yield Static(id="prompts")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_room()
        self.set_interval(REFRESH_SECONDS, self.refresh_room)

    # -- reading the room ------------------------------------------------------------------

    def _pick_scenario(self) -> None:
        if self.scenario is not None:
            return
        room = workshop.get_room(self.store, self.cohort)
        wanted = self.fixed_scenario or (room.scenario_id if room else None)
        if wanted is None:
            played = Counter(s.scenario_id for s in workshop.room_sessions(self.store, self.cohort))
            wanted = next((sid for sid, _ in played.most_common() if self.library.get(sid)), None)
        if wanted is None:
            return
        scenario = self.library.get(wanted)
        if scenario is None:
            self.problem = f"The scenario '{wanted}' is not in the library."
            return
        self.scenario = scenario
        decisions = self.query_one("#decisions", OptionList)
        decisions.clear_options()
        for i, node_id in enumerate(scenario.nodes, 1):
            decisions.add_option(Option(plain(decision_label(i, node_id, 0, 0, False)), id=node_id))
        decisions.highlighted = 0
        decisions.focus()

    def refresh_room(self) -> None:
        try:
            self._pick_scenario()
            room = workshop.get_room(self.store, self.cohort)
            self.code = room.code if room else None
            self.paused = room.paused_node if room else None
            if self.scenario is not None:
                self.dist = distribution(self.store, self.cohort, self.scenario)
            self.refreshed = datetime.now().strftime("%H:%M:%S")
            self.problem = None if self.scenario or self.problem is None else self.problem
        except StoreError as exc:
            self.problem = f"Could not read the room ({exc}); showing the last figures."
        self._redraw()

    # -- rendering -------------------------------------------------------------------------

    def _selected(self) -> str | None:
        decisions = self.query_one("#decisions", OptionList)
        index = decisions.highlighted
        if self.scenario is None or index is None:
            return None
        return decisions.get_option_at_index(index).id

    def _redraw(self) -> None:
        dist = self.dist
        title = self.scenario.model.title if self.scenario else "waiting for the first trainee"
        code = (self.code or "not set") if self.show_code else "hidden (c shows it)"
        playing = dist.active + dist.completed
        line = (
            f"Room {self.cohort}  ·  code {code}  ·  {title}  ·  {playing} playing, "
            f"{dist.completed} finished"
        )
        if self.refreshed:
            line += f"  ·  updated {self.refreshed}"
        self.query_one("#room", Static).update(plain(line))
        banner = self.query_one("#paused-banner", Static)
        if self.problem:
            banner.update(styled(self.problem, "bold"))
        elif self.paused:
            banner.update(
                styled(
                    f"PAUSED at {self._position(self.paused)}: trainees there wait. r resumes.",
                    "bold",
                )
            )
        else:
            banner.update(plain("Room running. Highlight a decision and press p to pause there."))
        banner.set_class(bool(self.paused or self.problem), "alert")
        if self.scenario is None:
            return
        decisions = self.query_one("#decisions", OptionList)
        for i, node_id in enumerate(self.scenario.nodes):
            label = decision_label(
                i + 1,
                node_id,
                dist.answered(node_id),
                dist.at.get(node_id, 0),
                node_id == self.paused,
            )
            decisions.replace_option_prompt_at_index(i, plain(label))
        self._show_detail()

    def _position(self, node_id: str) -> str:
        if self.scenario is None or node_id not in self.scenario.nodes:
            return f"decision {node_id}"
        return f"decision {list(self.scenario.nodes).index(node_id) + 1} ({node_id})"

    def _show_detail(self) -> None:
        node_id = self._selected()
        if self.scenario is None or node_id is None:
            return
        node = self.scenario.nodes[node_id]
        counts = self.dist.choices.get(node_id, {})
        answered = sum(counts.values())
        here = self.dist.at.get(node_id, 0)
        paused = "  ·  PAUSED HERE" if node_id == self.paused else ""
        self.query_one("#decision-title", Static).update(
            styled(f"{self._position(node_id).capitalize()}{paused}", "bold")
        )
        first = self.scenario.model.client.name.split()[0]
        line = node.lines[0][1] if node.lines else ""
        self.query_one("#decision-client", Static).update(plain(f'{first}: "{line}"'))
        self.query_one("#bars", Static).update(distribution_lines(node, counts))
        self.query_one("#decision-here", Static).update(
            plain(f"{answered} answered  ·  {here} at this decision now")
        )
        prompts = node.discussion
        text = "Discuss:\n" + "\n".join(f"  • {p}" for p in prompts) if prompts else ""
        self.query_one("#prompts", Static).update(plain(text))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_detail()

    # -- actions ---------------------------------------------------------------------------

    def action_pause(self) -> None:
        node_id = self._selected()
        if node_id is None:
            self.notify("No decision to pause at yet.")
            return
        self._set_pause(node_id)

    def action_resume(self) -> None:
        self._set_pause(None)

    def _set_pause(self, node_id: str | None) -> None:
        try:
            workshop.pause(self.store, self.cohort, node_id)
        except StoreError as exc:
            self.problem = f"Could not change the pause: {exc}"
            self._redraw()
            return
        self.refresh_room()

    def action_follow(self) -> None:
        if self.scenario is None or not self.dist.at:
            return
        busiest = max(self.dist.at, key=lambda n: self.dist.at[n])
        nodes = list(self.scenario.nodes)
        if busiest in nodes:
            self.query_one("#decisions", OptionList).highlighted = nodes.index(busiest)

    def action_toggle_code(self) -> None:
        self.show_code = not self.show_code
        self._redraw()


class FacilitatorApp(App[None]):
    """`intake-sim facilitate`: the room on a projector (also servable with textual-serve)."""

    TITLE = "intake-sim facilitator"
    CSS_PATH = Path(__file__).resolve().parent.parent / "facilitator.tcss"

    def __init__(
        self, store: Store, library: Library, cohort: str, scenario_id: str | None = None
    ) -> None:
        super().__init__()
        self.store = store
        self.library = library
        self.cohort = cohort
        self.scenario_id = scenario_id

    def on_mount(self) -> None:
        from simulator.tui.app import HIGH_CONTRAST

        self.register_theme(HIGH_CONTRAST)
        self.theme = "high-contrast"
        self.push_screen(FacilitatorScreen(self.store, self.library, self.cohort, self.scenario_id))


def run_facilitator(
    store: Store, library: Library, cohort: str, scenario_id: str | None = None
) -> int:
    FacilitatorApp(store, library, cohort, scenario_id).run()
    return 0
