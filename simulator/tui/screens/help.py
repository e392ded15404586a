"""Keys and a short account of how the simulator scores."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

HELP = """\
intake-sim: keys

Everywhere     F1 help   Ctrl+S settings   Ctrl+P command palette   Ctrl+R cohort reports
               Ctrl+Q quit
Library        arrows move   Enter play   / filter   Esc clear filter   h history   p profile
               i assignment pack (open one, see its progress)   q quit
Play           1-9 or arrows + Enter answer   / type your own response   t tone   e eye contact
               p posture   a pace   n note-taking   m alliance meters on/off
               r rewind (coach mode)   Esc save and leave
Typed answer   1 or 2 pick between the two closest options   Esc retype
Debrief        a play again   h history   Esc library
History        Enter resume or read the debrief   Space mark   c compare two marked   Esc back
Self-report    Ctrl+D done   Esc skip
Cohort         Enter open report   h decision heatmap (n / p next or previous scenario)   Esc back

How scoring works
Every response carries codes (open question, complex reflection, assumption...). Each code
credits or debits five humility behaviours (asking, listening, addressing difference, avoiding
assumptions, sharing power) and moves the client's trust, bond and agreement on goals and tasks.
Your non-verbal stance moves them too. The client names two or three themes of the Nakash et al.
study at the end, in their own words. docs/rubric.md gives every formula.

Press Esc to close."""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "close", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Static(HELP, markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
