"""A trainee working through an assignment pack: opening it, what may be played under it, and
progress in words.

Shared by the command line (`play --assignment`, `assign progress`) and the full-screen app. A
pack is named by its file (as a supervisor hands it out) or by its id once it is in the store.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

from simulator.core.assignment import Pack, load_pack
from simulator.store import Store
from simulator.store.assignments import Progress, ScenarioProgress, get_pack, list_packs

PACK_SUFFIXES = (".yaml", ".yml")


class PackError(Exception):
    """A pack that cannot be used here, in one line for the trainee."""


def looks_like_file(ref: str) -> bool:
    return os.sep in ref or "/" in ref or ref.lower().endswith(PACK_SUFFIXES) or ref.startswith(".")


def resolve_pack(ref: str, known: Collection[str], store: Store | None) -> tuple[Pack, bool]:
    """The pack named by `ref` (a file, else a pack id in `store`) and whether it came from a file.

    A file is checked in full (LoadError lists every problem, unknown scenarios included); a
    stored pack must name only scenarios in the library. Raises PackError otherwise.
    """
    path = Path(ref)
    if path.exists() or looks_like_file(ref):
        if not path.exists():
            raise PackError(f"{ref}: no such pack file")
        return load_pack(path, known), True
    stored = get_pack(store, ref) if store is not None else None
    if stored is None:
        ids = [p.id for p in list_packs(store)] if store is not None else []
        where = f"; packs in this store: {', '.join(ids)}" if ids else ""
        raise PackError(f"'{ref}' is neither a pack file nor the id of a stored pack{where}")
    return stored, False


def require_known(pack: Pack, known: Collection[str]) -> None:
    """Refuse a pack naming scenarios this library does not have (a stored pack, a new library)."""
    missing = [s for s in pack.scenarios if s not in known]
    if missing:
        raise PackError(
            f"assignment '{pack.id}' names scenarios not in your library: {', '.join(missing)}"
            " (add their files with --scenarios DIR)"
        )


def require_in_pack(pack: Pack, scenario_id: str) -> None:
    if scenario_id not in pack.scenarios:
        raise PackError(
            f"'{scenario_id}' is not part of assignment '{pack.id}'; its scenarios are "
            f"{', '.join(pack.scenarios)}"
        )


# ---------------------------------------------------------------- progress in words


def next_up(p: Progress) -> ScenarioProgress | None:
    """The scenario to play next: the first one under way, else the first not started, else
    the first completed without a pass."""
    for wanted in ("in progress", "not started"):
        for s in p.scenarios:
            if s.status == wanted:
                return s
    for s in p.scenarios:
        if s.passed is False:
            return s
    return None


def counts(p: Progress) -> str:
    """'2 of 3 scenarios done, 1 passed'."""
    return f"{p.completed} of {len(p.scenarios)} scenarios done, {p.passed} passed"


def opening_line(p: Progress) -> str:
    """One line as a session under the pack begins."""
    return f'Assignment {p.pack.id} "{p.pack.title}" ({due_text(p.pack)}): {counts(p)}'


def progress_line(p: Progress) -> str:
    """One line after each session: counts and what to do next."""
    line = f"Assignment {p.pack.id}: {counts(p)}"
    nxt = next_up(p)
    if nxt is None:
        return f"{line}; all passed."
    if nxt.status == "completed":
        return f"{line}; try again: {nxt.scenario_id}"
    return f"{line}; next: {nxt.scenario_id}"


def status_word(s: ScenarioProgress) -> str:
    if s.status != "completed":
        return s.status
    if s.passed:
        return "passed"
    return "not passed" + (f" (below: {', '.join(s.below)})" if s.below else "")


def due_text(pack: Pack) -> str:
    return f"due {pack.due.isoformat()}" if pack.due is not None else "no due date"


def progress_lines(p: Progress, trainee: str) -> list[str]:
    """The full picture for `intake-sim assign progress`."""
    pack = p.pack
    width = max(len(s.scenario_id) for s in p.scenarios)
    lines = [
        f'Assignment {pack.id} "{pack.title}" for {trainee} ({due_text(pack)}, {pack.mode} mode)',
        counts(p),
    ]
    lines += [f"  {s.scenario_id:<{width}}  {status_word(s)}" for s in p.scenarios]
    nxt = next_up(p)
    if nxt is None:
        lines.append("Every scenario passed.")
    else:
        verb = "Try again" if nxt.status == "completed" else "Next"
        lines.append(f"{verb}: intake-sim play {nxt.scenario_id} --plain --assignment {pack.id}")
    return lines


def progress_json(p: Progress, trainee: str) -> dict[str, object]:
    nxt = next_up(p)
    return {
        "assignment": p.pack.id,
        "version": p.pack.version,
        "trainee": trainee,
        "scenarios": [
            {
                "scenario": s.scenario_id,
                "status": s.status,
                "passed": s.passed,
                "below": list(s.below),
            }
            for s in p.scenarios
        ],
        "completed": p.completed,
        "passed": p.passed,
        "total": len(p.scenarios),
        "next": None if nxt is None else nxt.scenario_id,
    }
