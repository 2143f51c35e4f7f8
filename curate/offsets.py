"""The one place that checks and repairs spans (0-based code-point offsets, end exclusive).

The document's `text[start:end]` is the truth. A span's own text is a hint: it is accepted when it
differs only in surrounding whitespace or in line breaks written as a backslash-n (Label Studio
does both), converted when the offsets turn out to be UTF-16 units and the converted slice matches,
and refused otherwise. A drifted span is never stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from curate.errors import SpanError


def _refuse_empty_or_reversed(start: int, end: int, where: str) -> None:
    if start == end:
        raise SpanError(
            f"{where}: span {start}-{end} is empty (start equals end); a span covers at least "
            "one character, end exclusive"
        )
    if start > end:
        raise SpanError(
            f"{where}: span {start}-{end} is reversed (its start comes after its end); write "
            f"it as {end}-{start}, start first, end exclusive"
        )


def check_span(text: str, start: int, end: int, span_text: str, where: str) -> None:
    """Refuse a span whose offsets are out of range or whose slice differs from its text."""
    _refuse_empty_or_reversed(start, end, where)
    if not (0 <= start < end <= len(text)):
        raise SpanError(
            f"{where}: span {start}-{end} {span_text!r} is outside the text (length {len(text)}); "
            "offsets are 0-based code points, end exclusive"
        )
    if text[start:end] != span_text:
        raise SpanError(
            f"{where}: span {start}-{end} says {span_text!r} but the text there is "
            f"{text[start:end]!r}; fix the offsets (code points, not UTF-16 units or bytes)"
        )


def check_unquoted_span(text: str, start: int, end: int, where: str) -> None:
    """A span given by offsets alone (no text to compare): refuse a slice no annotator would
    make (edge whitespace, or an edge inside a word), as byte or UTF-16 offsets produce."""
    check_span(text, start, end, text[start:end], where)
    piece = text[start:end]
    cut_before = start > 0 and text[start - 1].isalnum() and piece[0].isalnum()
    cut_after = end < len(text) and text[end].isalnum() and piece[-1].isalnum()
    if piece != piece.strip() or cut_before or cut_after:
        raise SpanError(
            f"{where}: span {start}-{end} is {piece!r}, which "
            + ("starts or ends with whitespace" if piece != piece.strip() else "cuts a word")
            + "; check that the offsets are code points (not bytes or UTF-16 units), or give "
            "the span's 'text' so they can be checked"
        )


@dataclass(frozen=True)
class Repaired:
    start: int
    end: int
    text: str  # always text[start:end] of the document
    repair: str | None  # None, "whitespace", "escaped line break" or "utf-16 offsets"


def _normalised(value: str) -> str:
    return "".join(value.replace("\\r\\n", "\n").replace("\\n", "\n").split())


def _unescaped(value: str) -> str:
    return value.replace("\\r\\n", "\r\n").replace("\\n", "\n")


def utf16_to_code_points(text: str, offset: int) -> int | None:
    """The code-point offset of a UTF-16 unit offset, or None when it falls inside a pair."""
    units = 0
    for index, char in enumerate(text):
        if units == offset:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
        if units > offset:
            return None
    return len(text) if units == offset else None


def repair_span(text: str, start: int, end: int, hint: str | None, where: str) -> Repaired:
    """Check a span from outside; return it agreeing with the document, or raise SpanError."""
    _refuse_empty_or_reversed(start, end, where)
    in_range = 0 <= start < end <= len(text)
    if in_range:
        sliced = text[start:end]
        if hint is None or sliced == hint:
            return Repaired(start, end, sliced, None)
        if _normalised(sliced) == _normalised(hint):
            escaped = "\\n" in hint and "\n" in sliced
            return Repaired(start, end, sliced, "escaped line break" if escaped else "whitespace")
    if hint is not None:
        new_start, new_end = utf16_to_code_points(text, start), utf16_to_code_points(text, end)
        if new_start is not None and new_end is not None and new_start < new_end:
            sliced = text[new_start:new_end]
            # A conversion must give the hinted text itself, not a neighbour of it.
            if sliced == hint or sliced.strip() == _unescaped(hint).strip():
                return Repaired(new_start, new_end, sliced, "utf-16 offsets")
    shown = text[start:end] if in_range else f"(outside the text, length {len(text)})"
    raise SpanError(
        f"{where}: span {start}-{end} says {hint!r} but the text there is {shown!r}, and no "
        "conversion (whitespace, escaped line breaks, UTF-16 units) makes them agree; "
        "it is kept out of the store"
    )
