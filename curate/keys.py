"""The terminal annotator's and reviewer's one-key commands, written once: both apps bind
these, and an entity label's hotkey may be none of them (config refuses it)."""

from __future__ import annotations

# action -> key, for each app (Textual names the bracket and question-mark keys, see key_name)
ANNOTATOR = {
    "mark": "m",
    "remove": "x",
    "accept": "a",
    "accept_all": "A",
    "reject": "r",
    "undo": "u",
    "skip": "k",
    "next": "]",
    "previous": "[",
    "guidelines": "G",
    "help": "?",
}
REVIEWER = {"help": "?", "drop": "0", "draw": "m", "remove_drawn": "x", "note": "N", "next": "]"}
STANCE_DIGITS = "123456789"  # both apps: the stance of the focused target
COMMAND_KEYS = frozenset(ANNOTATOR.values()) | frozenset(REVIEWER.values()) | set(STANCE_DIGITS)

_TEXTUAL_NAMES = {"?": "question_mark", "[": "left_square_bracket", "]": "right_square_bracket"}


def key_name(character: str) -> str:
    """The name Textual binds a one-character key by."""
    return _TEXTUAL_NAMES.get(character, character)
