"""Untrusted text never drives the terminal, and no unsafe YAML API can creep into the source."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.core.text import clean
from tests.conftest import DATA, ROOT

PAYLOADS = [
    "[bold red]X[/]",
    "[TODO] plan",
    "[/b]",
    "[link=https://example.org]x[/link]",
    "[@click=app.quit]q[/]",
    "\x1b]0;title\x07",
    "\x1b[2J",
    "\x1b]52;c;ZXZpbA==\x07",
    "\x9b31m",
    "\u202eevil\u202c",
]


def test_unsafe_yaml_apis_are_absent_from_the_source() -> None:
    unsafe = re.compile(
        r"yaml\.(unsafe_load|full_load|load_all)\(|FullLoader|UnsafeLoader|Loader=yaml\.Loader\b"
    )
    offenders = []
    for path in list((ROOT / "simulator").rglob("*.py")) + list((ROOT / "bench").rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            plain_load = "yaml.load(" in line and "SafeLoader" not in line
            if unsafe.search(line) or plain_load:
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_clean_removes_controls_and_keeps_markup_literally(payload: str) -> None:
    out = clean(payload)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out)
    if payload.startswith("["):
        assert out == payload  # markup look-alikes are text, shown as typed


def test_clean_normalises_and_keeps_newlines_and_tabs() -> None:
    assert clean("e\u0301\tb\r\nc") == "\u00e9\tb\nc"


def test_payloads_in_a_scenario_reach_the_plain_screen_as_inert_text(tmp_path: Path) -> None:
    text = (DATA / "minimal.yaml").read_text(encoding="utf-8")
    hostile = " ".join(p.replace("\\", "") for p in PAYLOADS)
    quoted = '"' + hostile.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
    text = text.replace("client: I don't know where to start.", f"client: {quoted}")
    text = text.replace("  name: Dana Test", f"  name: {quoted}")
    scen = tmp_path / "sc"
    scen.mkdir()
    (scen / "hostile.yaml").write_text(text, encoding="utf-8")
    r = subprocess.run(
        [sys.executable, "-m", "simulator", "play", "minimal", "--plain", "--scenarios", str(scen)],
        input="1\n1\n1\n1\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"INTAKE_SIM_DATA_DIR": str(tmp_path / "d"), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout and "\x9b" not in r.stdout and "\u202e" not in r.stdout
    assert "[bold red]X[/]" in r.stdout and "[@click=app.quit]q[/]" in r.stdout
    assert "]0;title" in r.stdout  # the visible remainder of the escape, inert


def test_validator_output_quoting_hostile_input_is_clean(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\n\x1b[2Jfoo: [unclosed\n", encoding="utf-8")
    r = subprocess.run(
        [sys.executable, "-m", "simulator", "validate", str(bad)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert r.returncode == 1
    assert "\x1b" not in r.stdout + r.stderr
