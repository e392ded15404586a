"""The plain, line-based mode: works with a screen reader and over a pipe.

One entry per line on standard input: a response number, optionally followed by stance settings
(`2 tone=warm eye_contact=steady`), or a command (`help`, `stance`, `rewind N`, `quit`).
Plain text only: no colour, no boxes, labels before values.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from simulator.core.coder_play import rank_options
from simulator.core.compiled import CompiledOption, CompiledScenario
from simulator.core.debrief import client_debrief
from simulator.core.engine import EngineError
from simulator.core.feedback import turn_feedback
from simulator.core.scoring import Summary
from simulator.core.text import clean
from simulator.practice import Practice
from simulator.store import StoreError

HELP = """\
How to answer: type the number of a response and press Enter.
You can set your non-verbal stance on the same line, e.g. "1 tone=warm eye_contact=steady";
it stays in effect until you change it. Other entries:
  stance     list the stance options and your current stance
  rewind N   go back to decision N and answer again (coach mode)
  help       show this help
  quit       stop here; your answers are saved (resume with --resume)"""


def _title(text: str) -> str:
    return text.replace("_", " ")


@dataclass
class PlainIO:
    read_line: Callable[[], str | None]
    out: TextIO
    lines_written: list[str] = field(default_factory=list)

    def say(self, text: str = "") -> None:
        self.out.write(clean(text) + "\n")
        self.out.flush()


def stdin_reader(stream: TextIO) -> Callable[[], str | None]:
    def read() -> str | None:
        line = stream.readline()
        return None if line == "" else line.rstrip("\n")

    return read


def describe_scenario(io: PlainIO, scenario: CompiledScenario, mode: str) -> None:
    m = scenario.model
    c = m.client
    io.say(f"Scenario: {m.title} ({m.id}, version {m.version}, {m.difficulty})")
    io.say(f"Setting: {m.setting}")
    io.say(f"Client: {c.name}, {c.age}" + (f", {c.pronouns}" if c.pronouns else ""))
    for facet, value in c.identity.items():
        io.say(f"  {_title(facet)}: {value}")
    io.say(f"Presenting problem: {c.presenting_problem}")
    io.say(f"How they appear: {c.appearance}")
    io.say(f"You play: {m.therapist.role}")
    for facet, value in m.therapist.identity.items():
        io.say(f"  {_title(facet)}: {value}")
    if mode == "coach":
        io.say("Mode: coach. You get feedback after each response.")
    else:
        io.say("Mode: assessment. Feedback is held until the debrief.")
    io.say('Type "help" for how to answer.')


def _parse_entry(entry: str) -> tuple[str, list[str]]:
    parts = entry.split()
    return (parts[0].lower(), parts[1:]) if parts else ("", [])


def _stance_text(practice: Practice, stance: dict[str, str]) -> str:
    rubric = practice.scenario.rubric.model
    return "; ".join(
        f"{rubric.stance[a].title}: {rubric.stance[a].values[v].title}"
        for a, v in sorted(stance.items())
    )


def _print_stance_help(io: PlainIO, practice: Practice, stance: dict[str, str]) -> None:
    rubric = practice.scenario.rubric.model
    io.say("Stance options (write aspect=value after your number):")
    for aid, aspect in rubric.stance.items():
        values = ", ".join(f"{vid} ({v.title})" for vid, v in aspect.values.items())
        io.say(f"  {aid}: {values}")
    io.say(f"Current stance: {_stance_text(practice, stance)}")


def _show_decision(io: PlainIO, practice: Practice) -> None:
    session = practice.session
    node = practice.scenario.nodes[session.node_id or ""]
    name = practice.scenario.model.client.name.split()[0]
    io.say()
    io.say(f"Decision {session.step + 1}")
    io.say(f'{name}: "{session.client_line()}"')
    if node.model.cue:
        io.say(f"({node.model.cue})")
    io.say("Your responses:")
    for i, option in enumerate(session.options(), 1):
        io.say(f"  {i}. {option.say}")


def _show_feedback(io: PlainIO, practice: Practice, step: int, *, read_as: bool = True) -> None:
    fb = turn_feedback(practice.session, step)
    rubric = practice.scenario.rubric.model
    if read_as:
        io.say(f"Read as: {fb.read_as}")
    for note in fb.notes:
        sign = {"positive": "+", "negative": "-", "neutral": "="}[note.valence]
        io.say(f"  {sign} {note.title}: {note.text}")
        if note.better and note.valence == "negative":
            io.say(f"    Try: {note.better}")
    if fb.option_feedback:
        io.say(f"About this response: {fb.option_feedback}")
    if fb.context:
        io.say(f"In this moment: {fb.context}")
    if fb.humility:
        io.say("Humility: " + ", ".join(f"{_title(d)} {a:+g}" for d, a in fb.humility))
    if fb.moved:
        io.say("Alliance: " + ", ".join(f"{v} {a:+.1f}" for v, a in fb.moved))
    if fb.opportunity:
        about, outcome = fb.opportunity
        io.say(f"Cultural opportunity ({about}): {outcome}.")
    if fb.rupture:
        io.say("Rupture: this response cost the alliance. It can still be repaired.")
    if fb.repaired:
        io.say("Repair: this response mended the earlier rupture.")
    for theme, active in fb.themes_changed:
        title = rubric.themes[theme].title
        io.say(f"{'Rising' if active else 'Fading'} in the client: {title.lower()}.")
    if fb.disclosure:
        io.say(f"The client is opening up: {fb.disclosure}.")
    if fb.basis:
        io.say("Research basis: " + "; ".join(f"{c.cite}: {c.note}" for c in fb.basis[:3]))


def print_debrief(io: PlainIO, practice: Practice, summary: Summary) -> None:
    session = practice.session
    rubric = practice.scenario.rubric.model
    debrief = client_debrief(session, summary)
    io.say()
    io.say(f"Ending: {debrief.ending_title}")
    io.say(debrief.ending_text or "")
    io.say()
    io.say("Debrief: the client's own account")
    io.say(debrief.intro)
    for theme, text in debrief.voice:
        io.say(f"  [{rubric.themes[theme].title}] {text}")
    for moment in debrief.moments:
        io.say(f"  About decision {moment.step + 1}: {moment.text}")
    io.say()
    io.say("Humility profile (0-100)")
    for dim, score in summary.humility.items():
        bar = "#" * round(score / 10) + "-" * (10 - round(score / 10))
        io.say(f"  {rubric.dimensions[dim].title:<22} {score:>3}  {bar}")
    io.say("Themes the client names: " + ", ".join(rubric.themes[t].title for t in summary.salient))
    counts = summary.opportunity_counts()
    io.say(
        f"Cultural opportunities: {counts['offered']} offered, {counts['engaged']} engaged, "
        f"{counts['missed']} missed, {counts['harmed']} harmed."
    )
    for opp in summary.opportunities:
        if opp.outcome != "engaged" and opp.better:
            io.say(
                f"  Decision {opp.step + 1} ({opp.about}): {opp.outcome}. A better response: {opp.better}"
            )
    style = rubric.broaching_styles[summary.broaching_style]
    io.say(f"Broaching style: {style.title}. {style.meaning} ({summary.broaching_reason})")
    touched = [rubric.cfi.domains[d].title for d, intents in summary.cfi_domains.items() if intents]
    io.say("CFI domains touched: " + (", ".join(touched) if touched else "none"))
    io.say(f"Overall: {summary.overall} ({_title(summary.band)})")
    if summary.improvements:
        io.say("For next time:")
        for imp in summary.improvements:
            io.say(f"  Decision {imp.step + 1}: {imp.issue}")
            if imp.better:
                io.say(f"    A better response: {imp.better}")


def run_plain(
    practice: Practice,
    io: PlainIO,
    *,
    json_out: bool = False,
    stance: dict[str, str] | None = None,
    free_text: bool = False,
) -> int:
    """Play to the end (or until input runs out). Returns the process exit code.

    With `free_text`, a line that is not a number or a command is a typed response: it is coded,
    scored by its own codes and counted as the nearest written response for branching.
    """
    describe_scenario(io, practice.scenario, practice.mode)
    if free_text:
        io.say(HELP_TYPED)
    if practice.notice:
        io.say(f"Note: {practice.notice}")
    if practice.session.step:
        io.say(f"Resuming at decision {practice.session.step + 1}.")
    current = dict(practice.scenario.rubric.stance_defaults)
    current.update(stance or {})
    shown: int | None = None
    while not practice.session.done:
        if shown != practice.session.step:
            _show_decision(io, practice)
            shown = practice.session.step
        options = practice.session.options()
        if free_text:
            io.say(f"Type your response (or a number 1-{len(options)} to use a written one):")
        else:
            io.say(f"Choose 1-{len(options)}:")
        entry = io.read_line()
        if entry is None or entry.strip().lower() in ("quit", "q", "exit"):
            io.say(
                f"Stopped at decision {practice.session.step + 1}; your answers are saved. "
                f"Continue with: intake-sim play {practice.scenario.id} --plain --resume"
            )
            if json_out:
                io.say(json.dumps(_paused_json(practice)))
            return 0
        word, rest = _parse_entry(entry)
        if free_text and _is_typed(word, rest):
            outcome, current = _typed_turn(io, practice, entry, current, options)
            if outcome == "stop":
                io.say(
                    f"Stopped at decision {practice.session.step + 1}; your answers are saved. "
                    f"Continue with: intake-sim play {practice.scenario.id} --plain --free-text "
                    "--resume"
                )
                if json_out:
                    io.say(json.dumps(_paused_json(practice)))
                return 0
            continue
        if word in ("help", "?", "h"):
            io.say(HELP)
            continue
        if word == "stance":
            _print_stance_help(io, practice, current)
            continue
        if word == "rewind":
            _rewind(io, practice, rest)
            continue
        if not word.isdigit() or not 1 <= int(word) <= len(options):
            typed = entry.strip()[:40] or "an empty line"
            io.say(
                f"'{typed}' is not one of the responses; type a number from 1 to {len(options)} (or help)."
            )
            continue
        try:
            wanted = dict(current)
            for item in rest:
                aspect, sep, value = item.partition("=")
                if not sep:
                    raise EngineError(
                        f"'{item}' is not a stance setting; write aspect=value, e.g. tone=warm"
                    )
                wanted[aspect] = value
            option = options[int(word) - 1]
            practice.choose(option, wanted)
            current = wanted
        except EngineError as exc:
            io.say(f"Not accepted: {exc}.")
            continue
        except StoreError as exc:
            io.say(f"Not saved: {exc}")
            continue
        io.say(f'You said: "{option.say}"')
        if rest:
            io.say(f"Your stance: {_stance_text(practice, current)}")
        if practice.mode == "coach":
            _show_feedback(io, practice, practice.session.step - 1)
    summary = practice.summary()
    print_debrief(io, practice, summary)
    miti = practice.miti()
    if miti is not None:
        io.say()
        coder = practice.coder
        for line in miti.lines(coder.title if coder else None):
            io.say(line)
    _private_note(io, practice)
    if json_out:
        doc = summary.to_json()
        if miti is not None:
            doc["miti"] = miti.to_json()
        io.say(json.dumps(doc, ensure_ascii=False))
    return 0


def _private_note(io: PlainIO, practice: Practice) -> None:
    """Offer the optional private reflection; Enter (or the end of input) skips it."""
    from simulator.store.reflections import save_reflection

    io.say()
    io.say("A private note for yourself (Enter to skip):")
    entry = io.read_line()
    if entry is None or not entry.strip():
        return
    try:
        save_reflection(practice.store, practice.row.id, entry)
    except StoreError as exc:
        io.say(f"Note not saved: {exc}")
        return
    io.say("Note saved. It stays with you: bundles and reports leave it out.")


def _rewind(io: PlainIO, practice: Practice, rest: list[str]) -> None:
    if len(rest) != 1 or not rest[0].isdigit():
        io.say("Write rewind and a decision number, e.g. rewind 2.")
        return
    target = int(rest[0])
    if not 1 <= target <= practice.session.step:
        io.say(f"You can rewind to decisions 1 to {practice.session.step}.")
        return
    try:
        practice.rewind(target - 1)
    except (EngineError, StoreError) as exc:
        io.say(f"Cannot rewind: {exc}.")
        return
    io.say(f"Back at decision {target}; later answers were removed.")


def _paused_json(practice: Practice) -> dict[str, object]:
    return {
        "scenario": practice.scenario.id,
        "status": "paused",
        "session": practice.row.id,
        "path": list(practice.session.path),
        "decisions": practice.session.step,
    }


# ---------------------------------------------------------------- free-text responses

HELP_TYPED = """\
Free-text mode: type what you would say to the client. It is read as response codes (shown as
"Read as: ..."), scored by those codes, and counted as the nearest written response for where
the conversation goes. A number still picks a written response; stance settings can follow your
words, e.g. "What brings you here? tone=warm"."""
MAX_TYPED = 2000  # characters in one typed response


def _is_typed(word: str, rest: list[str]) -> bool:
    """A typed response, not a number (with stance settings) or a command."""
    if not word:
        return False
    if word in ("help", "?", "h", "stance") and not rest:
        return False
    if word == "rewind" and len(rest) == 1 and rest[0].isdigit():
        return False
    return not (word.isdigit() and all("=" in item for item in rest))


def _split_stance(
    entry: str, practice: Practice, current: dict[str, str]
) -> tuple[str, dict[str, str]]:
    """Trailing `aspect=value` settings of known stance aspects, split off the typed words."""
    aspects = practice.scenario.rubric.stance_defaults
    wanted = dict(current)
    text = entry.strip()
    while True:
        head, _, last = text.rpartition(" ")
        aspect, sep, value = last.partition("=")
        if not sep or aspect not in aspects or not value or not head.strip():
            return text, wanted
        wanted[aspect] = value
        text = head.rstrip()


def _typed_turn(
    io: PlainIO,
    practice: Practice,
    entry: str,
    current: dict[str, str],
    options: tuple[CompiledOption, ...],
) -> tuple[str, dict[str, str]]:
    """Code, map, save and show one typed response. Returns ("done" | "again" | "stop", stance)."""
    text, wanted = _split_stance(entry, practice, current)
    if len(text) > MAX_TYPED:
        io.say(f"That is {len(text)} characters; keep a response under {MAX_TYPED}.")
        return "again", current
    coded = practice.read(text)
    coder = practice.coder
    assert coder is not None  # practice.read set it
    io.say(f'You said: "{coded.text}"')
    io.say(f"Read as: {coder.read_as(coded)}")
    if len(coded.utterances) > 1:
        for u in coded.utterances:
            titles = " + ".join(coder.title(c) for c in u.codes) or "no code"
            io.say(f'  "{u.text}": {titles}')
    mapping = rank_options(coder, coded, options, practice.scenario)
    chosen = mapping.best
    if not mapping.confident and len(mapping.ranked) > 1:
        first, second = mapping.closest_two
        io.say("That sits between two of the written responses:")
        io.say(f"  1. {first.option.say}")
        io.say(f"  2. {second.option.say}")
        while True:
            io.say("Which is closer to what you meant? Type 1 or 2:")
            answer = io.read_line()
            if answer is None or answer.strip().lower() in ("quit", "q", "exit"):
                return "stop", current
            if answer.strip() in ("1", "2"):
                chosen = (first, second)[int(answer.strip()) - 1]
                break
            io.say(f"'{answer.strip()[:40] or 'an empty line'}' is not 1 or 2.")
    try:
        practice.choose_typed(chosen.option, coded, wanted)
    except EngineError as exc:
        io.say(f"Not accepted: {exc}.")
        return "again", current
    except StoreError as exc:
        io.say(f"Not saved: {exc}")
        return "again", current
    how = "the closest match" if mapping.confident or len(mapping.ranked) == 1 else "your choice"
    io.say(f'Counted as response {chosen.number} ({how}): "{chosen.option.say}"')
    if wanted != current:
        io.say(f"Your stance: {_stance_text(practice, wanted)}")
    if practice.mode == "coach":
        _show_feedback(io, practice, practice.session.step - 1, read_as=False)
    return "done", wanted
