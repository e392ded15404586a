"""The bias mirror: does the trainee rate discordant clients as less open or trusting than
concordant ones who were written to be just as open and trusting?

For every attempt with a post-intake self-report, the gap is the trainee's rating minus the
client's scripted value (both 1-5). The mirror compares the mean gap of discordant attempts with
that of concordant ones, per quality. The study found exactly this pattern in therapists' reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

QUALITIES = ("openness", "trust", "cooperation")


@dataclass(frozen=True, slots=True)
class Rated:
    """One attempt: the dyad, what the trainee rated, and what the script says."""

    scenario_id: str
    dyad: str
    ratings: dict[str, int]
    scripted: dict[str, int]


@dataclass(frozen=True)
class Mirror:
    counts: dict[str, int]  # attempts per dyad
    gaps: dict[str, dict[str, float]]  # dyad -> quality -> mean (rating - scripted)
    difference: dict[str, float]  # quality -> discordant gap minus concordant gap
    lines: tuple[str, ...]  # plain-language reading

    @property
    def ready(self) -> bool:
        return self.counts.get("concordant", 0) > 0 and self.counts.get("discordant", 0) > 0


def bias_mirror(attempts: Iterable[Rated], threshold: float = 0.5) -> Mirror:
    groups: dict[str, list[Rated]] = {"concordant": [], "discordant": []}
    for a in attempts:
        if a.dyad in groups:
            groups[a.dyad].append(a)
    counts = {d: len(items) for d, items in groups.items()}
    gaps: dict[str, dict[str, float]] = {}
    for dyad, items in groups.items():
        if items:
            gaps[dyad] = {
                q: sum(a.ratings[q] - a.scripted[q] for a in items) / len(items) for q in QUALITIES
            }
    if not (counts["concordant"] and counts["discordant"]):
        need = "a concordant" if not counts["concordant"] else "a discordant"
        line = (
            f"Play {need} scenario to the end and answer the post-intake questions to see your "
            "bias mirror. It compares how you rate clients who share your background with "
            "clients who do not, against how both were written."
        )
        return Mirror(counts, gaps, {}, (line,))
    difference = {q: gaps["discordant"][q] - gaps["concordant"][q] for q in QUALITIES}
    lines = []
    for q in QUALITIES:
        d = difference[q]
        if abs(d) < threshold:
            lines.append(f"{q.capitalize()}: no clear difference ({d:+.1f} points).")
        else:
            direction = "lower" if d < 0 else "higher"
            lines.append(
                f"{q.capitalize()}: relative to the script, you rated discordant clients "
                f"{abs(d):.1f} points {direction} than concordant ones."
            )
    lines.append(
        f"Based on {counts['concordant']} concordant and {counts['discordant']} discordant "
        "attempts. Clients in each scenario were written with a set openness, trust and "
        "cooperation; the gap is your rating minus that."
    )
    return Mirror(counts, gaps, difference, tuple(lines))
