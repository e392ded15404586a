"""`intake-sim report`: a cohort report for one assignment (plain text, JSON, HTML, CSV)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> dict[str, Callable[[argparse.Namespace], int]]:
    from simulator.cli import _common

    p = sub.add_parser(
        "report",
        help="cohort report of an assignment: completion, pass/fail, distributions, missteps",
        description="Aggregate the sessions of one assignment in the store: who completed "
        "what, pass/fail against the pack's thresholds, humility score distributions, choices "
        "at each decision with the most common missteps, concordant versus discordant dyads, "
        "and every trainee's sessions. Prints plain text unless --html, --csv or --json.",
    )
    _common(p)
    p.add_argument(
        "--assignment",
        metavar="ID",
        required=True,
        help="the assignment pack's id (as in `intake-sim assign show`)",
    )
    p.add_argument("--html", metavar="FILE", help="write a self-contained HTML report here")
    p.add_argument("--csv", metavar="FILE", help="write one CSV row per session here")
    p.add_argument("--json", action="store_true", help="print the report as one JSON document")
    p.add_argument(
        "--include-reflections",
        action="store_true",
        help="include trainees' typed free-text responses (left out unless asked for)",
    )
    return {"report": cmd_report}


def cmd_report(args: argparse.Namespace) -> int:
    from simulator.cli import CliError, _library, _open_store
    from simulator.core.text import clean
    from simulator.reports.cohort import build_report
    from simulator.reports.queries import assignments_in_store
    from simulator.store import atomic_write
    from simulator.store.assignments import get_pack, list_packs

    library = _library(args)
    with _open_store(args) as store:
        pack = get_pack(store, args.assignment)
        if pack is None:
            known = sorted({p.id for p in list_packs(store)})
            tagged = [a for a, _ in assignments_in_store(store) if a not in known]
            hint = (
                f"; sessions are also tagged with {', '.join(tagged)}, whose packs are not in "
                "this store (add them with intake-sim assign)"
                if tagged
                else ""
            )
            raise CliError(
                f"unknown assignment '{args.assignment}'. Known: {', '.join(known) or 'none'}{hint}"
            )
        report = build_report(store, pack, library, include_reflections=args.include_reflections)
    written = []
    if args.html:
        from simulator.reports.html import render_html

        atomic_write(Path(args.html), render_html(report).encode("utf-8"))
        written.append(f"HTML report written to {args.html}")
    if args.csv:
        from simulator.reports.csv_out import render_csv

        atomic_write(Path(args.csv), render_csv(report).encode("utf-8"))
        written.append(f"CSV ({report.sessions} sessions) written to {args.csv}")
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    elif not written:
        from simulator.reports.text_out import report_lines

        for line in report_lines(report):
            print(clean(line))
    for line in written:
        # With --json, stdout holds only the JSON document.
        print(clean(line), file=sys.stderr if args.json else sys.stdout)
    return 0
