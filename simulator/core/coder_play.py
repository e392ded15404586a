"""Free-text play: a typed response is scored by its own codes and branches like the nearest
authored option.

How a typed turn is scored and replayed:

- The coder reads the typed text against the client's line shown at that moment.
- `rank_options` maps it to the nearest available authored option (code similarity, then shared
  wording); when the two closest are too close to call, the trainee chooses between them.
- `choose_typed` plays the turn through the ordinary engine with a *typed option*: the mapped
  option's branching, conditions and authored effects (`next`, `if`, `effects`), but the typed
  text's own codes in place of the option's. Its humility credits, alliance moves, theme pushes,
  opportunity outcome and CFI coverage therefore come from what was typed. (The option's own
  feedback, citations and explicit `opportunity:`/`rupture:`/`repair:` settings describe its
  wording, so they are not carried over; the codes decide instead. `miss_opportunity` from the
  coder is left to the engine, which adds it exactly where the author marked an opportunity.)
- The store keeps the mapped option's id and the typed text (the `free_text` column). Replaying
  re-codes the stored text against the same client line, which gives the same codes because the
  coder is deterministic; sessions played with free text pin the coder version next to the
  rubric version, so a later lexicon change is visible.

Scoring thus stays a pure function of the stored choices, and `replay_stored` re-creates a typed
session exactly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from simulator.core.coder import CodedResponse, Coder
from simulator.core.compiled import CompiledOption, CompiledScenario, compile_option
from simulator.core.engine import Event, Session, Stance, choose, start

MISS = "miss_opportunity"
# Choices as the store keeps them: option key, stance, typed text (None for a picked option).
StoredChoice = tuple[str, Mapping[str, str] | Stance | None, str | None]


@dataclass(frozen=True)
class TypedOption(CompiledOption):
    """The option a typed response counted as, carrying the typed response's own codes."""

    coded: CodedResponse
    mapped: CompiledOption


def typed_labels(coded: CodedResponse, scenario: CompiledScenario) -> tuple[str, ...]:
    """The typed response's code labels as the engine takes them (known codes, in order)."""
    rubric = scenario.rubric.model
    out = []
    for label in coded.codes:
        if label == MISS:
            continue
        if label.startswith("cfi:"):
            if label[4:] in rubric.cfi.intents:
                out.append(label)
        elif label in rubric.codes:
            out.append(label)
    return tuple(out)


def typed_option(
    scenario: CompiledScenario, option: CompiledOption, coded: CodedResponse
) -> TypedOption:
    node = scenario.nodes[option.node_id]
    model = option.model.model_copy(
        update={
            "codes": list(typed_labels(coded, scenario)),
            "opportunity": None,
            "rupture": False,
            "repair": False,
            "feedback": None,
            "basis": [],
        }
    )
    compiled = compile_option(node.model, option.index, model, scenario.rubric)
    values = {f.name: getattr(compiled, f.name) for f in dataclasses.fields(CompiledOption)}
    return TypedOption(**values, coded=coded, mapped=option)


class _OneReplaced(Mapping[str, CompiledOption]):
    """The scenario's options with one key answering the typed option instead."""

    def __init__(self, base: Mapping[str, CompiledOption], key: str, option: CompiledOption):
        self._base, self._key, self._option = base, key, option

    def __getitem__(self, key: str) -> CompiledOption:
        return self._option if key == self._key else self._base[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._base)

    def __len__(self) -> int:
        return len(self._base)


def choose_typed(
    session: Session,
    option_key: str,
    coded: CodedResponse,
    stance: Mapping[str, str] | Stance | None = None,
) -> tuple[Session, list[Event]]:
    """`engine.choose` for a typed response mapped to `option_key` (see the module docstring)."""
    scenario = session.scenario
    option = scenario.options[option_key]
    transient = typed_option(scenario, option, coded)
    overlay = dataclasses.replace(
        scenario, options=_OneReplaced(scenario.options, option_key, transient)
    )
    new, events = choose(dataclasses.replace(session, scenario=overlay), option_key, stance)
    return dataclasses.replace(new, scenario=scenario), events


def replay_stored(
    scenario: CompiledScenario, choices: Iterable[StoredChoice], coder: Coder | None
) -> Session:
    """A session re-created from stored choices, typed ones re-coded against their client line."""
    session = start(scenario)
    for key, stance, text in choices:
        if text is None:
            session, _ = choose(session, key, stance)
            continue
        if coder is None:
            raise ValueError("a typed choice needs the coder to be replayed")
        coded = coder.code(text, session.client_line())
        session, _ = choose_typed(session, key, coded, stance)
    return session


def replay_turns(session: Session, step: int) -> Session:
    """The session as it was before decision `step` (0-based), typed turns kept as typed."""
    out = start(session.scenario)
    for turn in session.turns[:step]:
        option = turn.option
        if isinstance(option, TypedOption):
            out, _ = choose_typed(out, option.mapped.key, option.coded, turn.stance)
        else:
            out, _ = choose(out, option.key, turn.stance)
    return out


def typed_turns(session: Session) -> list[tuple[int, TypedOption]]:
    return [(t.step, t.option) for t in session.turns if isinstance(t.option, TypedOption)]


# ---------------------------------------------------------------- mapping to an authored option


@dataclass(frozen=True, slots=True)
class OptionMatch:
    option: CompiledOption
    number: int  # 1-based, as listed to the trainee
    score: float
    codes: float
    words: float


@dataclass(frozen=True)
class OptionMapping:
    ranked: tuple[OptionMatch, ...]
    confident: bool

    @property
    def best(self) -> OptionMatch:
        return self.ranked[0]

    @property
    def closest_two(self) -> tuple[OptionMatch, ...]:
        return self.ranked[:2]


def _features(labels: Iterable[str], scenario: CompiledScenario) -> dict[str, float]:
    """A code set as weighted features: each code, its family, and its valence."""
    rubric = scenario.rubric.model
    out: dict[str, float] = {}

    def add(key: str, weight: float) -> None:
        out[key] = out.get(key, 0.0) + weight

    for label in labels:
        if label == MISS:
            continue
        add(label, 1.0)
        code = "cfi_question" if label.startswith("cfi:") else label
        if label.startswith("cfi:"):
            intent = rubric.cfi.intents.get(label[4:])
            add("cfi", 0.5)
            if intent is not None:
                add(f"cfi-domain:{intent.domain}", 0.5)
        family = _FAMILY.get(code)
        if family:
            add(family, 0.5)
        rc = rubric.codes.get(code)
        if rc is not None:
            add(f"valence:{rc.valence}", 0.3)
    return out


_FAMILY = {
    "question_open": "question",
    "question_closed": "question",
    "reflection_simple": "reflection",
    "reflection_complex": "reflection",
    "persuade": "advice",
    "persuade_with_permission": "advice",
    "premature_advice": "advice",
    "give_information": "information",
    "broach_relationship": "broaching",
    "broach_context": "broaching",
    "assumption": "assumption",
    "confront": "judging",
    "blame_resistance": "judging",
    "minimize": "minimizing",
    "emphasize_autonomy": "sharing",
    "seek_collaboration": "sharing",
    "acknowledge_power": "sharing",
}


def _weighted_jaccard(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    keys = set(a) | set(b)
    if not keys:
        return 0.0
    top = sum(min(a.get(k, 0.0), b.get(k, 0.0)) for k in keys)
    bottom = sum(max(a.get(k, 0.0), b.get(k, 0.0)) for k in keys)
    return top / bottom if bottom else 0.0


def _dice(a: Sequence[str], b: Sequence[str]) -> float:
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    return 2 * len(sa & sb) / (len(sa) + len(sb))


def rank_options(
    coder: Coder,
    coded: CodedResponse,
    options: Sequence[CompiledOption],
    scenario: CompiledScenario,
) -> OptionMapping:
    """The available options, nearest first, and whether the nearest is clear enough."""
    rules = coder.lexicon.mapping
    typed = _features(typed_labels(coded, scenario), scenario)
    words = coder.content_words(coded.text)
    ranked = []
    for number, option in enumerate(options, 1):
        code_sim = _weighted_jaccard(typed, _features(option.model.codes, scenario))
        word_sim = _dice(words, coder.content_words(option.say))
        score = rules.code_weight * code_sim + rules.text_weight * word_sim
        ranked.append(OptionMatch(option, number, round(score, 6), code_sim, word_sim))
    ranked.sort(key=lambda m: (-m.score, m.number))
    confident = bool(ranked) and ranked[0].score >= rules.min_score
    if confident and len(ranked) > 1:
        confident = ranked[0].score - ranked[1].score >= rules.min_margin
    return OptionMapping(tuple(ranked), confident)


# ---------------------------------------------------------------- MITI-style summaries


@dataclass(frozen=True)
class MitiSummary:
    """Behaviour counts over the typed responses, against the published MITI 4.2.1 thresholds."""

    coder_version: str
    typed_responses: int
    utterances: int
    questions: int
    open_questions: int
    closed_questions: int
    reflections: int
    simple_reflections: int
    complex_reflections: int
    adherent: dict[str, int]
    non_adherent: dict[str, int]
    rq_ratio: float | None  # reflections per question; None with no question
    rq_band: str
    complex_share: float | None  # complex / all reflections; None with no reflection
    complex_band: str
    thresholds: dict[str, dict[str, float]]

    def to_json(self) -> dict[str, Any]:
        return {
            "coder_version": self.coder_version,
            "typed_responses": self.typed_responses,
            "utterances": self.utterances,
            "questions": {
                "total": self.questions,
                "open": self.open_questions,
                "closed": self.closed_questions,
            },
            "reflections": {
                "total": self.reflections,
                "simple": self.simple_reflections,
                "complex": self.complex_reflections,
            },
            "reflection_to_question": {
                "ratio": None if self.rq_ratio is None else round(self.rq_ratio, 2),
                "band": self.rq_band,
                **self.thresholds["reflection_to_question"],
            },
            "complex_reflections": {
                "share": None if self.complex_share is None else round(self.complex_share, 3),
                "band": self.complex_band,
                **self.thresholds["complex_share"],
            },
            "mi_adherent": {"total": sum(self.adherent.values()), **self.adherent},
            "mi_non_adherent": {"total": sum(self.non_adherent.values()), **self.non_adherent},
        }

    def lines(self, title: Any = None) -> list[str]:
        """Plain-text lines for the debrief."""
        name = title or (lambda c: c.replace("_", " "))
        t = self.thresholds
        rq = t["reflection_to_question"]
        cs = t["complex_share"]
        ratio = "no questions" if self.rq_ratio is None else f"{self.rq_ratio:.1f}:1"
        share = "no reflections" if self.complex_share is None else f"{self.complex_share:.0%}"
        adherent = ", ".join(f"{name(k)} {v}" for k, v in self.adherent.items())
        non = ", ".join(f"{name(k)} {v}" for k, v in self.non_adherent.items())
        return [
            f"Your typed responses, MITI-style ({self.typed_responses} typed, "
            f"{self.utterances} utterances, read by coder {self.coder_version})",
            f"  Reflection to question: {ratio} ({self.reflections} reflections, "
            f"{self.questions} questions); fair from {rq['fair']:g}:1, good from {rq['good']:g}:1:"
            f" {self.rq_band}",
            f"  Complex reflections: {share} of reflections; fair from {cs['fair']:.0%}, good from "
            f"{cs['good']:.0%}: {self.complex_band}",
            f"  MI-adherent: {sum(self.adherent.values())} ({adherent})",
            f"  MI-non-adherent: {sum(self.non_adherent.values())} ({non})",
        ]


def _band(value: float | None, fair: float, good: float, *, empty: str) -> str:
    if value is None:
        return empty
    if value >= good:
        return "good"
    if value >= fair:
        return "fair"
    return "below fair"


def miti_summary(session: Session, coder: Coder) -> MitiSummary | None:
    """The MITI-style figures of a session's typed turns; None when nothing was typed."""
    typed = typed_turns(session)
    if not typed:
        return None
    rules = coder.lexicon.miti
    counts: dict[str, int] = {}
    utterances = 0
    for _, option in typed:
        for u in option.coded.utterances:
            utterances += 1
            for code in dict.fromkeys(u.codes):
                counts[code] = counts.get(code, 0) + 1
    q_open, q_closed = counts.get("question_open", 0), counts.get("question_closed", 0)
    r_simple, r_complex = counts.get("reflection_simple", 0), counts.get("reflection_complex", 0)
    questions, reflections = q_open + q_closed, r_simple + r_complex
    rq = rules.reflection_to_question
    cs = rules.complex_share
    ratio = reflections / questions if questions else None
    share = r_complex / reflections if reflections else None
    if ratio is None:
        rq_band = "good (no questions)" if reflections else "no questions or reflections"
    else:
        rq_band = _band(ratio, rq.fair, rq.good, empty="")
    return MitiSummary(
        coder_version=coder.version,
        typed_responses=len(typed),
        utterances=utterances,
        questions=questions,
        open_questions=q_open,
        closed_questions=q_closed,
        reflections=reflections,
        simple_reflections=r_simple,
        complex_reflections=r_complex,
        adherent={c: counts.get(c, 0) for c in rules.adherent},
        non_adherent={c: counts.get(c, 0) for c in rules.non_adherent},
        rq_ratio=ratio,
        rq_band=rq_band,
        complex_share=share,
        complex_band=_band(share, cs.fair, cs.good, empty="no reflections"),
        thresholds={
            "reflection_to_question": {"fair": rq.fair, "good": rq.good},
            "complex_share": {"fair": cs.fair, "good": cs.good},
        },
    )
