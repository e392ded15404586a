"""Synthetic but realistic scenario files for the benchmarks.

Every file is written the way an author writes one (folded `>-` blocks wrapped near 100 columns,
flow lists for codes, comments, quoted `cfi:` labels) and is built to be valid against the given
rubric with no errors and no warnings: every node reachable, every ending reached, conditions on
client lines, options and `next`, `cfi:<intent>` codes, effects with reasons, feedback on every
negatively coded option, an opportunity and a broaching node, and a debrief with all eight themes.

Generation is deterministic: file `i` of seed `s` is always the same text.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from simulator.core.compiled import CFI_PREFIX, CompiledRubric
from simulator.core.models import DIMENSIONS, THEMES

WIDTH = 100  # authors wrap at the project's line length
CUSTOM_STATE = ("asked_family", "heard_hopes", "named_difference")
ENDINGS = (
    ("returns", "positive", "She books the next appointment herself"),
    ("unsure", "mixed", "He takes the appointment card, undecided"),
    ("no_return", "negative", "They do not come back"),
    ("walks_out", "negative", "The client leaves before the end"),
)

# Sentence pools. Real scenarios mix plain prose with apostrophes, quotes, dashes and the odd
# non-ASCII letter; so do these.
CLIENT = (
    "I don't sleep much since the factory closed, three hours, maybe four on a good night.",
    "My doctor says it's nerves, but nobody asked me what I think it is.",
    "At home we don't talk about these things; my mother would say you keep it inside.",
    "Since my husband lost his job he sits in front of the news all day and says nothing.",
    "I came because my daughter made the appointment, not because I believe in this.",
    "The last clinic gave me a paper and a number, and the woman never once looked up at me.",
    "In our community people would say a family like ours should sort it out alone.",
    "My chest gets tight in the mornings, like somebody is sitting on it before I even get up.",
    "I work nights at the warehouse, so coming here at ten means I haven't slept at all.",
    "My brother says it's weakness. My aunt says it's the evil eye. I don't know anymore.",
    "When I speak English I feel slower than I am, and people treat me like I'm slow.",
    "I pray, I go to the mosque on Fridays; that helps, more than the tablets did.",
    "My son translates for me at the GP, so I never say everything I want to say.",
    "You're young. Do you have children? It's different when you have children.",
    "Honestly? I thought you would tell me to stop worrying and send me home.",
    "It started after the move, when we left my parents behind in Bucureşti.",
    "At work they call me 'the quiet one', but at home I am shouting all the time.",
    "We waited nine hours in the emergency room last winter and nobody explained anything.",
    "I don't want pills. My cousin took them and she was like a ghost for a year.",
    "Some days I can't get out of the car in the car park; I just sit there.",
)
THERAPIST = (
    "It sounds like the nights have become the hardest part, and you've been carrying it alone.",
    "What do you make of what's been happening to you, in your own words?",
    "How would your family describe what you're going through, if they were here?",
    "I grew up somewhere quite different from you, and I may miss things; will you tell me?",
    "Before I ask more, what would you want to get out of today, if it went well?",
    "What has helped you get through the worst days so far, even a little?",
    "You've kept the whole house going for months, and that takes a lot of strength.",
    "Is there anything about your background that you think I should understand here?",
    "Some people tell me talking to someone like me feels strange at first; how is it for you?",
    "We can decide together what happens next; nothing is fixed yet.",
    "Would it help if I explained how the clinic works and what the waiting list looks like?",
    "I jumped ahead just now. Can we go back to what you were saying about your mother?",
    "In families like yours, the mother usually holds everything together, doesn't she?",
    "Don't worry, everyone feels like that at first; it's a routine intake.",
    "Let's start with the details: date of birth, address and who referred you.",
    "I really think you need to see the psychiatrist about the sleep first.",
    "If you don't open up with me, it'll be hard for me to help you.",
    "That isn't really something we work with here; let's focus on the symptoms.",
    "You mentioned the mosque. What part does your faith play when things are this hard?",
    "It's your choice what we do with this; I'll tell you what's on offer and you decide.",
)
FEEDBACK = (
    "Reassurance came before you knew what the client was unsure about.",
    "Owning the misstep, without defending it, is how ruptures get repaired.",
    "The client offered an explanation half-joking, testing whether you would take it seriously.",
    "A suggestion phrased as a question is still advice; you don't yet know what it would cost.",
    "Keeping the focus on the client is usually right, but here the question was about you.",
    "Naming the difference out loud gives the client a way to say what they were holding back.",
    "The treatment may be sound, but a plan made for the client, not with them, disappoints.",
    "Clients in the study described pulling away from therapists who seemed to judge them.",
    "An open question lets the client choose what matters and in which words.",
    '"Families like yours" puts the client in a category before they\'ve told you anything.',
    "Leading with the form confirms the fear that this is another office that processes people.",
    "Reflecting the feeling under the words tells the client you are following them.",
)
CUES = (
    "She presses her palm flat against her breastbone as she speaks.",
    "He glances at the diploma on the wall, then down at his hands.",
    "Their arms fold over the bag; the answers from here are shorter.",
    "She half laughs, watching to see how you take it.",
    "He takes his phone out, checks it, and puts it face down on the desk.",
    "Her voice softens, and for the first time she looks straight at you.",
    "He leans back in the chair and looks at the door.",
    "She counts the people on her fingers, then lets her hand drop.",
)
NAMES = (
    "Shula Azoulay",
    "Amir Haddad",
    "Zoë Okafor",
    "Dmitri Volkov",
    "Mariam Nasser",
    "Ngozi Eze",
    "Tomás Ruiz",
    "Aiko Tanaka",
    "Kwame Mensah",
    "Leila Farouk",
)
CITES = (
    "3407CL",
    "4412CL",
    "2247CL",
    "2124CL",
    "2205PR",
    "2191PR",
    "4404CL",
    "power-layers",
    "cfi-ask-relationship",
    "delay-reinforces-mistrust",
    "avoid-preference-assumptions",
)

# Codes that credit each humility dimension in the core rubric, checked against the rubric used.
_DIMENSION_CODES = {
    "asking": "question_open",
    "listening": "reflection_complex",
    "addressing_difference": "broach_relationship",
    "avoiding_assumptions": "admit_limits",
    "sharing_power": "seek_collaboration",
}
# Half the files mention "A&E": prose with an '&' is common, and the loader treats it specially.
SETTINGS = (
    "Community mental-health clinic; a free first intake, no referral needed",
    "Community mental-health clinic next to the A&E department; a free first intake",
)
CONDITIONS = (
    "trust >= 40",
    "not asked_family",
    "heard_hopes or named_difference",
    "bond >= 50 and trust >= 35",
    "goal < 45 or (task >= 42 and not named_difference)",
    "trust >= 36 and bond > 45",
)
_resolve = Resolver().resolve
_STR = "tag:yaml.org,2002:str"
_PLAIN_OK = re.compile(r"^[A-Za-z][^:#\"'\[\]{}\n]*$")


@dataclass(frozen=True)
class Shape:
    """How big each generated scenario is."""

    nodes: int = 50
    options: int = 3


class Generator:
    """Builds scenario documents (plain data) and their YAML text for one rubric."""

    def __init__(self, rubric: CompiledRubric, shape: Shape = Shape()) -> None:
        model = rubric.model
        self.shape = shape
        self.intents = sorted(model.cfi.intents)
        self.positive = sorted(
            c for c, v in model.codes.items() if v.valence != "negative" and c != "cfi_question"
        )
        self.negative = sorted(
            c for c, v in model.codes.items() if v.valence == "negative" and c != "miss_opportunity"
        )
        for dim in DIMENSIONS:
            code = _DIMENSION_CODES[dim]
            credit = model.codes[code].humility.get(dim, 0) if code in model.codes else 0
            if credit <= 0:
                raise ValueError(f"rubric: code '{code}' no longer credits '{dim}'")

    # ------------------------------------------------------------------ data

    def scenario(self, index: int, seed: int = 0) -> dict[str, Any]:
        rng = random.Random(f"{seed}:{index}")
        n_nodes, n_opts = self.shape.nodes, self.shape.options
        node_ids = [
            f"n{i:02d}_{rng.choice(('ask', 'hear', 'story', 'work', 'home'))}"
            for i in range(n_nodes)
        ]
        ending_ids = [e[0] for e in ENDINGS]

        def target(i: int, ahead: int) -> str:
            j = i + ahead
            return node_ids[j] if j < n_nodes else ending_ids[min(j - n_nodes, 2)]

        nodes: list[dict[str, Any]] = []
        moments: list[dict[str, Any]] = []
        for i, nid in enumerate(node_ids):
            node: dict[str, Any] = {"id": nid}
            if rng.random() < 0.25:
                node["client"] = [
                    {"if": self._condition(rng), "text": self._text(rng, CLIENT, 100, 200)},
                    {"text": self._text(rng, CLIENT, 100, 200)},
                ]
            else:
                node["client"] = self._text(rng, CLIENT, 100, 200)
            node["cue"] = self._text(rng, CUES, 60, 130)
            if i % 7 == 2:
                node["opportunity"] = self._text(rng, CLIENT, 60, 120)
            if i % 11 == 4:
                node["broaching"] = self._text(rng, FEEDBACK, 80, 160)
            if i % 13 == 6:
                node["disclosure"] = self._text(rng, CLIENT, 60, 120)
            options: list[dict[str, Any]] = []
            for k in range(n_opts):
                opt: dict[str, Any] = {}
                if k or rng.random() < 0.8:  # now and then the author lets the index be the id
                    opt["id"] = f"o{k + 1}_{rng.choice(('open', 'reflect', 'name', 'plan', 'ask'))}"
                opt["say"] = self._text(rng, THERAPIST, 100, 200)
                negative = k == n_opts - 1 and rng.random() < 0.7
                opt["codes"] = self._codes(rng, i, k, negative)
                if k == 2 and rng.random() < 0.3:
                    opt["if"] = self._condition(rng)
                if negative or rng.random() < 0.4:
                    opt["feedback"] = self._text(rng, FEEDBACK, 100, 200)
                if rng.random() < 0.25:
                    var = rng.choice((*CUSTOM_STATE, "bond", "goal"))
                    opt["effects"] = {var: rng.choice((-3, 2, 5, 10))}
                    opt["effects_reason"] = self._text(rng, FEEDBACK, 80, 150)
                if rng.random() < 0.3:
                    opt["basis"] = [
                        {"cite": rng.choice(CITES), "note": self._text(rng, FEEDBACK, 60, 120)}
                    ]
                if i == n_nodes - 1:
                    # The last node can end every way; each ending is reached.
                    opt["next"] = [
                        {"if": f"bond >= {50 + k} and trust >= 40", "goto": "returns"},
                        {"if": f"trust >= {28 + k}", "goto": "unsure"},
                        {"if": "trust < 12", "goto": "walks_out"},
                        {"goto": "no_return"},
                    ]
                elif k == 0:
                    opt["next"] = target(i, 1)
                elif k == 1:
                    # The first nodes use every condition once, so every declared state is used.
                    when = CONDITIONS[i] if i < len(CONDITIONS) else self._condition(rng)
                    opt["next"] = [
                        {"if": when, "goto": target(i, 2)},
                        {"goto": target(i, 1)},
                    ]
                elif negative and i % 5 == 3:
                    opt["next"] = [
                        {"if": "trust < 15", "goto": "walks_out"},
                        {"goto": target(i, 1)},
                    ]
                else:
                    opt["next"] = target(i, min(3, rng.randint(1, 3)))
                options.append(opt)
            node["options"] = options
            if i % 6 == 1 and len(moments) < 6:
                k = rng.randrange(n_opts)
                oid = options[k].get("id", str(k + 1))
                moments.append(
                    {
                        "at": f"{nid}.{oid}",
                        "theme": rng.choice(THEMES),
                        "text": self._text(rng, CLIENT, 60, 120),
                    }
                )
            nodes.append(node)

        name = rng.choice(NAMES)
        return {
            "id": f"gen-{seed}-{index:05d}",
            "title": f"Generated intake {index}: {name.split()[0]}",
            "version": 1 + index % 3,
            "setting": SETTINGS[index % 2],
            "summary": self._text(rng, CLIENT, 150, 260),
            "difficulty": rng.choice(("introductory", "intermediate", "advanced")),
            "tags": ["generated", "benchmark", rng.choice(("anxiety", "sleep", "family"))],
            "practises": [self._text(rng, FEEDBACK, 50, 120) for _ in range(3)],
            "research_basis": [
                {"cite": c, "note": self._text(rng, FEEDBACK, 60, 140)}
                for c in rng.sample(CITES, 3)
            ],
            "client": {
                "name": name,
                "age": rng.randint(18, 80),
                "pronouns": rng.choice(("she/her", "he/him", "they/them")),
                "identity": {
                    "ethnicity": "Second generation; parents came from abroad in the 1970s",
                    "religion": rng.choice(("Muslim, practising", "Jewish, traditional", "None")),
                    "class": "Working class; shift work at a warehouse",
                    "language": "English and the family's language at home",
                },
                "presenting_problem": self._text(rng, CLIENT, 100, 200),
                "context": self._text(rng, CLIENT, 150, 300),
                "appearance": self._text(rng, CUES, 80, 160),
                "scripted": {
                    "openness": rng.randint(1, 5),
                    "trust": rng.randint(1, 5),
                    "cooperation": rng.randint(1, 5),
                },
            },
            "therapist": {
                "role": "Intake social worker, eight years at the clinic",
                "identity": {"ethnicity": "White British", "class": "Professional, graduate"},
            },
            "state": {"trust": 30, **{v: 0 for v in CUSTOM_STATE}},
            "start": node_ids[0],
            "nodes": nodes,
            "endings": [
                {
                    "id": eid,
                    "title": title,
                    "outcome": outcome,
                    "text": self._text(rng, CLIENT, 100, 200),
                }
                for eid, outcome, title in ENDINGS
            ],
            "debrief": {
                "intro": self._text(rng, FEEDBACK, 80, 160),
                "themes": {t: self._text(rng, CLIENT, 100, 200) for t in THEMES},
                "moments": moments,
            },
        }

    def _codes(self, rng: random.Random, node: int, k: int, negative: bool) -> list[str]:
        if negative:
            return rng.sample(self.negative, rng.randint(1, 2))
        if node < len(DIMENSIONS) and k == 0:
            # The first nodes credit every dimension, so every top score is reachable.
            return [_DIMENSION_CODES[DIMENSIONS[node]], f"{CFI_PREFIX}{rng.choice(self.intents)}"]
        codes = rng.sample(self.positive, rng.randint(1, 2))
        if rng.random() < 0.4:
            codes.append(f"{CFI_PREFIX}{rng.choice(self.intents)}")
        return codes

    @staticmethod
    def _condition(rng: random.Random) -> str:
        return rng.choice(CONDITIONS)

    @staticmethod
    def _text(rng: random.Random, pool: tuple[str, ...], low: int, high: int) -> str:
        out = rng.choice(pool)
        while len(out) < low:
            nxt = rng.choice(pool)
            if len(out) + 1 + len(nxt) > high:
                break
            out += " " + nxt
        return out

    # ------------------------------------------------------------------ text

    def render(self, doc: dict[str, Any], index: int = 0) -> str:
        return "".join(_emit(doc, index))


def _scalar(value: Any, indent: int, room: int) -> str:
    """The text after `key:` (or `- `) for a scalar: plain, double-quoted or a folded block."""
    if not isinstance(value, str):
        return " " + json.dumps(value)
    plain = len(value) <= room and _PLAIN_OK.match(value) and value.strip() == value
    # ...and only if YAML would not read it as a bool, a number or a date.
    if plain and _resolve(ScalarNode, value, (True, False)) == _STR:
        return " " + value
    if len(value) + 2 <= room:
        return " " + json.dumps(value, ensure_ascii=False)
    lines = _wrap(value, WIDTH - indent - 2)
    pad = " " * (indent + 2)
    return " >-\n" + "\n".join(pad + line for line in lines)


@lru_cache(maxsize=1 << 16)  # texts are drawn from small pools, so they repeat a lot
def _wrap(text: str, width: int) -> tuple[str, ...]:
    """Greedy word wrap on single spaces (what folding a `>-` block joins back together)."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return tuple(lines)


def _flow_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(x) if ":" in x else x for x in items) + "]"


def _flow_map(items: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in items.items()) + "}"


def _emit(doc: dict[str, Any], index: int) -> Iterator[str]:
    yield f"# Generated scenario {index} for the benchmarks (bench/generate.py).\n"
    yield "# Valid against the core rubric; do not edit by hand.\n"
    yield from _block(doc, 0)


def _block(value: Any, indent: int) -> Iterator[str]:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{pad}{key}:"
            if key in ("codes", "tags") and isinstance(item, list):
                yield f"{head} {_flow_list(item)}\n"
            elif key in ("effects", "scripted") and isinstance(item, dict):
                yield f"{head} {_flow_map(item)}\n"
            elif isinstance(item, dict | list):
                if not item:
                    yield f"{head} {'{}' if isinstance(item, dict) else '[]'}\n"
                    continue
                yield head + "\n"
                yield from _block(item, indent + 2)
            else:
                yield head + _scalar(item, indent, WIDTH - len(head) - 1) + "\n"
            if indent == 0 and key in ("research_basis", "therapist", "state", "nodes", "endings"):
                yield "\n"
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                lines = "".join(_block(item, indent + 2))
                yield pad + "- " + lines[indent + 2 :]
                if indent == 2 and "options" in item:
                    yield "\n"
            else:
                yield f"{pad}-{_scalar(item, indent, WIDTH - indent - 2)}\n"
    else:
        raise TypeError(f"unexpected top-level value {value!r}")


# ---------------------------------------------------------------------- files


@dataclass(frozen=True)
class Written:
    paths: list[Path]
    total_bytes: int
    verified: int  # files whose YAML was read back and compared with the intended data
    totals: dict[str, int]  # file_stats summed over all files
    with_ampersand: frozenset[Path]  # files whose text holds an '&'


def write_scenarios(
    directory: Path,
    rubric: CompiledRubric,
    count: int,
    *,
    seed: int = 0,
    shape: Shape = Shape(),
    verify: int = 10,
) -> Written:
    """Write `count` scenario files; read the first `verify` back and compare them with the data."""
    directory.mkdir(parents=True, exist_ok=True)
    gen = Generator(rubric, shape)
    paths: list[Path] = []
    amp: set[Path] = set()
    totals: dict[str, int] = {}
    size = 0
    for i in range(count):
        doc = gen.scenario(i, seed)
        text = gen.render(doc, i)
        if i < verify:
            back = yaml.load(text, Loader=yaml.CSafeLoader)
            if back != doc:
                raise AssertionError(f"generated file {i} does not read back as its data")
        for key, value in file_stats(doc).items():
            totals[key] = totals.get(key, 0) + value
        path = directory / f"gen-{i:05d}.yaml"
        raw = text.encode("utf-8")
        path.write_bytes(raw)
        size += len(raw)
        paths.append(path)
        if "&" in text:
            amp.add(path)
    return Written(paths, size, min(verify, count), totals, frozenset(amp))


def file_stats(doc: dict[str, Any]) -> dict[str, int]:
    """Counts that show a generated document has the intended shape."""
    options = [o for n in doc["nodes"] for o in n["options"]]
    conditions = sum(
        ("if" in o) + sum("if" in g for g in o["next"] if isinstance(o["next"], list))
        for o in options
    ) + sum(
        sum("if" in line for line in n["client"])
        for n in doc["nodes"]
        if isinstance(n["client"], list)
    )
    return {
        "nodes": len(doc["nodes"]),
        "options": len(options),
        "conditions": conditions,
        "conditional_next": sum(isinstance(o["next"], list) for o in options),
        "cfi_codes": sum(c.startswith(CFI_PREFIX) for o in options for c in o["codes"]),
        "themes": len(doc["debrief"]["themes"]),
    }


if __name__ == "__main__":  # pragma: no cover - a quick look at one file
    from simulator.core.library import load_rubric

    _gen = Generator(load_rubric())
    print(_gen.render(_gen.scenario(0), 0), end="")
