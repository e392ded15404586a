"""The cohort report as one self-contained HTML file: inline CSS, inline SVG, no script, no fetch.

Jinja2 with autoescaping on for every template, and every value finalised through
`simulator.core.text.clean` first (control characters and bidirectional overrides removed), so
a pseudonym or scenario title such as `<script>` or `\\u202e` shows as the text it is.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from simulator.core.text import clean
from simulator.reports import svg
from simulator.reports.cohort import CohortReport


def _finalize(value: object) -> object:
    # Markup is what our own macros produced (already escaped); everything else is data.
    if isinstance(value, str) and not isinstance(value, Markup):
        return clean(value)
    return value


def pct(share: float) -> str:
    return f"{100 * share:.0f}%"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("simulator.reports", "templates"),
        autoescape=True,  # the templates are *.html.j2, which select_autoescape would not match
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.globals.update(
        histogram=svg.histogram,
        dyad_bars=svg.dyad_bars,
        share_bar=svg.share_bar,
        verdict_bar=svg.verdict_bar,
        pct=pct,
    )
    return env


def render_html(report: CohortReport) -> str:
    return environment().get_template("report.html.j2").render(report=report)
