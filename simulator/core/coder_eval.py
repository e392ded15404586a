"""Evaluating the coder against labelled responses (`intake-sim code --eval FILE`).

A labelled file is JSON Lines, one response per line:

    {"id": "t001", "text": "...", "context": "client's last line (optional)",
     "utterances": [{"text": "...", "codes": ["question_open", "cfi:supports"],
                     "primary": "question"}, ...], "tags": ["no-qmark"]}

Each gold utterance's text occurs in the response text, in order. The coder's own segmentation
may differ, so predictions are aligned to gold utterances: a predicted utterance counts towards
the gold utterance holding most of it (codes are pooled), and the gold utterance's predicted
primary is that of the predicted utterance overlapping it most.

Figures: per-code precision, recall and F1 over gold utterances; macro F1 over the codes present
in the gold labels; Cohen's kappa and macro F1 for the primary behaviour; and the four targets:
question detection F1, open-versus-closed macro F1, reflection F1, primary macro F1.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.core.coder import CODER_CODES, PRIMARIES, CodedResponse, Coder, response_primary

QUESTION = frozenset({"question_open", "question_closed"})
REFLECTION = frozenset({"reflection_simple", "reflection_complex"})
TARGETS = {
    "question_f1": 0.90,
    "open_closed_macro_f1": 0.80,
    "reflection_f1": 0.75,
    "primary_macro_f1": 0.65,
}


class GoldError(ValueError):
    """A labelled file that cannot be used, with the line that is wrong."""


@dataclass(frozen=True, slots=True)
class GoldUtterance:
    start: int
    end: int
    codes: frozenset[str]
    primary: str


@dataclass(frozen=True, slots=True)
class GoldRecord:
    id: str
    text: str
    context: str | None
    utterances: tuple[GoldUtterance, ...]
    tags: tuple[str, ...]
    line: int


def load_gold(path: Path, known_codes: Iterable[str] | None = None) -> list[GoldRecord]:
    known = frozenset(known_codes) if known_codes is not None else None
    records: list[GoldRecord] = []
    with path.open(encoding="utf-8") as fh:
        for n, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                records.append(_record(json.loads(raw), n, known))
            except json.JSONDecodeError as exc:
                raise GoldError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
            except (KeyError, TypeError, ValueError) as exc:
                raise GoldError(f"{path}:{n}: {exc}") from None
    return records


def _record(obj: Any, line: int, known: frozenset[str] | None) -> GoldRecord:
    if not isinstance(obj, dict):
        raise ValueError("each line must be a JSON object")
    text = obj["text"]
    context = obj.get("context")
    if not isinstance(text, str) or (context is not None and not isinstance(context, str)):
        raise ValueError("'text' (and 'context', if given) must be text")
    utterances = []
    pos = 0
    for u in obj["utterances"]:
        piece = u["text"]
        start = text.find(piece, pos)
        if start < 0:
            raise ValueError(f"utterance {piece!r} is not in the text (in order)")
        codes = frozenset(u["codes"])
        if known is not None and not codes <= known:
            raise ValueError(f"unknown code(s): {', '.join(sorted(codes - known))}")
        if u["primary"] not in PRIMARIES:
            raise ValueError(f"primary must be one of {', '.join(PRIMARIES)}")
        utterances.append(GoldUtterance(start, start + len(piece), codes, u["primary"]))
        pos = start + len(piece)
    return GoldRecord(
        id=str(obj.get("id", line)),
        text=text,
        context=context,
        utterances=tuple(utterances),
        tags=tuple(obj.get("tags", ())),
        line=line,
    )


# ---------------------------------------------------------------- alignment


@dataclass(frozen=True, slots=True)
class Aligned:
    record: GoldRecord
    gold: GoldUtterance
    codes: frozenset[str]
    primary: str


def align(record: GoldRecord, coded: CodedResponse) -> list[Aligned]:
    out = []
    owner: dict[int, int] = {}
    for pi, p in enumerate(coded.utterances):
        best, best_overlap = -1, 0
        for gi, g in enumerate(record.utterances):
            overlap = min(p.end, g.end) - max(p.start, g.start)
            if overlap > best_overlap:
                best, best_overlap = gi, overlap
        if best >= 0:
            owner[pi] = best
    for gi, g in enumerate(record.utterances):
        codes: set[str] = set()
        primary, best_overlap = "other", 0
        for pi, p in enumerate(coded.utterances):
            if owner.get(pi) == gi:
                codes.update(p.codes)
            overlap = min(p.end, g.end) - max(p.start, g.start)
            if overlap > best_overlap:
                primary, best_overlap = p.primary, overlap
        out.append(Aligned(record, g, frozenset(codes), primary))
    return out


# ---------------------------------------------------------------- figures


@dataclass(frozen=True, slots=True)
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    def to_json(self) -> dict[str, Any]:
        return {
            "support": self.support,
            "predicted": self.tp + self.fp,
            "tp": self.tp,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def _score(pairs: Iterable[tuple[bool, bool]]) -> Score:
    tp = fp = fn = 0
    for gold, pred in pairs:
        tp += gold and pred
        fp += pred and not gold
        fn += gold and not pred
    return Score(tp, fp, fn)


def cohen_kappa(gold: Sequence[str], pred: Sequence[str]) -> float:
    n = len(gold)
    if n == 0:
        return 0.0
    labels = sorted(set(gold) | set(pred))
    observed = sum(1 for g, p in zip(gold, pred, strict=True) if g == p) / n
    expected = sum((gold.count(label) / n) * (pred.count(label) / n) for label in labels)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


@dataclass
class EvalReport:
    file: str
    coder_version: str
    responses: int
    utterances: int
    per_code: dict[str, Score]
    macro_f1: float
    targets: dict[str, float]
    primary: dict[str, Score]
    primary_kappa: float
    primary_accuracy: float
    response_primary_accuracy: float
    extra: dict[str, Score]
    tags: dict[str, tuple[int, int]]  # tag -> (exact matches, utterances)
    mistakes: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "coder_version": self.coder_version,
            "responses": self.responses,
            "utterances": self.utterances,
            "macro_f1": round(self.macro_f1, 4),
            "macro_f1_codes": len(self.per_code),
            "targets": {
                k: {"value": round(v, 4), "goal": TARGETS[k], "met": v >= TARGETS[k]}
                for k, v in self.targets.items()
            },
            "primary": {
                "kappa": round(self.primary_kappa, 4),
                "accuracy": round(self.primary_accuracy, 4),
                "response_accuracy": round(self.response_primary_accuracy, 4),
                "per_class": {k: s.to_json() for k, s in self.primary.items()},
            },
            "codes": {k: s.to_json() for k, s in self.per_code.items()},
            "groups": {k: s.to_json() for k, s in self.extra.items()},
            "tags": {
                t: {"exact": e, "utterances": n, "share": round(e / n, 4) if n else 0.0}
                for t, (e, n) in self.tags.items()
            },
        }

    def lines(self) -> list[str]:
        out = [
            f"Evaluated {self.responses} responses ({self.utterances} utterances) from {self.file}"
            f" with coder {self.coder_version}",
            "",
            f"{'code':<30} {'gold':>5} {'pred':>5} {'prec':>6} {'recall':>6} {'F1':>6}",
        ]
        for code, s in self.per_code.items():
            out.append(
                f"{code:<30} {s.support:>5} {s.tp + s.fp:>5} {s.precision:>6.2f}"
                f" {s.recall:>6.2f} {s.f1:>6.2f}"
            )
        out.append("")
        out.append(
            f"macro F1 over {len(self.per_code)} codes with gold labels: {self.macro_f1:.3f}"
        )
        for name, s in self.extra.items():
            out.append(f"{name:<30} P {s.precision:.2f}  R {s.recall:.2f}  F1 {s.f1:.2f}")
        out.append("")
        out.append(
            f"primary behaviour: accuracy {self.primary_accuracy:.3f}, Cohen's kappa"
            f" {self.primary_kappa:.3f}; whole-response primary accuracy"
            f" {self.response_primary_accuracy:.3f}"
        )
        for name, s in self.primary.items():
            out.append(f"  {name:<12} P {s.precision:.2f}  R {s.recall:.2f}  F1 {s.f1:.2f}")
        out.append("")
        labels = {
            "question_f1": "question detection F1",
            "open_closed_macro_f1": "open vs closed macro F1",
            "reflection_f1": "reflection F1",
            "primary_macro_f1": "primary behaviour macro F1",
        }
        for key, value in self.targets.items():
            goal = TARGETS[key]
            verdict = "met" if value >= goal else "NOT met"
            out.append(f"target: {labels[key]} {value:.3f} (goal {goal:.2f}) {verdict}")
        if self.tags:
            out.append("")
            out.append("hard cases (utterances whose codes and primary are exactly right):")
            for tag, (exact, n) in sorted(self.tags.items()):
                out.append(f"  {tag:<24} {exact}/{n}")
        return out


def evaluate(coder: Coder, records: Sequence[GoldRecord], file: str = "<records>") -> EvalReport:
    aligned: list[Aligned] = []
    response_hits = 0
    mistakes: list[dict[str, Any]] = []
    for rec in records:
        coded = coder.code(rec.text, rec.context)
        items = align(rec, coded)
        aligned.extend(items)
        gold_primary = _response_primary_of(rec)
        response_hits += coded.primary == gold_primary
        for a in items:
            if a.codes != a.gold.codes or a.primary != a.gold.primary:
                mistakes.append(
                    {
                        "id": rec.id,
                        "line": rec.line,
                        "text": rec.text[a.gold.start : a.gold.end],
                        "context": rec.context,
                        "missing": sorted(a.gold.codes - a.codes),
                        "extra": sorted(a.codes - a.gold.codes),
                        "primary": [a.gold.primary, a.primary],
                    }
                )
    labels = sorted({c for a in aligned for c in a.gold.codes}, key=_label_order)
    per_code = {c: _score((c in a.gold.codes, c in a.codes) for a in aligned) for c in labels}
    macro = sum(s.f1 for s in per_code.values()) / len(per_code) if per_code else 0.0

    def any_of(group: frozenset[str]) -> Score:
        return _score((bool(a.gold.codes & group), bool(a.codes & group)) for a in aligned)

    def starts(prefix: str) -> Score:
        return _score(
            (
                any(c.startswith(prefix) for c in a.gold.codes),
                any(c.startswith(prefix) for c in a.codes),
            )
            for a in aligned
        )

    question = any_of(QUESTION)
    reflection = any_of(REFLECTION)
    oc = [per_code.get(c) for c in ("question_open", "question_closed")]
    open_closed = sum(s.f1 for s in oc if s) / 2
    gold_p = [a.gold.primary for a in aligned]
    pred_p = [a.primary for a in aligned]
    primary = {
        p: _score((g == p, q == p) for g, q in zip(gold_p, pred_p, strict=True)) for p in PRIMARIES
    }
    primary_macro = sum(s.f1 for s in primary.values()) / len(primary)
    tags: dict[str, tuple[int, int]] = {}
    for a in aligned:
        exact = a.codes == a.gold.codes and a.primary == a.gold.primary
        for t in a.record.tags:
            e, n = tags.get(t, (0, 0))
            tags[t] = (e + exact, n + 1)
    n = len(aligned)
    return EvalReport(
        file=file,
        coder_version=coder.version,
        responses=len(records),
        utterances=n,
        per_code=per_code,
        macro_f1=macro,
        targets={
            "question_f1": question.f1,
            "open_closed_macro_f1": open_closed,
            "reflection_f1": reflection.f1,
            "primary_macro_f1": primary_macro,
        },
        primary=primary,
        primary_kappa=cohen_kappa(gold_p, pred_p),
        primary_accuracy=sum(1 for g, p in zip(gold_p, pred_p, strict=True) if g == p) / n
        if n
        else 0.0,
        response_primary_accuracy=response_hits / len(records) if records else 0.0,
        extra={
            "any question": question,
            "any reflection": reflection,
            "any CFI question (intent ignored)": starts("cfi:"),
        },
        tags=tags,
        mistakes=mistakes,
    )


def _response_primary_of(rec: GoldRecord) -> str:
    return response_primary(u.primary for u in rec.utterances)


def _label_order(label: str) -> tuple[int, str]:
    if label in CODER_CODES:
        return (CODER_CODES.index(label), label)
    return (len(CODER_CODES), label)
