from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator.core.compiled import CompiledRubric, CompiledScenario
from simulator.core.library import FileResult, load_rubric, load_scenario

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="session")
def rubric() -> CompiledRubric:
    return load_rubric()


@pytest.fixture(scope="session")
def minimal_text() -> str:
    return (DATA / "minimal.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def minimal(rubric: CompiledRubric, minimal_text: str) -> CompiledScenario:
    res = load_scenario(minimal_text.encode(), rubric, "minimal.yaml")
    assert res.scenario is not None, [d.format() for d in res.diagnostics]
    return res.scenario


def load_text(text: str, rubric: CompiledRubric, name: str = "test.yaml") -> FileResult:
    return load_scenario(text.encode("utf-8"), rubric, name)


def mutate(text: str, fn) -> str:  # type: ignore[no-untyped-def]
    """Parse the minimal scenario, let `fn` edit the data, dump it back as YAML."""
    data = yaml.safe_load(text)
    fn(data)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def codes_of(result: FileResult) -> list[str]:
    return [d.code for d in result.diagnostics]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium for the browser tests (skipped, or failed under CI, without one)."""
    from tests.browser import chromium

    with chromium() as b:
        yield b
