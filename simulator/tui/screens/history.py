"""Past attempts: resume, read a debrief again, compare two, and the bias mirror."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Label, Static

from simulator.store import SessionRow
from simulator.tui.context import ctx_of
from simulator.tui.safe import cell, plain


class HistoryScreen(Screen[None]):
    BINDINGS = [
        Binding("enter", "open", "Resume or debrief"),
        Binding("space", "mark", "Mark to compare"),
        Binding("c", "compare", "Compare marked"),
        Binding("escape", "back", "Library"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.marked: list[str] = []
        self.rows: dict[str, SessionRow] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Label("Your attempts (Space marks two to compare)", classes="section")
            yield DataTable(id="attempts", cursor_type="row", zebra_stripes=True)
            yield Label("Bias mirror", classes="section")
            yield Static(id="mirror")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(
            "Marked", "Started", "Scenario", "Dyad", "Mode", "Status", "Ending", "Overall"
        )
        self._fill()
        table.focus()

    def on_screen_resume(self) -> None:
        self._fill()

    def _fill(self) -> None:
        ctx = ctx_of(self)
        table = self.query_one(DataTable)
        table.clear()
        self.rows = {r.id: r for r in ctx.sessions()}
        for row in self.rows.values():
            scenario = ctx.library.get(row.scenario_id)
            title = (
                scenario.model.title
                if scenario
                else f"{row.scenario_id} (no longer in the library)"
            )
            overall = str(row.summary.get("overall", "")) if row.summary else ""
            table.add_row(
                cell("[x]" if row.id in self.marked else "[ ]"),
                cell(row.started_at[:16].replace("T", " ")),
                cell(title),
                cell(ctx.dyad(scenario) if scenario else "-"),
                cell(row.mode),
                cell(row.status),
                cell(row.ending_id or "-"),
                cell(overall),
                key=row.id,
            )
        if not self.rows:
            self.query_one("#mirror", Static).update(
                "No attempts yet. Play a scenario from the library."
            )
            return
        self.query_one("#mirror", Static).update(plain("\n".join(ctx.mirror().lines)))

    def _current(self) -> SessionRow | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.rows.get(str(key))

    def action_open(self) -> None:
        from simulator.tui.screens.debrief import DebriefScreen

        row = self._current()
        if row is None:
            return
        ctx = ctx_of(self)
        if row.status == "active":
            self.app.open_play(row_to_resume=row)  # type: ignore[attr-defined]
            return
        session = ctx.attempt(row)
        if session is None:
            self.notify(
                "This attempt can no longer be replayed on the current scenario.",
                severity="warning",
            )
            return
        self.app.push_screen(DebriefScreen(row, session, ctx.store.self_report(row.id)))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_mark(self) -> None:
        row = self._current()
        if row is None:
            return
        if row.id in self.marked:
            self.marked.remove(row.id)
        else:
            self.marked = [*self.marked[-1:], row.id]
        cursor = self.query_one(DataTable).cursor_coordinate
        self._fill()
        self.query_one(DataTable).cursor_coordinate = cursor

    def action_compare(self) -> None:
        from simulator.tui.screens.compare import CompareScreen

        if len(self.marked) != 2:
            self.notify("Mark two attempts with Space first.")
            return
        ctx = ctx_of(self)
        a, b = (self.rows[i] for i in self.marked)
        if a.scenario_id != b.scenario_id:
            self.notify("Compare two attempts at the same scenario.", severity="warning")
            return
        sa, sb = ctx.attempt(a), ctx.attempt(b)
        if sa is None or sb is None:
            self.notify("One of these attempts can no longer be replayed.", severity="warning")
            return
        older, newer = sorted(((a, sa), (b, sb)), key=lambda p: p[0].started_at)
        self.app.push_screen(CompareScreen(older, newer))

    def action_back(self) -> None:
        self.app.pop_screen()
