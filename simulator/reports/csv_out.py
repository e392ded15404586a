"""The cohort report as CSV: one row per session (trainee × scenario attempt), every attempt.

Columns (in order): trainee, trainee_verdict, scenario, scenario_title, in_pack, session,
status, mode, counted, dyad, started_at, ended_at, decisions, ending, ending_outcome, the five
humility dimensions, overall, band, session_passed, failing_dimensions, path; and
typed_responses when reflections are included. `counted` is yes for the attempt that counts
(the latest completed one); filter on it to get one row per trainee and scenario.

Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` (and some a tab or carriage
return, or blanks before one of those) as a formula, so any such text cell is prefixed with `'`.
Text also passes through `clean` first (control characters and bidi overrides removed).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from functools import lru_cache

from simulator.core.models import DIMENSIONS
from simulator.core.text import clean
from simulator.reports.cohort import CohortReport

# A cell a spreadsheet could take for a formula: starting with a tab, carriage return or line
# feed (clean() turns a carriage return into a line feed), or with = + - @ after any blanks.
_FORMULA_START = re.compile(r"[\t\r\n]|[ \t\r\n]*[=+\-@]")


@lru_cache(maxsize=4096)  # statuses, dyads, titles and endings repeat from row to row
def neutralise(value: str) -> str:
    text = value if value.isascii() and value.isprintable() else clean(value)
    return "'" + text if _FORMULA_START.match(text) else text


def _cell(value: object) -> str | int:
    if value is None:
        return ""
    if value is True or value is False:
        return "yes" if value else "no"
    if type(value) is int:
        return value
    return neutralise(str(value))


def header(include_reflections: bool) -> list[str]:
    cols = [
        "trainee",
        "trainee_verdict",
        "scenario",
        "scenario_title",
        "in_pack",
        "session",
        "status",
        "mode",
        "counted",
        "dyad",
        "started_at",
        "ended_at",
        "decisions",
        "ending",
        "ending_outcome",
        *DIMENSIONS,
        "overall",
        "band",
        "session_passed",
        "failing_dimensions",
        "path",
    ]
    return [*cols, "typed_responses"] if include_reflections else cols


def rows(report: CohortReport) -> Iterator[list[str | int]]:
    titles = report.scenario_titles
    for t in report.trainees:
        for s in t.sessions:
            h = s.humility or {}
            row: list[object] = [
                t.pseudonym,
                t.verdict,
                s.scenario_id,
                titles.get(s.scenario_id, s.scenario_id),
                s.in_pack,
                s.id,
                s.status,
                s.mode,
                s.counted,
                s.dyad,
                s.started_at,
                s.ended_at,
                s.decisions,
                s.ending_id,
                s.ending_outcome,
                *(h.get(d) for d in DIMENSIONS),
                s.overall,
                s.band,
                s.passed,
                " ".join(s.failing),
                " ".join(s.path),
            ]
            if report.include_reflections:
                row.append(" | ".join(f"{step + 1}. {text}" for step, _, text in s.typed or []))
            yield [_cell(v) for v in row]


def render_csv(report: CohortReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header(report.include_reflections))
    writer.writerows(rows(report))
    return out.getvalue()
