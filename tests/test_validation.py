"""Every diagnostic code: triggered by a real mistake, located, and documented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from simulator.core.diagnostics import CODES, Severity
from tests.conftest import ROOT, codes_of, load_text, mutate

# ---------------------------------------------------------------- documentation


def test_every_code_is_documented_with_its_severity() -> None:
    doc = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| (IS\d{3}) \| (error|warning) \|", doc, re.M))
    assert set(rows) == set(CODES), "docs/diagnostics.md and diagnostics.CODES disagree"
    for code, spec in CODES.items():
        assert rows[code] == spec.severity.value, code


# ---------------------------------------------------------------- shape (IS1xx)


def test_unknown_key_is_located_at_the_key(rubric, minimal_text) -> None:
    text = minimal_text.replace("    cue: She shrugs.", "    cue: She shrugs.\n    feedbak: typo")
    res = load_text(text, rubric)
    [diag] = res.diagnostics
    assert diag.code == "IS101"
    assert "feedbak" in diag.message
    line = text.splitlines().index("    feedbak: typo") + 1
    assert (diag.line, diag.col) == (line, 5)


def test_missing_key_names_the_key(rubric, minimal_text) -> None:
    res = load_text(mutate(minimal_text, lambda d: d["client"].pop("appearance")), rubric)
    assert codes_of(res) == ["IS102"]
    assert "'appearance'" in res.diagnostics[0].message


def test_unquoted_no_is_refused_with_a_hint_to_quote(rubric, minimal_text) -> None:
    text = minimal_text.replace("    religion: Example religion", "    religion: No")
    res = load_text(text, rubric)
    [diag] = res.diagnostics
    assert diag.code == "IS103"
    assert "yes/no" in diag.message and "quotes" in diag.message
    assert diag.line == text.splitlines().index("    religion: No") + 1


@pytest.mark.parametrize(
    ("value", "found"),
    [("1.10", "number 1.1"), ("2024-01-01", "date 2024-01-01"), ("12", "number 12")],
)
def test_implicit_typing_surprises_are_refused(rubric, minimal_text, value, found) -> None:
    res = load_text(
        minimal_text.replace(
            "  presenting_problem: Trouble sleeping.", f"  presenting_problem: {value}"
        ),
        rubric,
    )
    [diag] = res.diagnostics
    assert diag.code == "IS103"
    assert found in diag.message


def test_out_of_range_and_invalid_values(rubric, minimal_text) -> None:
    text = minimal_text.replace("  age: 40", "  age: 400").replace(
        "id: minimal", "id: Minimal Scenario"
    )
    res = load_text(text, rubric)
    assert sorted(codes_of(res)) == ["IS104", "IS105"]
    by_code = {d.code: d for d in res.diagnostics}
    assert by_code["IS104"].line == text.splitlines().index("  age: 400") + 1
    assert "lower-case" in by_code["IS105"].message


def test_union_fields_report_the_specific_problem(rubric, minimal_text) -> None:
    text = minimal_text.replace("      - text: It's fine.", "      - text: 5")
    res = load_text(text, rubric)
    assert [(d.code, d.line) for d in res.diagnostics] == [
        ("IS103", text.splitlines().index("      - text: 5") + 1)
    ]


# ---------------------------------------------------------------- meaning (IS2xx)


def _opt(d: dict[str, Any], node: int, opt: int) -> dict[str, Any]:
    return d["nodes"][node]["options"][opt]


CASES: list[tuple[str, Any]] = [
    ("IS201", lambda d: d["nodes"][1].update(id="first")),
    ("IS202", lambda d: _opt(d, 0, 0).update(next="nowhere")),
    ("IS203", lambda d: _opt(d, 0, 2).update(codes=["not_a_code"])),
    ("IS204", lambda d: _opt(d, 2, 1).update({"if": "mood > 3"})),
    ("IS205", lambda d: _opt(d, 2, 1).update({"if": "trust >>= 3"})),
    ("IS206", lambda d: _opt(d, 0, 0).update(effects={"trust": 40})),
    ("IS207", lambda d: [o.update(next="second") for o in d["nodes"][3]["options"]]),
    ("IS208", lambda d: [o.update({"if": "trust > 1"}) for o in d["nodes"][2]["options"]]),
    ("IS209", lambda d: d["debrief"]["moments"][0].update(theme="joy")),
    ("IS210", lambda d: _opt(d, 0, 0).update(codes=["cfi:astrology"])),
    ("IS211", lambda d: d.update(start="zero")),
    ("IS213", lambda d: d["debrief"]["moments"][0].update(at="second.nope")),
    ("IS301", lambda d: d["nodes"].append({**d["nodes"][3], "id": "orphan"})),
    ("IS302", lambda d: d["state"].update(unused=5)),
    ("IS303", lambda d: _opt(d, 0, 2).update(codes=[])),
    ("IS304", lambda d: _opt(d, 0, 1).pop("feedback")),
    ("IS305", lambda d: d["nodes"][0].pop("opportunity")),
    (
        "IS306",
        lambda d: [
            d["nodes"][1].pop("broaching"),
            _opt(d, 1, 0).update(codes=["acknowledge_power", "admit_limits"]),
            _opt(d, 2, 0).update(codes=["reflection_complex"]),
        ],
    ),
    (
        "IS307",
        lambda d: [
            o.update(
                codes=[
                    c
                    for c in o["codes"]
                    if c
                    not in (
                        "acknowledge_power",
                        "emphasize_autonomy",
                        "seek_collaboration",
                        "affirm",
                        "broach_relationship",
                    )
                ]
            )
            for n in d["nodes"]
            for o in n["options"]
        ],
    ),
    (
        "IS308",
        lambda d: (
            [
                o.update(next="good")
                for n in d["nodes"]
                for o in n["options"]
                if o.get("next") == "bad"
            ]
            + [
                o.update(next=[{"goto": "mixed"}])
                for o in d["nodes"][3]["options"]
                if isinstance(o["next"], list)
            ]
        ),
    ),
]


@pytest.mark.parametrize(("code", "edit"), CASES, ids=[c for c, _ in CASES])
def test_each_meaning_code_is_reported(rubric, minimal_text, code, edit) -> None:
    res = load_text(mutate(minimal_text, edit), rubric)
    assert code in codes_of(res), [d.format() for d in res.diagnostics]
    hit = next(d for d in res.diagnostics if d.code == code)
    assert hit.line >= 1 and hit.col >= 1
    if CODES[code].severity is Severity.ERROR:
        assert not res.ok
    else:
        assert res.ok, "warnings must not make a scenario unplayable"


def test_ten_mistakes_in_one_file_are_all_reported_with_lines(rubric, minimal_text) -> None:
    def ten(d: dict[str, Any]) -> None:
        d["start"] = "zero"  # IS211
        d["nodes"][1]["id"] = (
            "third"  # IS201 (and first's next now dangles? no: 'second' gone) IS202
        )
        _opt(d, 0, 2)["codes"] = ["bogus"]  # IS203
        _opt(d, 2, 1)["if"] = "mood > 2"  # IS204
        _opt(d, 2, 2)["if"] = "trust >"  # IS205
        _opt(d, 0, 0)["effects"] = {"asked": 99}  # IS206 (99 is within the model's limit)
        d["debrief"]["moments"][1]["theme"] = "joy"  # IS209
        _opt(d, 3, 0)["codes"] = ["cfi:astrology"]  # IS210
        d["debrief"]["moments"][0]["at"] = "nowhere.x"  # IS213
        d["state"]["unused"] = 1  # IS302

    text = mutate(minimal_text, ten).replace("asked: 99", "asked: 49")
    res = load_text(text, rubric)
    found = set(codes_of(res))
    expected = {
        "IS211",
        "IS201",
        "IS202",
        "IS203",
        "IS204",
        "IS205",
        "IS206",
        "IS209",
        "IS210",
        "IS213",
        "IS302",
    }
    assert expected <= found, sorted(found)
    lines = text.splitlines()
    for d in res.diagnostics:
        assert 1 <= d.line <= len(lines)


def test_rubric_file_validates_clean() -> None:
    from simulator.core.library import bundled_rubric_path
    from simulator.core.loading import parse_model, read_doc
    from simulator.core.models import Rubric
    from simulator.core.validate import check_rubric

    doc = read_doc(bundled_rubric_path())
    assert check_rubric(parse_model(doc, Rubric), doc) == []


def test_broken_rubric_reports_unknown_dimension(tmp_path: Path) -> None:
    from simulator.core.diagnostics import LoadError
    from simulator.core.library import bundled_rubric_path, load_rubric

    text = bundled_rubric_path().read_text(encoding="utf-8")
    bad = tmp_path / "rubric.yaml"
    bad.write_text(
        text.replace("humility: {asking: 3}", "humility: {asking: 3, charm: 2}", 1),
        encoding="utf-8",
    )
    with pytest.raises(LoadError) as info:
        load_rubric(bad)
    assert [d.code for d in info.value.diagnostics] == ["IS105"]
    assert "charm" in info.value.diagnostics[0].message


def test_one_broken_file_does_not_stop_the_library(tmp_path: Path, minimal_text) -> None:
    from simulator.core.library import load_library

    (tmp_path / "good.yaml").write_text(minimal_text, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    library = load_library([tmp_path], bundled=False)
    assert [s.id for s in library.scenarios] == ["minimal"]
    [broken] = library.invalid
    assert broken.display.endswith("bad.yaml")
    assert broken.errors[0].code == "IS004"
