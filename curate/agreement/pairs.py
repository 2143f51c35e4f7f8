"""How the report names an annotator pair: one string key (JSON keys are strings), made and
read here only."""

from __future__ import annotations

PAIR = " | "  # between the two names of an annotator pair's key in the report


def pair_key(first: str, second: str) -> str:
    """The report's key for an annotator pair (JSON keys are strings)."""
    return f"{first}{PAIR}{second}"


def pair_names(key: str) -> tuple[str, str]:
    """The two annotators of a pair key."""
    first, second = key.split(PAIR, 1)
    return first, second
