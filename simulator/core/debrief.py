"""The client's post-intake interview, assembled from the scenario's debrief snippets.

The client names their salient themes (two or three, as clients in the study did) in their own
voice, and recalls the specific moments of this session that caused them.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.core.engine import Session
from simulator.core.scoring import Summary


@dataclass(frozen=True, slots=True)
class Recollection:
    step: int
    theme: str
    text: str


@dataclass(frozen=True)
class ClientDebrief:
    intro: str
    ending_title: str | None
    ending_text: str | None
    voice: tuple[tuple[str, str], ...]  # (theme, what the client says about it)
    moments: tuple[Recollection, ...]


def client_debrief(session: Session, summary: Summary, max_moments: int = 4) -> ClientDebrief:
    model = session.scenario.model.debrief
    voice = tuple((t, model.themes[t]) for t in summary.salient if t in model.themes)
    chosen = {turn.option.key: turn.step for turn in session.turns}
    salient = set(summary.salient)
    recalled = [
        Recollection(chosen[m.at], m.theme, m.text) for m in model.moments if m.at in chosen
    ]
    # Moments behind a salient theme come first; then the rest, in the order they happened.
    recalled.sort(key=lambda r: (r.theme not in salient, r.step))
    moments = tuple(sorted(recalled[:max_moments], key=lambda r: r.step))
    ending = session.scenario.endings.get(session.ending_id) if session.ending_id else None
    return ClientDebrief(
        intro=model.intro,
        ending_title=ending.title if ending else None,
        ending_text=ending.text if ending else None,
        voice=voice,
        moments=moments,
    )
