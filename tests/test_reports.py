"""Cohort reports (`intake-sim report`): a small cohort played through the real engine and store
under a saved assignment pack, then read back as JSON, plain text, CSV and HTML.

Expected figures are worked out from the sessions as played (their own summaries, the pack's own
verdict), not copied from a report; a few hand-checked facts pin the meaning (Ben fails on
listening; the assumption at the first decision is the cohort's most common misstep).
"""

from __future__ import annotations

import csv
import io
import json
import re
import statistics
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from simulator.cli import main
from simulator.core.assignment import Pack
from simulator.core.compiled import CompiledScenario
from simulator.core.library import Library, load_library
from simulator.core.models import DIMENSIONS
from simulator.practice import Practice
from simulator.reports.cohort import CohortReport, build_report
from simulator.reports.csv_out import neutralise, render_csv
from simulator.reports.html import render_html
from simulator.store import Store
from simulator.store.assignments import save_pack
from tests.conftest import DATA, ROOT

DEE = '=HYPERLINK("http://x")'
EVE = "@SUM(1)"
XSS = "<script>alert(1)</script>"
THRESHOLDS = {"asking": 50, "listening": 40}
SHULA_TITLE = '"The doctor says it\'s nerves"'
GOOD = ["open", "power", "plan"]  # minimal: passes both thresholds
BAD = ["assume", "confront", "pills"]  # minimal: listening 27, below 40


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library([DATA])


def spring_pack(scenarios: tuple[str, ...] = ("minimal", "shula-nerves")) -> Pack:
    return Pack(
        id="spring",
        cohort="group-a",
        title="Spring intake practice",
        scenarios=list(scenarios),
        mode="coach",
        thresholds=THRESHOLDS,
    )


def play(
    store: Store,
    scenario: CompiledScenario,
    trainee: str,
    option_ids: list[str],
    assignment: str = "spring",
    facets: dict[str, str] | None = None,
) -> Practice:
    t = store.get_or_create_trainee(trainee, facets)
    p = Practice.begin(store, t, scenario, "coach", assignment_id=assignment)
    for oid in option_ids:
        node = scenario.nodes[p.session.node_id or ""]
        p.choose(next(o for o in node.options if o.id == oid))
    return p


def play_best(store: Store, scenario: CompiledScenario, trainee: str) -> Practice:
    """The most humble response at every decision, to the end."""
    t = store.get_or_create_trainee(trainee)
    p = Practice.begin(store, t, scenario, "coach", assignment_id="spring")
    while not p.session.done:
        best = scenario.nodes[p.session.node_id or ""].best.id
        p.choose(next(o for o in p.session.options() if o.id == best))
    return p


class Cohort:
    """Who played what; `counted` are the attempts a report must count."""

    def __init__(self, store: Store, library: Library) -> None:
        minimal = library.get("minimal")
        shula = library.get("shula-nerves")
        assert minimal is not None and shula is not None
        self.pack = spring_pack()
        save_pack(store, self.pack)
        # Ana shares the test client's ethnicity: concordant there, discordant with Shula.
        ana = play(store, minimal, "Ana", GOOD, facets={"ethnicity": "Example ethnicity"})
        ana_shula = play_best(store, shula, "Ana")
        ben = play(store, minimal, "Ben", BAD)
        ben_shula = play_best(store, shula, "Ben")
        self.cy_first = play(store, minimal, "Cy", BAD)  # failed, then tried again
        cy = play(store, minimal, "Cy", GOOD)
        cy_shula = play_best(store, shula, "Cy")
        self.dee = play(store, minimal, DEE, ["assume", "broach"])  # still playing
        self.eve = play(store, minimal, EVE, ["closed"])
        store.abandon_session(self.eve.row.id)
        xss = play(store, minimal, XSS, ["closed", "power", "bye"])
        self.fay = play(store, minimal, "Fay", GOOD, assignment="autumn")  # another assignment
        self.counted = {
            ("Ana", "minimal"): ana,
            ("Ana", "shula-nerves"): ana_shula,
            ("Ben", "minimal"): ben,
            ("Ben", "shula-nerves"): ben_shula,
            ("Cy", "minimal"): cy,
            ("Cy", "shula-nerves"): cy_shula,
            (XSS, "minimal"): xss,
        }
        for p in [*self.counted.values(), self.cy_first, self.fay]:
            assert p.session.done

    def humility(self, key: tuple[str, str]) -> dict[str, int]:
        return dict(self.counted[key].summary().humility)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "data") as s:
        yield s


@pytest.fixture
def cohort(store: Store, library: Library) -> Cohort:
    return Cohort(store, library)


@pytest.fixture
def report(store: Store, library: Library, cohort: Cohort) -> CohortReport:
    return build_report(store, cohort.pack, library, now=lambda: "2026-11-22 09:00 UTC")


def run_cli(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    code = main(["report", "--data-dir", str(data_dir), "--scenarios", str(DATA), *args])
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------- JSON


def test_json_verdicts_progress_and_counted_attempts(
    store: Store, cohort: Cohort, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run_cli(capsys, tmp_path / "data", "--assignment", "spring", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["assignment"]["id"] == "spring" and doc["assignment"]["thresholds"] == THRESHOLDS
    assert doc["empty"] is False
    # Ana x2, Ben x2, Cy x3, Dee, Eve, <script>: Fay's session belongs to another assignment.
    assert doc["sessions"] == {"total": 10, "completed": 8, "active": 1, "abandoned": 1}
    results = {t["pseudonym"]: t for t in doc["trainees"]["results"]}
    assert set(results) == {"Ana", "Ben", "Cy", DEE, EVE, XSS}
    verdicts = {name: t["verdict"] for name, t in results.items()}
    assert verdicts == {
        "Ana": "passed",
        "Ben": "failed",
        "Cy": "passed",  # the second attempt counts, and it passes
        DEE: "incomplete",
        EVE: "incomplete",
        XSS: "incomplete",
    }
    assert {k: doc["trainees"][k] for k in ("total", "passed", "failed", "incomplete")} == {
        "total": 6,
        "passed": 2,
        "failed": 1,
        "incomplete": 3,
    }
    # Verdicts agree with the pack's own rule applied to each counted session's summary.
    for (name, sid), p in cohort.counted.items():
        ok, below = cohort.pack.verdict(cohort.humility((name, sid)))
        session = next(s for s in results[name]["sessions"] if s["id"] == p.row.id)
        assert session["counted"] is True
        assert session["passed"] is ok and session["failing_dimensions"] == below
        assert session["humility"] == cohort.humility((name, sid))
    assert results["Ben"]["failing_dimensions"] == {"minimal": ["listening"]}
    assert cohort.humility(("Ben", "minimal"))["listening"] < THRESHOLDS["listening"]
    assert results["Ana"]["progress"] == {"minimal": "completed", "shula-nerves": "completed"}
    assert results[DEE]["progress"] == {"minimal": "in progress", "shula-nerves": "not started"}
    assert results[EVE]["progress"] == {"minimal": "abandoned", "shula-nerves": "not started"}
    assert results[XSS]["completed"] == 1
    # Drill-down: all of Cy's attempts, oldest first; only the latest completed one counts.
    cy = results["Cy"]["sessions"]
    assert [s["id"] for s in cy] == [
        cohort.cy_first.row.id,
        cohort.counted[("Cy", "minimal")].row.id,
        cohort.counted[("Cy", "shula-nerves")].row.id,
    ]
    assert [s["counted"] for s in cy] == [False, True, True]
    assert cy[0]["passed"] is False and cy[0]["failing_dimensions"] == ["listening"]
    assert cy[0]["path"] == [t.node_id for t in cohort.cy_first.session.turns] + [
        cohort.cy_first.session.ending_id
    ]
    dee = results[DEE]["sessions"][0]
    assert dee["status"] == "active" and dee["decisions"] == 2 and dee["humility"] is None
    # Free text is never in a report unless asked for.
    assert doc["include_reflections"] is False
    assert not any("reflections" in s for t in results.values() for s in t["sessions"])


def test_json_dimension_distributions(
    store: Store, cohort: Cohort, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run_cli(capsys, tmp_path / "data", "--assignment", "spring", "--json")
    assert code == 0
    dims = {d["id"]: d for d in json.loads(out)["dimensions"]}
    assert list(dims) == list(DIMENSIONS)
    for dim in DIMENSIONS:
        values = sorted(cohort.humility(k)[dim] for k in cohort.counted)
        d = dims[dim]
        assert d["n"] == len(values) == 7
        assert d["mean"] == round(statistics.fmean(values), 1)
        assert d["median"] == statistics.median(values)
        assert (d["min"], d["max"]) == (values[0], values[-1])
        hist = [0] * 10
        for v in values:
            hist[min(v // 10, 9)] += 1
        assert d["histogram"] == hist and sum(hist) == 7
        threshold = THRESHOLDS.get(dim)
        assert d["threshold"] == threshold
        assert d["below_threshold"] == (
            0 if threshold is None else sum(1 for v in values if v < threshold)
        )
    # Ben's first-attempt listening score is the one below 40 among the counted sessions.
    assert dims["listening"]["below_threshold"] == 1


def test_json_choice_counts_missteps_and_dyads(
    store: Store, cohort: Cohort, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run_cli(capsys, tmp_path / "data", "--assignment", "spring", "--json")
    assert code == 0
    doc = json.loads(out)
    minimal = next(s for s in doc["scenarios"] if s["id"] == "minimal")
    # Every answer in spring's sessions not abandoned, all attempts: Ana, Ben, Cy twice, Dee,
    # and <script>; not Eve (abandoned) nor Fay (autumn).
    counts = {d["node"]: {o["id"]: o["count"] for o in d["options"]} for d in minimal["decisions"]}
    assert counts == {
        "first": {"open": 2, "assume": 3, "closed": 1},
        "second": {"broach": 1, "power": 3, "confront": 2},
        "third": {"plan": 2, "pills": 2, "bye": 1},
    }
    first = minimal["decisions"][0]
    assert first["answers"] == 6
    assert {o["id"]: o["share"] for o in first["options"]} == {
        "open": round(2 / 6, 4),
        "assume": 0.5,
        "closed": round(1 / 6, 4),
    }
    assert [o["id"] for o in first["options"] if o["best"]] == ["open"]
    assert minimal["sessions"] == 6 and minimal["completed"] == 5
    shula = next(s for s in doc["scenarios"] if s["id"] == "shula-nerves")
    assert shula["completed"] == 3
    assert sum(d["answers"] for d in shula["decisions"]) == sum(
        len(cohort.counted[(n, "shula-nerves")].session.turns) for n in ("Ana", "Ben", "Cy")
    )
    # Missteps: most chosen first; ties broken by share of the answers at that decision.
    top = [
        (m["scenario"], m["node"], m["option"], m["count"], m["answers"]) for m in doc["missteps"]
    ]
    assert top[:3] == [
        ("minimal", "first", "assume", 3, 6),
        ("minimal", "third", "pills", 2, 5),
        ("minimal", "second", "confront", 2, 6),
    ]
    assume = doc["missteps"][0]
    assert "assumption" in assume["kinds"]
    assert assume["feedback"] == "An assumption about her group, not a question about her."
    assert not any(m["option"] in ("open", "power", "plan", "broach") for m in doc["missteps"])
    # Concordant: Ana's minimal session only (she shares that client's ethnicity).
    dyads = {d["dyad"]: d for d in doc["dyads"]}
    conc, disc = dyads["concordant"], dyads["discordant"]
    assert (conc["sessions"], conc["trainees"], conc["passed"]) == (1, 1, 1)
    assert (disc["sessions"], disc["trainees"]) == (6, 4)
    assert disc["passed"] == sum(
        1
        for k in cohort.counted
        if k != ("Ana", "minimal") and cohort.pack.verdict(cohort.humility(k))[0]
    )
    assert conc["means"] == {d: float(cohort.humility(("Ana", "minimal"))[d]) for d in DIMENSIONS}
    others = [k for k in cohort.counted if k != ("Ana", "minimal")]
    for dim in DIMENSIONS:
        assert disc["means"][dim] == round(
            statistics.fmean(cohort.humility(k)[dim] for k in others), 1
        )


# ---------------------------------------------------------------- plain text


def test_text_report_sections(
    store: Store, cohort: Cohort, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run_cli(capsys, tmp_path / "data", "--assignment", "spring")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "Cohort report: Spring intake practice"
    assert "Pass thresholds: Asking >= 50; Listening >= 40" in lines
    assert any(
        line.startswith("Trainees: 6 (2 passed, 1 failed, 3 incomplete). Sessions: 10 (8 completed")
        for line in lines
    )

    def row(prefix: str) -> str:
        return next(line for line in lines if line.startswith(prefix))

    ben = row("  Ben ")
    assert "failed" in ben and "2/2 completed" in ben and "minimal: below on Listening" in ben
    assert "passed" in row("  Ana ") and "2/2 completed" in row("  Ana ")
    dee = row(f"  {DEE} ")
    assert "incomplete" in dee and "0/2 completed; not completed: minimal, shula-nerves" in dee
    listening = row("  Listening ")
    assert "n=7" in listening and "threshold 40: 1 below" in listening
    assert row("  concordant ").startswith("  concordant      1 session (1 passed), 1 trainee")
    assert row("  discordant ").startswith("  discordant      6 sessions")
    assert lines[lines.index("MOST COMMON MISSTEPS") + 1] == (
        "  1. minimal / first: assume (negative, assumption) chosen 3 of 6 (50%): "
        '"People from your background usually keep things in the family."'
    )
    assert row("     why: An assumption") == (
        "     why: An assumption about her group, not a question about her."
    )
    assume = row("      assume ")
    assert re.search(r"#{10}\.{10}\s+3\s+50% \[negative, assumption\]", assume)
    # Drill-down: Cy's three sessions, the first one not counted.
    start = lines.index("  Cy: passed")
    cy = lines[start + 1 : start + 7]
    assert cy[0].startswith("    minimal: completed") and "below on Listening" in cy[0]
    assert cy[2].startswith("    minimal (counted): completed") and "; pass" in cy[2]
    assert cy[4].startswith("    shula-nerves (counted): completed")
    assert cy[1].startswith("      path: first > second > third > ")


# ---------------------------------------------------------------- CSV


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_rows_values_and_formula_cells(
    store: Store, cohort: Cohort, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "out dir" / "cohort é.csv"  # a space and non-ASCII in the path
    code, out, err = run_cli(
        capsys, tmp_path / "data", "--assignment", "spring", "--csv", str(target)
    )
    assert code == 0, err
    assert f"CSV (10 sessions) written to {target}" in out
    raw = target.read_bytes()
    assert raw.count(b"\r\n") == 11  # header + one row per session
    rows = read_csv(raw.decode("utf-8"))
    assert len(rows) == 10
    by_session = {r["session"]: r for r in rows}
    for (name, sid), p in cohort.counted.items():
        r = by_session[p.row.id]
        h = cohort.humility((name, sid))
        assert [int(r[d]) for d in DIMENSIONS] == [h[d] for d in DIMENSIONS]
        assert r["counted"] == "yes" and r["scenario"] == sid and r["status"] == "completed"
        ok, below = cohort.pack.verdict(h)
        assert r["session_passed"] == ("yes" if ok else "no")
        assert r["failing_dimensions"] == " ".join(below)
    assert by_session[cohort.cy_first.row.id]["counted"] == "no"
    ben = by_session[cohort.counted[("Ben", "minimal")].row.id]
    assert ben["trainee_verdict"] == "failed" and ben["failing_dimensions"] == "listening"
    # The pseudonyms that a spreadsheet would run as formulas are neutralised with a quote.
    dee = by_session[cohort.dee.row.id]
    assert dee["trainee"] == "'" + DEE and dee["status"] == "active" and dee["listening"] == ""
    assert by_session[cohort.eve.row.id]["trainee"] == "'" + EVE
    assert by_session[cohort.eve.row.id]["status"] == "abandoned"
    assert {r["trainee"] for r in rows} >= {"Ana", XSS}
    risky = re.compile(r"[\t\r\n]|\s*[=+\-@]")
    for r in rows:
        for key, value in r.items():
            assert not risky.match(value), (key, value)
    assert "typed_responses" not in rows[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+41 79", "'+41 79"),
        ("-2", "'-2"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\tstart", "'\tstart"),
        ("\r=cmd", "'\n=cmd"),  # clean() turns the carriage return into a line feed
        ("   =1+1", "'   =1+1"),
        ("Ana", "Ana"),
        ("a=b", "a=b"),
        ("x-1", "x-1"),
        ("", ""),
    ],
)
def test_neutralise(raw: str, expected: str) -> None:
    assert neutralise(raw) == expected


# ---------------------------------------------------------------- HTML


class Tables(HTMLParser):
    """Every table's caption and cell texts, every element's tag, and all text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict[str, Any]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._stack: list[dict[str, Any]] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "table":
            self._stack.append({"caption": "", "rows": []})
        elif tag == "caption":
            self._caption = []
        elif tag == "tr" and self._stack:
            self._stack[-1]["rows"].append([])
        elif tag in ("td", "th") and self._stack:
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._stack:
            self.tables.append(self._stack.pop())
        elif tag == "caption" and self._caption is not None and self._stack:
            self._stack[-1]["caption"] = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None and self._stack:
            self._stack[-1]["rows"][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._caption is not None:
            self._caption.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def table(self, caption_start: str) -> list[list[str]]:
        return next(t["rows"] for t in self.tables if t["caption"].startswith(caption_start))


def parse(html: str) -> Tables:
    p = Tables()
    p.feed(html)
    p.close()
    return p


def test_html_report_tables_and_charts(
    store: Store, cohort: Cohort, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "report.html"
    code, out, err = run_cli(
        capsys, tmp_path / "data", "--assignment", "spring", "--html", str(target)
    )
    assert code == 0, err
    assert out.strip() == f"HTML report written to {target}"
    html = target.read_text(encoding="utf-8")
    doc = parse(html)
    completion = doc.table("Who has completed")
    assert completion[0] == [
        "Trainee",
        "A short intake",
        SHULA_TITLE,
        "Verdict",
        "Below threshold",
    ]
    verdicts = {r[0]: (r[1], r[2], r[3], r[4]) for r in completion[1:]}
    assert verdicts["Ana"] == ("completed", "completed", "passed", "none")
    assert verdicts["Ben"] == ("completed", "completed", "failed", "A short intake: Listening")
    assert verdicts["Cy"][2] == "passed"
    assert verdicts[DEE] == ("in progress", "not started", "incomplete", "none")
    assert verdicts[EVE] == ("abandoned", "not started", "incomplete", "none")
    assert verdicts[XSS][2] == "incomplete"
    # Charts: the verdict bar, five histograms (one per dimension), the dyad comparison.
    charts = [a for t, a in doc.tags if t == "svg" and a.get("class") == "chart"]
    assert len(charts) == 7
    assert all(a.get("role") == "img" and a.get("aria-labelledby") for a in charts)
    scores = doc.table("Humility scores of the counted sessions")
    listening = next(r for r in scores if r[0] == "Listening")
    assert listening[1] == "7" and listening[6] == "40" and listening[7] == "1"
    missteps = doc.table("Responses coded negative")
    assert missteps[1][0] == "1" and "assume" in missteps[1][2]
    assert missteps[1][3] == "3 of 6 (50%)"
    assert missteps[1][4] == "An assumption about her group, not a question about her."
    dyads = doc.table("Mean humility scores by dyad")
    assert [r[:3] for r in dyads[1:]] == [
        ["concordant", "1", "1"],
        ["discordant", "6", "4"],
        ["not comparable", "0", "0"],
    ]
    first = doc.table("first")
    assert [r[1] for r in first[1:]] == ["2", "3", "1"]
    assert first[2][0] == (
        "negative, assumptionassume: People from your background usually keep things in the family."
    )  # a flag (its own box on the page), then the response
    # Drill-down: Cy's three sessions, the first shown below threshold and not counted.
    cy = doc.table("Sessions of Cy")
    session_rows = [r for r in cy[1:] if not r[0].startswith("Path:")]
    assert [r[0] for r in session_rows] == [
        "A short intake",
        "A short intake counted",
        f"{SHULA_TITLE} counted",
    ]
    assert session_rows[0][-1] == "below threshold" and session_rows[1][-1] == "pass"
    listening_col = 4 + list(DIMENSIONS).index("listening")
    assert session_rows[0][listening_col].endswith("(below)")
    paths = [r[0] for r in cy[1:] if r[0].startswith("Path:")]
    assert paths[0].startswith("Path: first → second → third →")


def test_html_escapes_every_payload(store: Store, library: Library, tmp_path: Path) -> None:
    minimal = library.get("minimal")
    assert minimal is not None
    pack = spring_pack(("minimal",))
    save_pack(store, pack)
    names = [XSS, '"><img src=x onerror=alert(1)>', "{{ 7*7 }}", "[bold red]X[/]"]
    for name in names:
        play(store, minimal, name, GOOD)
    html = render_html(build_report(store, pack, library))
    # No element from data: the report itself has no script, img or onerror anywhere.
    doc = parse(html)
    assert not [t for t, _ in doc.tags if t in ("script", "img")]
    assert not any(k.startswith("on") for _, attrs in doc.tags for k in attrs)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "{{ 7*7 }}" in html and "49" not in re.findall(r"\d+", "".join(names))
    # Every pseudonym appears as the text it is (the parser unescapes what the report escaped).
    captions = {t["caption"] for t in doc.tables}
    for name in names:
        assert f"Sessions of {name}, oldest first" in captions
    assert "content=\"default-src 'none'; style-src 'unsafe-inline'\"" in html


def test_reflections_only_on_request(store: Store, library: Library, tmp_path: Path) -> None:
    minimal = library.get("minimal")
    assert minimal is not None
    pack = spring_pack(("minimal",))
    save_pack(store, pack)
    t = store.get_or_create_trainee("Gil")
    p = Practice.begin(store, t, minimal, "coach", assignment_id="spring")
    typed = "<b>Tell me</b> what the zebra means to you, in your own words?"
    coded = p.read(typed)
    p.choose_typed(next(o for o in p.session.options() if o.id == "open"), coded)
    without = build_report(store, pack, library)
    assert "zebra" not in json.dumps(without.to_json())
    assert "zebra" not in render_html(without) + render_csv(without)
    report = build_report(store, pack, library, include_reflections=True)
    session = report.to_json()["trainees"]["results"][0]["sessions"][0]
    assert session["reflections"] == [{"step": 1, "node": "first", "text": typed}]
    html = render_html(report)
    assert "&lt;b&gt;Tell me&lt;/b&gt; what the zebra" in html and "<b>Tell" not in html
    rows = read_csv(render_csv(report))
    assert rows[0]["typed_responses"] == f"1. {typed}"


# ---------------------------------------------------------------- bad input and empty cohorts


def test_unknown_assignment_lists_the_known_ones(
    store: Store, cohort: Cohort, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    save_pack(store, spring_pack(("minimal",)).model_copy(update={"id": "summer"}))
    code, out, err = run_cli(capsys, tmp_path / "data", "--assignment", "winter")
    assert code == 1 and out == ""
    assert err.count("\n") == 1
    assert err.startswith("intake-sim: unknown assignment 'winter'. Known: spring, summer")
    # Fay's sessions are tagged 'autumn', a pack this store does not have.
    assert "sessions are also tagged with autumn" in err


def test_unknown_assignment_from_a_real_process(
    store: Store, cohort: Cohort, tmp_path: Path
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "simulator", "report", "--data-dir", str(tmp_path / "data"),
         "--assignment", "[bold]nope\x1b[2J"],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 1 and proc.stdout == ""
    assert "Traceback" not in proc.stderr and "\x1b" not in proc.stderr
    assert proc.stderr.startswith("intake-sim: unknown assignment '[bold]nope[2J'. Known: spring")


def test_missing_assignment_flag_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["report", "--data-dir", str(tmp_path / "data")])
    assert exc.value.code == 2
    assert "--assignment" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["a directory", "under a file"])
def test_unwritable_html_path(
    where: str,
    store: Store,
    cohort: Cohort,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "blocker"
    if where == "a directory":
        blocker.mkdir()
        target = blocker
    else:
        blocker.write_text("keep me", encoding="utf-8")
        target = blocker / "report.html"
    code, out, err = run_cli(
        capsys, tmp_path / "data", "--assignment", "spring", "--html", str(target)
    )
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"intake-sim: Could not write {target}")
    assert "Traceback" not in err
    # Nothing lost: the file in the way is untouched, no temporary file is left, and the
    # store still reports.
    if where == "under a file":
        assert blocker.read_text(encoding="utf-8") == "keep me"
    else:
        assert list(blocker.iterdir()) == []
    assert run_cli(capsys, tmp_path / "data", "--assignment", "spring", "--json")[0] == 0


def test_existing_report_replaced_whole(
    store: Store, cohort: Cohort, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "report.html"
    target.write_text("old", encoding="utf-8")
    assert (
        run_cli(capsys, tmp_path / "data", "--assignment", "spring", "--html", str(target))[0] == 0
    )
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_empty_cohort_is_a_clear_report(
    store: Store, library: Library, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    save_pack(store, spring_pack())
    data = tmp_path / "data"
    code, out, err = run_cli(capsys, data, "--assignment", "spring")
    assert code == 0 and err == ""
    assert "Trainees: 0 (0 passed, 0 failed, 0 incomplete). Sessions: 0" in out
    assert "No sessions have been recorded for this assignment yet." in out
    code, out, _ = run_cli(capsys, data, "--assignment", "spring", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["empty"] is True and doc["trainees"]["results"] == []
    assert all(d["n"] == 0 and d["mean"] is None for d in doc["dimensions"])
    assert doc["missteps"] == []
    assert all(s["decisions"] == [] for s in doc["scenarios"])
    html_path, csv_path = tmp_path / "empty.html", tmp_path / "empty.csv"
    code, out, _ = run_cli(
        capsys, data, "--assignment", "spring", "--html", str(html_path), "--csv", str(csv_path)
    )
    assert code == 0
    html = html_path.read_text(encoding="utf-8")
    assert "No sessions have been recorded for this assignment yet." in html
    assert "no completed sessions yet" in html  # the histograms say so instead of drawing bars
    assert csv_path.read_bytes().count(b"\r\n") == 1  # the header only
    assert read_csv(csv_path.read_text(encoding="utf-8")) == []


def test_scenario_no_longer_in_the_library(store: Store, library: Library) -> None:
    """Sessions of a scenario since removed from the library still report, by id."""
    minimal = library.get("minimal")
    assert minimal is not None
    pack = spring_pack(("minimal",))
    save_pack(store, pack)
    play(store, minimal, "Ana", GOOD)
    play(store, minimal, "Ben", BAD)
    bundled_only = load_library()
    assert bundled_only.get("minimal") is None
    report = build_report(store, pack, bundled_only)
    doc = report.to_json()
    scenario = doc["scenarios"][0]
    assert scenario["id"] == "minimal" and scenario["in_library"] is False
    counts = {d["node"]: {o["id"]: o["count"] for o in d["options"]} for d in scenario["decisions"]}
    assert counts == {
        "first": {"open": 1, "assume": 1},
        "second": {"power": 1, "confront": 1},
        "third": {"plan": 1, "pills": 1},
    }
    # Verdicts come from the stored summaries, which do not need the scenario.
    assert {t["pseudonym"]: t["verdict"] for t in doc["trainees"]["results"]} == {
        "Ana": "passed",
        "Ben": "failed",
    }
    assert all(s.dyad == "not comparable" for t in report.trainees for s in t.sessions)
    html = render_html(report)
    assert "this scenario is not in the library any more, so only ids are shown" in html
    assert len(read_csv(render_csv(report))) == 2
