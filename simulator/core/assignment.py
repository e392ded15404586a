"""Assignment packs: the work a supervisor sets a cohort, as a small shareable YAML file.

A pack names its cohort, the scenarios to play, the mode, whether typed responses are on, pass
thresholds per humility dimension, a due date and instructions. Packs travel between people like
scenarios do, so they go through the same untrusted-YAML pipeline (`yamlsafe` -> strict model)
and every problem is reported at once as `file:line:col: CODE message`. Pack meaning errors have
their own codes, IS401-IS406 (docs/diagnostics.md).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Collection, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from simulator.core.diagnostics import Diagnostic, LoadError, sort_key
from simulator.core.loading import model_diagnostics, parse_model, read_doc
from simulator.core.models import DIMENSIONS
from simulator.core.yamlsafe import YamlDoc

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
ScenarioId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
SLUG_RULE = "lower-case letters, digits, '_' and '-', starting with a letter or digit"
REQUIRED = ("id", "cohort", "title", "scenarios", "mode")
MAX_SCENARIOS = 100
MAX_INSTRUCTIONS = 5_000
# Packs are a few hundred bytes; a cap far above that keeps a hostile file cheap to refuse.
MAX_PACK_BYTES = 256 * 1024


class Pack(BaseModel):
    """One assignment: what to play, how, and what counts as a pass."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    id: Slug
    cohort: Slug
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    scenarios: list[ScenarioId] = Field(min_length=1, max_length=MAX_SCENARIOS)
    mode: Literal["coach", "assessment"]
    free_text: bool = False
    thresholds: dict[str, int] = Field(default_factory=dict)
    due: _dt.date | None = None
    instructions: Annotated[str, StringConstraints(max_length=MAX_INSTRUCTIONS)] = ""
    version: Annotated[int, Field(ge=1, le=1_000_000)] = 1

    @field_validator("due", mode="before")
    @classmethod
    def _due_date(cls, value: Any) -> Any:
        if isinstance(value, _dt.datetime):
            raise ValueError("due is a date without a time, written YYYY-MM-DD")
        if isinstance(value, str):
            return parse_due(value)
        return value

    @field_validator("scenarios")
    @classmethod
    def _no_duplicates(cls, value: list[str]) -> list[str]:
        repeated = sorted({s for s in value if value.count(s) > 1})
        if repeated:
            raise ValueError(f"scenario listed more than once: {', '.join(repeated)}")
        return value

    @field_validator("thresholds")
    @classmethod
    def _known_dimensions(cls, value: dict[str, int]) -> dict[str, int]:
        for dim, level in value.items():
            if dim not in DIMENSIONS:
                raise ValueError(f"unknown humility dimension '{dim}'; use {', '.join(DIMENSIONS)}")
            if not 0 <= level <= 100:
                raise ValueError(f"threshold for {dim} must be from 0 to 100, not {level}")
        return value

    def verdict(self, humility: Mapping[str, int]) -> tuple[bool, list[str]]:
        """(passed, the dimensions below their threshold); a missing score counts as 0."""
        below = [
            d
            for d in DIMENSIONS
            if d in self.thresholds and humility.get(d, 0) < self.thresholds[d]
        ]
        return (not below, below)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data that `pack_from_json` reads back to an equal pack."""
        return {
            "id": self.id,
            "cohort": self.cohort,
            "title": self.title,
            "scenarios": list(self.scenarios),
            "mode": self.mode,
            "free_text": self.free_text,
            "thresholds": {d: self.thresholds[d] for d in DIMENSIONS if d in self.thresholds},
            "due": None if self.due is None else self.due.isoformat(),
            "instructions": self.instructions,
            "version": self.version,
        }

    def canonical(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    def content_hash(self) -> str:
        """sha256 of the canonical JSON: two packs with one hash set exactly the same work."""
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()


def parse_due(text: str) -> _dt.date:
    try:
        if len(text) != 10:
            raise ValueError(text)
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"due '{text[:40]}' is not a date written YYYY-MM-DD") from None


def pack_from_json(data: Any) -> Pack:
    """A pack from JSON data (as stored, or as carried in a bundle). Raises ValueError."""
    if not isinstance(data, dict):
        raise ValueError("an assignment pack must be a JSON object")
    try:
        return Pack.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "the pack"
        raise ValueError(f"invalid assignment pack ({where}: {first['msg']})") from None


# ---------------------------------------------------------------- loading from YAML


def load_pack(path: Path, known_scenarios: Collection[str] | None = None) -> Pack:
    """Read and check a pack file; raises LoadError with every problem found.

    With `known_scenarios`, scenario ids not among them are reported (IS401).
    """
    doc = read_doc_capped(path)
    return check_pack(doc, known_scenarios)


def read_doc_capped(path: Path) -> YamlDoc:
    from simulator.core.yamlsafe import load_yaml_file

    return load_yaml_file(path, str(path), max_bytes=MAX_PACK_BYTES)


def load_pack_text(
    text: str | bytes, display: str = "<pack>", known_scenarios: Collection[str] | None = None
) -> Pack:
    return check_pack(read_doc(text, display), known_scenarios)


def check_pack(doc: YamlDoc, known_scenarios: Collection[str] | None = None) -> Pack:
    if not isinstance(doc.data, dict):
        parse_model(doc, Pack)  # raises the located "expected a mapping" diagnostic
    meaning = _meaning(doc, known_scenarios)
    covered = {d.path for d in meaning}
    missing = {(d.code, d.message) for d in meaning if d.code == "IS102"}
    shape: list[Diagnostic] = []
    pack: Pack | None = None
    try:
        pack = Pack.model_validate(doc.data)
    except ValidationError as exc:
        for d in model_diagnostics(doc, exc):
            if (d.code, d.message) in missing:
                continue
            if "should match pattern" in d.message:
                d = replace(d, message=f"{d.path} must be a slug: {SLUG_RULE}")
            # Our validators repeat what _meaning located more precisely (with an IS4xx code).
            if d.code in ("IS104", "IS105") and any(
                c == d.path or c.startswith(d.path + ".") or c.startswith(d.path + "[")
                for c in covered
            ):
                continue
            shape.append(d)
    problems = sorted(shape + meaning, key=sort_key)
    if problems or pack is None:
        raise LoadError(problems)
    return pack


def _meaning(doc: YamlDoc, known: Collection[str] | None) -> list[Diagnostic]:
    data: dict[str, Any] = doc.data
    out: list[Diagnostic] = []
    # Reported here because pydantic's location for a missing top-level key is lost among
    # other errors of the same file.
    for key in REQUIRED:
        if key not in data:
            out.append(
                Diagnostic(
                    doc.file, 1, 1, "IS102", f"required key '{key}' is missing in the top level"
                )
            )

    def at(path: tuple[str | int, ...], code: str, message: str, key: bool = False) -> None:
        line, col = doc.locate_key(path) if key else doc.locate(path)
        out.append(Diagnostic(doc.file, line, col, code, message, _dotted(path)))

    scenarios = data.get("scenarios")
    if scenarios == []:
        at(("scenarios",), "IS406", "the pack lists no scenarios; add at least one scenario id")
    if isinstance(scenarios, list):
        first_at: dict[str, int] = {}
        for i, sid in enumerate(scenarios):
            if not isinstance(sid, str):
                continue
            if sid in first_at:
                line = doc.locate(("scenarios", first_at[sid]))[0]
                at(
                    ("scenarios", i),
                    "IS402",
                    f"scenario '{sid}' is listed twice (first at line {line})",
                )
                continue
            first_at[sid] = i
            if known is not None and sid not in known:
                at(("scenarios", i), "IS401", f"unknown scenario '{sid}'{_suggest(sid, known)}")
    thresholds = data.get("thresholds")
    if isinstance(thresholds, dict):
        for dim, level in thresholds.items():
            if dim not in DIMENSIONS:
                at(
                    ("thresholds", dim),
                    "IS403",
                    f"unknown humility dimension '{dim}'; the dimensions are {', '.join(DIMENSIONS)}",
                    key=True,
                )
            elif isinstance(level, int) and not isinstance(level, bool) and not 0 <= level <= 100:
                at(
                    ("thresholds", dim),
                    "IS404",
                    f"threshold {level} for {dim} is out of range; thresholds are 0 to 100",
                )
    due = data.get("due")
    if due is not None and not isinstance(due, str | _dt.date):
        at(("due",), "IS405", "due must be a date written YYYY-MM-DD (e.g. 2026-05-01)")
    elif isinstance(due, _dt.datetime):
        at(("due",), "IS405", "due has a time of day; write the date alone as YYYY-MM-DD")
    elif isinstance(due, str):
        try:
            parse_due(due)
        except ValueError as exc:
            at(("due",), "IS405", str(exc))
    return out


def _suggest(sid: str, known: Collection[str]) -> str:
    import difflib

    close = difflib.get_close_matches(sid, list(known), n=1)
    return f"; did you mean '{close[0]}'?" if close else "; see `intake-sim list`"


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


# ---------------------------------------------------------------- writing


class _PackDumper(yaml.SafeDumper):
    """Safe dumping, with multi-line text as a literal block that reads like the original."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_PackDumper.add_representer(str, _text)


def _dump(data: dict[str, Any]) -> str:
    return yaml.dump(
        data, Dumper=_PackDumper, sort_keys=False, allow_unicode=True, width=100
    ).rstrip()


def pack_to_yaml(pack: Pack) -> str:
    """The pack as a YAML file that reads top to bottom and loads back to an equal pack."""
    data = pack.to_json()
    lines = [
        "# intake-sim assignment pack. Check it with: intake-sim assign validate FILE",
        _dump({k: data[k] for k in ("id", "cohort", "title", "mode", "free_text")}),
        _dump({"scenarios": data["scenarios"]}),
        "# Pass marks per humility dimension, 0-100 (asking, listening, addressing_difference,",
        "# avoiding_assumptions, sharing_power). A completed session passes when every listed",
        "# dimension is at or above its mark.",
        _dump({"thresholds": data["thresholds"]}) if data["thresholds"] else "thresholds: {}",
    ]
    if data["due"] is not None:
        lines.append(f"due: {data['due']}")
    lines.append(_dump({"instructions": data["instructions"], "version": data["version"]}))
    return "\n".join(lines) + "\n"


__all__ = [
    "MAX_PACK_BYTES",
    "Pack",
    "check_pack",
    "load_pack",
    "load_pack_text",
    "pack_from_json",
    "pack_to_yaml",
    "parse_due",
]
