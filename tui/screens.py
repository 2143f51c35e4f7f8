"""Screens shared by the annotator and the reviewer: key help, and a one-line text prompt."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

KEY_NAMES = {
    "question_mark": "?",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
}


def key_name(key: str) -> str:
    return KEY_NAMES.get(key, key)


class HelpScreen(ModalScreen[None]):
    """Every key, from the bindings themselves, so the help cannot drift from what works."""

    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "close")]
    CSS = """
    HelpScreen { align: center middle; }
    #frame { width: 90%; max-width: 80; height: auto; max-height: 90%;
             border: round $accent; background: $surface; }
    #help { width: 100%; height: auto; }
    """

    def __init__(self, bindings: Sequence[Binding], extra: Sequence[tuple[str, str]] = ()):
        super().__init__()
        self.rows = [(key_name(b.key), b.description) for b in bindings] + list(extra)

    def compose(self) -> ComposeResult:
        table = Table("key", "what it does", title="Keys (Esc closes)", box=None)
        for key, description in self.rows:
            table.add_row(key, description)
        # Scrolls when the keys do not fit (80x24): ↑ ↓ PageUp PageDown move it.
        with VerticalScroll(id="frame"):
            yield Static(table, id="help")


class ReasonScreen(ModalScreen[str | None]):
    """Ask for one line of text (a skip reason, a reviewer's note); Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]
    CSS = """
    ReasonScreen { align: center middle; }
    #ask { width: 60; height: auto; border: round $accent; background: $surface; }
    """

    def __init__(self, question: str):
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="ask"):
            yield Static(self.question)
            yield Input(id="answer")
            yield Static("enter keeps it · esc cancels", classes="keys")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question that names what is at stake; only y says yes."""

    BINDINGS = [Binding("y", "answer(True)", "yes"), Binding("escape,n", "answer(False)", "no")]
    CSS = """
    ConfirmScreen { align: center middle; }
    #ask { width: 70; height: auto; border: round $warning; background: $surface; }
    """

    def __init__(self, question: str):
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="ask"):
            yield Static(self.question)
            yield Static("y reopens it · n or esc keeps it", classes="keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
