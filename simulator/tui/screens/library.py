"""The scenario library: a table, a filter, and the selected scenario's details."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from simulator.core.compiled import CompiledScenario
from simulator.core.library import FileResult
from simulator.store.assignments import ScenarioProgress
from simulator.tui.context import AppContext, ctx_of
from simulator.tui.safe import cell, plain
from simulator.tui.screens.assignment import AssignmentBanner, status_cell

COLUMNS = (
    ("Scenario", 30),
    ("Client", 18),
    ("Setting", 16),
    ("Difficulty", 12),
    ("Dyad", 10),
    ("Last result", 12),
)
ASSIGNED_COLUMN = ("Assigned", 10)  # second, once an assignment pack is open


def _haystack(s: CompiledScenario) -> str:
    m = s.model
    parts = [
        m.title,
        m.setting,
        m.summary,
        m.difficulty,
        m.client.name,
        m.client.presenting_problem,
    ]
    parts += list(m.client.identity.values()) + list(m.tags) + list(m.practises)
    return " ".join(parts).lower()


class LibraryScreen(Screen[None]):
    BINDINGS = [
        Binding("enter", "play", "Play", show=True),
        Binding("slash", "filter", "Filter"),
        Binding("h", "app.history", "History"),
        Binding("p", "profile", "Profile"),
        Binding("i", "assignment", "Assignment"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("q", "app.quit", "Quit", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield AssignmentBanner(id="assignment-banner")
        yield Input(
            placeholder="Filter: identity, problem, difficulty, theme... (press / to type, Esc to clear)",
            id="filter",
        )
        with Horizontal():
            yield DataTable(id="scenarios", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="detail"):
                yield Static(id="detail-text")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in COLUMNS:
            table.add_column(label, width=width)
        self.refresh_rows()
        table.focus()

    def refresh_rows(self) -> None:
        ctx = ctx_of(self)
        table = self.query_one(DataTable)
        query = self.query_one("#filter", Input).value.strip().lower()
        table.clear()
        self.query_one(AssignmentBanner).show(ctx)
        marks = _assigned(ctx)
        if marks is not None and len(table.columns) == len(COLUMNS):
            # Next to the title, where a narrow terminal still shows it.
            table.clear(columns=True)
            for label, width in (COLUMNS[0], ASSIGNED_COLUMN, *COLUMNS[1:]):
                table.add_column(label, width=width)
        assigned = len(table.columns) > len(COLUMNS)
        scenarios = ctx.library.scenarios
        if ctx.assignment is not None:  # the pack's scenarios first, in its order
            order = {sid: i for i, sid in enumerate(ctx.assignment.scenarios)}
            scenarios = sorted(scenarios, key=lambda s: order.get(s.id, len(order)))
        for s in scenarios:
            if query and not all(word in _haystack(s) for word in query.split()):
                continue
            m = s.model
            cells = [
                cell(m.title),
                cell(f"{m.client.name}, {m.client.age}"),
                cell(m.setting),
                cell(m.difficulty),
                cell(ctx.dyad(s)),
                cell(ctx.last_result(s.id) if ctx.trainee else "-"),
            ]
            if assigned:
                cells.insert(1, cell(status_cell(marks.get(s.id)) if marks is not None else ""))
            table.add_row(*cells, key=s.id)
        for res in ctx.library.invalid:
            if query and query not in res.display.lower():
                continue
            cells = [cell(f"(not playable) {res.display}"), *[cell("")] * 4]
            cells.append(cell(f"{len(res.errors)} error(s)"))
            if assigned:
                cells.insert(1, cell(""))
            table.add_row(*cells, key=f"invalid:{res.display}")
        self._show_detail()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.refresh_rows()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(DataTable).focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_play()

    def _current_key(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(key) if key is not None else None

    def _show_detail(self) -> None:
        ctx = ctx_of(self)
        detail = self.query_one("#detail-text", Static)
        key = self._current_key()
        if key is None:
            detail.update("No scenario matches the filter.")
            return
        if key.startswith("invalid:"):
            res = next(r for r in ctx.library.invalid if f"invalid:{r.display}" == key)
            detail.update(plain(_invalid_text(res)))
            return
        scenario = ctx.library.get(key)
        if scenario is not None:
            detail.update(plain(_detail_text(scenario, ctx.dyad(scenario))))

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""
        self.query_one(DataTable).focus()

    def action_play(self) -> None:
        key = self._current_key()
        if key is None or key.startswith("invalid:"):
            self.notify(
                "This file has errors; run intake-sim validate on it to see them.",
                severity="warning",
            )
            return
        self.app.open_play(key)  # type: ignore[attr-defined]

    def action_assignment(self) -> None:
        from simulator.tui.screens.assignment import AssignmentScreen

        self.app.push_screen(AssignmentScreen(), lambda _pack: self.refresh_rows())

    def action_profile(self) -> None:
        from simulator.tui.screens.profile import ProfileScreen

        def done(result: tuple[str, dict[str, str]] | None) -> None:
            ctx = ctx_of(self)
            if result is not None and ctx.trainee is not None:
                ctx.store.set_facets(ctx.trainee.id, result[1])
                ctx.sign_in(ctx.store.get_or_create_trainee(ctx.trainee.pseudonym))
                self.refresh_rows()

        self.app.push_screen(ProfileScreen(), done)

    def on_screen_resume(self) -> None:
        self.refresh_rows()


def _assigned(ctx: AppContext) -> dict[str, ScenarioProgress] | None:
    """Per scenario of the open pack, where the trainee stands (None without a pack)."""
    progress = ctx.assignment_progress()
    if ctx.assignment is None:
        return None
    return {s.scenario_id: s for s in progress.scenarios} if progress is not None else {}


def _detail_text(s: CompiledScenario, dyad: str) -> str:
    m = s.model
    lines = [m.title, "", m.summary, "", f"Setting: {m.setting}", f"Difficulty: {m.difficulty}"]
    lines.append(f"Client: {m.client.name}, {m.client.age}")
    lines += [f"• {k.replace('_', ' ')}: {v}" for k, v in m.client.identity.items()]
    lines.append(f"Presenting problem: {m.client.presenting_problem}")
    lines.append(f"You play: {m.therapist.role}")
    lines += [f"• {k.replace('_', ' ')}: {v}" for k, v in m.therapist.identity.items()]
    lines.append(f"Dyad for you: {dyad}")
    if m.practises:
        lines += ["", "What you practise:"] + [f"• {p}" for p in m.practises]
    lines += ["", "Research basis:"] + [f"• {c.cite}: {c.note}" for c in m.research_basis]
    if m.tags:
        lines += ["", "Tags: " + ", ".join(m.tags)]
    return "\n".join(lines)


def _invalid_text(res: FileResult) -> str:
    lines = [f"{res.display} cannot be played:", ""]
    lines += [d.format() for d in res.errors[:20]]
    if len(res.errors) > 20:
        lines.append(f"... and {len(res.errors) - 20} more (intake-sim validate lists them all)")
    return "\n".join(lines)
