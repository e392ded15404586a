"""Workshop commands: `serve` (browsers, one process per tab), `facilitate` (the live view),
and the internal `workshop-tab` that `serve` runs for each tab."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from simulator.commands.serve_cli import register_serve


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> dict[str, Callable[[argparse.Namespace], int]]:
    from simulator.cli import _common

    p = sub.add_parser(
        "facilitate",
        help="the facilitator's live view of a workshop room (for a projector)",
        description="Live per-decision choice counts for a workshop room, refreshed from the "
        "shared store every 2 seconds; pause the room at a decision for discussion.",
    )
    _common(p)
    p.add_argument("--cohort", required=True, metavar="ID", help="the workshop room (cohort id)")
    p.add_argument("--scenario", metavar="ID", help="the scenario the room plays")
    p.add_argument(
        "--code", metavar="CODE", help="open the room (or change its code): trainees type it"
    )
    return {"facilitate": cmd_facilitate, **register_serve(sub)}


def cmd_facilitate(args: argparse.Namespace) -> int:
    import os
    import sys

    from simulator.cli import CliError, _library, _open_store
    from simulator.store import StoreError, workshop

    library = _library(args)
    if args.scenario and library.get(args.scenario) is None:
        known = ", ".join(sorted(s.id for s in library.scenarios)) or "none"
        raise CliError(f"unknown scenario '{args.scenario}'. Known: {known}")
    with _open_store(args) as store:
        try:
            room = workshop.get_room(store, args.cohort)
            if args.code is not None:
                workshop.open_room(store, args.cohort, args.code, args.scenario)
            elif room is None:
                raise CliError(
                    f"there is no workshop room '{args.cohort}' yet; open it with --code CODE "
                    "(the code trainees type to join)"
                )
            elif args.scenario and room.scenario_id != args.scenario:
                workshop.open_room(store, args.cohort, room.code, args.scenario)
        except StoreError as exc:
            raise CliError(str(exc)) from None
        # textual-serve runs the command with its web driver and pipes instead of a terminal.
        if not os.environ.get("TEXTUAL_DRIVER") and not (
            sys.stdin.isatty() and sys.stdout.isatty()
        ):
            raise CliError("the facilitator view needs a terminal (or textual-serve)")
        from simulator.tui.screens.facilitator import run_facilitator  # Textual only here

        return run_facilitator(store, library, args.cohort, args.scenario)
