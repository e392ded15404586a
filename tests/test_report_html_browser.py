"""The HTML cohort report in headless Chromium, with JavaScript off: it renders, the charts are
drawn (SVG with real size on the page), the pass/fail table is there, and a screenshot is kept.

The cohort: twelve trainees playing three bundled scenarios under a pack, through the real
engine and store, with a seeded mix of the most humble, random and poorly chosen responses, a
few trainees not finished. Select with `pytest -m browser`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simulator.core.assignment import Pack
from simulator.core.compiled import CompiledScenario
from simulator.core.library import Library, load_library
from simulator.practice import Practice
from simulator.reports.cohort import build_report
from simulator.reports.html import render_html
from simulator.store import Store
from simulator.store.assignments import save_pack
from tests.browser import chromium

pytestmark = pytest.mark.browser

SCENARIOS = ("shula-nerves", "nadim-mourning", "ruth-sleepless")
TRAINEES = [
    "Adi",
    "Bruno",
    "Chen",
    "Dalia",
    "Efrat",
    "Farid",
    "Gal",
    "Hana",
    "Ido",
    "Jamila",
    "Kofi",
    "<b>Lior</b>",
]
FACETS = ({}, {"ethnicity": "Mizrahi"}, {"ethnicity": "Ashkenazi"}, {"ethnicity": "Arab"})
VIEWPORT = {"width": 1280, "height": 900}


def _play(
    store: Store, scenario: CompiledScenario, name: str, style: str, rng: random.Random
) -> None:
    """One session: `best`, `poor` (a misstep whenever there is one), `mixed`, or `partial`."""
    trainee = store.get_or_create_trainee(name, FACETS[len(name) % len(FACETS)] or None)
    p = Practice.begin(store, trainee, scenario, "assessment", assignment_id="autumn-2026")
    steps = 0
    while not p.session.done:
        options = p.session.options()
        best = scenario.nodes[p.session.node_id or ""].best.id
        if style == "best" or (style == "mixed" and rng.random() < 0.6):
            option = next(o for o in options if o.id == best)
        elif style == "poor":
            option = next((o for o in options if o.negative or o.assumption), options[-1])
        else:
            option = rng.choice(options)
        p.choose(option)
        steps += 1
        if style == "partial" and steps == 3:
            return


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    library: Library = load_library()
    pack = Pack(
        id="autumn-2026",
        cohort="msw-year-2",
        title="Autumn intake assessment",
        scenarios=list(SCENARIOS),
        mode="assessment",
        thresholds={"asking": 60, "listening": 55, "avoiding_assumptions": 50},
    )
    rng = random.Random(7)
    tmp = tmp_path_factory.mktemp("report")
    with Store.open(tmp / "data") as store:
        save_pack(store, pack)
        for i, name in enumerate(TRAINEES):
            for j, sid in enumerate(SCENARIOS):
                scenario = library.get(sid)
                assert scenario is not None
                if i >= 10 and j == 2:
                    continue  # two trainees have not started the last scenario
                style = ("best", "mixed", "mixed", "poor", "mixed")[(i + j) % 5]
                if i == 9 and j == 1:
                    style = "partial"
                _play(store, scenario, name, style, rng)
        report = build_report(store, pack, library, now=lambda: "2026-11-22 09:00 UTC")
    v = report.verdict_counts()
    assert v["passed"] > 0 and v["failed"] > 0 and v["incomplete"] == 3
    path = tmp / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def page(report_html: Path) -> Iterator[Any]:
    with chromium() as browser:
        context = browser.new_context(java_script_enabled=False, viewport=VIEWPORT)
        page = context.new_page()
        page.goto(report_html.as_uri())
        yield page
        context.close()


def _box(locator: Any) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None, "not rendered"
    return box  # type: ignore[no-any-return]


def test_charts_are_drawn_without_javascript(page: Any) -> None:
    assert page.evaluate("1 + 1") == 2  # evaluate runs regardless; the page's own JS is off
    charts = page.locator("svg.chart")
    assert charts.count() == 7  # verdict bar, five histograms, concordant/discordant
    for i in range(charts.count()):
        chart = charts.nth(i)
        assert chart.is_visible()
        box = _box(chart)
        assert box["width"] > 200 and box["height"] > 40
    # Every histogram has bars with height, and its axis labels and threshold are drawn as text.
    for dim in ("asking", "listening", "addressing_difference"):
        svg = page.locator(f"svg[aria-labelledby='dim-{dim}-t dim-{dim}-d']")
        bars = svg.locator("rect.bar")
        heights = [_box(bars.nth(k))["height"] for k in range(bars.count())]
        assert bars.count() == 10 and max(heights) > 20
        assert svg.locator("text", has_text="sessions").first.is_visible()
    threshold = page.locator("svg.chart text.threshold-label", has_text="threshold 55")
    assert threshold.is_visible() and _box(threshold)["width"] > 30
    # Hatched bars (below the threshold) are painted with the pattern, not left empty.
    below = page.locator("svg.chart rect.bar.below")
    assert below.count() > 0
    fill = below.first.evaluate("el => getComputedStyle(el).fill")
    assert "hatch-below" in fill
    dyads = page.locator("svg.chart rect.dyad")
    assert dyads.count() >= 5 and all(_box(dyads.nth(k))["width"] > 0 for k in range(dyads.count()))


def test_pass_fail_table_is_rendered(page: Any) -> None:
    table = page.locator("table", has=page.locator("caption", has_text="Who has completed"))
    assert table.is_visible()
    rows = table.locator("tbody tr")
    assert rows.count() == len(TRAINEES)
    verdicts = [rows.nth(k).locator("td").nth(3).inner_text() for k in range(rows.count())]
    assert set(verdicts) == {"passed", "failed", "incomplete"}
    # Colour is never the only sign: the verdict is written out, in a cell with size.
    cell = rows.first.locator("td").nth(3)
    assert _box(cell)["width"] > 40
    # The pseudonym with markup in it is shown as text, not as bold.
    lior = table.locator("th", has_text="<b>Lior</b>")
    assert lior.count() == 1 and lior.locator("b").count() == 0
    assert page.locator("script").count() == 0


@pytest.mark.parametrize("width", [1280, 1024])
def test_fits_the_window(page: Any, width: int) -> None:
    """No table or chart pushes the page sideways at a laptop's width."""
    page.set_viewport_size({"width": width, "height": VIEWPORT["height"]})
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        main_right = page.evaluate("document.querySelector('main').getBoundingClientRect().right")
        widest = page.evaluate(
            "Math.max(...[...document.querySelectorAll('main table, main svg.chart')]"
            ".map(e => e.getBoundingClientRect().right))"
        )
        assert widest <= main_right + 1
    finally:
        page.set_viewport_size(VIEWPORT)


def test_screenshot(page: Any, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=False)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    page.locator("#dimensions").scroll_into_view_if_needed()
    charts = tmp_path / "charts.png"
    page.locator("#dimensions").screenshot(path=str(charts))
    assert charts.stat().st_size > 20_000
