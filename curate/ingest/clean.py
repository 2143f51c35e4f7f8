"""Text normalisation shared by every reader: line endings and trailing spaces only."""

from __future__ import annotations

import re

LINE_BREAK = re.compile(r"\r\n|\r|\n")


def clean_text(text: str) -> str:
    """Normalise line endings to \\n, drop trailing whitespace and leading/trailing blank lines.

    Every other character (curly quotes, dashes, inner non-breaking spaces) is kept exactly.
    """
    lines = [line.rstrip() for line in LINE_BREAK.split(text)]
    return "\n".join(lines).strip("\n")
