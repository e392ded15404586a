"""The help screen (F1) names every key the trainee and supervisor screens bind."""

from __future__ import annotations

import importlib

import pytest

from simulator.tui.screens.help import HELP

SCREENS = [
    ("simulator.tui.app", "IntakeApp"),
    ("simulator.tui.screens.library", "LibraryScreen"),
    ("simulator.tui.screens.play", "PlayScreen"),
    ("simulator.tui.screens.debrief", "DebriefScreen"),
    ("simulator.tui.screens.history", "HistoryScreen"),
    ("simulator.tui.screens.typed_choice", "TypedChoiceScreen"),
    ("simulator.tui.screens.selfreport", "SelfReportScreen"),
    ("simulator.tui.screens.cohort", "CohortScreen"),
    ("simulator.tui.screens.compare", "CompareScreen"),
    ("simulator.tui.screens.rewind", "RewindScreen"),
    ("simulator.tui.screens.cohort", "HeatmapScreen"),
]
SPOKEN = {"slash": "/", "escape": "Esc", "enter": "Enter", "space": "Space"}


def _as_written(key: str) -> str:
    if key.startswith("ctrl+"):
        return "Ctrl+" + key[5:].upper()
    if key.startswith("f") and key[1:].isdigit():
        return key.upper()
    return SPOKEN.get(key, key)


def _keys(module: str, name: str) -> list[str]:
    cls = getattr(importlib.import_module(module), name)
    keys = []
    for binding in cls.BINDINGS:
        for key in binding.key.split(","):
            if not key.isdigit():  # 1-9 are listed as a range
                keys.append(key)
    return keys


@pytest.mark.parametrize(("module", "name"), SCREENS)
def test_help_lists_every_key(module: str, name: str) -> None:
    words = set(HELP.replace("   ", " ").split())
    missing = [k for k in _keys(module, name) if _as_written(k) not in words]
    assert not missing, f"{name}: keys not in the help screen: {missing}"
