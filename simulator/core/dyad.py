"""Concordant or discordant: does the trainee share the client's identity on the facets that matter?

The facets compared are the scenario's `therapist.concordance` (ethnicity unless the author says
otherwise). For each, the trainee's own self-described facet is used if they gave one, else the
role's default identity. Values are compared on their leading term, so "Ashkenazi (parents came
from Romania)" and "ashkenazi" agree. Identity is used for nothing else: never in a score.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from simulator.core.models import Scenario

Dyad = Literal["concordant", "discordant"]
_LEAD = re.compile(r"[(,;]")


def _lead(value: str) -> str:
    return " ".join(_LEAD.split(value, maxsplit=1)[0].lower().split())


def dyad_for(scenario: Scenario, trainee_facets: Mapping[str, str] | None = None) -> Dyad | None:
    """None when no facet can be compared (the client or therapist lacks every one)."""
    own = {k.lower(): v for k, v in (trainee_facets or {}).items() if v.strip()}
    compared = 0
    for facet in scenario.therapist.concordance:
        client = scenario.client.identity.get(facet)
        therapist = own.get(facet, scenario.therapist.identity.get(facet))
        if client is None or therapist is None:
            continue
        compared += 1
        if _lead(client) != _lead(therapist):
            return "discordant"
    return "concordant" if compared else None
