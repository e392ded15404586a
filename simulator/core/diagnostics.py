"""Coded diagnostics: every problem the loader and validator can report.

Each code is defined once here; `docs/diagnostics.md` documents the same set and a test keeps the
two in step. Errors stop a file from being played; warnings are content advice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    severity: Severity
    title: str


_E, _W = Severity.ERROR, Severity.WARNING

CODES: dict[str, Code] = {
    c.code: c
    for c in (
        # Reading the file (IS0xx)
        Code("IS001", _E, "file cannot be read"),
        Code("IS002", _E, "file is too large"),
        Code("IS003", _E, "file is not valid UTF-8"),
        Code("IS004", _E, "YAML syntax error"),
        Code("IS005", _E, "unsafe or unsupported YAML tag"),
        Code("IS006", _E, "too many aliases (possible alias bomb)"),
        Code("IS007", _E, "too deeply nested"),
        Code("IS008", _E, "duplicate key"),
        Code("IS009", _E, "text value is too long"),
        Code("IS010", _E, "file holds more than one YAML document"),
        Code("IS011", _E, "file is empty"),
        Code("IS012", _E, "mapping key is not text"),
        # Shape of the document (IS1xx)
        Code("IS101", _E, "unknown key"),
        Code("IS102", _E, "required key missing"),
        Code("IS103", _E, "wrong type (quote text values)"),
        Code("IS104", _E, "value out of range"),
        Code("IS105", _E, "invalid value"),
        # Meaning (IS2xx, errors)
        Code("IS201", _E, "duplicate id"),
        Code("IS202", _E, "next points at no node or ending"),
        Code("IS203", _E, "unknown rubric code"),
        Code("IS204", _E, "unknown state variable"),
        Code("IS205", _E, "condition cannot be parsed"),
        Code("IS206", _E, "effect out of range"),
        Code("IS207", _E, "loop with no exit"),
        Code("IS208", _E, "node can be left by no option"),
        Code("IS209", _E, "unknown theme"),
        Code("IS210", _E, "unknown CFI intent"),
        Code("IS211", _E, "start node missing"),
        Code("IS213", _E, "unknown moment reference"),
        # Advice (IS3xx, warnings)
        Code("IS301", _W, "node is unreachable"),
        Code("IS302", _W, "declared state is never used"),
        Code("IS303", _W, "option has no rubric codes"),
        Code("IS304", _W, "negative option has no feedback"),
        Code("IS305", _W, "scenario has no cultural opportunity"),
        Code("IS306", _W, "scenario has no broaching moment"),
        Code("IS307", _W, "maximum score is unreachable"),
        Code("IS308", _W, "ending is unreachable"),
        # Content standard (IS309+, warnings; run on the compiled scenario by content.py)
        Code("IS309", _W, "typical path is shorter than eight decisions"),
        Code("IS310", _W, "fewer than three endings, or an outcome without an ending"),
        Code("IS311", _W, "no rupture with a repair path"),
        Code("IS312", _W, "fewer than five themes can be raised"),
        Code("IS313", _W, "a theme that can become salient has no debrief snippet"),
        Code("IS314", _W, "no option cites a research basis"),
        # Assignment packs (IS4xx, errors; simulator/core/assignment.py)
        Code("IS401", _E, "pack names an unknown scenario"),
        Code("IS402", _E, "scenario listed twice in a pack"),
        Code("IS403", _E, "unknown humility dimension in thresholds"),
        Code("IS404", _E, "threshold out of range"),
        Code("IS405", _E, "due is not a valid date"),
        Code("IS406", _E, "pack lists no scenarios"),
    )
}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem, located in a file (1-based line and column; 0 when unknown)."""

    file: str
    line: int
    col: int
    code: str
    message: str
    path: str = ""

    @property
    def severity(self) -> Severity:
        return CODES[self.code].severity

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def format(self) -> str:
        where = f" (at {self.path})" if self.path else ""
        return f"{self.file}:{self.line}:{self.col}: {self.code} {self.message}{where}"

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "path": self.path,
        }


class LoadError(Exception):
    """Raised when a file cannot be used; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("\n".join(d.format() for d in diagnostics))


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.file, d.line, d.col, d.code)
