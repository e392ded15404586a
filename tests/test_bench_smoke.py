"""The benchmark runner works end to end in --quick mode.

Only that figures are produced and that the generated scenarios validate: no wall-clock or ratio
assertions, since the machines that run the tests are shared and noisy.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


@pytest.fixture(scope="module")
def quick_json() -> dict[str, Any]:
    proc = _run("bench/run.py", "--quick", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def test_every_benchmark_reports(quick_json: dict[str, Any]) -> None:
    assert quick_json["quick"] is True
    assert set(quick_json["benchmarks"]) == {
        "validate",
        "engine",
        "tui",
        "coder",
        "report",
        "web",
    }
    summary = quick_json["summary"]
    assert summary["checks_ok"] is True, summary["problems"]
    # The web benchmark needs a system Chromium; without one it says so and sets no goals.
    web_skipped = quick_json["benchmarks"]["web"]["figures"]["skipped"]
    assert summary["goals"] == 9 + (0 if web_skipped else 2)
    for bench in quick_json["benchmarks"].values():
        assert bench["ok"] is True, bench["problems"]
        for goal in bench["goals"]:
            assert _positive(goal["value"]) and _positive(goal["target"])
            assert goal["op"] in ("<=", ">=") and isinstance(goal["passed"], bool)


def test_validate_figures(quick_json: dict[str, Any]) -> None:
    fig = quick_json["benchmarks"]["validate"]["figures"]
    assert fig["files"] == 10
    # The generated scenarios are valid against the real rubric: no errors (and no warnings).
    assert fig["valid_files"] == fig["files"]
    assert fig["errors"] == 0
    assert fig["warnings"] == 0
    per_file = fig["per_file"]
    assert per_file["nodes"] == 50 and per_file["options"] == 150
    assert per_file["themes"] == 8 and per_file["cfi_codes"] > 0 and per_file["conditions"] > 0
    for key in ("pipeline_seconds", "bare_seconds", "ratio", "ratio_per_file_best", "bytes"):
        assert _positive(fig[key]), key


def test_engine_figures(quick_json: dict[str, Any]) -> None:
    fig = quick_json["benchmarks"]["engine"]["figures"]
    assert fig["choices"] >= 2_000
    assert fig["replays_identical"] == fig["sessions"] > 0
    for key in (
        "engine_choices_per_s",
        "engine_scoring_choices_per_s",
        "baseline_lookups_per_s",
        "engine_lookups_per_choice",
    ):
        assert _positive(fig[key]), key


def test_tui_figures(quick_json: dict[str, Any]) -> None:
    tui = quick_json["benchmarks"]["tui"]
    assert {g["name"] for g in tui["goals"]} == {
        "tui.startup_ratio",
        "tui.memory_ratio",
        "tui.latency_p95_ms",
    }
    fig = tui["figures"]
    assert fig["startup_runs"] == 2
    # The library was painted with every scenario in it (the bundled ones, all valid).
    assert fig["library_rows"] >= 3
    assert fig["import_modules_app"] > fig["import_modules_minimal"] > 0
    assert fig["presses"] == 20 and fig["sessions"] >= 1
    for key in (
        "startup_app_s",
        "startup_minimal_s",
        "startup_ratio",
        "rss_app_kb",
        "rss_minimal_kb",
        "memory_ratio",
        "latency_p50_ms",
        "latency_p95_ms",
        "handled_p95_ms",
    ):
        assert _positive(fig[key]), key


def test_report_figures(quick_json: dict[str, Any]) -> None:
    report = quick_json["benchmarks"]["report"]
    assert {g["name"] for g in report["goals"]} == {"report.seconds", "report.peak_mb"}
    fig = report["figures"]
    # 200 completed sessions of 12 decisions, written to a real store and reported on by the
    # real command: the CSV has a row for each (the bench checks the HTML and the JSON counts).
    assert fig["sessions"] == 200 and fig["decisions_per_session"] == 12
    assert fig["csv_rows"] == 200
    assert fig["scenarios"] >= 1 and fig["trainees"] * fig["scenarios"] >= 200
    for key in (
        "report_seconds",
        "empty_report_seconds",
        "peak_rss_mb",
        "empty_peak_rss_mb",
        "db_mb",
        "html_mb",
    ):
        assert _positive(fig[key]), key


def test_report_text_output() -> None:
    proc = _run("-m", "bench.run", "--quick", "--only", "report", "--sessions", "60")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    head = next(line for line in lines if line.startswith("report: "))
    assert "60 sessions x 12 decisions" in head and "goal < 3 s" in head
    assert "PASS" in head or "FAIL" in head
    memory = next(line for line in lines if line.startswith("report.memory: "))
    assert "goal < 300 MB" in memory
    assert any(line.startswith("report.fixed: ") for line in lines)
    assert lines[-1].startswith("summary: ") and "checks ok" in lines[-1]


def test_web_figures(quick_json: dict[str, Any]) -> None:
    from tests.browser import require_chromium

    require_chromium()
    web = quick_json["benchmarks"]["web"]
    assert {g["name"] for g in web["goals"]} == {"web.first_screen_ratio", "web.memory_ratio"}
    fig = web["figures"]
    assert fig["skipped"] is False and fig["loads"] == 2 and fig["tabs"] == 2
    # One app process tree per connected tab, each with real resident memory.
    assert len(fig["rss_tabs_kb"]) == 2 and all(_positive(kb) for kb in fig["rss_tabs_kb"])
    for key in (
        "first_screen_s",
        "terminal_startup_s",
        "first_screen_ratio",
        "rss_per_tab_kb",
        "rss_terminal_kb",
        "rss_server_kb",
        "memory_ratio",
    ):
        assert _positive(fig[key]), key


def test_web_text_output() -> None:
    from tests.browser import require_chromium

    require_chromium()
    proc = _run("bench/run.py", "--quick", "--only", "web", "--runs", "1", "--tabs", "1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    for prefix in ("web.first_screen: ", "web.memory: "):
        line = next(line for line in lines if line.startswith(prefix))
        assert "goal <= 1.5" in line and ("PASS" in line or "FAIL" in line)
    assert "1 playing at once" in next(line for line in lines if line.startswith("web.memory"))
    assert lines[-1].startswith("summary: ") and "checks ok" in lines[-1]


def test_tui_text_output() -> None:
    proc = _run("bench/run.py", "--quick", "--only", "tui", "--runs", "1", "--presses", "5")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    for prefix, goal in (
        ("tui.startup: ", "goal <= 1.3"),
        ("tui.memory: ", "goal <= 1.3"),
        ("tui.latency: ", "goal < 50"),
    ):
        line = next(line for line in lines if line.startswith(prefix))
        assert goal in line and ("PASS" in line or "FAIL" in line)
    assert any(line.startswith("tui.imports: ") for line in lines)
    assert lines[-1].startswith("summary: ") and "checks ok" in lines[-1]


def test_text_output_and_only() -> None:
    proc = _run("-m", "bench.run", "--quick", "--only", "validate", "--files", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    head = next(line for line in lines if line.startswith("validate: "))
    assert "2 files" in head and "ratio" in head and "goal <= 1.5" in head
    assert any("0 errors" in line for line in lines)
    assert not any(line.startswith("engine") for line in lines)
    assert lines[-1].startswith("summary: ")
