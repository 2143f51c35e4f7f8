"""The one place that checks spans against document text (code-point offsets, end exclusive)."""

from __future__ import annotations

from curate.errors import SpanError


def check_span(text: str, start: int, end: int, span_text: str, where: str) -> None:
    """Refuse a span whose offsets are out of range or whose slice differs from its text."""
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
