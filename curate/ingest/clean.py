"""Text normalisation shared by every reader (ingest, import-ls, import-gold), so one article
gets one document id however it came in: line endings and trailing spaces only."""

from __future__ import annotations

import re

LINE_BREAK = re.compile(r"\r\n|\r|\n")


def clean_text(text: str) -> str:
    """Normalise line endings to \\n, drop trailing whitespace and leading/trailing blank lines.

    Every other character (curly quotes, dashes, inner non-breaking spaces) is kept exactly.
    """
    lines = [line.rstrip() for line in LINE_BREAK.split(text)]
    return "\n".join(lines).strip("\n")


def clean_with_offsets(text: str) -> tuple[str, list[int]]:
    """clean_text(text), and where each offset of `text` (0 to len(text)) lands in it, so spans
    made on the raw text can be moved onto the cleaned one."""
    kept = [False] * len(text)
    emitted = list(text)
    start = 0
    for match in [*LINE_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        content = text[start:end].rstrip()
        for i in range(start, start + len(content)):
            kept[i] = True
        if match:
            newline = match.end() - 1  # the \n of \r\n, or the lone \r or \n
            kept[newline] = True
            emitted[newline] = "\n"
            start = match.end()
    # Blank lines at either end go (clean_text's strip("\n")).
    first = next((i for i, k in enumerate(kept) if k and emitted[i] != "\n"), len(text))
    last = max((i for i, k in enumerate(kept) if k and emitted[i] != "\n"), default=-1)
    for i in range(len(text)):
        if i < first or i > last:
            kept[i] = False
    positions = [0] * (len(text) + 1)
    for i, keep in enumerate(kept):
        positions[i + 1] = positions[i] + keep
    return "".join(c for c, keep in zip(emitted, kept, strict=True) if keep), positions
