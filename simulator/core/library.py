"""Finding, loading and validating scenario and rubric files.

A broken scenario never stops the library: it is listed with its diagnostics instead.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from simulator.core.compiled import CompiledRubric, CompiledScenario, compile_scenario
from simulator.core.content import check_content
from simulator.core.diagnostics import Diagnostic, LoadError, sort_key
from simulator.core.loading import parse_model, read_doc
from simulator.core.models import Rubric, Scenario
from simulator.core.validate import check_rubric, check_scenario

YAML_SUFFIXES = (".yaml", ".yml")


def bundled_scenarios_dir() -> Path:
    return Path(str(importlib.resources.files("simulator.scenarios")))


def bundled_rubric_path() -> Path:
    return Path(str(importlib.resources.files("simulator.rubrics"))) / "core.yaml"


@dataclass(frozen=True)
class FileResult:
    """The outcome of validating one file: the compiled scenario if usable, and all findings."""

    path: Path
    display: str
    scenario: CompiledScenario | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def ok(self) -> bool:
        return self.scenario is not None


def load_rubric(path: Path | None = None) -> CompiledRubric:
    """Load and check a rubric; raises LoadError with every problem if it is unusable."""
    path = path or bundled_rubric_path()
    doc = read_doc(path, _display(path))
    rubric = parse_model(doc, Rubric)
    problems = check_rubric(rubric, doc)
    if any(d.is_error for d in problems):
        raise LoadError(sorted(problems, key=sort_key))
    return CompiledRubric.build(rubric)


def load_scenario(
    source: Path | bytes | str, rubric: CompiledRubric, display: str | None = None
) -> FileResult:
    path = source if isinstance(source, Path) else Path(display or "<text>")
    shown = display or (_display(source) if isinstance(source, Path) else "<text>")
    try:
        doc = read_doc(source, shown)
        scenario = parse_model(doc, Scenario)
    except LoadError as exc:
        return FileResult(path, shown, None, list(exc.diagnostics))
    problems = sorted(check_scenario(scenario, rubric.model, doc), key=sort_key)
    if any(d.is_error for d in problems):
        return FileResult(path, shown, None, problems)
    compiled = compile_scenario(scenario, rubric, doc.sha256, shown)
    # Content standard (IS309+): what the scenario does when played, so on the compiled form.
    content = check_content(compiled, doc)
    if content:
        problems = sorted(problems + content, key=sort_key)
    return FileResult(path, shown, compiled, problems)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given; directories expanded to their YAML files, sorted."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.iterdir() if q.suffix in YAML_SUFFIXES and q.is_file()))
        else:
            out.append(p)
    return out


@dataclass(frozen=True)
class Library:
    rubric: CompiledRubric
    results: list[FileResult]

    @property
    def scenarios(self) -> list[CompiledScenario]:
        return [r.scenario for r in self.results if r.scenario is not None]

    @property
    def invalid(self) -> list[FileResult]:
        return [r for r in self.results if r.scenario is None]

    def get(self, scenario_id: str) -> CompiledScenario | None:
        for s in self.scenarios:
            if s.id == scenario_id:
                return s
        return None


def load_library(
    extra: Sequence[Path] = (), rubric: CompiledRubric | None = None, *, bundled: bool = True
) -> Library:
    rubric = rubric or load_rubric()
    dirs = ([bundled_scenarios_dir()] if bundled else []) + list(extra)
    results = [load_scenario(p, rubric) for p in expand_paths(dirs)]
    # Two files claiming one id: the first wins; the second is reported, not silently hidden.
    seen: dict[str, FileResult] = {}
    final: list[FileResult] = []
    for res in results:
        if res.scenario is not None and res.scenario.id in seen:
            first = seen[res.scenario.id]
            diag = Diagnostic(
                res.display,
                1,
                1,
                "IS201",
                f"scenario id '{res.scenario.id}' is already used by {first.display}",
            )
            final.append(FileResult(res.path, res.display, None, [diag, *res.diagnostics]))
            continue
        if res.scenario is not None:
            seen[res.scenario.id] = res
        final.append(res)
    return Library(rubric, final)
