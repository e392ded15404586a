"""The open assignment pack in the app: a banner over the library, and a dialog with the pack's
instructions and progress, where a pack can be opened (file or stored id)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from simulator.tui.context import AppContext, ctx_of
from simulator.tui.safe import plain

if TYPE_CHECKING:
    from simulator.core.assignment import Pack
    from simulator.store.assignments import Progress, ScenarioProgress

NOT_ASSIGNED = ""


def status_cell(s: ScenarioProgress | None) -> str:
    """The library's "Assigned" column for one scenario."""
    if s is None:
        return NOT_ASSIGNED
    if s.status == "completed":
        return "passed" if s.passed else "not passed"
    return "started" if s.status == "in progress" else "to do"


def banner_text(pack: Pack, p: Progress | None) -> str:
    from simulator.assignment_play import due_text, next_up

    parts = [f"Assignment: {pack.title}", due_text(pack), f"{pack.mode} mode"]
    if p is not None:
        parts.append(f"{p.completed} of {len(p.scenarios)} done, {p.passed} passed")
        nxt = next_up(p)
        parts.append("all passed" if nxt is None else f"next: {nxt.scenario_id}")
    return "  ·  ".join(parts) + "  ·  i: instructions"


def detail_text(pack: Pack, p: Progress | None, ctx: AppContext) -> str:
    from simulator.assignment_play import due_text, status_word

    typed = "typed responses on" if pack.free_text else "responses chosen from the options"
    lines = [pack.title, "", f"{pack.id} (cohort {pack.cohort}), {due_text(pack)}"]
    lines += [f"{pack.mode.capitalize()} mode, {typed}", ""]
    if pack.thresholds:
        marks = ", ".join(f"{d.replace('_', ' ')} {v}" for d, v in pack.thresholds.items())
        lines += [f"Pass marks: {marks}", ""]
    lines.append("Scenarios:")
    rows = {s.scenario_id: s for s in p.scenarios} if p is not None else {}
    for sid in pack.scenarios:
        scenario = ctx.library.get(sid)
        title = scenario.model.title if scenario is not None else sid
        state = status_word(rows[sid]) if sid in rows else "-"
        lines.append(f"• {title}: {state}")
    if pack.instructions.strip():
        lines += ["", "Instructions:", pack.instructions.strip()]
    return "\n".join(lines)


class AssignmentBanner(Static):
    """One line over the library while a pack is open (hidden otherwise)."""

    DEFAULT_CSS = """
    AssignmentBanner {
        height: auto;
        padding: 0 1;
        background: $boost;
        color: $text;
        text-style: bold;
    }
    AssignmentBanner.-closed { display: none; }
    """

    def show(self, ctx: AppContext) -> None:
        pack = ctx.assignment
        self.set_class(pack is None, "-closed")
        if pack is not None:
            self.update(plain(banner_text(pack, ctx.assignment_progress())))


class AssignmentScreen(ModalScreen["Pack | None"]):
    """The open pack's instructions and progress; type a pack file or id to open another."""

    BINDINGS = [Binding("escape", "close", "Close")]
    DEFAULT_CSS = """
    AssignmentScreen #dialog { width: 90; height: auto; max-height: 90%; }
    AssignmentScreen #pack-error { color: $error; }
    """

    def compose(self) -> ComposeResult:
        ctx = ctx_of(self)
        pack = ctx.assignment
        with VerticalScroll(id="dialog"):
            if pack is None:
                yield Static("No assignment pack is open.", id="assignment-text")
            else:
                text = detail_text(pack, ctx.assignment_progress(), ctx)
                yield Static(plain(text), id="assignment-text")
            yield Label("Open a pack: its file, or its id once opened (Enter; Esc closes)")
            yield Input(placeholder="e.g. ~/Downloads/spring-2027.yaml", id="pack-path")
            yield Static("", id="pack-error")

    def on_mount(self) -> None:
        if ctx_of(self).assignment is None:
            self.query_one(Input).focus()
        else:
            self.query_one(VerticalScroll).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        from simulator.assignment_play import PackError, require_known, resolve_pack
        from simulator.core.diagnostics import LoadError
        from simulator.store import StoreError
        from simulator.store.assignments import save_pack

        ref = event.value.strip()
        if not ref:
            return
        ctx = ctx_of(self)
        known = {s.id for s in ctx.library.scenarios}
        error = self.query_one("#pack-error", Static)
        try:
            pack, _ = resolve_pack(str(_expand(ref)), known, ctx.store)
            require_known(pack, known)
            save_pack(ctx.store, pack)
        except LoadError as exc:
            shown = [d.format() for d in exc.diagnostics[:5]]
            more = len(exc.diagnostics) - len(shown)
            error.update(plain("\n".join(shown) + (f"\n... and {more} more" if more else "")))
            return
        except (PackError, StoreError) as exc:
            error.update(plain(str(exc)))
            return
        ctx.assignment = pack
        self.dismiss(pack)

    def action_close(self) -> None:
        self.dismiss(None)


def _expand(ref: str) -> str:
    from pathlib import Path

    return str(Path(ref).expanduser()) if ref.startswith("~") else ref
