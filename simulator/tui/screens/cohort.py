"""The supervisor's cohort view: the assignments in the store, one assignment's report (who
passed, score distributions, dyads, missteps, each trainee's sessions) and decision heatmaps.

The same figures as `intake-sim report` (simulator/reports/cohort.py) and
`intake-sim graph ID --cohort C` (simulator/reports/heatmap.py).
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Label, Static

from simulator.reports.cohort import CohortReport, TraineeResult
from simulator.tui.context import ctx_of
from simulator.tui.safe import cell, notify, plain


class CohortScreen(Screen[None]):
    """Pick an assignment (Enter) to see its report; H opens the decision heatmap."""

    DEFAULT_CSS = """
    CohortScreen #packs { height: auto; max-height: 8; }
    CohortScreen #report-scroll { height: 1fr; border-top: solid $primary; padding: 0 1; }
    CohortScreen #cohort-main { height: 1fr; border-top: solid $primary; }
    CohortScreen #trainees { width: 1fr; height: 1fr; }
    CohortScreen #trainee-detail { width: 1fr; border-left: solid $primary; padding: 0 1; }
    """
    BINDINGS = [
        Binding("enter", "open", "Open report"),
        Binding("h", "heatmap", "Decision heatmap"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.packs: dict[str, Any] = {}
        self.report: CohortReport | None = None
        self.pack: Any = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(
            "Assignments: Enter opens the report, H the decision heatmap; Tab moves on to the "
            "report, the trainees and their sessions",
            classes="section",
        )
        yield DataTable(id="packs", cursor_type="row", zebra_stripes=True)
        # Focusable, so the report scrolls from the keyboard.
        with VerticalScroll(id="report-scroll", can_focus=True):
            yield Static(id="report")
        with Horizontal(id="cohort-main"):
            yield DataTable(id="trainees", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="trainee-detail", can_focus=True):
                yield Static(id="trainee")
        yield Footer()

    def on_mount(self) -> None:
        from simulator.reports.queries import assignments_in_store
        from simulator.store.assignments import list_packs

        ctx = ctx_of(self)
        table = self.query_one("#packs", DataTable)
        table.add_columns("Assignment", "Cohort", "Title", "Scenarios", "Sessions", "Due")
        tagged = dict(assignments_in_store(ctx.store))
        self.packs = {p.id: p for p in list_packs(ctx.store)}
        for pack in self.packs.values():
            due = getattr(pack, "due", None)
            table.add_row(
                cell(pack.id),
                cell(pack.cohort),
                cell(pack.title),
                cell(str(len(pack.scenarios))),
                cell(str(tagged.get(pack.id, 0))),
                cell("" if due is None else str(due)),
                key=pack.id,
            )
        trainees = self.query_one("#trainees", DataTable)
        trainees.add_columns("Trainee", "Verdict", "Completed", "Below threshold")
        if not self.packs:
            self.query_one("#report", Static).update(
                "No assignment packs in this store yet. Create one with `intake-sim assign new`, "
                "or import trainees' result bundles with `intake-sim import`."
            )
        table.focus()

    def _highlighted_pack(self) -> Any:
        table = self.query_one("#packs", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.packs.get(str(key))

    def action_open(self) -> None:
        if self.query_one("#trainees", DataTable).has_focus:
            return  # Enter on a trainee only highlights; the detail follows the cursor
        pack = self._highlighted_pack()
        if pack is not None:
            self.open_report(pack)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "packs":
            event.stop()
            self.action_open()

    def open_report(self, pack: Any) -> None:
        from simulator.reports.cohort import build_report
        from simulator.reports.text_out import (
            dimension_lines,
            dyad_lines,
            head_lines,
            misstep_lines,
        )
        from simulator.store import StoreError

        ctx = ctx_of(self)
        try:
            report = build_report(ctx.store, pack, ctx.library)
        except StoreError as exc:
            notify(self, str(exc), severity="error", timeout=10)
            return
        self.pack, self.report = pack, report
        lines = head_lines(report)
        if not report.empty:
            # Where the cohort goes wrong first: it is what a supervisor opens this to see.
            for section in (misstep_lines, dimension_lines, dyad_lines):
                lines += ["", *section(report)]
        self.query_one("#report", Static).update(plain("\n".join(lines)))
        table = self.query_one("#trainees", DataTable)
        table.clear()
        dims = report.dimension_titles
        for i, t in enumerate(report.trainees):
            # Scenario ids, not titles: a title would push the dimensions out of the column.
            below = "; ".join(
                f"{sid}: {', '.join(dims.get(d, d) for d in ds)}" for sid, ds in t.failing.items()
            )
            table.add_row(
                cell(t.pseudonym),
                cell(t.verdict),
                cell(f"{t.completed}/{len(report.assignment['scenarios'])}"),
                cell(below or "-"),
                key=str(i),
            )
        self._show_trainee(report.trainees[0] if report.trainees else None)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id != "trainees" or self.report is None:
            return
        key = event.row_key.value
        if key is not None and key.isdigit() and int(key) < len(self.report.trainees):
            self._show_trainee(self.report.trainees[int(key)])

    def _show_trainee(self, trainee: TraineeResult | None) -> None:
        from simulator.reports.text_out import sessions_of

        target = self.query_one("#trainee", Static)
        if trainee is None or self.report is None:
            target.update("No trainee has a session of this assignment yet.")
            return
        target.update(plain("\n".join(sessions_of(self.report, trainee))))

    def action_heatmap(self) -> None:
        pack = self.pack if self.report is not None else self._highlighted_pack()
        if pack is None:
            return
        ctx = ctx_of(self)
        playable = [sid for sid in pack.scenarios if ctx.library.get(sid) is not None]
        if not playable:
            notify(self, "None of this assignment's scenarios is in the library.", "warning")
            return
        self.app.push_screen(HeatmapScreen(pack.id, playable))

    def action_back(self) -> None:
        self.app.pop_screen()


class HeatmapScreen(Screen[None]):
    """One scenario's decision graph with the assignment's choice counts; N/P change scenario."""

    BINDINGS = [
        Binding("n", "step(1)", "Next scenario"),
        Binding("p", "step(-1)", "Previous scenario"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, assignment_id: str, scenario_ids: list[str], index: int = 0) -> None:
        super().__init__()
        self.assignment_id = assignment_id
        self.scenario_ids = scenario_ids
        self.index = index

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(id="heat-title", classes="section")
        with VerticalScroll():
            yield Static(id="heat")
        yield Footer()

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        from simulator.core.graph import to_text
        from simulator.reports.heatmap import heat_for
        from simulator.reports.queries import Selection

        ctx = ctx_of(self)
        scenario_id = self.scenario_ids[self.index]
        scenario = ctx.library.get(scenario_id)
        if scenario is None:
            return
        heat = heat_for(
            ctx.store,
            Selection(assignments=(self.assignment_id,)),
            scenario_id,
            f"assignment {self.assignment_id}",
        )
        self.query_one("#heat-title", Label).update(
            plain(
                f"Decision heatmap {self.index + 1}/{len(self.scenario_ids)}: "
                f"{scenario.model.title} (N/P: other scenarios)"
            )
        )
        self.query_one("#heat", Static).update(plain(to_text(scenario, heat)))

    def action_step(self, delta: int) -> None:
        self.index = (self.index + delta) % len(self.scenario_ids)
        self._show()

    def action_back(self) -> None:
        self.app.pop_screen()
