"""JSON Schema of the authored formats, for editors (docs/schema/*.json are generated from this)."""

from __future__ import annotations

from typing import Any

from simulator.core.models import Rubric, Scenario


def scenario_schema() -> dict[str, Any]:
    schema = Scenario.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "intake-sim scenario"
    return schema


def rubric_schema() -> dict[str, Any]:
    schema = Rubric.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "intake-sim rubric"
    return schema
