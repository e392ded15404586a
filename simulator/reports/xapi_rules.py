"""The xAPI 1.0.3 statement rules this project relies on, checked without a network.

`problems(statement)` lists every rule a statement breaks, each as "path: what is wrong";
an empty list means the statement passes. The rules follow the xAPI 1.0.3 specification
(Data section 2.4); two project policies are added and marked as such: actors must be
pseudonymous accounts (no e-mail address or OpenID), and verbs carry a display.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

STATEMENT_KEYS = {
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
    "attachments",
}
AGENT_KEYS = {"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"}
IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
VERB_KEYS = {"id", "display"}
ACTIVITY_KEYS = {"objectType", "id", "definition"}
DEFINITION_KEYS = {
    "name",
    "description",
    "type",
    "moreInfo",
    "extensions",
    "interactionType",
    "correctResponsesPattern",
    "choices",
    "scale",
    "source",
    "target",
    "steps",
}
INTERACTION_TYPES = {
    "true-false",
    "choice",
    "fill-in",
    "long-fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
    "other",
}
# Which interaction component lists each interaction type may carry.
COMPONENTS = {
    "choice": {"choices"},
    "sequencing": {"choices"},
    "likert": {"scale"},
    "matching": {"source", "target"},
    "performance": {"steps"},
}
RESULT_KEYS = {"score", "success", "completion", "response", "duration", "extensions"}
SCORE_KEYS = {"scaled", "raw", "min", "max"}
CONTEXT_KEYS = {
    "registration",
    "instructor",
    "team",
    "contextActivities",
    "revision",
    "platform",
    "language",
    "statement",
    "extensions",
}
CONTEXT_ACTIVITY_KEYS = {"parent", "grouping", "category", "other"}

UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
)
# An absolute IRI: a scheme, a colon, then no whitespace or characters IRIs exclude.
IRI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+$")
IRL_RE = re.compile(r"^https?://[^\s<>\"{}|\\^`/]+(/[^\s<>\"{}|\\^`]*)?$")
LANG_RE = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
DURATION_RE = re.compile(
    r"^P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
    r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$"
)
VERSION_RE = re.compile(r"^1\.0(\.\d+)?$")
SHA1_RE = re.compile(r"^[0-9a-f]{40}$")


class _Check:
    def __init__(self) -> None:
        self.found: list[str] = []

    def bad(self, path: str, what: str) -> None:
        self.found.append(f"{path}: {what}")

    def mapping(self, value: Any, path: str) -> bool:
        if not isinstance(value, Mapping):
            self.bad(path, "must be an object")
            return False
        return True

    def keys(self, value: Mapping[str, Any], allowed: set[str], path: str) -> None:
        for key in sorted(set(value) - allowed):
            self.bad(f"{path}.{key}", "is not a property xAPI 1.0.3 defines here")

    def required(self, value: Mapping[str, Any], key: str, path: str) -> bool:
        if key not in value:
            self.bad(f"{path}.{key}", "is required")
            return False
        return True

    def string(self, value: Any, path: str) -> bool:
        if not isinstance(value, str):
            self.bad(path, "must be a string")
            return False
        return True

    def iri(self, value: Any, path: str) -> None:
        if self.string(value, path) and not IRI_RE.match(value):
            self.bad(path, f"must be an absolute IRI, not {value!r}")

    def irl(self, value: Any, path: str) -> None:
        if self.string(value, path) and not IRL_RE.match(value):
            self.bad(path, f"must be a resolvable http(s) IRL, not {value!r}")

    def uuid(self, value: Any, path: str) -> None:
        if self.string(value, path) and not UUID_RE.match(value):
            self.bad(path, f"must be a UUID (RFC 4122), not {value!r}")

    def boolean(self, value: Any, path: str) -> None:
        if not isinstance(value, bool):
            self.bad(path, "must be true or false")

    def number(self, value: Any, path: str) -> bool:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.bad(path, "must be a finite number")
            return False
        return True

    def language_map(self, value: Any, path: str) -> None:
        if not self.mapping(value, path):
            return
        if not value:
            self.bad(path, "must hold at least one language")
        for tag, text in value.items():
            if not isinstance(tag, str) or not LANG_RE.match(tag):
                self.bad(f"{path}.{tag}", "is not an RFC 5646 language tag")
            if not isinstance(text, str):
                self.bad(f"{path}.{tag}", "must be a string")

    def extensions(self, value: Any, path: str) -> None:
        if not self.mapping(value, path):
            return
        for key in value:
            if not isinstance(key, str) or not IRI_RE.match(key):
                self.bad(f"{path}", f"key {key!r} must be an absolute IRI")

    def timestamp(self, value: Any, path: str) -> None:
        if not self.string(value, path):
            return
        if not TIMESTAMP_RE.match(value):
            self.bad(path, f"must be an ISO 8601 date and time with a time zone, not {value!r}")
            return
        if value.endswith("-00:00"):
            self.bad(path, "the offset -00:00 is not allowed")
            return
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            self.bad(path, f"is not a real date and time: {value!r}")


def problems(statement: Any, *, pseudonymous: bool = True) -> list[str]:
    """Every xAPI 1.0.3 rule the statement breaks ("path: what"); empty when it passes."""
    c = _Check()
    if not c.mapping(statement, "statement"):
        return c.found
    c.keys(statement, STATEMENT_KEYS, "statement")
    _no_nulls(c, statement, "statement")
    if "id" in statement:
        c.uuid(statement["id"], "statement.id")
    for key in ("actor", "verb", "object"):
        c.required(statement, key, "statement")
    if "actor" in statement:
        _agent(c, statement["actor"], "statement.actor", pseudonymous=pseudonymous)
    if "verb" in statement:
        _verb(c, statement["verb"], "statement.verb")
    obj = statement.get("object")
    if obj is not None:
        _object(c, obj, "statement.object")
    if "result" in statement:
        _result(c, statement["result"], "statement.result")
    if "context" in statement:
        _context(c, statement["context"], obj, "statement.context", pseudonymous)
    if "timestamp" in statement:
        c.timestamp(statement["timestamp"], "statement.timestamp")
    if "stored" in statement:
        c.timestamp(statement["stored"], "statement.stored")
    if "version" in statement and (
        c.string(statement["version"], "statement.version")
        and not VERSION_RE.match(statement["version"])
    ):
        c.bad("statement.version", f"must be 1.0.x, not {statement['version']!r}")
    return c.found


def _no_nulls(c: _Check, value: Any, path: str) -> None:
    """xAPI forbids null values (extension values are the extension's own business)."""
    if value is None:
        c.bad(path, "must not be null")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if key != "extensions":
                _no_nulls(c, item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _no_nulls(c, item, f"{path}[{i}]")


def _agent(c: _Check, actor: Any, path: str, *, pseudonymous: bool) -> None:
    if not c.mapping(actor, path):
        return
    kind = actor.get("objectType", "Agent")
    if kind != "Agent":
        c.bad(f"{path}.objectType", f"must be 'Agent' here, not {kind!r}")
        return
    c.keys(actor, AGENT_KEYS, path)
    ifis = [k for k in IFIS if k in actor]
    if len(ifis) != 1:
        c.bad(path, f"an Agent needs exactly one identifier (IFI), found {len(ifis)}")
    if "name" in actor:
        c.string(actor["name"], f"{path}.name")
    if (
        "mbox" in actor
        and c.string(actor["mbox"], f"{path}.mbox")
        and not actor["mbox"].startswith("mailto:")
    ):
        c.bad(f"{path}.mbox", "must be a mailto: IRI")
    if (
        "mbox_sha1sum" in actor
        and c.string(actor["mbox_sha1sum"], f"{path}.mbox_sha1sum")
        and not SHA1_RE.match(actor["mbox_sha1sum"])
    ):
        c.bad(f"{path}.mbox_sha1sum", "must be a lower-case hex SHA-1")
    if "openid" in actor:
        c.iri(actor["openid"], f"{path}.openid")
    if "account" in actor:
        account = actor["account"]
        if c.mapping(account, f"{path}.account"):
            c.keys(account, {"homePage", "name"}, f"{path}.account")
            if c.required(account, "homePage", f"{path}.account"):
                c.irl(account["homePage"], f"{path}.account.homePage")
            if (
                c.required(account, "name", f"{path}.account")
                and c.string(account["name"], f"{path}.account.name")
                and not account["name"]
            ):
                c.bad(f"{path}.account.name", "must not be empty")
    if pseudonymous and ifis and ifis != ["account"]:
        c.bad(path, "project policy: actors are pseudonymous accounts, not " + ", ".join(ifis))


def _verb(c: _Check, verb: Any, path: str) -> None:
    if not c.mapping(verb, path):
        return
    c.keys(verb, VERB_KEYS, path)
    if c.required(verb, "id", path):
        c.iri(verb["id"], f"{path}.id")
    # The display is optional in xAPI; this project always sends one (project policy).
    if c.required(verb, "display", path):
        c.language_map(verb["display"], f"{path}.display")


def _activity(c: _Check, activity: Any, path: str, *, need_definition: bool) -> None:
    if not c.mapping(activity, path):
        return
    if activity.get("objectType", "Activity") != "Activity":
        c.bad(f"{path}.objectType", f"must be 'Activity', not {activity.get('objectType')!r}")
        return
    c.keys(activity, ACTIVITY_KEYS, path)
    if c.required(activity, "id", path):
        c.iri(activity["id"], f"{path}.id")
    if "definition" in activity:
        _definition(c, activity["definition"], f"{path}.definition")
    elif need_definition:
        c.bad(f"{path}.definition", "is required (project policy: activities describe themselves)")


def _definition(c: _Check, d: Any, path: str) -> None:
    if not c.mapping(d, path):
        return
    c.keys(d, DEFINITION_KEYS, path)
    for key in ("name", "description"):
        if key in d:
            c.language_map(d[key], f"{path}.{key}")
    if "type" in d:
        c.iri(d["type"], f"{path}.type")
    if "moreInfo" in d:
        c.irl(d["moreInfo"], f"{path}.moreInfo")
    if "extensions" in d:
        c.extensions(d["extensions"], f"{path}.extensions")
    kind = d.get("interactionType")
    if kind is not None and kind not in INTERACTION_TYPES:
        c.bad(f"{path}.interactionType", f"{kind!r} is not an xAPI interaction type")
    allowed = COMPONENTS.get(kind, set()) if isinstance(kind, str) else set()
    for key in ("choices", "scale", "source", "target", "steps"):
        if key in d and key not in allowed:
            c.bad(f"{path}.{key}", f"is not allowed with interactionType {kind!r}")
    if "correctResponsesPattern" in d:
        if kind is None:
            c.bad(f"{path}.correctResponsesPattern", "needs an interactionType")
        crp = d["correctResponsesPattern"]
        if not isinstance(crp, list) or not all(isinstance(x, str) for x in crp):
            c.bad(f"{path}.correctResponsesPattern", "must be a list of strings")


def _object(c: _Check, obj: Any, path: str) -> None:
    if not c.mapping(obj, path):
        return
    kind = obj.get("objectType", "Activity")
    if kind != "Activity":
        c.bad(f"{path}.objectType", f"this project's statements are about Activities, not {kind!r}")
        return
    _activity(c, obj, path, need_definition=True)


def _result(c: _Check, result: Any, path: str) -> None:
    if not c.mapping(result, path):
        return
    c.keys(result, RESULT_KEYS, path)
    if "score" in result:
        _score(c, result["score"], f"{path}.score")
    for key in ("success", "completion"):
        if key in result:
            c.boolean(result[key], f"{path}.{key}")
    if "response" in result:
        c.string(result["response"], f"{path}.response")
    if (
        "duration" in result
        and c.string(result["duration"], f"{path}.duration")
        and not DURATION_RE.match(result["duration"])
    ):
        c.bad(f"{path}.duration", f"must be an ISO 8601 duration, not {result['duration']!r}")
    if "extensions" in result:
        c.extensions(result["extensions"], f"{path}.extensions")


def _score(c: _Check, score: Any, path: str) -> None:
    if not c.mapping(score, path):
        return
    c.keys(score, SCORE_KEYS, path)
    nums = {k: score[k] for k in SCORE_KEYS if k in score and c.number(score[k], f"{path}.{k}")}
    if "scaled" in nums and not -1 <= nums["scaled"] <= 1:
        c.bad(f"{path}.scaled", f"must be between -1 and 1, not {nums['scaled']}")
    low, high = nums.get("min"), nums.get("max")
    if low is not None and high is not None and not low < high:
        c.bad(path, f"min ({low}) must be less than max ({high})")
    if "raw" in nums:
        if low is not None and nums["raw"] < low:
            c.bad(f"{path}.raw", f"{nums['raw']} is below min {low}")
        if high is not None and nums["raw"] > high:
            c.bad(f"{path}.raw", f"{nums['raw']} is above max {high}")


def _context(c: _Check, context: Any, obj: Any, path: str, pseudonymous: bool) -> None:
    if not c.mapping(context, path):
        return
    c.keys(context, CONTEXT_KEYS, path)
    if "registration" in context:
        c.uuid(context["registration"], f"{path}.registration")
    if "instructor" in context:
        _agent(c, context["instructor"], f"{path}.instructor", pseudonymous=pseudonymous)
    for key in ("revision", "platform"):
        if key in context:
            c.string(context[key], f"{path}.{key}")
            if isinstance(obj, Mapping) and obj.get("objectType", "Activity") != "Activity":
                c.bad(f"{path}.{key}", "is only allowed when the object is an Activity")
    if (
        "language" in context
        and c.string(context["language"], f"{path}.language")
        and not LANG_RE.match(context["language"])
    ):
        c.bad(f"{path}.language", "is not an RFC 5646 language tag")
    if "statement" in context:
        ref = context["statement"]
        if c.mapping(ref, f"{path}.statement"):
            if ref.get("objectType") != "StatementRef":
                c.bad(f"{path}.statement.objectType", "must be 'StatementRef'")
            if c.required(ref, "id", f"{path}.statement"):
                c.uuid(ref["id"], f"{path}.statement.id")
    if "contextActivities" in context:
        ca = context["contextActivities"]
        if c.mapping(ca, f"{path}.contextActivities"):
            c.keys(ca, CONTEXT_ACTIVITY_KEYS, f"{path}.contextActivities")
            for key, items in ca.items():
                where = f"{path}.contextActivities.{key}"
                # A single object is tolerated by LRSs but 1.0.3 says to send lists.
                if not isinstance(items, list):
                    c.bad(where, "must be a list of Activities")
                    continue
                for i, item in enumerate(items):
                    _activity(c, item, f"{where}[{i}]", need_definition=False)
    if "extensions" in context:
        c.extensions(context["extensions"], f"{path}.extensions")
