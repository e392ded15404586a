"""The cohort report as one self-contained HTML file: inline CSS, inline SVG, no script, no fetch.

Jinja2 with autoescaping on for every template, and every value finalised through
`simulator.core.text.clean` first (control characters and bidirectional overrides removed), so
a pseudonym or scenario title such as `<script>` or `\\u202e` shows as the text it is.
"""

from __future__ import annotations

import re
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from simulator.core.text import clean
from simulator.reports import svg
from simulator.reports.cohort import CohortReport, SessionResult, TraineeResult

_NEEDS_ESCAPE = re.compile(r"[&<>\"']")


def _finalize(value: object) -> object:
    # Markup is what our own macros produced (already escaped); everything else is data.
    if type(value) is str:
        return safe_text(value)
    if isinstance(value, str) and not isinstance(value, Markup):
        return clean(value)
    return value


def safe_text(text: str) -> str:
    """`clean(text)`, skipping the work for printable ASCII (most values: ids, numbers, dates),
    which has no control character or bidi override to remove and is already NFC."""
    return text if text.isascii() and text.isprintable() else clean(text)


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
        session_rows=session_rows,
    )
    return env


def _e(value: object) -> str:
    """One data value for HTML: cleaned like every other value, then escaped as markupsafe
    does. A plain str, so that joining it with our markup does not escape that markup again."""
    if type(value) is int:
        return str(value)
    return _escaped(value if type(value) is str else str(value))


@lru_cache(maxsize=4096)  # statuses, dyads, titles and paths repeat from row to row
def _escaped(value: str) -> str:
    text = safe_text(value)
    return str(escape(text)) if _NEEDS_ESCAPE.search(text) else text


def session_rows(report: CohortReport, trainee: TraineeResult) -> Markup:
    """The rows of one trainee's drill-down table, one pair per session.

    Built here rather than in the template for speed alone: a cohort of 10,000 sessions has
    10,000 of these rows of some twenty values each, and Jinja's per-expression escaping took
    0.85 s of a 1.0 s render (bench/report_bench.py); this takes about a tenth of that. Every
    value still goes through `_e` (clean, then escape); only our own markup is literal.
    """
    mode = report.assignment["mode"]
    dims = [(d.id, d.threshold) for d in report.dimensions]
    span = 6 + len(dims)
    titles = report.scenario_titles
    out: list[str] = []
    for s in trainee.sessions:
        out.append(_session_row(s, titles.get(s.scenario_id, s.scenario_id), mode, dims, span))
    return Markup("".join(out))  # noqa: S704 - every value in it went through _e


def _session_row(
    s: SessionResult,
    title: str,
    mode: str,
    dims: list[tuple[str, int | None]],
    span: int,
) -> str:
    head = _e(title)
    if not s.in_pack:
        head += " (not in the pack)"
    if s.counted:
        head += '<br><span class="flag">counted</span>'
    status = _e(s.status) + (f" ({_e(s.mode)})" if s.mode != mode else "")
    cells = [
        f'<tr><th scope="row">{head}</th><td>{status}</td>'
        f'<td class="when">{_e(s.started_at[:16].replace("T", " "))}</td><td>{_e(s.dyad)}</td>'
    ]
    for dim, threshold in dims:
        v = s.humility.get(dim) if s.humility else None
        if v is None:
            cells.append('<td class="num">–</td>')
        elif threshold is not None and v < threshold:
            cells.append(f'<td class="num below-cell">{_e(v)} (below)</td>')
        else:
            cells.append(f'<td class="num">{_e(v)}</td>')
    overall = "–" if s.overall is None else _e(s.overall)
    if s.passed is None:
        verdict = "–"
    elif s.passed:
        verdict = '<span class="verdict-passed">pass</span>'
    else:
        verdict = '<span class="verdict-failed">below threshold</span>'
    cells.append(f'<td class="num">{overall}</td><td>{verdict}</td></tr>\n')
    if s.path:
        path = _e(" → ".join(s.path))
    else:
        path = _e(f"{s.decisions} decision{'s' if s.decisions != 1 else ''} answered so far")
    ending = (
        f' <span class="muted">({_e(s.ending_outcome)} ending)</span>' if s.ending_outcome else ""
    )
    cells.append(
        f'<tr class="pathrow"><td colspan="{span}"><span class="muted">Path:</span> '
        f'<span class="path">{path}</span>{ending}</td></tr>\n'
    )
    if s.typed:
        items = "".join(
            f'<li value="{step + 1}"><code>{_e(node)}</code>: '
            f'<span class="reflection">{_e(text)}</span></li>'
            for step, node, text in s.typed
        )
        cells.append(
            f'<tr><td colspan="{span}"><strong>Typed responses (included on request):</strong>\n'
            f"<ol>{items}</ol></td></tr>\n"
        )
    return "".join(cells)


def render_html(report: CohortReport) -> str:
    return environment().get_template("report.html.j2").render(report=report)
