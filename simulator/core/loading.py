"""From untrusted YAML to typed models, with every problem located as `file:line:col`.

Pipeline: `yamlsafe` (size, depth, alias, tag and duplicate-key checks) -> strict pydantic model ->
meaning-level checks (`validate.py`). All diagnostics of a file are gathered in one run.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from simulator.core.diagnostics import Diagnostic, LoadError, sort_key
from simulator.core.yamlsafe import YamlDoc, load_yaml, load_yaml_file

M = TypeVar("M", bound=BaseModel)
PathT = tuple[str | int, ...]

_TYPE_ERRORS = {
    "string_type",
    "int_type",
    "float_type",
    "bool_type",
    "list_type",
    "dict_type",
    "model_type",
    "model_attributes_type",
    "int_from_float",
    "literal_error_type",
}
_RANGE_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the yes/no value {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, _dt.date):
        return f"the date {value.isoformat()}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "text"


def _expected(err_type: str) -> str:
    return {
        "string_type": "text",
        "int_type": "a whole number",
        "int_from_float": "a whole number",
        "float_type": "a number",
        "bool_type": "true or false",
        "list_type": "a list",
        "dict_type": "a mapping",
        "model_type": "a mapping",
        "model_attributes_type": "a mapping",
    }.get(err_type, "another type")


def _data_path(data: Any, loc: Sequence[str | int]) -> tuple[PathT, bool]:
    """Follow a pydantic error location through the data; drop union-branch labels.

    Returns the path that exists in the data and whether labels were skipped (a union branch).
    """
    path: list[str | int] = []
    node: Any = data
    skipped = False
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node = node[part]
            path.append(part)
        else:
            skipped = True
    return tuple(path), skipped


def _dotted(path: Sequence[str | int]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _value_at(data: Any, path: PathT) -> Any:
    node = data
    for p in path:
        node = node[p]
    return node


def model_diagnostics(doc: YamlDoc, exc: ValidationError) -> list[Diagnostic]:
    raw: list[tuple[PathT, bool, Diagnostic]] = []
    for err in exc.errors(include_url=False):
        loc = err["loc"]
        etype = err["type"]
        path, in_union = _data_path(doc.data, loc)
        if etype == "extra_forbidden":
            key = loc[-1]
            line, col = doc.locate_key((*path, key) if key not in path[-1:] else path)
            msg = f"unknown key '{key}'"
            parent = path[:-1] if path[-1:] == (key,) else path
            diag = Diagnostic(doc.file, line, col, "IS101", msg, _dotted(parent))
        elif etype == "missing":
            line, col = doc.locate(path)
            where = _dotted(path) or "the top level"
            msg = f"required key '{loc[-1]}' is missing in {where}"
            diag = Diagnostic(doc.file, line, col, "IS102", msg, _dotted(path))
        elif etype in _TYPE_ERRORS:
            line, col = doc.locate(path)
            found = _describe(_value_at(doc.data, path))
            want = _expected(etype)
            msg = f"expected {want}, found {found}"
            if want == "text" and found != "text":
                msg += "; put the value in quotes if it is meant as text"
            diag = Diagnostic(doc.file, line, col, "IS103", msg, _dotted(path))
        elif etype in _RANGE_ERRORS:
            line, col = doc.locate(path)
            diag = Diagnostic(doc.file, line, col, "IS104", err["msg"].lower(), _dotted(path))
        else:
            line, col = doc.locate(path)
            msg = err["msg"]
            if etype == "string_pattern_mismatch" and "[a-z]" in str(err.get("ctx", "")):
                msg = "ids use lower-case letters, digits, '_' and '-', starting with a letter"
            elif msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            diag = Diagnostic(doc.file, line, col, "IS105", msg, _dotted(path))
        raw.append((path, in_union, diag))
    # Union types report one error per branch; keep the most specific, drop the branch noise.
    out: list[Diagnostic] = []
    seen: set[tuple[PathT, str]] = set()
    for path, in_union, diag in raw:
        if in_union and any(
            p != path and p[: len(path)] == path for p, _, _ in raw if len(p) > len(path)
        ):
            continue
        seen_key = (path, diag.code)
        if seen_key in seen:
            continue
        seen.add(seen_key)
        out.append(diag)
    return out


def parse_model(doc: YamlDoc, model: type[M]) -> M:
    if not isinstance(doc.data, dict):
        raise LoadError(
            [
                Diagnostic(
                    doc.file,
                    1,
                    1,
                    "IS103",
                    f"expected a mapping at the top level, found {_describe(doc.data)}",
                )
            ]
        )
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise LoadError(sorted(model_diagnostics(doc, exc), key=sort_key)) from None


def read_doc(source: Path | bytes | str, display: str | None = None) -> YamlDoc:
    if isinstance(source, Path):
        return load_yaml_file(source, display)
    return load_yaml(source, display or "<text>")
