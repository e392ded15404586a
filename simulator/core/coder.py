"""The free-text coder: a typed response read as the rubric's response codes, with the words that
triggered each one.

Rule-based and offline. The cue patterns and word lists live in `rubrics/coder.yaml` (read with
the safe YAML loader, validated by the strict model below, every pattern compiled once at load so
a bad one is a located diagnostic). This module holds the rules that combine them; docs/coder.md
describes both. Deterministic: the same text, context and lexicon always give the same coding, so
a stored typed response can be re-coded on replay (`Coder.version` names the reading).

    coder = load_coder(rubric)
    coded = coder.code("So you're worried about your son. What worries you most?",
                       context="My son stopped talking to me.")
    coded.utterances[0].codes  -> ('reflection_complex',)  # "worried": a feeling not named
    coded.utterances[1].codes  -> ('question_open', 'cfi:problem_most_troubling')
    coded.primary              -> 'question'
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from simulator.core.coder_match import Matcher, MatcherGroup, Prepared
from simulator.core.compiled import CompiledRubric
from simulator.core.diagnostics import Diagnostic, LoadError, sort_key
from simulator.core.loading import parse_model, read_doc
from simulator.core.models import Ident, ShortText, Strict, Text
from simulator.core.yamlsafe import YamlDoc

# Bumped when the rules in this module change how a text is coded (the lexicon has its own).
ALGORITHM_VERSION = "1"
PRIMARIES = ("question", "reflection", "information", "other")
# Codes decided by the structural rules below, not by a cue list under `codes:`.
STRUCTURAL = frozenset(
    {
        "question_open",
        "question_closed",
        "reflection_simple",
        "reflection_complex",
        "persuade",
        "persuade_with_permission",
        "premature_advice",
        "miss_opportunity",
        "cfi_question",
    }
)
CODER_CODES = (
    "question_open",
    "question_closed",
    "reflection_simple",
    "reflection_complex",
    "affirm",
    "seek_collaboration",
    "emphasize_autonomy",
    "give_information",
    "persuade_with_permission",
    "persuade",
    "confront",
    "broach_relationship",
    "broach_context",
    "acknowledge_power",
    "admit_limits",
    "assumption",
    "premature_advice",
    "minimize",
    "blame_resistance",
    "miss_opportunity",
)
MAX_TEXT = 10_000  # characters coded per response; the rest is ignored (and said so)

Pattern = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Words = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]


# ---------------------------------------------------------------- the lexicon file's model


class Meta(Strict):
    version: ShortText
    description: Text | None = None


class Segmentation(Strict):
    abbreviations: Words
    question_clause: list[Pattern] = Field(min_length=1)
    subordinate: list[Pattern] = Field(min_length=1)
    tags: list[Pattern] = Field(min_length=1)


class Questions(Strict):
    fillers: list[Pattern] = Field(min_length=1)
    closed_wh: list[Pattern] = Field(min_length=1)
    open_wh: list[Pattern] = Field(min_length=1)
    aux_head: list[Pattern] = Field(min_length=1)
    aux_loose: list[Pattern] = Field(min_length=1)
    open_first: list[Pattern] = Field(min_length=1)
    open_requests: list[Pattern] = Field(min_length=1)
    closed_requests: list[Pattern] = Field(min_length=1)
    open_tail: list[Pattern] = Field(min_length=1)
    not_questions: list[Pattern] = Field(min_length=1)


class Reflections(Strict):
    stems: list[Pattern] = Field(min_length=1)
    hedged_state: list[Pattern] = Field(min_length=1)
    second_person: list[Pattern] = Field(min_length=1)
    not_reflection: list[Pattern] = Field(min_length=1)
    first_person_head: list[Pattern] = Field(min_length=1)
    first_person: list[Pattern] = Field(min_length=1)
    complex: list[Pattern] = Field(min_length=1)
    novelty_complex: Annotated[float, Field(ge=0, le=1)]
    novel_words_complex: Annotated[int, Field(ge=1, le=50)]
    summary_words: Annotated[int, Field(ge=2, le=500)]
    fragment_verbs: list[Pattern] = Field(min_length=1)


class Cue(Strict):
    cues: list[Pattern] = Field(min_length=1)
    unless: list[Pattern] = Field(default_factory=list)
    negatable: bool = False
    statements_only: bool = False
    suppresses: list[Ident] = Field(default_factory=list)
    implies: list[Ident] = Field(default_factory=list)


class Advice(Strict):
    strong: list[Pattern] = Field(min_length=1)
    imperatives: list[Pattern] = Field(min_length=1)
    soft: list[Pattern] = Field(min_length=1)
    permission: list[Pattern] = Field(min_length=1)
    client_asks: list[Pattern] = Field(min_length=1)
    offers: list[Pattern] = Field(min_length=1)


class Opportunity(Strict):
    cultural: list[Pattern] = Field(min_length=1)
    deflect: list[Pattern] = Field(min_length=1)
    back_reference: list[Pattern] = Field(min_length=1)


class WordLists(Strict):
    stopwords: Words
    acknowledgements: Words
    synonyms: list[Words] = Field(default_factory=list)


class MappingRules(Strict):
    code_weight: Annotated[float, Field(ge=0, le=1)]
    text_weight: Annotated[float, Field(ge=0, le=1)]
    min_score: Annotated[float, Field(ge=0, le=1)]
    min_margin: Annotated[float, Field(ge=0, le=1)]


class Band(Strict):
    fair: Annotated[float, Field(ge=0, le=100)]
    good: Annotated[float, Field(ge=0, le=100)]


class MitiRules(Strict):
    reflection_to_question: Band
    complex_share: Band
    adherent: list[Ident] = Field(min_length=1)
    non_adherent: list[Ident] = Field(min_length=1)


class CoderLexicon(Strict):
    coder: Meta
    lexicons: dict[Ident, list[Pattern]] = Field(default_factory=dict)
    segmentation: Segmentation
    questions: Questions
    reflections: Reflections
    codes: dict[Ident, Cue]
    cfi: dict[Ident, Cue]
    advice: Advice
    opportunity: Opportunity
    negators: list[Pattern] = Field(min_length=1)
    words: WordLists
    mapping: MappingRules
    miti: MitiRules


# ---------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Hit:
    """One code and the span of the text that triggered it (offsets into the response)."""

    code: str
    start: int
    end: int
    match: str

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "start": self.start, "end": self.end, "match": self.match}


@dataclass(frozen=True, slots=True)
class Utterance:
    index: int
    start: int
    end: int
    text: str
    primary: str
    hits: tuple[Hit, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(h.code for h in self.hits)

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "primary": self.primary,
            "codes": [h.to_json() for h in self.hits],
        }


@dataclass(frozen=True, slots=True)
class CodedResponse:
    text: str
    context: str | None
    coder_version: str
    utterances: tuple[Utterance, ...]
    primary: str
    truncated: bool = False

    @property
    def hits(self) -> tuple[Hit, ...]:
        return tuple(h for u in self.utterances for h in u.hits)

    @property
    def codes(self) -> tuple[str, ...]:
        """Every code found, in order of first appearance, once each."""
        return tuple(dict.fromkeys(h.code for u in self.utterances for h in u.hits))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "text": self.text,
            "context": self.context,
            "coder_version": self.coder_version,
            "primary": self.primary,
            "codes": [
                {**h.to_json(), "utterance": u.index} for u in self.utterances for h in u.hits
            ],
            "utterances": [u.to_json() for u in self.utterances],
        }
        if self.truncated:
            out["truncated"] = True
        return out


# ---------------------------------------------------------------- compiling the lexicon

_REF = re.compile(r"\{([a-z][a-z0-9_]*)\}")
# Same-length normalisation: curly quotes and dashes to ASCII, so offsets stay those of the input.
_NORMALISE = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
        "\u2026": ".",
    }
)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Where an utterance ends: a run of . ! ? (closing quotes and brackets with it) before a space or
# the end, a semicolon, or a line break.
_BOUNDARY = re.compile(r"[.!?]+[\"')\]]*(?=\s|$)|;|\n")
_ALNUM = re.compile(r"\w")
Regex = re.Pattern[str]


class _Compiler:
    """Expands `{lexicon}` references and `~`, compiles patterns, and collects diagnostics."""

    def __init__(self, lexicon: CoderLexicon, doc: YamlDoc | None) -> None:
        self.lexicon = lexicon
        self.doc = doc
        self.diagnostics: list[Diagnostic] = []
        self._expanded: dict[str, str] = {}

    def diag(self, path: tuple[str | int, ...], code: str, message: str) -> None:
        if self.doc is not None:
            line, col = self.doc.locate(path)
            file = self.doc.file
        else:
            line, col, file = 0, 0, "<coder>"
        dotted = ".".join(str(p) for p in path)
        self.diagnostics.append(Diagnostic(file, line, col, code, message, dotted))

    def _lexicon_alt(self, name: str, stack: tuple[str, ...]) -> str | None:
        if name in self._expanded:
            return self._expanded[name]
        items = self.lexicon.lexicons.get(name)
        if items is None:
            return None
        parts = []
        for i, item in enumerate(items):
            expanded = self.expand(item, ("lexicons", name, i), (*stack, name))
            if expanded is None:
                return None
            parts.append(expanded)
        alt = "(?:" + "|".join(parts) + ")"
        self._expanded[name] = alt
        return alt

    def expand(
        self, pattern: str, path: tuple[str | int, ...], stack: tuple[str, ...] = ()
    ) -> str | None:
        ok = True

        def sub(m: re.Match[str]) -> str:
            nonlocal ok
            name = m.group(1)
            if name in stack:
                self.diag(path, "IS105", f"word list '{name}' refers to itself")
                ok = False
                return ""
            if name not in self.lexicon.lexicons:
                known = ", ".join(sorted(self.lexicon.lexicons)) or "none"
                self.diag(path, "IS105", f"unknown word list '{{{name}}}' (known: {known})")
                ok = False
                return ""
            alt = self._lexicon_alt(name, stack)
            if alt is None:
                ok = False
                return ""
            return alt

        out = _REF.sub(sub, pattern).replace("~", "'?")
        return out if ok else None

    def patterns(self, patterns: Sequence[str], path: tuple[str | int, ...]) -> list[str]:
        """The usable expanded patterns; each bad one becomes a located diagnostic."""
        out: list[str] = []
        for i, pattern in enumerate(patterns):
            expanded = self.expand(pattern, (*path, i))
            if expanded is None:
                continue
            try:
                re.compile(expanded, re.IGNORECASE)
            except re.error as exc:
                self.diag((*path, i), "IS105", f"pattern does not compile: {exc}")
                continue
            out.append(expanded)
        return out

    def matcher(self, patterns: Sequence[str], path: tuple[str | int, ...]) -> Matcher:
        return Matcher(self.patterns(patterns, path))

    def regex(self, patterns: Sequence[str], path: tuple[str | int, ...]) -> Regex:
        """A plain alternation (no word boundaries), for small lists used as they are."""
        parts = self.patterns(patterns, path)
        body = "|".join(f"(?:{p})" for p in parts) if parts else "(?!x)x"
        return re.compile(body, re.IGNORECASE)


@dataclass(frozen=True)
class _CueSet:
    code: str
    patterns: list[str]
    unless: Regex | None
    negatable: bool
    statements_only: bool
    suppresses: frozenset[str]
    implies: tuple[str, ...]


@dataclass(frozen=True)
class _Context:
    t: Prepared
    words: frozenset[str]
    cultural: bool
    asks_advice: bool


Span = tuple[int, int]


@dataclass
class _Work:
    """One utterance while it is being coded (offsets are relative to the utterance)."""

    start: int
    end: int
    t: Prepared
    head: int
    qmark: bool
    form: str = "statement"  # statement / question
    qkind: str | None = None  # open / closed
    qspan: Span | None = None
    declarative_q: bool = False  # a question only by its question mark
    hits: dict[str, Span] = field(default_factory=dict)
    scan: dict[str, Span] = field(default_factory=dict)
    strong: Span | None = None
    soft: Span | None = None
    treatment: Span | None = None
    permission: bool = False

    @property
    def text(self) -> str:
        return self.t.s


class Coder:
    """A compiled lexicon. Build it with `load_coder`; `code()` is a pure function of its input."""

    def __init__(
        self, lexicon: CoderLexicon, rubric: CompiledRubric, doc: YamlDoc | None = None
    ) -> None:
        self.lexicon = lexicon
        self.rubric = rubric
        self.version = f"{ALGORITHM_VERSION}/{lexicon.coder.version}"
        c = _Compiler(lexicon, doc)
        self._check_ids(c)
        seg, q, r = lexicon.segmentation, lexicon.questions, lexicon.reflections
        adv, opp = lexicon.advice, lexicon.opportunity
        m = c.matcher
        self._abbrev = frozenset(seg.abbreviations.lower().split())
        self._question_clause = m(seg.question_clause, ("segmentation", "question_clause"))
        self._subordinate = m(seg.subordinate, ("segmentation", "subordinate"))
        tags = c.regex(seg.tags, ("segmentation", "tags"))
        self._tag = re.compile(rf"(?:{tags.pattern})\s*\??\s*$", re.IGNORECASE)
        fillers = c.regex(q.fillers, ("questions", "fillers"))
        self._fillers = re.compile(
            rf"(?:(?:{fillers.pattern})(?![\w'])[\s,.;:!-]*)+", re.IGNORECASE
        )
        # How a question begins, all matched at one position in one call.
        self._heads = MatcherGroup(
            {
                key: c.patterns(getattr(q, key), ("questions", key))
                for key in (
                    "not_questions",
                    "open_first",
                    "closed_wh",
                    "open_wh",
                    "aux_head",
                    "aux_loose",
                )
            }
        )
        self._open_req = m(q.open_requests, ("questions", "open_requests"))
        self._closed_req = m(q.closed_requests, ("questions", "closed_requests"))
        self._open_tail = m(q.open_tail, ("questions", "open_tail"))
        # The reflection lists searched over the whole utterance, scanned together.
        self._refl = MatcherGroup(
            {
                key: c.patterns(getattr(r, key), ("reflections", key))
                for key in ("stems", "second_person", "not_reflection", "fragment_verbs", "complex")
            }
        )
        self._hedged = m(r.hedged_state, ("reflections", "hedged_state"))
        self._second = m(r.second_person, ("reflections", "second_person"))
        self._first_head = m(r.first_person_head, ("reflections", "first_person_head"))
        self._first_person = m(r.first_person, ("reflections", "first_person"))
        self._emotion = m(lexicon.lexicons.get("emotion", ["(?!x)x"]), ("lexicons", "emotion"))
        self._cues = [
            self._cue_set(c, cid, cue, ("codes", cid)) for cid, cue in lexicon.codes.items()
        ]
        self._cfi = [
            self._cue_set(c, f"cfi:{i}", cue, ("cfi", i)) for i, cue in lexicon.cfi.items()
        ]
        self._strong_list = c.patterns(adv.strong, ("advice", "strong"))
        self._strong = Matcher(self._strong_list)
        self._imperative = m(adv.imperatives, ("advice", "imperatives"))
        self._client_asks = m(adv.client_asks, ("advice", "client_asks"))
        # Every cue list that is searched over the whole utterance, scanned in one pass.
        members: dict[str, Sequence[str]] = {cue.code: cue.patterns for cue in self._cues}
        members[_STRONG] = self._strong_list
        members[_SOFT] = c.patterns(adv.soft, ("advice", "soft"))
        members[_PERMISSION] = c.patterns(adv.permission, ("advice", "permission"))
        members[_OFFERS] = c.patterns(adv.offers, ("advice", "offers"))
        members[_TREATMENT] = c.patterns(
            lexicon.lexicons.get("treatment", ["(?!x)x"]), ("lexicons", "treatment")
        )
        self._group = MatcherGroup(members)
        self._cfi_group = MatcherGroup({cue.code: cue.patterns for cue in self._cfi})
        self._context_cache: dict[str, _Context] = {}
        self._cue_by_code = {cue.code: cue for cue in (*self._cues, *self._cfi)}
        self._cue_rank = {code: i for i, code in enumerate(self._cue_by_code)}
        self._negatable = frozenset(
            [cue.code for cue in (*self._cues, *self._cfi) if cue.negatable]
            + [_STRONG, _SOFT, _OFFERS, _TREATMENT]
        )
        self._cultural = m(opp.cultural, ("opportunity", "cultural"))
        self._deflect = m(opp.deflect, ("opportunity", "deflect"))
        self._backref = m(opp.back_reference, ("opportunity", "back_reference"))
        negators = c.regex(lexicon.negators, ("negators",)).pattern
        self._negators = re.compile(rf"(?<![\w'])(?:{negators})(?![\w'])", re.IGNORECASE)
        self._stop = frozenset(lexicon.words.stopwords.lower().split())
        self._ack = frozenset(lexicon.words.acknowledgements.lower().split())
        canon: dict[str, str] = {}
        for group in lexicon.words.synonyms:
            same = group.lower().split()
            for w in same:
                canon.setdefault(w, same[0])
        self._canon = canon
        self._titles = {cid: code.title.lower() for cid, code in rubric.model.codes.items()}
        self._intents = {
            i: it.paraphrase.rstrip(".").lower() for i, it in rubric.model.cfi.intents.items()
        }
        self.diagnostics = c.diagnostics

    # -- load-time checks ---------------------------------------------------------------

    def _check_ids(self, c: _Compiler) -> None:
        rubric = self.rubric.model
        for cid, cue in self.lexicon.codes.items():
            if cid not in rubric.codes:
                c.diag(("codes", cid), "IS203", f"'{cid}' is not a code in the rubric")
            elif cid in STRUCTURAL:
                c.diag(
                    ("codes", cid),
                    "IS105",
                    f"'{cid}' is decided by the coder's own rules (the questions, reflections, "
                    "advice or opportunity sections), not by a cue list",
                )
            for i, other in enumerate(cue.suppresses):
                if other not in rubric.codes:
                    c.diag(
                        ("codes", cid, "suppresses", i),
                        "IS203",
                        f"'{other}' is not a code in the rubric",
                    )
        for intent, cue in self.lexicon.cfi.items():
            if intent not in rubric.cfi.intents:
                c.diag(("cfi", intent), "IS210", f"'{intent}' is not a CFI intent in the rubric")
            for i, other in enumerate(cue.suppresses):
                if other not in rubric.cfi.intents:
                    c.diag(
                        ("cfi", intent, "suppresses", i), "IS210", f"'{other}' is not a CFI intent"
                    )
        for section, cues in (("codes", self.lexicon.codes), ("cfi", self.lexicon.cfi)):
            for key, cue in cues.items():
                for i, implied in enumerate(cue.implies):
                    if implied not in rubric.codes or implied in STRUCTURAL:
                        c.diag(
                            (section, key, "implies", i),
                            "IS203",
                            f"'{implied}' cannot be implied (it is not a cue-list code of the rubric)",
                        )
        missing = sorted(set(rubric.cfi.intents) - set(self.lexicon.cfi))
        if missing:
            c.diag(("cfi",), "IS102", "no cues for the CFI intent(s): " + ", ".join(missing))
        for key in ("adherent", "non_adherent"):
            for i, cid in enumerate(getattr(self.lexicon.miti, key)):
                if cid not in rubric.codes:
                    c.diag(("miti", key, i), "IS203", f"'{cid}' is not a code in the rubric")
        for name in ("reflection_to_question", "complex_share"):
            band: Band = getattr(self.lexicon.miti, name)
            if band.good < band.fair:
                c.diag(("miti", name, "good"), "IS104", "the 'good' threshold is below 'fair'")

    def _cue_set(self, c: _Compiler, code: str, cue: Cue, path: tuple[str | int, ...]) -> _CueSet:
        prefix = "cfi:" if code.startswith("cfi:") else ""
        return _CueSet(
            code,
            c.patterns(cue.cues, (*path, "cues")),
            c.regex(cue.unless, (*path, "unless")) if cue.unless else None,
            cue.negatable,
            cue.statements_only,
            frozenset(prefix + s for s in cue.suppresses),
            tuple(cue.implies),
        )

    # -- describing codes ---------------------------------------------------------------

    def title(self, label: str) -> str:
        """A code in plain words: 'open question', 'cultural formulation question (...)'."""
        if label.startswith("cfi:"):
            intent = label[4:]
            return f"{self._titles['cfi_question']} ({self._intents.get(intent, intent)})"
        return self._titles.get(label, label.replace("_", " "))

    def read_as(self, coded: CodedResponse) -> str:
        """'open question + complex reflection', in the order the codes appear."""
        return " + ".join(self.title(c) for c in coded.codes) if coded.codes else "no code found"

    # -- words --------------------------------------------------------------------------

    def content_words(self, text: str) -> list[str]:
        """Content words, lower-cased, synonyms merged and crudely stemmed."""
        canon, stop = self._canon, self._stop
        out = []
        for w in _WORD.findall(text.lower()):
            if "'" in w:
                w = w.split("'")[0]
            if w in stop or len(w) < 2:
                continue
            out.append(_stem(canon.get(w, w)))
        return out

    # -- coding -------------------------------------------------------------------------

    def code(self, text: str, context: str | None = None) -> CodedResponse:
        """Split `text` into utterances and code each; `context` is the client's last line."""
        truncated = len(text) > MAX_TEXT
        source = text[:MAX_TEXT] if truncated else text
        norm = source.translate(_NORMALISE)
        ctx = self._context(context)
        works = [self._utterance(norm, s, e) for s, e in self._segments(norm)]
        self._response_rules(works, ctx)
        utterances = tuple(self._finish(i, w, source) for i, w in enumerate(works))
        return CodedResponse(
            text=text,
            context=context,
            coder_version=self.version,
            utterances=utterances,
            primary=response_primary(u.primary for u in utterances),
            truncated=truncated,
        )

    def _context(self, context: str | None) -> _Context | None:
        if not context or not context.strip():
            return None
        cached = self._context_cache.get(context)
        if cached is not None:
            return cached
        t = Prepared.of(context[:MAX_TEXT].translate(_NORMALISE))
        ctx = _Context(
            t=t,
            words=frozenset(self.content_words(t.s)),
            cultural=self._cultural.search(t) is not None,
            asks_advice=self._client_asks.search(t) is not None,
        )
        if len(self._context_cache) >= 256:  # a client line repeats within a scenario
            self._context_cache.clear()
        self._context_cache[context] = ctx
        return ctx

    # -- segmentation

    def _segments(self, norm: str) -> list[Span]:
        """Utterance spans: sentences, lines, semicolons, and a question clause after a comma."""
        out: list[Span] = []
        start = 0
        for m in _BOUNDARY.finditer(norm):
            i = m.start()
            if norm[i] == "." and m.end() - i == 1 and self._is_abbreviation(norm, i):
                continue
            out.extend(self._split_clause(norm, start, m.end()))
            start = m.end()
        if start < len(norm):
            out.extend(self._split_clause(norm, start, len(norm)))
        trimmed = (self._trim(norm, s, e) for s, e in out)
        return [(s, e) for s, e in trimmed if e > s and _ALNUM.search(norm, s, e)]

    def _is_abbreviation(self, norm: str, dot: int) -> bool:
        k = dot
        while k > 0 and (norm[k - 1].isalpha() or norm[k - 1] == "."):
            k -= 1
        word = norm[k:dot].lower()
        return word in self._abbrev or (len(word) == 1 and word.isalpha() and word not in "ai")

    def _split_clause(self, norm: str, start: int, end: int) -> list[Span]:
        """A sentence ending in '?' splits before a question clause that follows a comma
        ("It sounds hard, what helped?"), unless it opened with a subordinate clause."""
        body = norm[start:end].rstrip()
        if not body.endswith("?") or "," not in body:
            return [(start, end)]
        for m in re.finditer(r",\s+", body):
            pos = m.end()
            rest = Prepared.of(body[pos:])
            if self._tag.match(rest.s) or not self._question_clause.match(rest, 0):
                continue
            before = Prepared.of(body[: m.start()])
            if len(before.s.split()) < 3:
                continue
            lead = self._head(before.s)
            if self._subordinate.match(before, lead):
                continue
            if self._head_kind(before, lead, loose=False) is None:
                return [(start, start + m.end()), (start + pos, end)]
        return [(start, end)]

    @staticmethod
    def _trim(norm: str, s: int, e: int) -> Span:
        while s < e and norm[s].isspace():
            s += 1
        while e > s and norm[e - 1].isspace():
            e -= 1
        return s, e

    def _head(self, u: str, pos: int = 0) -> int:
        m = self._fillers.match(u, pos)
        return m.end() if m else pos

    def _utterance(self, norm: str, s: int, e: int) -> _Work:
        t = Prepared.of(norm[s:e])
        qmark = t.s.rstrip(" \"')]").endswith("?")
        w = _Work(start=s, end=e, t=t, head=self._head(t.s), qmark=qmark)
        self._question(w)
        self._lexical(w)
        self._advice(w)
        return w

    # -- questions

    def _head_kind(self, t: Prepared, p: int, *, loose: bool) -> tuple[str, Span] | None:
        """'open' or 'closed' (with the words that make it so) when a question starts at p:
        the first of these that matches there decides."""
        found = self._heads.at(t, p)
        if not found or "not_questions" in found:
            return None
        for key, kind in _HEAD_ORDER:
            span = found.get(key)
            if span is not None and (loose or key != "aux_loose"):
                return kind, span
        return None

    def _clause_heads(self, u: str, head: int) -> list[int]:
        heads = [head]
        for m in re.finditer(r"[,:;]\s+|\s-\s", u):
            if m.end() < len(u):
                heads.append(self._head(u, m.end()))
        return heads

    def _question(self, w: _Work) -> None:
        t, u = w.t, w.text
        heads = self._clause_heads(u, w.head) if w.qmark else [w.head]
        for p in heads:
            if p != w.head and self._tag.match(u, p):
                continue  # "..., is that right?" checks a statement; it asks nothing new
            found = self._head_kind(t, p, loose=w.qmark)
            if found:
                kind, span = found
                if kind == "closed" and self._open_tail.search(t, span[1]):
                    kind = "open"
                w.form, w.qkind, w.qspan = "question", kind, span
                return
        for p in self._clause_heads(u, w.head):
            m = self._closed_req.match(t, p)
            if m:
                if self._hedged.match(t, m.end() + 1) or self._hedged.match(t, m.end()):
                    return  # "I wonder if you're feeling..." is a (hedged) reflection
                w.form, w.qkind, w.qspan = "question", "closed", m.span()
                return
            m = self._open_req.match(t, p)
            if m:
                w.form, w.qkind, w.qspan = "question", "open", m.span()
                return
        if w.qmark:
            # Declarative word order with a question mark: a reflection if it reads as one
            # (decided once the other codes are known), otherwise a closed question.
            q = len(u.rstrip(" \"')]")) - 1
            w.form, w.qkind, w.qspan, w.declarative_q = "question", "closed", (q, q + 1), True

    # -- cue lists

    def _negated(self, u: str, start: int) -> bool:
        """A negator before `start` in the same clause ("I'm not going to tell you to ...")."""
        clause = max(u.rfind(",", 0, start), u.rfind(";", 0, start), u.rfind(" but ", 0, start))
        window = u[clause + 1 if clause >= 0 else 0 : start]
        return bool(window) and self._negators.search(window) is not None

    def _lexical(self, w: _Work) -> None:
        t, u = w.t, w.text
        negatable = self._negatable

        def accept(name: str, start: int) -> bool:
            return name not in negatable or not self._negated(u, start)

        w.scan = self._group.scan(t, accept)
        if w.form == "question":
            w.scan.update(self._cfi_group.scan(t, accept))
        asking = w.form == "question" and not w.declarative_q
        found: dict[str, Span] = {}
        cues = self._cue_by_code
        for code, span in w.scan.items():
            cue = cues.get(code)
            if cue is None or (cue.statements_only and asking):
                continue
            if cue.unless is not None and cue.unless.search(u):
                continue
            found[code] = span
        if found:
            present = [cues[c] for c in found]
            for cue in present:
                for code in cue.suppresses:
                    found.pop(code, None)
            for cue in present:
                if cue.code in found:
                    for implied in cue.implies:
                        found.setdefault(implied, found[cue.code])
            for cue in present:  # an implied code can still be overridden ("assumption")
                if cue.code in found:
                    for code in cue.suppresses:
                        found.pop(code, None)
            found = {c: found[c] for c in sorted(found, key=self._cue_rank.__getitem__)}
        w.hits = found

    # -- advice

    def _advice(self, w: _Work) -> None:
        t, u = w.t, w.text
        if w.form == "question" and not w.declarative_q:
            # Inside a real question only advice forms that open it persuade ("Have you thought
            # about ...?", "Why don't you ...?"); "what do they think you should do?" asks.
            m = self._strong.match(t, w.head)
            strong = m.span() if m else None
        else:
            strong = w.scan.get(_STRONG)
        if strong is None:
            heads = [w.head] + [self._head(u, m.end()) for m in re.finditer(r";\s+", u)]
            for p in heads:
                m = self._imperative.match(t, p)
                if m and not self._negated(u, m.start()):
                    strong = m.span()
                    break
        w.strong = strong
        w.soft = w.scan.get(_SOFT)
        w.permission = _PERMISSION in w.scan
        w.treatment = w.scan.get(_TREATMENT)

    # -- response-level rules

    def _response_rules(self, works: list[_Work], ctx: _Context | None) -> None:
        # Advice is "with permission" when the response asks for permission or frames the
        # choice as the client's anywhere, or the client asked for advice; otherwise strong
        # advice persuades. A treatment offered before the client asked is premature advice.
        asked = bool(ctx and ctx.asks_advice)
        framed = asked or any(w.permission or "seek_collaboration" in w.hits for w in works)
        for w in works:
            advice = w.strong or w.soft
            if advice is not None:
                if framed:
                    w.hits["persuade_with_permission"] = advice
                elif w.strong:
                    w.hits["persuade"] = w.strong
            treatment = w.treatment
            if treatment and not asked:
                offered = advice or w.scan.get(_OFFERS)
                asking = w.form == "question" and not w.declarative_q and not w.strong
                if offered and not asking:
                    w.hits["premature_advice"] = treatment
        for w in works:
            self._settle(w, ctx)
        if ctx is not None and ctx.cultural:
            self._missed(works, ctx)

    def _settle(self, w: _Work, ctx: _Context | None) -> None:
        """Question and reflection codes, once the lexical and advice codes are known."""
        hits = w.hits
        advice = bool(hits.keys() & _ADVICE)
        attack = "confront" in hits or "blame_resistance" in hits
        if w.form == "question" and (attack or (advice and (w.strong or not w.declarative_q))):
            # Advice or a challenge phrased as a question is coded as what it does.
            w.form, w.qkind = "statement", None
        if w.form == "question" and w.declarative_q and "assumption" not in hits:
            reflection = self._reflection(w, ctx, declarative_q=True)
            if reflection:
                w.form, w.qkind = "statement", None
                hits.update(reflection)
                return
        if w.form == "question" and w.qkind and w.qspan:
            hits["question_open" if w.qkind == "open" else "question_closed"] = w.qspan
            return
        if w.form == "statement":
            hits.update(self._reflection(w, ctx, declarative_q=False))

    def _reflection(
        self, w: _Work, ctx: _Context | None, *, declarative_q: bool
    ) -> dict[str, Span]:
        t, u = w.t, w.text
        hits = w.hits
        tokens = _WORD.findall(t.lower)
        if not tokens or all(x in self._ack for x in tokens):
            return {}
        found = self._refl.scan(t)
        stem = found.get("stems")
        candidate: Span | None = None
        if stem:
            # A reflective opener: a reflection unless the utterance does something else
            # (advice, information, praise, a judgement...); naming a difference, power or the
            # limits of one's knowledge can go with it.
            if not hits.keys() & _BLOCKS_REFLECTION:
                candidate = stem
        elif (
            not hits and "not_reflection" not in found and not self._first_person.search(t, w.head)
        ):
            # No opener: a statement about the client ("You've been let down before"), a
            # restatement of the client's words ("Always on guard."), or a declarative
            # question ("You're worried they'll find out?"), not speaking of the therapist.
            second = found.get("second_person")
            words = self.content_words(u)
            overlap = ctx is not None and any(x in ctx.words for x in words)
            end = len(u.rstrip(" .!?\"')"))
            at_head = self._second.match(t, w.head) if second else None
            if at_head is not None:
                candidate = (w.head, at_head.end())
            elif self._first_head.match(t, w.head):
                candidate = None
            elif second and (overlap or declarative_q):
                candidate = second
            elif (
                ctx is not None
                and words
                and (overlap or (len(words) <= 3 and self._emotion.search(t) is not None))
                and len(tokens) <= 12
                and "fragment_verbs" not in found
            ) or (declarative_q and self._tag.search(u)):
                candidate = (w.head, end)
        if candidate is None:
            return {}
        return {self._depth(w, ctx, "complex" in found): candidate}

    def _depth(self, w: _Work, ctx: _Context | None, marked: bool) -> str:
        """Complex when the reflection adds meaning: a mark of it, a summary, or (against the
        client's line) a feeling they did not name or mostly new words."""
        r = self.lexicon.reflections
        t, u = w.t, w.text
        if marked or len(_WORD.findall(t.lower)) >= r.summary_words:
            return "reflection_complex"
        if ctx is None:
            return "reflection_simple"
        for m in self._emotion.finditer(t):
            ws = self.content_words(m.group(0))
            if ws and all(x not in ctx.words for x in ws):
                return "reflection_complex"
        words = self.content_words(u)
        novel = [x for x in words if x not in ctx.words]
        if (
            words
            and len(novel) / len(words) >= r.novelty_complex
            and len(novel) >= r.novel_words_complex
        ):
            return "reflection_complex"
        return "reflection_simple"

    def _missed(self, works: list[_Work], ctx: _Context) -> None:
        """The client raised their background and the response moved past it: an explicit
        change of subject, or (when nothing engages or harms) a first move that shares no word
        with what they said and does not refer back to it."""
        for w in works:
            m = self._deflect.search(w.t)
            if m:
                w.hits["miss_opportunity"] = m.span()
                return
        codes: set[str] = set()
        for w in works:
            codes.update(w.hits)
        if codes & _HARMS or codes & _ENGAGES or codes & _ENGAGING_CFI:
            return
        for w in works:
            words = self.content_words(w.text)
            if not words:
                continue
            if any(x in ctx.words for x in words):
                return
            if w.form == "question" and self._backref.search(w.t):
                return
        for w in works:
            if self.content_words(w.text):
                span = w.qspan if w.qspan else (w.head, min(len(w.text), w.head + 40))
                w.hits["miss_opportunity"] = span
                return

    def _finish(self, index: int, w: _Work, source: str) -> Utterance:
        hits = []
        for code, (a, b) in w.hits.items():
            start, end = w.start + a, w.start + b
            hits.append(Hit(code, start, end, source[start:end]))
        hits.sort(key=lambda h: (_ORDER.get(h.code, 50), h.start))
        primary = utterance_primary(tuple(h.code for h in hits))
        return Utterance(index, w.start, w.end, source[w.start : w.end], primary, tuple(hits))


_BLOCKS_REFLECTION = frozenset(
    {
        "persuade",
        "persuade_with_permission",
        "premature_advice",
        "give_information",
        "confront",
        "blame_resistance",
        "affirm",
        "assumption",
        "minimize",
        "seek_collaboration",
        "emphasize_autonomy",
    }
)
_WITH_REFLECTION = frozenset(
    {"broach_relationship", "broach_context", "admit_limits", "acknowledge_power"}
)
_HARMS = frozenset(
    {
        "assumption",
        "confront",
        "blame_resistance",
        "minimize",
        "premature_advice",
        "persuade",
        "persuade_with_permission",
    }
)
_ENGAGES = frozenset(
    {
        "reflection_simple",
        "reflection_complex",
        "broach_relationship",
        "broach_context",
        "admit_limits",
        "acknowledge_power",
        "affirm",
        "emphasize_autonomy",
        "seek_collaboration",
    }
)
# CFI questions that take up what the client raised (the others only ask for the story).
_ENGAGING_CFI = frozenset(
    f"cfi:{i}"
    for i in (
        "problem_others_view",
        "cause_others",
        "identity_important",
        "identity_problem",
        "identity_concerns",
        "relationship",
        "help_others_suggest",
    )
)
_ORDER = {code: i for i, code in enumerate(CODER_CODES)}
_HEAD_ORDER = (
    ("open_first", "open"),
    ("closed_wh", "closed"),
    ("open_wh", "open"),
    ("aux_head", "closed"),
    ("aux_loose", "closed"),
)
_STRONG, _SOFT, _PERMISSION, _OFFERS, _TREATMENT = (
    "advice.strong",
    "advice.soft",
    "advice.permission",
    "advice.offers",
    "advice.treatment",
)
_INFORMATION = frozenset(
    {"give_information", "persuade", "persuade_with_permission", "premature_advice"}
)
_ADVICE = frozenset({"persuade", "persuade_with_permission", "premature_advice"})


def _stem(word: str) -> str:
    """A crude suffix stripper, enough to match 'worried' with 'worry' and 'listens' with 'listen'."""
    for suffix in ("ing", "ied", "ies", "ed", "es", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            return base + "y" if suffix in ("ied", "ies") else base
    return word


def utterance_primary(codes: Sequence[str]) -> str:
    """question, reflection, information or other, from an utterance's codes."""
    present = set(codes)
    if "question_open" in present or "question_closed" in present:
        return "question"
    if "reflection_simple" in present or "reflection_complex" in present:
        return "reflection"
    if present & _INFORMATION:
        return "information"
    return "other"


def response_primary(primaries: Iterable[str]) -> str:
    """The response's behaviour: the most frequent non-'other' one; a tie goes to the later."""
    seq = [p for p in primaries if p != "other"]
    if not seq:
        return "other"
    counts: dict[str, int] = {}
    last: dict[str, int] = {}
    for i, p in enumerate(seq):
        counts[p] = counts.get(p, 0) + 1
        last[p] = i
    return max(counts, key=lambda p: (counts[p], last[p]))


# ---------------------------------------------------------------- loading


def bundled_lexicon_path() -> Path:
    return Path(str(importlib.resources.files("simulator.rubrics"))) / "coder.yaml"


def check_lexicon(
    path: Path, rubric: CompiledRubric, display: str | None = None
) -> list[Diagnostic]:
    """Every problem in a coder lexicon file (empty when it is usable)."""
    try:
        doc = read_doc(path, display)
        lexicon = parse_model(doc, CoderLexicon)
    except LoadError as exc:
        return list(exc.diagnostics)
    return sorted(Coder(lexicon, rubric, doc).diagnostics, key=sort_key)


def load_coder(rubric: CompiledRubric, path: Path | None = None) -> Coder:
    """Load, check and compile a lexicon; raises LoadError with every problem if unusable."""
    path = path or bundled_lexicon_path()
    doc = read_doc(path, _display(path))
    lexicon = parse_model(doc, CoderLexicon)
    coder = Coder(lexicon, rubric, doc)
    if any(d.is_error for d in coder.diagnostics):
        raise LoadError(sorted(coder.diagnostics, key=sort_key))
    return coder


def default_coder(rubric: CompiledRubric) -> Coder:
    """The bundled lexicon compiled for `rubric`, built once per rubric object."""
    coder = _DEFAULTS.get(id(rubric))
    if coder is None or coder.rubric is not rubric:
        coder = load_coder(rubric)
        _DEFAULTS[id(rubric)] = coder
    return coder


_DEFAULTS: dict[int, Coder] = {}


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


__all__ = [
    "ALGORITHM_VERSION",
    "CODER_CODES",
    "PRIMARIES",
    "CodedResponse",
    "Coder",
    "CoderLexicon",
    "Hit",
    "Utterance",
    "bundled_lexicon_path",
    "check_lexicon",
    "default_coder",
    "load_coder",
    "response_primary",
    "utterance_primary",
]
